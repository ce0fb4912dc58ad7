"""What locating a brief's items (summarize.spans.locate) costs beside cleaning an article.

For each of the 75 VOA stories in ../shared/articles/voa.jsonl: a brief with two evidence
quotes and a condition taken from the story, a deadline and four date expressions; the
median over 5 passes of cleaning the story, checking grounding (a cold match cache) and
locating every item (cleaned and raw spans). Prints the medians in milliseconds.

    python benchmarks/bench_spans.py
"""

from __future__ import annotations

import json
import statistics
import time
from pathlib import Path

from summarize.clean import clean
from summarize.pipeline import check_grounding
from summarize.schema import ResolvedDate, Threat
from summarize.spans import haystack, locate

CORPUS = Path(__file__).resolve().parent.parent.parent / "shared" / "articles" / "voa.jsonl"
PASSES = 5


def main() -> None:
    stories = [json.loads(line) for line in CORPUS.read_text(encoding="utf-8").splitlines()]
    timings: list[tuple[float, float, float]] = []
    for story in stories:
        raw = story["text"]
        text = clean(raw).text
        words = text.split()
        deadline = ResolvedDate(text="Monday", date=None, event="deadline")
        threats = [
            Threat(
                issuer="X",
                targets=["Y"],
                action="act",
                category="other",
                evidence=[" ".join(words[10:20]), " ".join(words[50:58])],
                conditions=[" ".join(words[30:34])],
                deadline=deadline,
            )
        ]
        dates = [
            ResolvedDate(text=expression, date=None, event="event")
            for expression in ("Monday", "last week", "2023", "May")
        ]
        for _ in range(PASSES):
            started = time.perf_counter()
            clean(raw)
            cleaned = time.perf_counter()
            haystack.cache_clear()
            check_grounding(threats, text)
            grounded = time.perf_counter()
            locate(threats, dates, text, raw)
            located = time.perf_counter()
            timings.append((cleaned - started, grounded - cleaned, located - grounded))
    clean_ms, ground_ms, locate_ms = (
        statistics.median(row[column] for row in timings) * 1000 for column in range(3)
    )
    print(f"{len(stories)} stories x {PASSES} passes, medians per story:")
    print(f"  clean     {clean_ms:.3f} ms")
    print(f"  grounding {ground_ms:.3f} ms")
    print(f"  locate    {locate_ms:.3f} ms ({locate_ms / clean_ms:.0%} of clean)")


if __name__ == "__main__":
    main()
