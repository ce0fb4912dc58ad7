"""`summarize batch`: provider batch jobs, end to end against the loopback server's real
Files and Batch APIs, driven by the real `openai` client."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from openai import OpenAI
from typer.testing import CliRunner

from summarize.cli import app
from summarize.loopback import LoopbackServer, Reply, Request, Throttled, structured_reply
from tests.conftest import SEED_000, SEED_001, SEED_004, extraction

runner = CliRunner()
SEEDS = [str(SEED_000), str(SEED_001), str(SEED_004)]


def grounded_answer(request: Request) -> Reply:
    """A valid answer whose one evidence quote is a sentence of the article it was asked
    about, so it passes grounding whatever the article."""
    sentences = re.split(r"(?<=[.!?])\s+", request.article)
    quote = next(s for s in sentences if len(s) > 40 and "<" not in s)
    threat = {**extraction()["threats"][0], "evidence": [quote]}
    return structured_reply(request, extraction(threats=[threat]))


def answer_except(marker: str, reply: Reply | dict[str, Any]) -> Any:
    """Grounded answers, but `reply` for the article whose text holds `marker`."""

    def responder(request: Request) -> Reply:
        if marker in request.article:
            return reply if isinstance(reply, Reply) else structured_reply(request, reply)
        return grounded_answer(request)

    return responder


def cli(*args: str) -> Any:
    return runner.invoke(app, list(args))


def submit(job: Path, *extra: str) -> Any:
    done = cli("batch", "submit", *SEEDS, "--out", str(job), *extra)
    assert done.exit_code == 0, done.output
    return done


def wait_for(job: Path, *statuses: str, timeout: float = 20) -> str:
    deadline = time.monotonic() + timeout
    while True:
        done = cli("batch", "status", str(job))
        assert done.exit_code == 0, done.output
        status = done.stdout.split("\n", 1)[0].removeprefix("status: ")
        if status in statuses or time.monotonic() > deadline:
            assert status in statuses, done.stdout
            return status
        time.sleep(0.05)


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def batches_of(job: Path) -> list[dict[str, Any]]:
    """The job's batches as its manifest records them."""
    batches: list[dict[str, Any]] = json.loads((job / "job.json").read_text())["batches"]
    return batches


def chat_requests(server: LoopbackServer) -> list[Request]:
    return [r for r in server.requests if r.path.endswith("/chat/completions")]


def test_request_lines_are_exactly_what_a_live_run_sends(
    model_env: LoopbackServer, tmp_path: Path
) -> None:
    model_env.responder = grounded_answer
    job = tmp_path / "job"
    submit(job, "--requests-only")
    lines = read_jsonl(job / "requests.jsonl")
    assert len(lines) == 3
    assert not chat_requests(model_env)  # --requests-only sends nothing

    out = tmp_path / "live.jsonl"
    done = cli("brief", str(SEED_000), "--no-cache", "--jsonl", str(out), "-q")
    assert done.exit_code == 0, done.output
    live = chat_requests(model_env)[0].json()
    brief = read_jsonl(out)[0]
    line = next(x for x in lines if x["custom_id"] == brief["run"]["cache_key"])
    assert line["body"] == live
    assert line["method"] == "POST"
    assert line["url"] == "/v1/chat/completions"
    assert "response_format" in live  # the loopback is a compatible server: json_schema


