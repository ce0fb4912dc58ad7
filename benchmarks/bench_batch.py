"""How fast a batch runs against a provider of known latency and rate limit.

    python3 benchmarks/bench_batch.py                 # the full set, about 6 minutes
    python3 benchmarks/bench_batch.py --skip-serial   # without the 200 s `-j 1` run
    python3 benchmarks/bench_batch.py --overhead-only # the overhead and its split, a minute

Drives the library (`run_batch` with the real `ModelClient`, `openai` and `instructor`)
against the loopback OpenAI-compatible server, over articles generated from
`../shared/articles/voa.jsonl`, and prints medians over `--repeats` runs:

- pipeline overhead per article with a zero-latency server, at -j 1: everything but
  waiting for a model (cleaning, prompt, HTTP round trip on loopback, parsing,
  validation, dates, grounding), in wall time and in CPU time of every thread; then where
  it goes, in CPU per article: summarize's own work whole and stage by stage
  (`own_work.py`: line frequency, clean, chunk plan, prompt, injection scan, grounding,
  dates, spans, assembling the brief, its JSONL line), on these articles and on the
  corpus's stories as read, and the model call's client side (openai, instructor, httpx)
  and the loopback server's (`bench_model_call.py` splits the client side further);
- 200 articles at 1.0 s latency, -j 20, against the ideal 200 x 1.0 / 20 = 10 s, and -j 1;
- a server that admits 10 requests at once and answers 429 with `Retry-After: 1` beyond
  that, -j 20: articles lost (must be 0) and wall time against the bound 200 x 1.0 / 10;
- a warm-cache re-run of the same articles: model calls (must be 0) and wall time;
- `summarize --help` start-up, in a fresh interpreter.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from corpora import DEFAULT_CORPUS, THREAT
from own_work import answers_for, model_call, own_work

from summarize.articles import article_from_text, read_corpus
from summarize.batch import run_batch
from summarize.cache import AnswerCache
from summarize.client import ModelClient
from summarize.data import Article, parse_published
from summarize.loopback import LoopbackServer, Reply, Request, Throttled, structured_reply
from summarize.modelconfig import ModelConfig, RetryPolicy
from summarize.options import BriefOptions
from summarize.prompts import load_prompt
from summarize.results import Failure

ROOT = Path(__file__).resolve().parent.parent
FIRST_SENTENCE = re.compile(r"(?<=[.!?\u201d])\s")


def answer(request: Request) -> Reply:
    """A brief the way a model writes one (`payload_for` the article the prompt fences)."""
    return structured_reply(request, payload_for(request.article))


def payload_for(story: str) -> dict[str, Any]:
    """A threat quoting the story's first sentence, a condition from it, a deadline,
    actors and dates, so grounding, date resolution and threat assembly all run (a
    no-threat answer would skip most of them)."""
    sentence = FIRST_SENTENCE.split(story.strip(), maxsplit=1)[0]
    return {
        "summary": "The United States threatened Canada with tariffs.",
        "threats": [
            THREAT | {"conditions": [" ".join(sentence.split()[:6])], "evidence": [sentence]}
        ],
        "actors": [
            {"name": "United States", "kind": "state", "role": "issuer"},
            {"name": "Donald Trump", "kind": "person", "role": "speaker"},
            {"name": "Canada", "kind": "state", "role": "target"},
        ],
        "dates": [
            {"text": "Monday", "event": "talks"},
            {"text": "4 September", "event": "tariffs take effect"},
        ],
    }


def provider(latency: float, admits: int | None = None) -> Throttled:
    """A model with fixed latency that admits `admits` requests at once (429 beyond)."""
    return Throttled(answer, latency=latency, admits=admits)


def make_articles(corpus: Path, count: int) -> list[Article]:
    """`count` distinct articles: the corpus's stories, each copy marked as an edition."""
    stories = [json.loads(line) for line in corpus.read_text(encoding="utf-8").splitlines()]
    articles = []
    for n in range(count):
        story = stories[n % len(stories)]
        # The edition leads the story's first line, where cleaning keeps it: a line of its
        # own after the story would be dropped as page chrome, leaving the copies identical
        # (one cache key, one model call for all of them).
        edition = n // len(stories) + 1
        text = f"{story['title']}\n\nEdition {edition}: {story['text']}"
        published = parse_published(story["published"], source=story["id"])
        article = article_from_text(
            text, id=f"a{n:04d}", source=f"voa-{story['id']}", published=published
        )
        articles.append(article)
    return articles


