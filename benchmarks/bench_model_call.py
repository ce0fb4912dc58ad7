"""What one model call costs in CPU on this side of the wire, and where it goes.

    python3 benchmarks/bench_model_call.py              # 200 calls, medians of 3 passes
    python3 benchmarks/bench_model_call.py --calls 400

`ModelClient.extract` against the loopback server with no latency, one call per article
of `bench_batch.py`'s set (the answer a grounded brief, `bench_batch.answer`). Printed:

- CPU per call of the calling thread (`time.thread_time()`): the openai SDK, instructor,
  httpx, pydantic and summarize's own wrapper around them (`summarize.client`), measured
  without a profiler; and the loopback server's CPU, which a real provider spends elsewhere;
- where the calling thread's CPU goes, by step and by package, as shares of one pass
  under cProfile timed by `time.thread_time` (a deterministic profiler slows
  Python-heavy code more than C, so these are shares, not timings: multiply by the CPU
  above for an estimate).
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

from bench_batch import DEFAULT_CORPUS, make_articles, provider

from summarize.client import ModelClient
from summarize.loopback import LoopbackServer
from summarize.modelconfig import ModelConfig
from summarize.options import BriefOptions
from summarize.pipeline import clean_sendable, request_messages
from summarize.prompts import load_prompt
from summarize.schema import Extraction

# Steps of a call: the cumulative time of one function each (its file's path ends so).
STEPS = [
    ("summarize: the cache key (canonical JSON, SHA-256)", "summarize/client.py", "key_for"),
    ("instructor: the patched create, whole", "instructor/v2/core/patch.py", "new_create_sync"),
    (
        "  instructor: prepare the response model",
        "v2/core/response_model.py",
        "prepare_response_model",
    ),
    (
        "  instructor: walk the model for async validators",
        "v2/validation/async_validators.py",
        "reject_async_validators",
    ),
    ("  openai: create, whole", "chat/completions/completions.py", "create"),
    (
        "    openai: transform the params (messages, tools)",
        "openai/_utils/_transform.py",
        "maybe_transform",
    ),
    ("    openai: build the HTTP request", "openai/_base_client.py", "_build_request"),
    ("    httpx: send and read the response", "httpx2/_client.py", "send"),
    ("    openai: parse the response body", "openai/_base_client.py", "_process_response"),
    (
        "  instructor: parse and validate the answer",
        "v2/providers/openai/handlers.py",
        "parse_response",
    ),
]
PACKAGES = ["instructor", "openai", "httpx", "httpcore", "pydantic", "tenacity", "summarize"]


def package_of(filename: str) -> str:
    for package in PACKAGES:
        if f"/{package}" in filename:
            return package
    if filename == "~":
        return "builtins (isinstance, getattr, ...), called by the above"
    if "python3" in filename:
        return "standard library (typing introspection, json, socket)"
    return "other"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    articles = make_articles(args.corpus, args.calls)
    server = LoopbackServer(provider(0)).start()
    client = ModelClient(ModelConfig(model="bench", base_url=server.url))
    prompt = load_prompt()
    requests = []
    for article in articles:
        cleaned, _ = clean_sendable(article, BriefOptions())
        requests.append(request_messages(article, cleaned, prompt))

    def one_pass() -> None:
        for messages in requests:
            client.extract(messages, Extraction, label="bench")

    one_pass()  # warm: imports, the prepared response model, the connection
    own, server_side = [], []
    for _ in range(args.repeats):
        thread, process = time.thread_time(), time.process_time()
        one_pass()
        thread, process = time.thread_time() - thread, time.process_time() - process
        own.append(thread / len(requests) * 1000)
        server_side.append((process - thread) / len(requests) * 1000)
    profile = cProfile.Profile(time.thread_time)  # CPU: waiting for the server is not
    profile.enable()
    one_pass()
    profile.disable()
    client.close()
    server.stop()

    stats = pstats.Stats(profile)
    entries = stats.stats  # type: ignore[attr-defined]
    total = sum(tottime for _, _, tottime, _, _ in entries.values())
    by_package: Counter[str] = Counter()
    for (filename, _, _), (_, _, tottime, _, _) in entries.items():
        by_package[package_of(filename)] += tottime
    load = ", ".join(f"{figure:.2f}" for figure in os.getloadavg())
    print(
        f"model call CPU, {len(requests)} calls against the loopback server, medians of "
        f"{args.repeats} passes; load average {load}"
    )
    print(f"| {'part':<55} | figure |")
    print(f"|{'-' * 57}|--------|")
    print(
        f"| {'calling thread: SDK, instructor, HTTP client, per call':<55} | "
        f"{statistics.median(own):.2f} ms |"
    )
    print(
        f"| {'loopback server answering, per call':<55} | {statistics.median(server_side):.2f} ms |"
    )
    print("\nshares of the calling thread's CPU under cProfile, by step (cumulative):")
    for name, suffix, function in STEPS:
        spent = max(
            (
                cumtime
                for (filename, _, func), (_, _, _, cumtime, _) in entries.items()
                if filename.endswith(suffix) and func == function
            ),
            default=0.0,
        )
        print(f"  {name:<55} {spent / total:6.1%}")
    print("by package (own time):")
    for package, spent in by_package.most_common():
        print(f"  {package:<55} {spent / total:6.1%}")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
