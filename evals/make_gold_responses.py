"""Regenerate evals/responses/gold/ from evals/gold/: each gold brief as the model's answer.

    python3 evals/make_gold_responses.py

Replaying that set must score 1.0 on every field (tests/test_shipped_evals.py checks it),
which also proves the date resolver agrees with the labellers on every labelled date.
"""

from __future__ import annotations

import json
from pathlib import Path

from summarize.evaluation.gold import gold_to_extraction

EVALS = Path(__file__).resolve().parent


def main() -> None:
    out = EVALS / "responses" / "gold"
    out.mkdir(parents=True, exist_ok=True)
    (out / "_meta.json").write_text(json.dumps({"model": "gold", "mode": "json_schema"}) + "\n")
    for path in sorted((EVALS / "gold").glob("*.json")):
        gold = json.loads(path.read_text(encoding="utf-8"))
        record = {
            "article_id": gold["article"]["id"],
            "exchanges": [{"payload": gold_to_extraction(gold)}],
        }
        target = out / path.name
        target.write_text(json.dumps(record, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {len(list(out.glob('*.json'))) - 1} responses to {out}")


if __name__ == "__main__":
    main()
