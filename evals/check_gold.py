"""Check gold files before they land: contract, verbatim quotes, dates the resolver agrees on,
aliases that do not clash with the built-in alias table.

    python3 evals/check_gold.py                 # every file in evals/gold
    python3 evals/check_gold.py evals/gold/voa-8009495.json ...

Prints one line per problem and exits 1 when there is any. A date the resolver reads
differently from the labeller is either a labelling slip or a resolver bug: the guide in
evals/README.md is the arbiter, so fix whichever side disagrees with it.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from summarize.clean import normalize_for_match
from summarize.dates import resolve_mention
from summarize.errors import SummarizeError
from summarize.evaluation.gold import alias_clashes, load_gold
from summarize.pipeline import clean_article
from summarize.schema import Actor, ResolvedDate, Threat

EVALS = Path(__file__).resolve().parent


def problems_in(gold: dict[str, Any], article_text: str, published: Any) -> list[str]:
    """Every way one gold brief breaks the labelling guide's mechanical rules."""
    found = _contract_problems(gold) + alias_clashes(gold.get("aliases") or {})
    for threat in gold["threats"]:
        found += _threat_problems(threat, article_text, published)
    for mention in gold["dates"]:
        found += _date_problems(mention, article_text, published)
    return found


def _contract_problems(gold: dict[str, Any]) -> list[str]:
    found = []
    for model, items in ((Threat, gold["threats"]), (Actor, gold["actors"])):
        for item in items:
            try:
                model.model_validate(item)
            except ValidationError as error:
                found.append(f"{model.__name__} invalid: {error.errors()[0]['msg']}: {item}")
    return found


def _threat_problems(threat: dict[str, Any], article_text: str, published: Any) -> list[str]:
    haystack = normalize_for_match(article_text)
    found = [
        f"evidence not in the cleaned article: {quote!r}"
        for quote in threat["evidence"]
        if normalize_for_match(quote) not in haystack
    ]
    found += [
        f"condition not a verbatim span of the article: {condition!r}"
        for condition in threat["conditions"]
        if normalize_for_match(condition).casefold() not in haystack.casefold()
    ]
    if deadline := threat.get("deadline"):
        expected = resolve_mention(deadline["text"], published, article=article_text, deadline=True)
        if expected != deadline["date"]:
            found.append(
                f"deadline {deadline['text']!r}: gold {deadline['date']}, resolver {expected}"
            )
    return found


def _date_problems(mention: dict[str, Any], article_text: str, published: Any) -> list[str]:
    haystack = normalize_for_match(article_text)
    try:
        ResolvedDate.model_validate(mention)
    except ValidationError as error:
        return [f"date invalid: {error.errors()[0]['msg']}: {mention}"]
    found = []
    if normalize_for_match(mention["text"]).casefold() not in haystack.casefold():
        found.append(f"date text not in the article: {mention['text']!r}")
    expected = resolve_mention(
        mention["text"], published, article=article_text, event=mention["event"]
    )
    if expected != mention["date"]:
        found.append(
            f"date {mention['text']!r} ({mention['event']}): gold {mention['date']}, "
            f"resolver {expected}"
        )
    return found


def main(argv: list[str]) -> int:
    wanted = {Path(arg).stem for arg in argv}
    failures = 0
    try:
        cases = load_gold(EVALS / "gold")
    except SummarizeError as error:
        print(error, file=sys.stderr)
        return 1
    for case in cases:
        if wanted and case.id not in wanted:
            continue
        text = clean_article(case.article).text
        for problem in problems_in(case.gold, text, case.article.published):
            failures += 1
            print(f"{case.id}: {problem}")
    checked = len(wanted) or len(cases)
    print(f"checked {checked} gold file(s): {failures} problem(s)", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
