"""The fault matrix: one article of three meets each fault; it recovers or fails alone."""

from __future__ import annotations

import json
import socket
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from summarize.articles import article_from_text
from summarize.batch import run_batch
from summarize.cli import app
from summarize.client import ModelClient
from summarize.data import Article
from summarize.export import to_record
from summarize.loopback import (
    LoopbackServer,
    QueueResponder,
    Reply,
    Request,
    RoutingResponder,
    completion,
)
from summarize.modelconfig import ModelConfig, RetryPolicy
from summarize.options import BriefOptions
from summarize.prompts import load_prompt
from summarize.results import Failure
from summarize.schema import Brief
from tests.conftest import extraction

runner = CliRunner()
POLICY = RetryPolicy(max_attempts=3, max_seconds=10, initial_wait=0.01, max_wait=0.2)
ANSWER = extraction(threats=[], dates=[])
Step = Reply | dict[str, Any] | Callable[[Request], Reply]


def story(name: str) -> Article:
    text = f"Story {name}. Ministers of two states met on Monday to talk about trade."
    return article_from_text(text, id=name, source=f"{name}.txt")


def error(status: int, **headers: str) -> Reply:
    return Reply(status=status, body={"error": {"message": f"status {status}"}}, headers=headers)


def text_reply(**options: Any) -> Callable[[Request], Reply]:
    """A 200 whose message is not a usable answer (cut off, refused, ...)."""
    return lambda request: Reply(body=completion(**options))


FLAKY = [
    ("429 with Retry-After", [error(429, **{"Retry-After": "0"}), ANSWER]),
    ("429 without Retry-After", [error(429), ANSWER]),
    ("500", [error(500), ANSWER]),
    ("502", [error(502), ANSWER]),
    ("503", [error(503), ANSWER]),
    ("connection reset mid-response", [Reply(drop=True), ANSWER]),
    ("body that is not JSON", [Reply(body=b"<html>gateway</html>"), ANSWER]),
    ("empty choices", [Reply(body={**completion(content="{}"), "choices": []}), ANSWER]),
    ("read timeout", [Reply(body=completion(content="{}"), delay=2.0), ANSWER]),
]

BROKEN = [
    ("500 every time", [error(500)] * 3, "provider", "answered HTTP 500 after 3 attempt(s)"),
    ("429 every time", [error(429, **{"Retry-After": "0"})] * 3, "provider", "HTTP 429"),
    ("reset every time", [Reply(drop=True)] * 3, "provider", "cannot reach"),
    ("not JSON every time", [Reply(body=b"oops")] * 3, "provider", "unusable response"),
    ("schema-invalid every time", [{"summary": 1}] * 3, "invalid_answer", "did not match"),
    (
        "output cut off",
        [text_reply(content='{"summary": "The min', finish_reason="length")] * 3,
        "invalid_answer",
        "cut off",
    ),
    (
        "a refusal",
        [text_reply(content=None, refusal="I can't help with that.")] * 3,
        "invalid_answer",
        "refused",
    ),
    ("unknown model", [error(404)], "provider", "has no model"),
]


def run_three(steps: list[Step], timeout: float = 60.0) -> tuple[list[Any], LoopbackServer]:
    """Brief stories a, b and c; only b meets `steps`, a and c are answered at once."""
    routes = {
        "Story a.": QueueResponder([ANSWER]),
        "Story b.": QueueResponder(steps),
        "Story c.": QueueResponder([ANSWER]),
    }
    with LoopbackServer(RoutingResponder(routes)) as server:
        config = ModelConfig(model="m", base_url=server.url, retry=POLICY, timeout=timeout)
        client = ModelClient(config)
        try:
            outcome = run_batch(
                [story("a"), story("b"), story("c")], client, load_prompt(), BriefOptions()
            )
        finally:
            client.close()
    return outcome.results, server


@pytest.mark.parametrize(("fault", "steps"), FLAKY, ids=[f for f, _ in FLAKY])
def test_a_transient_fault_is_retried_and_the_article_succeeds(
    fault: str, steps: list[Step]
) -> None:
    """The faulty article is briefed after one retry, with both attempts recorded."""
    results, _ = run_three(steps, timeout=1.0 if fault == "read timeout" else 60.0)
    assert all(isinstance(r, Brief) for r in results), results
    faulty = results[1]
    assert isinstance(faulty, Brief)
    assert faulty.run.attempts == 2
    assert faulty.run.attempt_log[-1] == "ok"  # type: ignore[attr-defined]