def test_submit_status_collect_briefs_every_article_and_fills_the_cache(
    model_env: LoopbackServer, tmp_path: Path
) -> None:
    model_env.responder = grounded_answer
    job = tmp_path / "job"
    done = submit(job, "--published", "2023-07-31")
    assert done.stdout.strip().startswith("batch-")
    assert wait_for(job, "completed") == "completed"
    out = tmp_path / "briefs.jsonl"
    done = cli("batch", "collect", str(job), "--jsonl", str(out))
    assert done.exit_code == 0, done.output
    briefs = read_jsonl(out)
    assert sorted(b["article"]["id"] for b in briefs) == sorted(Path(p).stem for p in SEEDS)
    for brief in briefs:
        assert brief["grounding"]["grounded"] is True
        assert brief["run"]["attempt_log"] == ["ok"]
        assert brief["run"]["input_tokens"] == 100  # the batch answer's usage
    dated = [d for b in briefs for d in b["dates"] if d["text"] == "Monday"]
    assert len(dated) == 3
    assert all(d["date"] for d in dated)  # resolved against the publication date
    asked = len(chat_requests(model_env))
    # The cache now holds every answer: a live run asks nothing.
    live = tmp_path / "live.jsonl"
    done = cli("brief", *SEEDS, "--published", "2023-07-31", "--jsonl", str(live), "-q")
    assert done.exit_code == 0, done.output
    assert len(chat_requests(model_env)) == asked
    assert all(b["run"]["cached"] for b in read_jsonl(live))


def test_collecting_twice_adds_no_duplicate(model_env: LoopbackServer, tmp_path: Path) -> None:
    model_env.responder = grounded_answer
    job = tmp_path / "job"
    submit(job)
    wait_for(job, "completed")
    out = tmp_path / "briefs.jsonl"
    assert cli("batch", "collect", str(job), "--jsonl", str(out)).exit_code == 0
    first = out.read_text()
    again = cli("batch", "collect", str(job), "--jsonl", str(out))
    assert again.exit_code == 0, again.output
    assert out.read_text() == first
    assert "sk-test" not in (job / "job.json").read_text()  # the key is never stored
    assert "3 article(s) already there" in " ".join(again.stderr.split())


