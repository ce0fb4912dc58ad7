"""`summarize report`: the review page of saved briefs, and the page writer `brief --html`
shares."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from summarize.commands.base import fail, stderr
from summarize.errors import InputError

if TYPE_CHECKING:
    from collections.abc import Mapping

    from summarize.results import Result
    from summarize.schema import Brief


def cleaned_text(brief: Brief, texts: Mapping[str, str], repeated: Mapping[str, int]) -> str | None:
    """The cleaned article a brief's spans point into, cleaned again as the run cleaned
    it; None when its text is not at hand (read during the batch, not embedded)."""
    from summarize.clean import clean
    from summarize.linefreq import for_article

    raw = texts.get(brief.article.id, brief.article.text)
    if raw is None:
        return None
    return clean(raw, repeated=for_article(raw, repeated)).text


def write_review(
    results: list[Result], html_out: Path, texts: dict[str, str], *, base: Path | None = None
) -> None:
    from summarize.review import pages_for, write_html

    pages, failures = pages_for(results, texts, base=base)
    for page in pages:
        if page.note:
            stderr.print(f"note: {page.note}", highlight=False, soft_wrap=True)
    write_html(html_out, pages, failures)


def report(
    briefs: Annotated[
        Path, typer.Argument(help="Briefs saved by summarize brief --jsonl or --json.")
    ],
    html_out: Annotated[Path, typer.Option("--html", help="Write the review page to this file.")],
) -> None:
    """Write the review page of saved briefs; each article's text is the one embedded
    with --embed-text, else read again from its source and cleaned again."""
    from summarize.review import read_results

    try:
        results = read_results(briefs)
    except InputError as error:
        raise fail(str(error)) from None
    try:
        write_review(results, html_out, {}, base=briefs.resolve().parent)
    except OSError as error:
        raise fail(f"{html_out}: cannot be written ({error.strerror})") from None
    stderr.print(f"wrote {html_out}: {len(results)} result(s)", highlight=False)
