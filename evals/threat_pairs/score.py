"""Precision and recall of the threat linker on hand-labelled pairs of reports.

    python evals/threat_pairs/score.py [--verbose] [PAIRS]   # default: pairs.jsonl

`reports.json` holds threat reports (gold threats of `evals/gold/` and hand-written
reports of the same VOA stories as another outlet might put them); `pairs.jsonl` says of
pairs of them whether they are the same threat, with the kind of pair (hard negatives:
same issuer with a different measure, same measure against a different target, a threat
reported again versus a new one). The linker's rule is `summarize.similarity`; its
weights and threshold were set looking at `pairs.jsonl`. `heldout.jsonl` (reports written
inline) was written after they were fixed and never used to change them.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from datetime import date
from pathlib import Path
from types import SimpleNamespace

from summarize.similarity import likeness, same_across_articles

HERE = Path(__file__).resolve().parent


def main() -> None:
    reports = json.loads((HERE / "reports.json").read_text(encoding="utf-8"))
    named = [arg for arg in sys.argv[1:] if not arg.startswith("--")]
    path = Path(named[0]) if named else HERE / "pairs.jsonl"
    pairs = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    counts: Counter[str] = Counter()
    wrong_by_kind: Counter[str] = Counter()
    total_by_kind: Counter[str] = Counter()
    for pair in pairs:
        a, b = (
            SimpleNamespace(**(reports[pair[k]] if isinstance(pair[k], str) else pair[k]))
            for k in ("a", "b")
        )
        found = likeness(
            a, b, a_date=date.fromisoformat(a.reported), b_date=date.fromisoformat(b.reported)
        )
        linked = same_across_articles(found)
        outcome = {(True, True): "tp", (True, False): "fn", (False, True): "fp"}.get(
            (pair["same"], linked), "tn"
        )
        counts[outcome] += 1
        total_by_kind[pair["kind"]] += 1
        if outcome in ("fp", "fn"):
            wrong_by_kind[pair["kind"]] += 1
        if "--verbose" in sys.argv or outcome in ("fp", "fn"):
            print(f"{outcome}  {a.action!r} ~ {b.action!r}: {found.explain()}")
    tp, fp, fn = counts["tp"], counts["fp"], counts["fn"]
    precision = tp / (tp + fp) if tp + fp else float("nan")
    recall = tp / (tp + fn) if tp + fn else float("nan")
    print(f"\n{len(pairs)} pairs ({tp + fn} same, {fp + counts['tn']} different)")
    print(f"precision {precision:.3f}  recall {recall:.3f}  ({dict(sorted(counts.items()))})")
    for kind, total in sorted(total_by_kind.items()):
        print(f"  {kind:<45} {total - wrong_by_kind[kind]}/{total} right")


if __name__ == "__main__":
    main()
