"""CPU time per article of a batch against a zero-latency model, at -j 1.

    python3 benchmarks/bench_client_cpu.py                 # 150 articles, 5 runs
    python3 benchmarks/bench_client_cpu.py --articles 300 --repeats 9

The per-call cost of the model stack (client, transport, instructor and its hooks, the
attempt record) and of the pipeline around it, measured as this process's CPU seconds
(user + system, `resource.getrusage`) rather than wall time, so that other work on a
shared machine disturbs it less. The loopback server answers in this process too, so its
share is counted: the figure is for comparing two versions of summarize on the same
machine, not a cost a real provider would show. Prints the machine load beside it.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import time
from pathlib import Path

from summarize.articles import article_from_text
from summarize.batch import run_batch
from summarize.client import ModelClient
from summarize.data import Article
from summarize.loopback import LoopbackServer, Reply, Request, structured_reply
from summarize.modelconfig import ModelConfig, RetryPolicy
from summarize.options import BriefOptions
from summarize.prompts import load_prompt
from summarize.results import Failure

CORPUS = Path(__file__).resolve().parent.parent.parent / "shared" / "articles" / "voa.jsonl"


def answer(request: Request) -> Reply:
    """A brief quoting the article's first line, so grounding and assembly run."""
    quote = request.article.strip().splitlines()[0][:200]
    threat = {
        "issuer": "United States",
        "speaker": None,
        "targets": ["Canada"],
        "action": "impose tariffs",
        "category": "tariffs",
        "conditions": [],
        "deadline": "next Monday",
        "evidence": [quote],
    }
    payload = {
        "summary": "The United States threatened Canada with tariffs.",
        "threats": [threat],
        "actors": [{"name": "United States", "kind": "state", "role": "issuer"}],
        "dates": [{"text": "Monday", "event": "talks"}],
    }
    return structured_reply(request, payload)


def articles(count: int) -> list[Article]:
    stories = [json.loads(line) for line in CORPUS.read_text(encoding="utf-8").splitlines()]
    made = []
    for n in range(count):
        story = stories[n % len(stories)]
        text = f"{story['title']}\n\nEdition {n // len(stories) + 1}: {story['text']}"
        made.append(article_from_text(text, id=f"a{n:04d}", source=f"voa-{story['id']}"))
    return made


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def run(batch: list[Article], server: LoopbackServer) -> float:
    """CPU milliseconds per article for one batch."""
    config = ModelConfig(model="bench", base_url=server.url, retry=RetryPolicy(max_attempts=8))
    client = ModelClient(config)
    started = cpu_seconds()
    outcome = run_batch(batch, client, load_prompt(), BriefOptions(), concurrency=1)
    spent = cpu_seconds() - started
    client.close()
    if any(isinstance(result, Failure) for result in outcome.results):
        raise SystemExit("an article failed: the figure would not be comparable")
    return spent / len(batch) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=150)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    batch = articles(args.articles)
    with LoopbackServer(answer) as server:
        run(batch[:20], server)  # imports and first-use caches, not counted
        figures = [run(batch, server) for _ in range(args.repeats)]
    load = os.getloadavg()
    print(
        f"CPU per article, zero latency, -j 1: {statistics.median(figures):.2f} ms "
        f"(median of {args.repeats} runs of {args.articles}: "
        f"{', '.join(f'{f:.2f}' for f in figures)}); load average {load[0]:.2f} "
        f"at {time.strftime('%H:%M:%S')}"
    )


if __name__ == "__main__":
    main()
