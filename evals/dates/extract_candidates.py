"""List date-expression candidates in the shared VOA stories and the seeds, for labelling.

    python3 evals/dates/extract_candidates.py > /tmp/candidates.jsonl

One JSON line per candidate: source, published, sentence, text. It only finds and prints;
the expected values in `corpus.jsonl` were written by hand from the sentences, and this
script never resolves anything (labels must not echo the resolver).
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT.parent / "shared"

_WEEKDAY = r"(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)"
_MONTH = (
    r"(?:January|February|March|April|May|June|July|August|September|October|November|"
    r"December|Jan\.|Feb\.|Aug\.|Sept?\.|Oct\.|Nov\.|Dec\.)"
)
_NUMBER = r"(?:\d+|one|two|three|four|five|six|seven|eight|nine|ten|twelve|thirty|ninety)"
CANDIDATE = re.compile(
    "|".join(
        [
            rf"\b(?:last|next|this|coming)\s+{_WEEKDAY}\b",
            rf"\b{_WEEKDAY}(?:\s+(?:last|next|this)\s+week)?\b",
            rf"\b{_MONTH}\s+\d{{1,2}}(?:\s*[-\u2013]\s*\d{{1,2}})?(?:,\s*\d{{4}})?",
            rf"\b\d{{1,2}}\s+{_MONTH}(?:\s+\d{{4}})?",
            rf"\b(?:early|mid|late|the end of|the start of)[\s-]+(?:{_MONTH}|\d{{4}}|the year|"
            r"this year|next year|the month)",
            rf"\b(?:last|next|this)\s+(?:week|month|year|{_MONTH})\b",
            rf"\b(?:in|since|by|until|from|of)\s+{_MONTH}(?:\s+\d{{4}})?\b",
            r"\b(?:in|since|by|until|from)\s+(?:19|20)\d{2}\b",
            r"\b(?:yesterday|today|tomorrow)\b",
            rf"\b(?:within|in|for)?\s*(?:a|an|{_NUMBER})[\s-](?:hours?|days?|weeks?|months?)"
            r"(?:\s+deadline)?\b",
        ]
    )
)


def _stories() -> list[tuple[str, str, str]]:
    stories = []
    for line in (SHARED / "articles" / "voa.jsonl").read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        stories.append((f"voa-{record['id']}", record["published"][:10], record["text"]))
    for path in sorted((SHARED / "seeds").glob("*.txt")):
        gold = json.loads((ROOT / "evals" / "gold" / f"{path.stem}.json").read_text())
        stories.append((path.stem, gold["article"]["published"], path.read_text()))
    return stories


def main() -> int:
    for source, published, text in _stories():
        for sentence in re.split(r"(?<=[.!?])[\"'\u201d]?\s+|\n+", text):
            for match in CANDIDATE.finditer(sentence):
                print(
                    json.dumps(
                        {
                            "source": source,
                            "published": published,
                            "text": match.group().strip(),
                            "sentence": sentence.strip(),
                        },
                        ensure_ascii=False,
                    )
                )
    return 0


if __name__ == "__main__":
    sys.exit(main())