@pytest.mark.parametrize(("fault", "steps", "kind", "reason"), BROKEN, ids=[f for f, *_ in BROKEN])
def test_a_lasting_fault_fails_that_article_alone_with_a_one_line_reason(
    fault: str, steps: list[Step], kind: str, reason: str
) -> None:
    """The others are briefed; the failure names the article, the kind and the reason."""
    results, server = run_three(steps)
    first, failed, last = results
    assert isinstance(first, Brief)
    assert isinstance(last, Brief)
    assert isinstance(failed, Failure)
    assert failed.kind == kind
    assert reason in failed.message
    assert failed.message.startswith("b.txt: ")
    assert "\n" not in failed.message
    assert 1 <= failed.attempts <= POLICY.max_attempts
    record = to_record(failed)
    assert record["error"] == {"kind": kind, "message": failed.message, "attempts": failed.attempts}
    asked_b = sum("Story b." in r.prompt_text for r in server.requests)
    assert asked_b <= POLICY.max_attempts * 3  # bounded: attempts x (1 + re-asks) at most


def test_a_refused_connection_fails_every_article_with_a_clear_reason() -> None:
    """Nothing listening at the base URL: each article fails naming the endpoint; no hang."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = ModelConfig(model="m", base_url=f"http://127.0.0.1:{port}/v1", retry=POLICY)
    client = ModelClient(config)
    try:
        results = run_batch([story("a"), story("b")], client, load_prompt(), BriefOptions()).results
    finally:
        client.close()
    assert all(isinstance(r, Failure) for r in results)
    assert all("cannot reach" in r.message and str(port) in r.message for r in results)  # type: ignore[union-attr]


def test_the_cli_exports_failures_beside_briefs_and_exits_1(tmp_path: Path) -> None:
    """One article failing for good: stderr names it in one line, --json holds its error."""
    for name in "abc":
        (tmp_path / f"{name}.txt").write_text(story(name).text)
    routes = {
        "Story a.": QueueResponder([ANSWER]),
        "Story b.": QueueResponder([error(503)] * 10),
        "Story c.": QueueResponder([ANSWER]),
    }
    out = tmp_path / "out.json"
    with LoopbackServer(RoutingResponder(routes)) as server:
        result = runner.invoke(
            app,
            ["brief", *(str(tmp_path / f"{n}.txt") for n in "abc"), "--json", str(out), "-q"],
            env={"OPENAI_BASE_URL": server.url, "SUMMARIZE_MODEL": "m"},
        )
    assert result.exit_code == 1
    records = json.loads(out.read_text())
    assert ["error" in r for r in records] == [False, True, False]
    assert records[1]["error"]["kind"] == "provider"
    failure_lines = [line for line in result.stderr.splitlines() if line.startswith("failed:")]
    assert len(failure_lines) == 1
    assert "b.txt" in failure_lines[0]
    assert "HTTP 503" in failure_lines[0]
    assert "Traceback" not in result.stderr


def test_a_run_that_briefs_nothing_does_not_clobber_an_existing_json_file(
    tmp_path: Path,
) -> None:
    """The old --json file survives a run where every article failed, and says so."""
    out = tmp_path / "briefs.json"
    out.write_text('[{"earlier": "run"}]\n')
    (tmp_path / "a.txt").write_text(story("a").text)
    with LoopbackServer(QueueResponder([error(503)] * 10)) as server:
        result = runner.invoke(
            app,
            ["brief", str(tmp_path / "a.txt"), "--json", str(out), "-q"],
            env={"OPENAI_BASE_URL": server.url, "SUMMARIZE_MODEL": "m"},
        )
    assert result.exit_code == 1
    assert out.read_text() == '[{"earlier": "run"}]\n'
    assert "kept the existing" in result.stderr


def test_json_output_replaces_the_file_whole_and_leaves_no_temporary_behind(
    tmp_path: Path,
) -> None:
    """A successful run swaps in the new file by rename; no .tmp debris remains."""
    tmp_path = tmp_path / "work"
    tmp_path.mkdir()
    out = tmp_path / "briefs.json"
    out.write_text("old\n")
    (tmp_path / "a.txt").write_text(story("a").text)
    with LoopbackServer(QueueResponder([ANSWER])) as server:
        result = runner.invoke(
            app,
            ["brief", str(tmp_path / "a.txt"), "--json", str(out), "-q"],
            env={"OPENAI_BASE_URL": server.url, "SUMMARIZE_MODEL": "m"},
        )
    assert result.exit_code == 0, result.stderr
    assert json.loads(out.read_text())[0]["article"]["id"] == "a"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.txt", "briefs.json"]
