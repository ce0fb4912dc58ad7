"""How long the prompt-injection scan takes on a 5 KB article (it runs on every article).

    python3 benchmarks/bench_injection.py              # 5,000-character texts
    python3 benchmarks/bench_injection.py --chars 20000

Texts, each cut to `--chars` characters:

- news: consecutive 5 KB windows of the real stories in `../shared/articles/voa.jsonl`
  (or, without it, the repository's seeds and eval articles);
- dense innocent: the corpus's news sentences about instructions, orders and ignoring,
  repeated: every sentence holds head words the scan must look at and reject;
- all attempts: the corpus's injection attempts, repeated: a match in every sentence;
- non-Latin: its Russian and Chinese sentences, repeated, with lookalike folding at work.

Each text is scanned `--repeats` times and its fastest time kept (the least disturbed by
other processes), as wall-clock time and as this thread's CPU time; the figures are the
median and the slowest of those, over the texts.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

from summarize.injection import scan

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "articles" / "voa.jsonl"
CORPUS = ROOT / "tests" / "data" / "injection_corpus.jsonl"


def news_windows(chars: int) -> list[str]:
    if SHARED.exists():
        with SHARED.open(encoding="utf-8") as lines:
            stories = [json.loads(line)["text"] for line in lines if line.strip()]
    else:
        paths = [*(ROOT / "seeds").glob("*.txt"), *(ROOT / "evals" / "articles").glob("*.txt")]
        stories = [path.read_text(encoding="utf-8") for path in sorted(paths)]
    text = "\n\n".join(stories)
    return [text[i : i + chars] for i in range(0, len(text) - chars, chars)]


def repeated(sentences: list[str], chars: int) -> str:
    text = ""
    while len(text) < chars:
        text += "\n".join(sentences) + "\n"
    return text[:chars]


def fastest(text: str, repeats: int) -> tuple[float, float]:
    """The fastest wall-clock time and the fastest CPU time of this thread, in ms: on a
    busy machine the wall clock also counts the time spent waiting for a core."""
    wall = cpu = float("inf")
    for _ in range(repeats):
        started, started_cpu = time.perf_counter(), time.thread_time()
        scan(text)
        cpu = min(cpu, time.thread_time() - started_cpu)
        wall = min(wall, time.perf_counter() - started)
    return wall * 1000, cpu * 1000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chars", type=int, default=5000)
    parser.add_argument("--repeats", type=int, default=20)
    args = parser.parse_args()
    with CORPUS.open(encoding="utf-8") as lines:
        corpus = [json.loads(line) for line in lines if line.strip()]
    sets = {
        "news": news_windows(args.chars),
        "dense innocent": [
            repeated([c["text"] for c in corpus if c["label"] == "innocent"], args.chars)
        ],
        "all attempts": [
            repeated([c["text"] for c in corpus if c["label"] == "injection"], args.chars)
        ],
        "non-Latin": [
            repeated([c["text"] for c in corpus if c["lang"] in {"ru", "zh"}], args.chars)
        ],
    }
    scan(sets["news"][0])  # compile-time work (none expected) and caches out of the figures
    print(
        f"injection scan, {args.chars:,}-character texts, fastest of {args.repeats} per text "
        f"(Python {platform.python_version()}, {platform.machine()})"
    )
    for name, texts in sets.items():
        wall, cpu = zip(*(fastest(text, args.repeats) for text in texts), strict=True)
        print(
            f"  {name:15} {len(texts):3} text(s)   wall median {statistics.median(wall):.3f} ms,"
            f" slowest {max(wall):.3f} ms   CPU median {statistics.median(cpu):.3f} ms,"
            f" slowest {max(cpu):.3f} ms"
        )
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"  (load average {load:.1f} on {os.cpu_count()} cores while measuring)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
