"""Batches: bounded concurrency, input order, token budgets, progress, Ctrl-C, kill -9, resume."""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import Result
from rich.console import Console
from rich.text import Text
from typer.testing import CliRunner

from summarize.batch import BatchOutcome, TokenCount
from summarize.cli import app
from summarize.loopback import LoopbackServer, Reply, Request, structured_reply
from summarize.progress import BatchProgress, totals_line
from summarize.results import Failure
from summarize.resume import read_finished
from tests.conftest import ROOT, extraction

runner = CliRunner()
NO_THREATS = extraction(threats=[], dates=[], summary="Officials met and talked.")


class SlowModel:
    """Answers every request with a valid no-threat brief after `delay` seconds (or a
    delay picked from the article's number), counting requests and peak concurrency."""

    def __init__(self, delay: float = 0.0, *, by_number: dict[int, float] | None = None) -> None:
        self.delay = delay
        self.by_number = by_number or {}
        self.lock = threading.Lock()
        self.in_flight = 0
        self.peak = 0
        self.served = 0

    def __call__(self, request: Request) -> Reply:
        number = next((n for n in self.by_number if f"Story {n:03d}." in request.prompt_text), -1)
        with self.lock:
            self.in_flight += 1
            self.peak = max(self.peak, self.in_flight)
        time.sleep(self.by_number.get(number, self.delay))
        with self.lock:
            self.in_flight -= 1
            self.served += 1
        return structured_reply(request, NO_THREATS)


def write_stories(folder: Path, count: int) -> list[Path]:
    folder.mkdir(exist_ok=True)
    paths = []
    for n in range(count):
        path = folder / f"story-{n:03d}.txt"
        path.write_text(
            f"Story {n:03d}. Officials from two ministries met on Monday to discuss trade.\n\n"
            f"They said talks on the dispute would continue next month, meeting {n}.\n"
        )
        paths.append(path)
    return paths


@pytest.fixture
def slow_server() -> Iterator[tuple[LoopbackServer, SlowModel]]:
    model = SlowModel()
    with LoopbackServer(model) as server:
        yield server, model


def brief_stories(server: LoopbackServer, tmp_path: Path, count: int, *flags: str) -> Result:
    """`summarize brief` over `count` generated stories, against `server`."""
    write_stories(tmp_path / "in", count)
    return runner.invoke(
        app,
        ["brief", str(tmp_path / "in"), *flags],
        env={"SUMMARIZE_MODEL": "m", "OPENAI_BASE_URL": server.url},
    )


def cli_env(server: LoopbackServer, cache: Path) -> dict[str, str]:
    return {
        **os.environ,
        "OPENAI_BASE_URL": server.url,
        "SUMMARIZE_MODEL": "loopback-model",
        "OPENAI_API_KEY": "sk-test",
        "SUMMARIZE_CACHE": str(cache),
        "PYTHONPATH": str(ROOT),
    }


def test_briefs_come_out_in_input_order_whatever_order_they_finish_in(
    slow_server: tuple[LoopbackServer, SlowModel], tmp_path: Path
) -> None:
    """Later articles answered first still appear in the JSON export in input order."""
    server, model = slow_server
    model.by_number = {n: 0.05 * (6 - n) for n in range(6)}
    write_stories(tmp_path / "in", 6)
    result = runner.invoke(
        app,
        ["brief", str(tmp_path / "in"), "--json", "-", "-j", "6", "--base-url", server.url],
        env={"SUMMARIZE_MODEL": "m"},
    )
    assert result.exit_code == 0, result.stderr
    ids = [brief["article"]["id"] for brief in json.loads(result.stdout)]
    assert ids == [f"story-{n:03d}" for n in range(6)]


def test_no_more_than_concurrency_requests_are_in_flight(
    slow_server: tuple[LoopbackServer, SlowModel], tmp_path: Path
) -> None:
    """With -j 3 and eight slow articles the server sees exactly three at a time at peak."""
    server, model = slow_server
    model.delay = 0.15
    result = brief_stories(server, tmp_path, 8, "-q", "-j", "3")
    assert result.exit_code == 0, result.stderr
    assert model.peak == 3
    assert model.served == 8