def timed_batch(
    articles: list[Article],
    provider: Throttled,
    *,
    concurrency: int,
    cache: AnswerCache | None = None,
    server: LoopbackServer | None = None,
) -> tuple[float, int]:
    """Wall seconds for one batch and the number of articles lost (failed or not started).

    Pass a running `server` to reuse its address: the endpoint is part of the cache key.
    """
    own = server is None
    server = server or LoopbackServer(provider).start()
    server.responder = provider
    config = ModelConfig(
        model="bench", base_url=server.url, retry=RetryPolicy(max_attempts=8, max_seconds=300)
    )
    client = ModelClient(config, cache=cache)
    prompt = load_prompt()
    started = time.perf_counter()
    outcome = run_batch(articles, client, prompt, BriefOptions(), concurrency=concurrency)
    wall = time.perf_counter() - started
    client.close()
    if own:
        server.stop()
    lost = sum(isinstance(r, Failure) for r in outcome.results) + outcome.not_started
    return wall, lost


def median_of(repeats: int, run: Callable[[], tuple[float, int]]) -> tuple[float, int]:
    walls, lost = [], 0
    for _ in range(repeats):
        wall, failed = run()
        walls.append(wall)
        lost += failed
    return statistics.median(walls), lost


def startup_seconds(repeats: int) -> float:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "summarize", "--help"],
            check=True,
            capture_output=True,
            cwd=ROOT,
        )
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--articles", type=int, default=200)
    parser.add_argument("--latency", type=float, default=1.0)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--skip-serial", action="store_true", help="skip the -j 1 run")
    parser.add_argument(
        "--overhead-only",
        action="store_true",
        help="only the zero-latency overhead and where it goes (about a minute)",
    )
    args = parser.parse_args()
    n, latency = args.articles, args.latency
    articles = make_articles(args.corpus, n)
    rows: list[tuple[str, str, str]] = []

    def row(name: str, figure: str, target: str) -> None:
        rows.append((name, figure, target))
        print(f"  {name}: {figure}  ({target})", file=sys.stderr, flush=True)

    cpu: list[float] = []

    def zero_latency() -> tuple[float, int]:
        started = time.process_time()
        outcome = timed_batch(articles, provider(0), concurrency=1)
        cpu.append(time.process_time() - started)
        return outcome

    wall, _ = median_of(args.repeats, zero_latency)
    row("overhead per article, zero latency, -j 1", f"{wall / n * 1000:.2f} ms", "target <= 5 ms")
    row(
        "  the same runs' CPU, every thread",
        f"{statistics.median(cpu) / n * 1000:.2f} ms",
        "less inflated than wall time by other jobs",
    )
    overhead_split(articles, args.corpus, args.repeats, row)
    if args.overhead_only:
        print_table(rows, n, args)
        return

    ideal = n * latency / 20
    cache_dir = Path(tempfile.mkdtemp(prefix="summarize-bench-"))
    cached_server = LoopbackServer(provider(latency)).start()

    def cold_with_cache() -> tuple[float, int]:
        cache_file = cache_dir / "answers.sqlite3"
        for stale in cache_dir.glob("answers.sqlite3*"):
            stale.unlink()
        return timed_batch(
            articles,
            provider(latency),
            concurrency=20,
            cache=AnswerCache(cache_file),
            server=cached_server,
        )

    wall, lost = median_of(args.repeats, cold_with_cache)
    row(
        f"{n} articles, {latency:.1f} s latency, -j 20",
        f"{wall:.2f} s = {wall / ideal:.3f}x ideal {ideal:.0f} s, {lost} lost",
        "target <= 1.1x",
    )

    warm_provider = provider(latency)
    warm_walls = []
    for _ in range(args.repeats):
        warm, _ = timed_batch(
            articles,
            warm_provider,
            concurrency=20,
            cache=AnswerCache(cache_dir / "answers.sqlite3"),
            server=cached_server,
        )
        warm_walls.append(warm)
    cached_server.stop()
    row(
        f"same {n}, warm cache",
        f"{statistics.median(warm_walls):.3f} s, {warm_provider.calls} model calls",
        "target 0 calls",
    )

    if not args.skip_serial:
        serial, _ = timed_batch(articles, provider(latency), concurrency=1)
        row(
            f"{n} articles, {latency:.1f} s latency, -j 1 (one run)",
            f"{serial:.1f} s = {serial / wall:.1f}x the -j 20 run",
            f"ideal {n * latency:.0f} s",
        )

    bound = n * latency / 10
    throttled = provider(latency, admits=10)
    wall, lost = median_of(args.repeats, lambda: timed_batch(articles, throttled, concurrency=20))
    row(
        f"{n} articles, admits 10 at once, 429 + Retry-After: 1, -j 20",
        f"{wall:.2f} s = {wall / bound:.3f}x bound {bound:.0f} s, {lost} lost, "
        f"{throttled.rejected / args.repeats:.0f} 429s per run",
        "target <= 1.25x, 0 lost",
    )

    row("summarize --help start-up", f"{startup_seconds(5):.3f} s", "target <= 0.3 s")
    print_table(rows, n, args)


