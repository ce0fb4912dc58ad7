"""How fast cleaning is: a typical 5 KB article, and time against size up to 5 MB.

    python3 benchmarks/bench_clean.py            # about a minute
    python3 benchmarks/bench_clean.py --quick    # without the 5 MB runs

Articles are the labelled pages of evals/cleaning/pages.jsonl (Voice of America stories in
invented publishers' chrome, half of their lines chrome) and the same stories as plain
paragraphs. Larger inputs are those pages joined until the size is reached. Each figure
is printed two ways: CPU time of this process (what the cleaner costs, whatever else the
machine runs) and wall time (the best of the repeats, the least disturbed).

Targets (issue 10): a typical 5 KB article under 2 ms; time linear in size, 5 MB under 2 s.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from summarize.clean import clean  # noqa: E402
from summarize.evaluation.cleaning import load_pages  # noqa: E402

SENTENCE = re.compile(r"(?<=[a-z][.!?])\s+(?=[A-Z])")


def timed(work: Callable[[], object], repeats: int) -> tuple[float, float]:
    """(median CPU seconds, best wall seconds) over `repeats` runs."""
    cpu, wall = [], []
    for _ in range(repeats):
        started_cpu, started_wall = time.process_time(), time.perf_counter()
        work()
        cpu.append(time.process_time() - started_cpu)
        wall.append(time.perf_counter() - started_wall)
    return statistics.median(cpu), min(wall)


def typical(texts: list[str], label: str, repeats: int) -> None:
    """Per 5 KB: each text's time scaled to 5,000 characters; median over the texts."""
    cpu, wall = [], []
    for text in texts:
        c, w = timed(lambda text=text: clean(text), repeats)
        cpu.append(c * 5000 / len(text))
        wall.append(w * 5000 / len(text))
    sizes = sorted(len(t) for t in texts)
    print(
        f"{label:<44} {statistics.median(cpu) * 1000:6.2f} ms CPU  "
        f"{statistics.median(wall) * 1000:6.2f} ms wall  "
        f"(per 5 KB, median of {len(texts)}, {sizes[0]:,}-{sizes[-1]:,} chars)"
    )


def scaling(pages: list[str], sizes: list[int]) -> None:
    joined = "\n".join(pages)
    corpus = joined * (max(sizes) // len(joined) + 1)
    base = None
    for size in sizes:
        text = corpus[:size]
        repeats = 3 if size <= 500_000 else 2
        cpu, wall = timed(lambda text=text: clean(text), repeats)
        per_kb = cpu / (size / 1000) * 1000
        base = base or per_kb
        print(
            f"{size:>11,} chars {cpu:8.3f} s CPU {wall:8.3f} s wall   "
            f"{per_kb:6.3f} ms CPU per KB ({per_kb / base:4.2f}x the smallest)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="skip the 5 MB runs")
    parser.add_argument("--repeats", type=int, default=20)
    args = parser.parse_args()
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(
        f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"{platform.system()}; load average {load:.2f}"
    )
    started = time.perf_counter()
    pages = load_pages(ROOT / "evals" / "cleaning" / "pages.jsonl")
    clean(pages[0].raw)  # the first call imports jusText and reads its stoplist
    first = time.perf_counter() - started
    print(f"first call (imports jusText, loads its stoplist): {first:.3f} s")

    generated = [p.raw for p in pages if p.split != "seed"]
    near_5kb = [t for t in generated if 4_000 <= len(t) <= 6_000]
    stories = [
        "\n\n".join(SENTENCE.split(" ".join(t for t, label in p.lines if label == "story")))
        for p in pages
        if p.split != "seed"
    ]
    print("\ntypical article (target: under 2 ms per 5 KB)")
    typical(near_5kb, "page with chrome, 4-6 KB", args.repeats)
    typical(generated, "page with chrome, any size", args.repeats)
    typical(stories, "story alone, a paragraph per sentence", args.repeats)
    sizes = [50_000, 500_000] if args.quick else [50_000, 500_000, 5_000_000]
    print("\ntime against size (target: linear; 5 MB under 2 s)")
    scaling(generated, sizes)


if __name__ == "__main__":
    main()