def test_the_token_budget_stops_scheduling_and_says_how_many_were_left(
    slow_server: tuple[LoopbackServer, SlowModel], tmp_path: Path
) -> None:
    """At 150 tokens an article, a 300-token budget with -j 1 briefs two of six, exit 1."""
    server, model = slow_server
    result = brief_stories(
        server, tmp_path, 6, "--json", "-", "-j", "1", "--max-total-tokens", "300"
    )
    assert result.exit_code == 1
    assert model.served == 2
    assert len(json.loads(result.stdout)) == 2
    assert "--max-total-tokens 300 reached (300 spent); 4 article(s) not started" in result.stderr


def test_the_batch_ends_with_token_totals_on_stderr_and_no_bar_off_a_terminal(
    slow_server: tuple[LoopbackServer, SlowModel], tmp_path: Path
) -> None:
    """Piped stderr gets the totals line (tokens including retries), never a progress bar."""
    server, _ = slow_server
    result = brief_stories(server, tmp_path, 3, "-q")
    assert result.exit_code == 0
    assert "3 brief(s), 0 failed; tokens: 300 input + 150 output = 450" in result.stderr
    assert "briefing" not in result.stderr


def test_the_progress_bar_shows_done_failed_and_tokens_on_a_terminal() -> None:
    """On a terminal, a multi-article batch draws a bar with failures and tokens so far."""
    out = io.StringIO()
    console = Console(file=out, force_terminal=True, width=120)
    failure = Failure(article_id="a", source="a.txt", kind="provider", message="a.txt: down")
    with BatchProgress(2, console) as progress:
        progress.advance(failure)
        progress.report_failure(failure)
    text = Text.from_ansi(out.getvalue()).plain
    assert "failed: a.txt: down" in text
    assert "1 failed" in text
    assert "briefing" in text


def test_no_bar_for_a_single_article_or_when_quiet() -> None:
    """One article, or --quiet, draws nothing."""
    out = io.StringIO()
    console = Console(file=out, force_terminal=True, width=120)
    with BatchProgress(1, console) as progress:
        progress.advance(Failure(article_id="a", source="a", kind="x", message="m"))
    with BatchProgress(5, console, enabled=False) as progress:
        progress.advance(Failure(article_id="a", source="a", kind="x", message="m"))
    assert out.getvalue() == ""


def test_totals_count_cached_briefs_as_free() -> None:
    """The totals line names cached and resumed briefs and counts only tokens paid now."""
    outcome = BatchOutcome(results=[], tokens=TokenCount(input=10, output=5, cached_briefs=2))
    line = totals_line(outcome, skipped=0)
    assert "2 from cache" in line
    assert "= 15" in line


