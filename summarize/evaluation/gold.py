"""Gold briefs: hand-labelled answers, one JSON file per article, in the brief's contract.

`evals/gold/<article-id>.json` holds the brief as a careful analyst would write it (see
`evals/README.md` for the labelling guide), minus `run`, plus `aliases`. Its
`article.source` names the article text, relative to the repository root (the folder
above the one that holds `gold/`), e.g. `seeds/000_....txt` or `evals/articles/voa-1.txt`.
`article.published` is the reference date for relative expressions.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from summarize.articles import read_file
from summarize.data import Article
from summarize.errors import ConfigError, InputError
from summarize.evaluation.scoring import AliasTable


@dataclass(frozen=True)
class GoldCase:
    id: str
    gold: dict[str, Any]
    article: Article


def _find_source(source: str, gold_dir: Path) -> Path:
    for base in (gold_dir.parent.parent, gold_dir.parent, gold_dir, Path.cwd()):
        if (candidate := base / source).is_file():
            return candidate
    raise ConfigError(
        f"{gold_dir}: article {source!r} not found next to the gold set; "
        "article.source is resolved from the folder above the gold folder's parent"
    )


def load_gold(gold_dir: Path) -> list[GoldCase]:
    """Every gold case in `gold_dir`, sorted by article id."""
    if not gold_dir.is_dir():
        raise ConfigError(f"{gold_dir}: no such gold folder; pass --gold DIR with <id>.json files")
    cases = []
    for path in sorted(gold_dir.glob("*.json")):
        try:
            gold = json.loads(path.read_text(encoding="utf-8"))
            meta = gold["article"]
            article_id, source = meta["id"], meta["source"]
        except (json.JSONDecodeError, KeyError, TypeError) as error:
            raise ConfigError(f"{path}: not a gold brief ({error}); see evals/README.md") from None
        published = date.fromisoformat(meta["published"][:10]) if meta.get("published") else None
        try:
            article = read_file(_find_source(source, gold_dir), published=published, id=article_id)
        except InputError as error:
            raise ConfigError(str(error)) from None
        cases.append(GoldCase(id=article_id, gold=gold, article=article))
    if not cases:
        raise ConfigError(f"{gold_dir}: holds no gold files (<article-id>.json)")
    return sorted(cases, key=lambda case: case.id)


def alias_clashes(aliases: dict[str, list[str]]) -> list[str]:
    """Gold aliases that the built-in table already gives another meaning: "U.N." listed
    under "United Nations Security Council" is the United Nations there, and the built-in
    meaning wins, so the gold alias would be ignored without a word."""
    builtin = AliasTable()
    found = []
    for canonical, variants in aliases.items():
        own = builtin.canonical(canonical)
        for variant in (canonical, *variants):
            theirs = builtin.canonical(variant)
            if builtin.knows(variant) and theirs != own:
                found.append(
                    f"alias {variant!r} of {canonical!r} is {theirs!r} in the built-in alias "
                    "table (summarize/similarity.py and evaluation/scoring.py), which wins: "
                    "drop or rename it"
                )
    return found


def gold_to_extraction(gold: dict[str, Any]) -> dict[str, Any]:
    """The model answer that would reproduce a gold brief: dates back to verbatim text."""
    threats = []
    for threat in gold.get("threats") or []:
        answer = {k: v for k, v in threat.items() if k != "deadline"}
        deadline = threat.get("deadline")
        answer["deadline"] = deadline.get("text") if isinstance(deadline, dict) else deadline
        threats.append(answer)
    return {
        "summary": gold.get("summary") or "(no summary)",
        "threats": threats,
        "actors": [dict(a) for a in gold.get("actors") or []],
        "dates": [{"text": d["text"], "event": d["event"]} for d in gold.get("dates") or []],
    }
