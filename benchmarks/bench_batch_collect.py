"""What `summarize batch collect` costs per result beyond validating the answer, and its
peak memory at two batch sizes.

    python3 benchmarks/bench_batch_collect.py                 # 1,000 and 10,000: ~2 minutes
    python3 benchmarks/bench_batch_collect.py --counts 500 2000

For each count, writes a job folder for that many articles generated from
`../shared/articles/voa.jsonl` (as `batch submit --requests-only` does: plans, keys,
injection scans, request lines), answers every request line with a grounded brief the
way a model writes one (`bench_batch.answer`: a threat quoting the article, a
condition, a deadline, actors and dates) in the Batch API's output format, and then runs
`collect` over it in a fresh process (so that its peak RSS is collect's own): indexing
the results file, reading each article's plan, matching its answer by cache key,
validating it, grounding, date resolution, the answer cache (SQLite) and the JSONL
output, checkpointed.

"Validation" is the `openai` SDK's `ChatCompletion` model plus instructor's parse into
`Extraction` (`ModelClient.parse`, the handler call instructor's retry loop makes on a
live answer): what `ModelClient.accept` runs on each answer. It is timed where it runs,
inside collect, by CPU timers around those two calls, as the text work below is. The
figure to hold under 1 ms is collect's CPU per result minus that. The same answers
validated apart, in a loop after collect, are printed too. That figure is lower: a tight
loop keeps its code and data in the CPU's caches, and collect's other work between two
answers does not (an answer-cache lookup measured the same way takes about 4 us in a
loop and 13 us with an article's text work between two lookups).

Until 2026-11-29 validation was timed apart only, and both it and `accept` called
instructor's `process_response`, which also walks the model's classes for async
validators and formats the whole completion into a debug message on every answer (about
0.2 ms a result, counted as validation then); `accept` now skips both.

Peak RSS should be flat from the smaller count to the larger.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench_batch import DEFAULT_CORPUS, answer, make_articles

from summarize.batchjobs import load_job, write_job
from summarize.client import ModelClient
from summarize.loopback import Request
from summarize.modelconfig import ModelConfig
from summarize.options import BriefOptions
from summarize.prompts import load_prompt
from summarize.schema import Extraction

CONFIG = ModelConfig(model="bench-model", base_url="http://127.0.0.1:9/v1", api_key="x")


def results_file(folder: Path) -> Path:
    """Every request answered, one Batch API output line each."""
    path = folder / "results.jsonl"
    with path.open("w") as out:
        for batch in load_job(folder).batches:
            with (folder / batch.requests_file).open(encoding="utf-8") as lines:
                for raw in lines:
                    line = json.loads(raw)
                    request = Request("POST", line["url"], {}, json.dumps(line["body"]).encode())
                    body = json.loads(answer(request).encoded())
                    number = line["custom_id"][:12]
                    response = {"status_code": 200, "request_id": f"req-{number}", "body": body}
                    record = {"id": f"r{number}", "custom_id": line["custom_id"]}
                    out.write(json.dumps(record | {"response": response, "error": None}) + "\n")
    return path


def validation_seconds(results: Path, client: ModelClient) -> float:
    """CPU to validate every answer as `accept` does, and nothing else (the results file
    is read a line at a time, outside the timing)."""
    from openai.types.chat import ChatCompletion

    spent = 0.0
    with results.open(encoding="utf-8") as lines:
        for line in lines:
            body = json.loads(line)["response"]["body"]
            started = time.process_time()
            completion = ChatCompletion.model_validate(body)
            client.parse(completion, Extraction)
            spent += time.process_time() - started
    return spent


def peak_rss_kb() -> int:
    """This process's peak resident set size. Linux's VmHWM, where there is one: the
    rusage figure carries over the parent's peak through fork and exec."""
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


# The text work on each answer that a live run does too, and whose code is that of
# `pipeline`'s steps: timed apart so the rest, collect's own, shows.
TEXT_WORK = {
    "resolve_dates": "date resolution",
    "locate": "quote and date offsets (spans.locate)",
    "check_grounding": "grounding checks",
}


def timed_text_work() -> dict[str, float]:
    """Wrap `pipeline`'s text steps with CPU timers; the seconds each has taken so far."""
    import summarize.pipeline

    spent = dict.fromkeys(TEXT_WORK, 0.0)
    for name in TEXT_WORK:
        step = getattr(summarize.pipeline, name)

        def timed(*args: object, _step: Any = step, _name: str = name, **kwargs: object) -> Any:
            started = time.process_time()
            try:
                return _step(*args, **kwargs)
            finally:
                spent[_name] += time.process_time() - started

        setattr(summarize.pipeline, name, timed)
    return spent