def wait_for_lines(path: Path, count: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists() and len(path.read_text().splitlines()) >= count:
            return
        time.sleep(0.02)
    raise AssertionError(f"{path} never reached {count} lines")


def start_batch(args: list[str], env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "summarize", "brief", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.mark.parametrize(
    ("stop", "code", "said"),
    [(signal.SIGINT, 130, "interrupted:"), (signal.SIGTERM, 143, "terminated:")],
    ids=["ctrl-c", "sigterm"],
)
def test_a_stopped_batch_keeps_what_finished_writes_it_and_exits_128_plus_the_signal(
    slow_server: tuple[LoopbackServer, SlowModel],
    tmp_path: Path,
    stop: signal.Signals,
    code: int,
    said: str,
) -> None:
    """Ctrl-C or SIGTERM mid-batch: in-flight articles finish, both exports hold them."""
    server, model = slow_server
    model.delay = 0.4
    write_stories(tmp_path / "in", 12)
    jsonl, array = tmp_path / "out.jsonl", tmp_path / "out.json"
    process = start_batch(
        [str(tmp_path / "in"), "-j", "2", "-q", "--jsonl", str(jsonl), "--json", str(array)],
        cli_env(server, tmp_path / "cache.db"),
    )
    wait_for_lines(jsonl, 2)
    process.send_signal(stop)
    _, stderr = process.communicate(timeout=30)
    assert process.returncode == code, stderr
    lines = [json.loads(line) for line in jsonl.read_text().splitlines()]
    assert 2 <= len(lines) < 12
    assert len(json.loads(array.read_text())) == len(lines)
    assert said in stderr
    assert "--resume" in stderr
    assert "Traceback" not in stderr


@pytest.mark.parametrize("kill", [signal.SIGKILL, signal.SIGTERM], ids=["kill-9", "sigterm"])
def test_a_killed_batch_leaves_valid_jsonl_and_resume_briefs_only_the_rest(
    slow_server: tuple[LoopbackServer, SlowModel], tmp_path: Path, kill: signal.Signals
) -> None:
    """A batch killed mid-run leaves whole lines; --resume asks only for the others."""
    server, model = slow_server
    model.delay = 0.2
    write_stories(tmp_path / "in", 12)
    jsonl = tmp_path / "out.jsonl"
    env = cli_env(server, tmp_path / "cache.db")
    args = [str(tmp_path / "in"), "-j", "2", "-q", "--no-cache", "--jsonl", str(jsonl)]
    process = start_batch(args, env)
    wait_for_lines(jsonl, 3)
    process.send_signal(kill)
    process.wait(timeout=10)
    finished = [json.loads(line) for line in jsonl.read_text().splitlines()]  # all whole
    assert 3 <= len(finished) < 12

    time.sleep(0.3)  # let any request the dead process had already sent reach the server
    model.delay = 0.0  # the kill needed a slow model; the resumed run does not
    asked_before = len(server.requests)
    resumed = start_batch([*args, "--resume"], env)
    _, stderr = resumed.communicate(timeout=60)
    assert resumed.returncode == 0, stderr
    assert len(server.requests) - asked_before == 12 - len(finished)
    ids = [json.loads(line)["article"]["id"] for line in jsonl.read_text().splitlines()]
    assert sorted(ids) == [f"story-{n:03d}" for n in range(12)]
    assert f"{len(finished)} already in the JSONL file" in stderr


def test_resume_drops_a_cut_off_last_line_and_reruns_failures(tmp_path: Path) -> None:
    """A partial last line is truncated away; lines with an error are not finished."""
    path = tmp_path / "out.jsonl"
    brief = {
        "summary": "s",
        "threats": [],
        "actors": [],
        "dates": [],
        "article": {"id": "a", "source": "a.txt", "chars_raw": 1, "chars_clean": 1},
        "run": {"provider": "p", "model": "m", "prompt_version": "v", "cache_key": "k1"},
    }
    failure = {"article": {"id": "b", "source": "b.txt"}, "error": {"kind": "provider"}}
    path.write_text(json.dumps(brief) + "\n" + json.dumps(failure) + '\n{"summary": "cut of')
    finished = read_finished(path)
    assert len(finished) == 1
    assert finished.holds("a", "k1")
    assert path.read_text().endswith(json.dumps(failure) + "\n")


def test_resume_without_jsonl_is_a_usage_error(tmp_path: Path) -> None:
    """--resume names the flag it needs and exits 2."""
    result = runner.invoke(app, ["brief", str(tmp_path), "--resume"])
    assert result.exit_code == 2
    assert "--resume needs --jsonl FILE" in result.stderr


@pytest.mark.parametrize("command", [["--help"], ["clean", "seeds/000_5f29edb56438c667.txt"]])
def test_help_and_clean_never_import_the_model_stack(command: list[str]) -> None:
    """`summarize --help` and `summarize clean` start without openai or instructor."""
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "summarize", *command],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    imported = {line.split("|")[-1].strip() for line in result.stderr.splitlines()}
    assert "summarize.cli" in imported
    assert not {"openai", "instructor", "tenacity", "dateparser"} & imported