def overhead_split(
    articles: list[Article],
    corpus: Path,
    repeats: int,
    row: Callable[[str, str, str], None],
) -> None:
    """Rows for where the overhead goes, in CPU per article: summarize's own work by
    stage (`own_work`), over the benchmark's articles and over the corpus's stories as
    `summarize brief` reads them, and the model call's client and server sides."""
    server = LoopbackServer(provider(0)).start()
    client = ModelClient(ModelConfig(model="bench", base_url=server.url))
    prompt = load_prompt()
    try:
        answers = answers_for(articles, client, payload_for)
        work = own_work(articles, client, prompt, answers, repeats)
        row(
            "  of which summarize's own work (CPU)",
            f"{work.total_ms:.2f} ms",
            "target <= 1.5 ms; stages below, with their timers",
        )
        for stage, ms in work.stages_ms.items():
            row(f"    {stage}", f"{ms:.3f} ms", "CPU per article")
        stories = [a for a in read_corpus(corpus) if isinstance(a, Article)]
        story_work = own_work(
            stories, client, prompt, answers_for(stories, client, payload_for), repeats
        )
        row(
            f"  own work on the {len(stories)} stories of {corpus.name} as read (CPU)",
            f"{story_work.total_ms:.2f} ms",
            "title apart, story one paragraph",
        )
        call = model_call(articles, client, prompt, repeats)
        row(
            "  of which the model call: openai SDK, instructor, HTTP client (CPU)",
            f"{call.client_ms:.2f} ms",
            "client.extract's thread",
        )
        row(
            "  of which the loopback server answering (CPU)",
            f"{call.server_ms:.2f} ms",
            "not paid with a real provider",
        )
    finally:
        client.close()
        server.stop()


def print_table(rows: list[tuple[str, str, str]], n: int, args: argparse.Namespace) -> None:
    load = ", ".join(f"{figure:.2f}" for figure in os.getloadavg())
    print(
        f"\nsummarize batch benchmark: {n} articles from {args.corpus.name}, medians of "
        f"{args.repeats} runs; {platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, {platform.system()} {platform.release()}; "
        f"load average {load} at the end\n"
    )
    width = max(len(name) for name, _, _ in rows)
    print(f"| {'case':<{width}} | figure | target |")
    print(f"|{'-' * (width + 2)}|--------|--------|")
    for name, figure, target in rows:
        print(f"| {name:<{width}} | {figure} | {target} |")


if __name__ == "__main__":
    main()