def timed_validation() -> tuple[dict[str, float], Callable[[], None]]:
    """Wrap the two validation steps `accept` runs on each answer, the SDK's
    `ChatCompletion.model_validate` and `ModelClient.parse`, with a CPU timer: the seconds
    they have taken so far (under "validation_here"), and what unwraps them."""
    from openai.types.chat import ChatCompletion

    spent = {"validation_here": 0.0}
    validate, parse = ChatCompletion.model_validate, ModelClient.parse

    def timed(step: Any) -> Any:
        def run(*args: Any, **kwargs: Any) -> Any:
            started = time.process_time()
            try:
                return step(*args, **kwargs)
            finally:
                spent["validation_here"] += time.process_time() - started

        return run

    def unwrap() -> None:
        ChatCompletion.model_validate = validate  # type: ignore[method-assign]
        ModelClient.parse = parse  # type: ignore[method-assign]

    # `validate` is bound to the class already, so the wrapper is a plain function.
    ChatCompletion.model_validate = timed(validate)  # type: ignore[method-assign]
    ModelClient.parse = timed(parse)  # type: ignore[method-assign]
    return spent, unwrap


def collect_here(folder: Path) -> dict[str, float]:
    """Run collect over the job in this process; its figures."""
    from summarize.batchcollect import collect
    from summarize.batchresults import Answers
    from summarize.cache import AnswerCache

    text_work = timed_text_work()
    validation_here, unwrap = timed_validation()
    cache = AnswerCache(folder / "answers.sqlite3")
    client = ModelClient(CONFIG, cache=cache)
    started, wall = time.process_time(), time.perf_counter()
    with Answers() as answers:
        answers.read(folder / "results.jsonl")  # indexing the results is part of collect
        outcome = collect(folder, load_job(folder), client, answers, folder / "briefs.jsonl")
    cpu = time.process_time() - started
    wall = time.perf_counter() - wall
    peak_kb = peak_rss_kb()
    in_place = validation_here["validation_here"]
    unwrap()
    validation = validation_seconds(folder / "results.jsonl", client)
    cache.close()
    return {
        "cpu": cpu,
        "wall": wall,
        "validation": in_place,
        "validation_apart": validation,
        "peak_mb": peak_kb / 1024,
        "briefs": outcome.briefs,
        **text_work,
        "failures": outcome.failures,
    }


def run(count: int, corpus: Path, scratch: Path) -> dict[str, float]:
    folder = scratch / f"job-{count}"
    client = ModelClient(CONFIG)
    articles = make_articles(corpus, count)
    started = time.process_time()
    write_job(
        folder, articles, client, load_prompt(), BriefOptions(), max_requests=None, max_bytes=None
    )
    submit = time.process_time() - started
    del articles
    results = results_file(folder)
    child = subprocess.run(
        [sys.executable, __file__, "--collect-only", str(folder)],
        capture_output=True,
        text=True,
        check=True,
    )
    figures: dict[str, float] = json.loads(child.stdout)
    figures["submit"] = submit
    figures["results_mb"] = results.stat().st_size / 1e6
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--counts", type=int, nargs="+", default=[1_000, 10_000])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--collect-only", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.collect_only:
        print(json.dumps(collect_here(args.collect_only)))
        return

    print(
        f"# batch collect; Python {platform.python_version()}, {platform.machine()}, "
        f"{sys.platform}, {os.cpu_count()} cores; load average at start "
        + " ".join(f"{x:.2f}" for x in os.getloadavg())
    )
    with tempfile.TemporaryDirectory() as scratch:
        for count in args.counts:
            f = run(count, args.corpus, Path(scratch))
            per = 1000 / count
            print(f"\n{count:,} results ({f['results_mb']:.0f} MB results file)")
            print(f"  submit (--requests-only) CPU per article:  {f['submit'] * per:.2f} ms")
            print(f"  collect CPU per result:                     {f['cpu'] * per:.2f} ms")
            print(f"    of which validation (SDK + instructor):   {f['validation'] * per:.2f} ms")
            apart = f["validation_apart"] * per
            print(f"      (the same, validated apart in a loop:   {apart:.2f} ms)")
            print(
                "    beyond validation (target < 1 ms):        "
                f"{(f['cpu'] - f['validation']) * per:.2f} ms"
            )
            for name, about in TEXT_WORK.items():
                print(f"      {about + ':':<41}{f[name] * per:.2f} ms")
            text = sum(f[name] for name in TEXT_WORK)
            print(
                "      the rest, collect's own:                "
                f"{(f['cpu'] - f['validation'] - text) * per:.2f} ms"
            )
            print(f"  collect peak RSS:                           {f['peak_mb']:.0f} MB")
            print(
                f"  collect wall: {f['wall']:.1f} s; briefs: {f['briefs']:.0f}; "
                f"failures: {f['failures']:.0f} (must be 0)"
            )
    print("\nload average at end " + " ".join(f"{x:.2f}" for x in os.getloadavg()))


if __name__ == "__main__":
    main()
