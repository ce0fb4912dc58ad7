"""Accuracy of summarize's date resolver against dateparser alone, on the labelled corpora.

    python3 evals/dates/compare.py            # both files, by category
    python3 evals/dates/compare.py --misses   # plus every expression the resolver gets wrong

`corpus.jsonl` holds expressions from the shared VOA stories and the seeds (plus invented
variations of them), labelled by hand from their sentences; the resolver was tuned on it.
`heldout.jsonl` holds invented sentences written before the resolver was run on them and
not tuned on. The resolver reads each expression in its sentence (as the pipeline reads it
in the cleaned article); dateparser gets the expression alone, with RELATIVE_BASE set to
the publication date and PREFER_DATES_FROM "past" (or "future" for deadlines), and its
answer is cut to the precision the expression names (a year, a month or a day).
"""

from __future__ import annotations

import json
import sys
from collections import defaultdict
from datetime import date, datetime
from pathlib import Path
from typing import Any

from summarize.dates import resolve_mention

HERE = Path(__file__).resolve().parent
FILES = {
    "corpus (tuned on)": HERE / "corpus.jsonl",
    "held-out (not tuned on)": HERE / "heldout.jsonl",
}


def load(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def ours(row: dict[str, Any]) -> str | None:
    published = date.fromisoformat(row["published"])
    deadline = row["kind"] == "deadline"
    return resolve_mention(row["text"], published, article=row["sentence"], deadline=deadline)


def dateparser_alone(row: dict[str, Any]) -> str | None:
    import dateparser

    published = date.fromisoformat(row["published"])
    settings: dict[str, Any] = {
        "RELATIVE_BASE": datetime(published.year, published.month, published.day),
        "PREFER_DATES_FROM": "future" if row["kind"] == "deadline" else "past",
        "RETURN_TIME_AS_PERIOD": True,
    }
    parser = dateparser.date.DateDataParser(languages=["en"], settings=settings)
    data = parser.get_date_data(row["text"])
    if data.date_obj is None:
        return None
    value = data.date_obj.date()
    if data.period == "year":
        return f"{value.year:04d}"
    if data.period == "month":
        return f"{value.year:04d}-{value.month:02d}"
    return value.isoformat()


def score(rows: list[dict[str, Any]]) -> dict[str, dict[str, list[int]]]:
    """{category: {resolver: [correct, n]}}, with an "all" category."""
    table: dict[str, dict[str, list[int]]] = defaultdict(lambda: defaultdict(lambda: [0, 0]))
    for row in rows:
        for name, resolver in (("summarize", ours), ("dateparser", dateparser_alone)):
            ok = resolver(row) == row["expected"]
            for category in (row["category"], "all"):
                table[category][name][0] += ok
                table[category][name][1] += 1
    return table


def main(argv: list[str]) -> int:
    for title, path in FILES.items():
        rows = load(path)
        table = score(rows)
        print(f"\n{title}: {path.name}, {len(rows)} expressions")
        print(f"{'category':<20} {'n':>4} {'summarize':>10} {'dateparser':>11}")
        for category in sorted(table, key=lambda c: (c == "all", c)):
            counts = table[category]
            n = counts["summarize"][1]
            cells = [f"{counts[name][0] / n:>10.3f}" for name in ("summarize", "dateparser")]
            print(f"{category:<20} {n:>4} {cells[0]} {cells[1]:>11}")
        if "--misses" in argv:
            for row in rows:
                if (got := ours(row)) != row["expected"]:
                    print(
                        f"  MISS {row['id']} {row['text']!r} P={row['published']}: "
                        f"got {got}, expected {row['expected']}: {row['sentence'][:150]}"
                    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
