"""Detection and false-positive rates of the prompt-injection scan on its corpus.

    python3 evals/injection_rates.py             # rates per split, label and language
    python3 evals/injection_rates.py --verbose   # plus every miss and every false alarm
    python3 evals/injection_rates.py --json      # the same figures as JSON

The corpus, `tests/data/injection_corpus.jsonl`, holds injection attempts and innocent
news sentences that talk about instructions, orders and ignoring, each labelled with a
split: `dev` (what the grammar was built on), then `heldout1` to `heldout4`, each written
before the grammar changes its predecessor's misses led to and measured once after them.
`heldout1` to `heldout3` have since been used to change patterns, so they are tuned data;
`heldout4` never has: its rates are the honest estimate on unseen phrasings.
Each sentence is scanned twice: alone, and as the last sentence
of the first paragraph of a real story (seed 000), where it meets the article's context.
A sentence counts as detected only if both scans flag it, and as a false alarm if either does.

Also scanned: every real news story in the repository (`seeds/`, `evals/articles/`) and,
when present, the 75 stories of `../shared/articles/voa.jsonl`; none should be flagged.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from summarize.injection import scan

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "tests" / "data" / "injection_corpus.jsonl"
STORY = ROOT / "seeds" / "000_5f29edb56438c667.txt"
STORIES = [
    *sorted((ROOT / "seeds").glob("*.txt")),
    *sorted((ROOT / "evals" / "articles").glob("*.txt")),
]
SHARED = ROOT.parent / "shared" / "articles" / "voa.jsonl"


@dataclass(frozen=True)
class Case:
    split: str
    label: str
    lang: str
    text: str


@dataclass(frozen=True)
class Outcome:
    case: Case
    alone: bool  # flagged when scanned alone
    in_story: bool  # flagged as the last sentence of a story's paragraph

    @property
    def detected(self) -> bool:
        return self.alone and self.in_story

    @property
    def false_alarm(self) -> bool:
        return self.alone or self.in_story


def load(path: Path = CORPUS) -> list[Case]:
    with path.open(encoding="utf-8") as lines:
        return [Case(**json.loads(line)) for line in lines if line.strip()]


def in_story(text: str) -> str:
    """`text` as the last sentence of the story's first paragraph, the story around it."""
    paragraphs = STORY.read_text(encoding="utf-8").split("\n")
    first = next(i for i, p in enumerate(paragraphs) if p.rstrip().endswith("."))
    paragraphs[first] = f"{paragraphs[first].rstrip()} {text}"
    return "\n".join(paragraphs)


def measure(cases: list[Case]) -> list[Outcome]:
    return [
        Outcome(case, bool(scan(case.text).found), bool(scan(in_story(case.text)).found))
        for case in cases
    ]


def rates(outcomes: list[Outcome]) -> dict[str, dict[str, float | int]]:
    """Per split: detection rate over attempts, false-positive rate over innocents."""
    table: dict[str, dict[str, float | int]] = {}
    for split in sorted({o.case.split for o in outcomes}):
        attempts = [o for o in outcomes if o.case.split == split and o.case.label == "injection"]
        innocents = [o for o in outcomes if o.case.split == split and o.case.label == "innocent"]
        detected = sum(o.detected for o in attempts)
        alarms = sum(o.false_alarm for o in innocents)
        table[split] = {
            "attempts": len(attempts),
            "detected": detected,
            "detection_rate": round(detected / len(attempts), 3) if attempts else 0.0,
            "innocents": len(innocents),
            "false_alarms": alarms,
            "false_positive_rate": round(alarms / len(innocents), 3) if innocents else 0.0,
        }
    return table


def by_language(outcomes: list[Outcome]) -> dict[str, str]:
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for o in outcomes:
        row = counts[o.case.lang]
        if o.case.label == "injection":
            row[0] += o.detected
            row[1] += 1
        else:
            row[2] += o.false_alarm
            row[3] += 1
    return {
        lang: f"detected {d}/{n}, false alarms {f}/{m}"
        for lang, (d, n, f, m) in sorted(counts.items())
    }


def flagged_stories() -> tuple[int, list[str]]:
    """How many real stories were scanned, and which of them were flagged, with why."""
    texts = [(path.name, path.read_text(encoding="utf-8")) for path in STORIES]
    if SHARED.exists():
        with SHARED.open(encoding="utf-8") as lines:
            texts += [(row["id"], row["text"]) for row in map(json.loads, lines) if row.get("text")]
    flagged = []
    for name, text in texts:
        if warnings := scan(text).warnings():
            flagged.append(f"{name}: {warnings[0]}")
    return len(texts), flagged


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--verbose", action="store_true", help="list misses and false alarms")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()
    outcomes = measure(load())
    stories, flagged = flagged_stories()
    report = {
        "splits": rates(outcomes),
        "languages": by_language(outcomes),
        "stories": {"scanned": stories, "flagged": len(flagged)},
    }
    if args.json:
        json.dump(report, sys.stdout, indent=2)
        print()
        return 0
    for split, row in report["splits"].items():
        print(
            f"{split:8} detection {row['detected']}/{row['attempts']} = {row['detection_rate']:.3f}"
            f"   false positives {row['false_alarms']}/{row['innocents']}"
            f" = {row['false_positive_rate']:.3f}"
        )
    for lang, line in report["languages"].items():
        print(f"  {lang}: {line}")
    print(f"real news stories flagged: {len(flagged)} of {stories}")
    if args.verbose:
        for o in outcomes:
            if o.case.label == "injection" and not o.detected:
                print(
                    f"MISS  [{o.case.split}] alone={o.alone} in_story={o.in_story}: {o.case.text!r}"
                )
            if o.case.label == "innocent" and o.false_alarm:
                why = scan(o.case.text).warnings() or "in the story"
                print(f"ALARM [{o.case.split}] {why}: {o.case.text!r}")
        for line in flagged:
            print(f"STORY {line}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