def test_a_cli_killed_after_submit_leaves_a_job_that_fresh_processes_finish(
    model_env: LoopbackServer, tmp_path: Path
) -> None:
    model_env.responder = grounded_answer
    model_env.batches.hold_after = 0  # the provider sits on the batch until released
    job = tmp_path / "job"
    process = subprocess.Popen(
        [sys.executable, "-m", "summarize", "batch", "submit", *SEEDS, "--out", str(job)],
        env=os.environ.copy(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 60
    while not (job / "job.json").exists() or not batches_of(job)[0].get("batch_id"):
        assert time.monotonic() < deadline, process.communicate()
        time.sleep(0.02)
    process.send_signal(signal.SIGKILL)
    process.communicate()
    assert wait_for(job, "in_progress") == "in_progress"
    out = tmp_path / "briefs.jsonl"
    early = cli("batch", "collect", str(job), "--jsonl", str(out))
    assert early.exit_code == 1
    assert "is in_progress" in early.stderr
    assert not out.exists() or not out.read_text()
    model_env.batches.hold_after = None
    wait_for(job, "completed")
    done = cli("batch", "collect", str(job), "--jsonl", str(out))
    assert done.exit_code == 0, done.output
    assert len(read_jsonl(out)) == 3
    assert len(list(model_env.batches.batches.values())) == 1


def test_a_submit_stopped_before_the_batch_was_created_resumes_without_reuploading(
    model_env: LoopbackServer, tmp_path: Path
) -> None:
    model_env.responder = grounded_answer
    model_env.batches.reject_creates = 1
    job = tmp_path / "job"
    failed = cli("batch", "submit", *SEEDS, "--out", str(job))
    assert failed.exit_code == 1
    assert "run the same command again" in failed.stderr
    assert batches_of(job)[0]["input_file_id"]
    again = cli("batch", "submit", *SEEDS, "--out", str(job))
    assert again.exit_code == 0, again.output
    uploads = [f for f in model_env.batches.files.values() if f.purpose == "batch"]
    assert len(uploads) == 1
    assert len(model_env.batches.batches) == 1


def test_partial_failure_keeps_the_answered_articles(
    model_env: LoopbackServer, tmp_path: Path
) -> None:
    broken = Reply(status=500, body={"error": {"message": "shard on fire"}})
    model_env.responder = answer_except("arms trade restrictions", broken)
    job = tmp_path / "job"
    submit(job)
    wait_for(job, "completed")
    status = cli("batch", "status", str(job)).stdout
    assert "answered: 2 of 3, 1 failed" in status
    out = tmp_path / "briefs.jsonl"
    done = cli("batch", "collect", str(job), "--jsonl", str(out))
    assert done.exit_code == 1
    records = read_jsonl(out)
    failures = [r for r in records if "error" in r]
    assert len(records) == 3
    assert len(failures) == 1
    assert failures[0]["article"]["id"] == SEED_001.stem
    assert "shard on fire" in failures[0]["error"]["message"]
    assert (job / "errors.jsonl").exists()


def test_an_expired_batch_yields_what_it_answered_and_names_the_rest(
    model_env: LoopbackServer, tmp_path: Path
) -> None:
    model_env.responder = grounded_answer
    model_env.batches.hold_after = 1
    model_env.batches.expires_after = 0.3
    job = tmp_path / "job"
    submit(job)
    assert wait_for(job, "expired") == "expired"
    out = tmp_path / "briefs.jsonl"
    done = cli("batch", "collect", str(job), "--jsonl", str(out))
    assert done.exit_code == 1
    records = read_jsonl(out)
    assert len(records) == 3
    failures = [r for r in records if "error" in r]
    assert len(failures) == 2
    assert all("batch_expired" in f["error"]["message"] for f in failures)


def test_cancel_stops_the_batch_and_keeps_what_it_answered(
    model_env: LoopbackServer, tmp_path: Path
) -> None:
    model_env.responder = grounded_answer
    model_env.batches.hold_after = 1
    job = tmp_path / "job"
    submit(job)
    wait_for(job, "in_progress")
    done = cli("batch", "cancel", str(job))
    assert done.exit_code == 0, done.output
    assert done.stdout.strip() in {"status: cancelling", "status: cancelled"}
    assert wait_for(job, "cancelled") == "cancelled"
    out = tmp_path / "briefs.jsonl"
    cli("batch", "collect", str(job), "--jsonl", str(out))
    records = read_jsonl(out)
    assert sum("error" not in r for r in records) == 1
    assert all("batch_cancelled" in r["error"]["message"] for r in records if "error" in r)


def test_an_invalid_batch_answer_is_reasked_live_with_the_error(
    model_env: LoopbackServer, tmp_path: Path
) -> None:
    invalid = {"summary": "The US warned.", "threats": "sanctions", "actors": [], "dates": []}
    model_env.responder = answer_except("arms trade restrictions", invalid)
    job = tmp_path / "job"
    submit(job)
    wait_for(job, "completed")
    asked = len(chat_requests(model_env))
    model_env.responder = grounded_answer  # the live re-ask gets a valid answer
    out = tmp_path / "briefs.jsonl"
    done = cli("batch", "collect", str(job), "--jsonl", str(out))
    assert done.exit_code == 0, done.output
    reasks = chat_requests(model_env)[asked:]
    assert len(reasks) == 1
    messages = reasks[0].json()["messages"]
    assert "sanctions" in messages[-2]["content"]  # the invalid answer, then
    assert "threats" in messages[-1]["content"]  # the validation error naming the field
    brief = next(b for b in read_jsonl(out) if b["article"]["id"] == SEED_001.stem)
    assert brief["run"]["attempt_log"] == ["invalid answer", "ok"]
    assert brief["grounding"]["grounded"] is True


def test_an_ungrounded_batch_answer_is_reasked_live_naming_the_quote(
    model_env: LoopbackServer, tmp_path: Path
) -> None:
    made_up = {**extraction()["threats"][0], "evidence": ["We will bomb them tomorrow."]}
    model_env.responder = answer_except("arms trade restrictions", extraction(threats=[made_up]))
    job = tmp_path / "job"
    submit(job)
    wait_for(job, "completed")
    asked = len(chat_requests(model_env))
    model_env.responder = grounded_answer
    out = tmp_path / "briefs.jsonl"
    assert cli("batch", "collect", str(job), "--jsonl", str(out)).exit_code == 0
    reasks = chat_requests(model_env)[asked:]
    assert len(reasks) == 1
    assert "We will bomb them tomorrow." in reasks[0].prompt_text
    brief = next(b for b in read_jsonl(out) if b["article"]["id"] == SEED_001.stem)
    assert brief["run"]["attempt_log"] == ["ungrounded answer", "ok"]
    assert brief["grounding"]["grounded"] is True


def test_a_vllm_run_batch_results_file_is_collected(
    model_env: LoopbackServer, tmp_path: Path
) -> None:
    """`--requests-only`, then `vllm run-batch`'s output format read with `--results`:
    each line {id, custom_id, response: {status_code, request_id, body}, error}."""
    job = tmp_path / "job"
    submit(job, "--requests-only")
    results = tmp_path / "results.jsonl"
    lines = []
    for number, line in enumerate(read_jsonl(job / "requests.jsonl")):
        request = Request("POST", line["url"], {}, json.dumps(line["body"]).encode())
        if "arms trade restrictions" in request.article:  # vLLM reports a failed request so
            response = {"status_code": 400, "request_id": f"vllm-{number}", "body": None}
            error: str | None = "This model's maximum context length is 4096 tokens."
        else:
            body = json.loads(grounded_answer(request).encoded())
            response = {"status_code": 200, "request_id": f"vllm-{number}", "body": body}
            error = None
        lines.append(
            {
                "id": f"vllm-{number}",
                "custom_id": line["custom_id"],
                "response": response,
                "error": error,
            }
        )
    results.write_text("".join(json.dumps(x) + "\n" for x in lines))
    out = tmp_path / "briefs.jsonl"
    done = cli("batch", "collect", str(job), "--results", str(results), "--jsonl", str(out))
    assert done.exit_code == 1
    records = read_jsonl(out)
    assert sum("error" not in r for r in records) == 2
    failure = next(r for r in records if "error" in r)
    assert "maximum context length" in failure["error"]["message"]
    assert not chat_requests(model_env)  # nothing was asked live


def test_collect_of_a_requests_only_job_asks_for_the_results_file(
    model_env: LoopbackServer, tmp_path: Path
) -> None:
    job = tmp_path / "job"
    submit(job, "--requests-only")
    done = cli("batch", "collect", str(job), "--jsonl", str(tmp_path / "out.jsonl"))
    assert done.exit_code == 2
    assert "--results FILE" in done.stderr


def test_a_job_folder_that_is_not_one_is_named(tmp_path: Path) -> None:
    done = cli("batch", "status", str(tmp_path))
    assert done.exit_code == 2
    assert "not a batch job folder" in done.stderr


def test_the_loopback_fails_a_malformed_batch_file_as_a_provider_does(
    server: LoopbackServer, tmp_path: Path
) -> None:
    provider = OpenAI(base_url=server.url, api_key="sk-test", max_retries=0)
    path = tmp_path / "bad.jsonl"
    path.write_text('{"custom_id": "a", "method": "POST", "url": "/v1/embeddings", "body": {}}\n')
    with path.open("rb") as stream:
        uploaded = provider.files.create(file=stream, purpose="batch")
    batch = provider.batches.create(
        input_file_id=uploaded.id, endpoint="/v1/chat/completions", completion_window="24h"
    )
    deadline = time.monotonic() + 10
    while batch.status not in {"failed", "completed"} and time.monotonic() < deadline:
        time.sleep(0.02)
        batch = provider.batches.retrieve(batch.id)
    assert batch.status == "failed"
    assert batch.errors is not None
    assert batch.errors.data
    assert batch.errors.data[0].code == "mismatched_endpoint"
    assert batch.output_file_id is None


def answer_by_article(replies: dict[str, Reply | dict[str, Any]]) -> Any:
    """Grounded answers, but for an article holding a key of `replies`, that reply."""

    def responder(request: Request) -> Reply:
        for marker, reply in replies.items():
            if marker in request.article:
                return reply if isinstance(reply, Reply) else structured_reply(request, reply)
        return grounded_answer(request)

    return responder


def wait_for_round(job: Path, name: str, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while f"follow-up {name}: completed" not in cli("batch", "status", str(job)).stdout:
        assert time.monotonic() < deadline, cli("batch", "status", str(job)).stdout
        time.sleep(0.05)


def test_reask_batch_sends_the_reasks_as_a_follow_up_batch(
    model_env: LoopbackServer, tmp_path: Path
) -> None:
    invalid = {"summary": "The US warned.", "threats": "sanctions", "actors": [], "dates": []}
    made_up = {**extraction()["threats"][0], "evidence": ["We will bomb them tomorrow."]}
    model_env.responder = answer_by_article(
        {
            "arms trade restrictions": invalid,
            "Kim Jong Un on Tuesday": extraction(threats=[made_up]),
        }
    )
    job = tmp_path / "job"
    submit(job)
    wait_for(job, "completed")
    model_env.responder = grounded_answer
    asked = len(chat_requests(model_env))
    out = tmp_path / "briefs.jsonl"
    first = cli("batch", "collect", str(job), "--jsonl", str(out), "--reask", "batch")
    assert first.exit_code == 1, first.output
    assert "2 article(s) wait for 2 re-ask(s)" in " ".join(first.stderr.split())
    assert [b["article"]["id"] for b in read_jsonl(out)] == [SEED_000.stem]
    assert json.loads((job / "job.json").read_text())["followups"] == ["reask-1"]
    wait_for_round(job, "reask-1")
    followups = chat_requests(model_env)[asked:]
    assert len(followups) == 2  # answered by the follow-up batch, nothing live
    assert any("We will bomb them tomorrow." in r.prompt_text for r in followups)
    assert any("sanctions" in r.json()["messages"][-2]["content"] for r in followups)
    done = cli("batch", "collect", str(job), "--jsonl", str(out), "--reask", "batch")
    assert done.exit_code == 0, done.output
    assert len(chat_requests(model_env)) == asked + 2
    briefs = {b["article"]["id"]: b for b in read_jsonl(out)}
    assert len(briefs) == 3
    assert briefs[SEED_001.stem]["run"]["attempt_log"] == ["invalid answer", "ok"]
    # The ungrounded answer was valid, so the first collect cached it, as a live run does
    # before checking grounding; the re-ask's answer comes from the follow-up batch.
    assert briefs[SEED_004.stem]["run"]["attempt_log"] == ["cached", "ok"]
    assert all(b["grounding"]["grounded"] for b in briefs.values())


def test_reask_batch_of_a_requests_only_job_reads_one_results_file_per_round(
    model_env: LoopbackServer, tmp_path: Path
) -> None:
    invalid = {"summary": "The US warned.", "threats": "sanctions", "actors": [], "dates": []}
    job = tmp_path / "job"
    submit(job, "--requests-only")

    def run_batch(requests: Path, results: Path, answer: Any) -> None:
        """What vllm run-batch does: answer each line, in its output format."""
        with results.open("w") as out:
            for number, line in enumerate(read_jsonl(requests)):
                request = Request("POST", line["url"], {}, json.dumps(line["body"]).encode())
                body = json.loads(answer(request).encoded())
                response = {"status_code": 200, "request_id": f"vllm-{number}", "body": body}
                record = {"id": f"vllm-{number}", "custom_id": line["custom_id"]}
                out.write(json.dumps(record | {"response": response, "error": None}) + "\n")

    run_batch(
        job / "requests.jsonl",
        tmp_path / "r0.jsonl",
        answer_by_article({"arms trade restrictions": invalid}),
    )
    out = tmp_path / "briefs.jsonl"
    first = cli(
        "batch",
        "collect",
        str(job),
        "--jsonl",
        str(out),
        "--reask",
        "batch",
        "--results",
        str(tmp_path / "r0.jsonl"),
    )
    assert first.exit_code == 1
    assert "vllm run-batch -i" in first.stderr
    assert len(read_jsonl(out)) == 2
    run_batch(job / "reask-1" / "requests.jsonl", tmp_path / "r1.jsonl", grounded_answer)
    done = cli(
        "batch",
        "collect",
        str(job),
        "--jsonl",
        str(out),
        "--reask",
        "batch",
        "--results",
        str(tmp_path / "r0.jsonl"),
        "--results",
        str(tmp_path / "r1.jsonl"),
    )
    assert done.exit_code == 0, done.output
    briefs = read_jsonl(out)
    assert len(briefs) == 3
    assert next(b for b in briefs if b["article"]["id"] == SEED_001.stem)["run"]["attempt_log"] == [
        "invalid answer",
        "ok",
    ]
    assert not chat_requests(model_env)


def test_requests_the_cache_answers_are_not_sent_and_still_briefed(
    model_env: LoopbackServer, tmp_path: Path
) -> None:
    model_env.responder = grounded_answer
    live = cli("brief", str(SEED_000), "--jsonl", str(tmp_path / "live.jsonl"), "-q")
    assert live.exit_code == 0, live.output
    job = tmp_path / "job"
    submit(job)
    assert len(read_jsonl(job / "requests.jsonl")) == 2
    wait_for(job, "completed")
    out = tmp_path / "briefs.jsonl"
    assert cli("batch", "collect", str(job), "--jsonl", str(out)).exit_code == 0
    briefs = {b["article"]["id"]: b for b in read_jsonl(out)}
    assert len(briefs) == 3
    assert briefs[SEED_000.stem]["run"]["cached"] is True
    assert briefs[SEED_001.stem]["run"]["cached"] is False


@pytest.mark.parametrize(("jobs", "overlapping"), [("1", range(1, 2)), ("8", range(2, 4))])
def test_live_reasks_overlap_up_to_concurrency(
    model_env: LoopbackServer, tmp_path: Path, jobs: str, overlapping: int
) -> None:
    invalid = {"summary": "The US warned.", "threats": "sanctions", "actors": [], "dates": []}
    model_env.responder = lambda request: structured_reply(request, invalid)
    job = tmp_path / "job"
    submit(job)
    wait_for(job, "completed")
    provider = Throttled(grounded_answer, latency=0.5)
    model_env.responder = provider
    out = tmp_path / "briefs.jsonl"
    done = cli("batch", "collect", str(job), "--jsonl", str(out), "-j", jobs)
    assert done.exit_code == 0, done.output
    assert provider.calls == 3
    assert provider.peak in overlapping  # 3 re-asks of 0.5 s each: they overlap, or not
    assert len(read_jsonl(out)) == 3


def test_an_input_that_cannot_be_read_is_a_failure_line_not_a_loss(
    model_env: LoopbackServer, tmp_path: Path
) -> None:
    model_env.responder = grounded_answer
    empty = tmp_path / "empty.txt"
    empty.write_text("")
    job = tmp_path / "job"
    done = cli("batch", "submit", str(SEED_000), str(empty), "--out", str(job))
    assert done.exit_code == 0, done.output
    assert "1 input(s) could not be read" in " ".join(done.stderr.split())
    wait_for(job, "completed")
    out = tmp_path / "briefs.jsonl"
    collected = cli("batch", "collect", str(job), "--jsonl", str(out))
    assert collected.exit_code == 1
    records = read_jsonl(out)
    assert len(records) == 2
    failure = next(r for r in records if "error" in r)
    assert "empty.txt" in failure["error"]["message"]
    again = cli("batch", "collect", str(job), "--jsonl", str(out))
    assert len(read_jsonl(out)) == 2  # the failure is not written twice
    assert again.exit_code == 0


def test_a_collect_killed_mid_line_is_finished_by_the_next(
    model_env: LoopbackServer, tmp_path: Path
) -> None:
    model_env.responder = grounded_answer
    job = tmp_path / "job"
    submit(job)
    wait_for(job, "completed")
    out = tmp_path / "briefs.jsonl"
    assert cli("batch", "collect", str(job), "--jsonl", str(out)).exit_code == 0
    lines = out.read_text().splitlines(keepends=True)
    out.write_text(lines[0] + lines[1][:50])  # killed while writing the second line
    done = cli("batch", "collect", str(job), "--jsonl", str(out))
    assert done.exit_code == 0, done.output
    records = read_jsonl(out)
    assert sorted(r["article"]["id"] for r in records) == sorted(Path(p).stem for p in SEEDS)
