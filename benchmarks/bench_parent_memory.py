"""What the parent of `summarize brief` keeps per article, without briefing anything.

    python3 benchmarks/bench_parent_memory.py                       # 10k, 100k, 1M
    python3 benchmarks/bench_parent_memory.py --sizes 10000 100000 --trace

A big run's parent reads the inputs twice (the line count, `summarize.linefreq`, with the
article count, then the batch), giving every article its id (`articles.iter_inputs`),
and with `--resume` reads the JSONL file of the briefs already made
(`summarize.resume.read_finished`); `batch collect` indexes a job's results files
(`summarize.batchresults.Answers`). This script streams N synthetic articles through
exactly those calls, each phase in a fresh process, and prints its peak RSS (VmHWM), its
growth over the RSS the process had once the phase's modules were imported, its CPU
time and, with `--trace`, the tracemalloc peak (what Python allocated; slower). Growth
per article shows in minutes, where `bench_scale.py --only memory` takes most of an hour
for 100,000.

The articles are made like `bench_scale.write_corpus`'s (the stories of
`../shared/articles/voa.jsonl` in turn, every paragraph distinct by its edition), cut
to `--paragraphs` paragraphs each so that a million fit on disk; every tenth id repeats
an earlier one, so that the id de-duplication has work. The --resume file holds a brief
line per article, each with its own id and cache key; the results file a completion per
article, each with its own custom_id.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

from corpora import DEFAULT_CORPUS, edition, load_stories

CHROME = "Sign up for our newsletter to get the day's top stories."  # every article's


def write_corpus(source: Path, count: int, path: Path, paragraphs: int) -> None:
    stories = load_stories(source)
    with path.open("w", encoding="utf-8") as out:
        for n in range(count):
            story, parts = edition(stories, n)
            article_id = f"a{n // 10 * 10:07d}" if n % 10 == 9 else f"a{n:07d}"
            record = {"id": article_id, "title": story["title"], "published": story["published"]}
            record["text"] = "\n\n".join([*parts[:paragraphs], CHROME])
            out.write(json.dumps(record, ensure_ascii=False) + "\n")


def write_briefs(count: int, path: Path) -> None:
    """A --resume file: a brief line per article, each with its own id and cache key."""
    line = {
        "summary": "The United States threatened Canada with tariffs.",
        "threats": [],
        "actors": [{"name": "United States", "kind": "state", "role": "issuer"}],
        "dates": [],
        "article": {"id": "", "source": "corpus.jsonl", "chars_raw": 900, "chars_clean": 880},
        "run": {"provider": "openai", "model": "m", "prompt_version": "v", "cache_key": ""},
    }
    with path.open("w", encoding="utf-8") as out:
        for n in range(count):
            line["article"]["id"] = f"a{n:07d}"  # type: ignore[index]
            line["run"]["cache_key"] = f"{n:064x}"  # type: ignore[index]
            out.write(json.dumps(line) + "\n")


def write_results(count: int, path: Path) -> None:
    """A batch results file (`batch collect`'s input): a completion per article."""
    with path.open("w", encoding="utf-8") as out:
        for n in range(count):
            body = {"id": f"chatcmpl-{n}", "object": "chat.completion", "choices": []}
            line = {"id": f"batch_req_{n}", "custom_id": f"{n:064x}", "error": None}
            line["response"] = {"status_code": 200, "body": body}
            out.write(json.dumps(line) + "\n")


def status(field: str) -> float:
    """A /proc/self/status figure in MB (VmRSS: now; VmHWM: the peak so far)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    return 0.0


def phases(folder: Path, count: int) -> dict[str, Callable[[], object]]:
    """What the parent does with `count` articles, each to be run in a fresh process."""
    from summarize.articles import iter_inputs
    from summarize.batchresults import Answers
    from summarize.commands.brief import _count_lines
    from summarize.resume import read_finished

    corpus = str(folder / "corpus.jsonl")

    def count_lines() -> None:
        total, repeated, _ = _count_lines(iter_inputs([corpus]))
        if total != count or CHROME not in repeated:
            raise SystemExit(f"counted {total} articles, {len(repeated)} repeated lines")

    def ids() -> None:
        if sum(1 for _ in iter_inputs([corpus])) != count:
            raise SystemExit("the second reading lost articles")

    def resume() -> None:
        finished = read_finished(folder / "out.jsonl")
        if len(finished) != count or len(finished.keys) != count:
            raise SystemExit(f"--resume read {len(finished)} briefs of {count}")

    def collect_index() -> None:
        with Answers() as answers:
            answers.read(folder / "results.jsonl")
            if answers.completion(f"{count - 1:064x}") is None:
                raise SystemExit("the results index lost a line")

    return {
        "line count (1st reading)": count_lines,
        "batch reading (ids)": ids,
        "--resume file": resume,
        "batch collect index": collect_index,
    }


def one_phase(folder: Path, count: int, name: str, trace: bool) -> None:
    """In a process of its own: one phase, its peak RSS over the RSS it started from."""
    work = phases(folder, count)[name]
    start = status("VmRSS")  # the interpreter and the modules the phase needs
    if trace:
        tracemalloc.start()
    cpu = time.process_time()
    work()
    cpu = time.process_time() - cpu
    traced = tracemalloc.get_traced_memory()[1] / 1e6 if trace else 0.0
    row = {"start": start, "rss": status("VmHWM"), "traced": traced, "cpu": cpu}
    print(json.dumps(row), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--paragraphs", type=int, default=3)
    parser.add_argument("--trace", action="store_true", help="tracemalloc peaks too (slower)")
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--phase", help=argparse.SUPPRESS)
    parser.add_argument("--folder", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--count", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase is not None:
        one_phase(args.folder, args.count, args.phase, args.trace)
        return
    one, five, _ = os.getloadavg()
    print(f"bench_parent_memory: {os.cpu_count()} cores, load {one:.1f}/{five:.1f}")
    print(
        f"{'articles':>10}  {'phase':<26}{'peak RSS':>10}{'growth':>9}{'traced':>10}"
        f"{'CPU':>9}{'µs/art':>8}"
    )
    for count in args.sizes:
        with tempfile.TemporaryDirectory(prefix="summarize-parent-") as name:
            folder = Path(name)
            write_corpus(args.corpus, count, folder / "corpus.jsonl", args.paragraphs)
            write_briefs(count, folder / "out.jsonl")
            write_results(count, folder / "results.jsonl")
            for phase in phases(folder, count):
                command = [sys.executable, __file__, "--phase", phase, "--folder", name]
                command += ["--count", str(count)] + (["--trace"] if args.trace else [])
                done = subprocess.run(command, capture_output=True, text=True, check=False)
                if done.returncode != 0:
                    raise SystemExit(f"{phase}, {count} articles:\n{done.stderr[-3000:]}")
                row = json.loads(done.stdout)
                traced = f"{row['traced']:.1f}MB" if args.trace else "-"
                print(
                    f"{count:>10,}  {phase:<26}{row['rss']:>8.1f}MB"
                    f"{row['rss'] - row['start']:>7.1f}MB{traced:>10}"
                    f"{row['cpu']:>8.1f}s{row['cpu'] / count * 1e6:>8.1f}",
                    flush=True,
                )
    one, five, _ = os.getloadavg()
    print(f"growth: a phase's peak RSS over its process's RSS once imported; load {one:.1f}")


if __name__ == "__main__":
    main()
