"""`summarize batch` at scale: a job of several batches, a submit killed between them,
collect reading a large results file a line at a time and doing no submit-time work
again. Against the loopback server's real Files and Batch APIs, with the real `openai`
client."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path
from typing import Any

import pytest

import summarize.pipeline
from summarize.batchcollect import collect
from summarize.batchjobs import load_job
from summarize.batchresults import Answers
from summarize.cache import AnswerCache
from summarize.client import ModelClient
from summarize.loopback import LoopbackServer, Request, Throttled, structured_reply
from tests.conftest import SEED_000, SEED_001, SEED_004
from tests.test_batch_jobs import (
    batches_of,
    chat_requests,
    cli,
    grounded_answer,
    read_jsonl,
    wait_for,
)

SEEDS = (SEED_000, SEED_001, SEED_004)
COMMAND = (sys.executable, "-m", "summarize")


def corpus(path: Path, count: int) -> Path:
    """`count` distinct stories as a JSONL corpus: the seed articles, each copy marked as
    an edition in its first line (where cleaning keeps it)."""
    texts = [seed.read_text(encoding="utf-8") for seed in SEEDS]
    with path.open("w", encoding="utf-8") as out:
        for number in range(count):
            text = texts[number % len(texts)]
            head, _, rest = text.partition("\n\n")
            story = f"{head}\n\nEdition {number}: {rest}"
            record = {"id": f"story-{number:04d}", "title": f"Story {number}", "text": story}
            out.write(json.dumps(record) + "\n")
    return path


def vllm_results(job: Path, path: Path, *, padding: int = 0) -> Path:
    """Every request of every batch answered, as `vllm run-batch` writes them; each
    answer carries `padding` bytes more (a provider's extra fields), to make it big."""
    with path.open("w") as out:
        for batch in batches_of(job):
            for number, line in enumerate(read_jsonl(job / batch["requests_file"])):
                request = Request("POST", line["url"], {}, json.dumps(line["body"]).encode())
                body = json.loads(grounded_answer(request).encoded())
                if padding:
                    body["padding"] = "x" * padding
                response = {"status_code": 200, "request_id": f"vllm-{number}", "body": body}
                record = {"id": f"vllm-{number}", "custom_id": line["custom_id"]}
                out.write(json.dumps(record | {"response": response, "error": None}) + "\n")
    return path


def test_submit_splits_a_corpus_at_the_caps_and_every_command_spans_the_batches(
    model_env: LoopbackServer, tmp_path: Path
) -> None:
    model_env.responder = grounded_answer
    stories = corpus(tmp_path / "corpus.jsonl", 7)
    job = tmp_path / "job"
    done = cli("batch", "submit", str(stories), "--out", str(job), "--max-requests", "3")
    assert done.exit_code == 0, done.output
    batches = batches_of(job)
    assert [b["requests"] for b in batches] == [3, 3, 1]
    assert [b["requests_file"] for b in batches] == [
        "requests.jsonl",
        "requests-2.jsonl",
        "requests-3.jsonl",
    ]
    for batch in batches:
        assert len(read_jsonl(job / batch["requests_file"])) == batch["requests"]
    assert done.stdout.split() == [b["batch_id"] for b in batches]
    assert len(model_env.batches.batches) == 3
    assert wait_for(job, "completed") == "completed"
    status = cli("batch", "status", str(job)).stdout
    assert status.count("batch: batch-") == 3
    assert "answered: 7 of 7, 0 failed" in status

    out = tmp_path / "briefs.jsonl"
    first = cli("batch", "collect", str(job), "--jsonl", str(out))
    assert first.exit_code == 0, first.output
    briefs = read_jsonl(out)
    assert sorted(b["article"]["id"] for b in briefs) == [f"story-{n:04d}" for n in range(7)]
    assert all(b["grounding"]["grounded"] for b in briefs)
    assert {f"output{suffix}.jsonl" for suffix in ("", "-2", "-3")} <= {
        p.name for p in job.iterdir()
    }
    again = cli("batch", "collect", str(job), "--jsonl", str(out))
    assert again.exit_code == 0, again.output
    assert len(read_jsonl(out)) == 7  # collecting twice adds nothing
    assert "7 article(s) already there" in " ".join(again.stderr.split())


def test_a_byte_cap_keeps_every_requests_file_within_it(
    model_env: LoopbackServer, tmp_path: Path
) -> None:
    stories = corpus(tmp_path / "corpus.jsonl", 6)
    job = tmp_path / "job"
    one = cli("batch", "submit", str(stories), "--out", str(tmp_path / "one"), "--requests-only")
    assert one.exit_code == 0, one.output
    line = max(len(x) for x in (tmp_path / "one" / "requests.jsonl").read_bytes().splitlines())
    cap = 2 * (line + 1) + 10  # room for two of the longest lines, not three
    done = cli(
        "batch",
        "submit",
        str(stories),
        "--out",
        str(job),
        "--requests-only",
        "--max-bytes",
        str(cap),
    )
    assert done.exit_code == 0, done.output
    files = [job / b["requests_file"] for b in batches_of(job)]
    assert len(files) >= 3
    assert all(path.stat().st_size <= cap for path in files)
    assert sum(len(read_jsonl(path)) for path in files) == 6
    assert "--results results-3.jsonl" in done.stderr


def test_cancel_stops_every_batch_of_the_job(model_env: LoopbackServer, tmp_path: Path) -> None:
    model_env.responder = grounded_answer
    model_env.batches.hold_after = 1
    stories = corpus(tmp_path / "corpus.jsonl", 4)
    job = tmp_path / "job"
    done = cli("batch", "submit", str(stories), "--out", str(job), "--max-requests", "2")
    assert done.exit_code == 0, done.output
    wait_for(job, "in_progress")
    assert cli("batch", "cancel", str(job)).exit_code == 0
    assert wait_for(job, "cancelled") == "cancelled"
    assert [b["status"] for b in batches_of(job)] == ["cancelled", "cancelled"]
    out = tmp_path / "briefs.jsonl"
    cli("batch", "collect", str(job), "--jsonl", str(out))
    records = read_jsonl(out)
    assert len(records) == 4
    assert sum("error" not in r for r in records) == 2  # one answered in each batch
    assert all("batch_cancelled" in r["error"]["message"] for r in records if "error" in r)


def test_a_submit_killed_between_two_batches_resumes_without_a_duplicate(
    model_env: LoopbackServer, tmp_path: Path
) -> None:
    """Killed while the second batch's creation is in flight (the provider creates it
    anyway): the next submit finds it by its metadata, creates the third, and no batch
    or file exists twice."""
    model_env.responder = grounded_answer
    model_env.batches.create_delays = [0.0, 1.5]
    stories = corpus(tmp_path / "corpus.jsonl", 3)
    job = tmp_path / "job"
    process = subprocess.Popen(
        [*COMMAND, "batch", "submit", str(stories), "--out", str(job), "--max-requests", "1"],
        env=os.environ.copy(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 120
    while model_env.batches.creations_asked < 2:  # the second creation is in flight
        assert time.monotonic() < deadline, process.communicate()
        time.sleep(0.01)
    process.send_signal(signal.SIGKILL)
    process.communicate()
    assert batches_of(job)[0]["batch_id"]
    assert batches_of(job)[1]["input_file_id"]
    assert batches_of(job)[1]["batch_id"] is None
    assert batches_of(job)[2]["input_file_id"] is None
    while len(model_env.batches.batches) < 2:  # the provider finishes the creation
        assert time.monotonic() < deadline
        time.sleep(0.05)
    again = cli("batch", "submit", str(stories), "--out", str(job), "--max-requests", "1")
    assert again.exit_code == 0, again.output
    batches = batches_of(job)
    assert len(model_env.batches.batches) == 3
    assert sorted(b["batch_id"] for b in batches) == sorted(model_env.batches.batches)
    assert len([f for f in model_env.batches.files.values() if f.purpose == "batch"]) == 3
    wait_for(job, "completed")
    out = tmp_path / "briefs.jsonl"
    assert cli("batch", "collect", str(job), "--jsonl", str(out)).exit_code == 0
    assert len(read_jsonl(out)) == 3


def test_collect_does_not_clean_scan_or_key_an_article_again(
    model_env: LoopbackServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Submit recorded each article's cleaned text, its requests' cache keys and its
    injection scan: collect uses them, so none of that runs again."""
    stories = corpus(tmp_path / "corpus.jsonl", 4)
    job = tmp_path / "job"
    assert cli("batch", "submit", str(stories), "--out", str(job), "--requests-only").exit_code == 0
    results = vllm_results(job, tmp_path / "results.jsonl")

    def not_again(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("submit did this already")

    monkeypatch.setattr(summarize.pipeline, "clean", not_again)
    monkeypatch.setattr(summarize.pipeline, "scan", not_again)
    monkeypatch.setattr(ModelClient, "key_for", not_again)
    out = tmp_path / "briefs.jsonl"
    done = cli("batch", "collect", str(job), "--results", str(results), "--jsonl", str(out))
    assert done.exit_code == 0, done.output
    briefs = read_jsonl(out)
    assert len(briefs) == 4
    assert all(b["grounding"]["grounded"] and b["run"]["attempt_log"] == ["ok"] for b in briefs)
    assert not chat_requests(model_env)


@pytest.mark.parametrize("count", [40, 160])
def test_collect_reads_a_large_results_file_a_line_at_a_time(
    model_env: LoopbackServer, tmp_path: Path, count: int
) -> None:
    """Answers padded to 250 KB each: the results file is 10 or 40 MB, and collecting
    it allocates a few answers' worth at most, at both sizes."""
    stories = corpus(tmp_path / "corpus.jsonl", count)
    job = tmp_path / "job"
    assert cli("batch", "submit", str(stories), "--out", str(job), "--requests-only").exit_code == 0
    padding = 250_000
    results = vllm_results(job, tmp_path / "results.jsonl", padding=padding)
    assert results.stat().st_size > count * padding
    config = load_job(job).model_config(api_key=None)
    client = ModelClient(config)
    out = tmp_path / "briefs.jsonl"
    tracemalloc.start()
    try:
        with Answers() as answers:
            answers.read(results)
            outcome = collect(job, load_job(job), client, answers, out, concurrency=4)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
        client.close()
    assert outcome.briefs == count
    assert len(read_jsonl(out)) == count
    # An answer in hand is its line, the parsed body and the SDK's copy of it: about 1.5
    # MB measured at both sizes. Holding every answer would take 10 or 40 MB.
    assert peak < 16 * padding, f"peak {peak / 1e6:.1f} MB"


def test_a_job_written_when_a_job_was_one_batch_still_loads(tmp_path: Path) -> None:
    job = tmp_path / "job"
    job.mkdir()
    legacy = {
        "id": "abc",
        "created": 1.0,
        "config": {},
        "prompt": {},
        "requests": 3,
        "articles": 3,
        "unreadable": 0,
        "input_file_id": "file-1",
        "batch_id": "batch-1",
        "status": "completed",
        "output_file_id": "file-2",
        "error_file_id": None,
        "request_counts": {"total": 3, "completed": 3, "failed": 0},
        "errors": [],
        "followups": [],
    }
    (job / "job.json").write_text(json.dumps(legacy))
    loaded = load_job(job)
    assert len(loaded.batches) == 1
    batch = loaded.batches[0]
    assert (batch.requests_file, batch.batch_id, batch.output_file_id) == (
        "requests.jsonl",
        "batch-1",
        "file-2",
    )
    assert batch.result_files() == ("output.jsonl", "errors.jsonl")
    assert loaded.status == "completed"
    assert loaded.requests == 3


def test_a_collect_killed_mid_run_keeps_whole_lines_with_their_answers_cached(
    model_env: LoopbackServer, tmp_path: Path, private_cache: Path
) -> None:
    """Killed (SIGKILL) while collecting: the JSONL holds whole lines, the answer of every
    brief in it is in the cache (the cache commits before the lines are written), and the
    next collect writes each remaining article once."""
    invalid = {"summary": "The US warned.", "threats": "sanctions", "actors": [], "dates": []}
    model_env.responder = lambda request: structured_reply(request, invalid)
    stories = corpus(tmp_path / "corpus.jsonl", 24)
    job = tmp_path / "job"
    assert cli("batch", "submit", str(stories), "--out", str(job)).exit_code == 0
    wait_for(job, "completed")
    model_env.responder = Throttled(grounded_answer, latency=0.25)  # the live re-asks
    out = tmp_path / "briefs.jsonl"
    process = subprocess.Popen(
        [*COMMAND, "batch", "collect", str(job), "--jsonl", str(out), "-j", "2"],
        env=os.environ.copy(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 120
    while not out.exists() or not out.read_text():
        assert time.monotonic() < deadline, process.communicate()
        time.sleep(0.02)
    process.send_signal(signal.SIGKILL)
    process.communicate()
    written = out.read_text()
    assert written.endswith("\n")
    early = [json.loads(line) for line in written.splitlines()]
    assert 0 < len(early) < 24
    cache = AnswerCache(private_cache)
    assert all(cache.get(brief["run"]["cache_key"]) is not None for brief in early)
    cache.close()
    done = cli("batch", "collect", str(job), "--jsonl", str(out))
    assert done.exit_code == 0, done.output
    ids = [record["article"]["id"] for record in read_jsonl(out)]
    assert sorted(ids) == [f"story-{n:04d}" for n in range(24)]


def test_a_job_folder_written_before_plans_were_recorded_is_collected(
    model_env: LoopbackServer, tmp_path: Path
) -> None:
    """A job written when a job was one batch and articles.jsonl held the articles alone
    (jobs in flight across an upgrade): collect cleans each article as it did then."""
    job = tmp_path / "job"
    stories = corpus(tmp_path / "corpus.jsonl", 3)
    assert cli("batch", "submit", str(stories), "--out", str(job), "--requests-only").exit_code == 0
    results = vllm_results(job, tmp_path / "results.jsonl")
    manifest = json.loads((job / "job.json").read_text())
    batch = manifest.pop("batches")[0]
    manifest |= {"input_file_id": None, "batch_id": None, "status": None}
    manifest |= {"request_counts": {}, "errors": [], "requests": batch["requests"]}
    (job / "job.json").write_text(json.dumps(manifest))
    records = read_jsonl(job / "articles.jsonl")
    (job / "articles.jsonl").write_text("".join(json.dumps(r["article"]) + "\n" for r in records))
    out = tmp_path / "briefs.jsonl"
    done = cli("batch", "collect", str(job), "--results", str(results), "--jsonl", str(out))
    assert done.exit_code == 0, done.output
    briefs = read_jsonl(out)
    assert sorted(b["article"]["id"] for b in briefs) == [f"story-{n:04d}" for n in range(3)]
    assert all(b["grounding"]["grounded"] for b in briefs)
