"""`summarize clean`: an article's cleaned text, and with --explain every removed line."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.text import Text

from summarize.articles import read_file
from summarize.commands.base import Exit, fail, say, stderr
from summarize.data import Article
from summarize.errors import InputError, SummarizeError


def clean(
    path: Annotated[
        Path, typer.Argument(help="Article file or JSONL corpus to clean, or - for stdin.")
    ],
    explain: Annotated[
        bool,
        typer.Option("--explain", help="List every removed line, its rule and its signals."),
    ] = False,
) -> None:
    """Print an article's cleaned text (page chrome removed, story kept)."""
    from summarize.articles import article_from_text, read_corpus, read_stdin

    items: list[Article | InputError]
    if str(path) == "-":
        try:
            text, _ = read_stdin()
        except SummarizeError as error:
            raise fail(str(error), Exit.SOME_FAILED) from None
        items = [article_from_text(text, id="stdin", source="<stdin>")]
    elif path.suffix.lower() == ".jsonl":
        items = list(read_corpus(path))
    else:
        try:
            items = [read_file(path)]
        except SummarizeError as error:
            raise fail(str(error), Exit.SOME_FAILED) from None
    failed = 0
    for item in items:
        if isinstance(item, InputError):
            say(str(item), label="error:", style="bold red")
            failed += 1
        elif not _print_cleaned(item, explain=explain, header=len(items) > 1):
            failed += 1
    if failed:
        raise typer.Exit(int(Exit.SOME_FAILED))


def _print_cleaned(article: Article, *, explain: bool, header: bool) -> bool:
    """Print one article's cleaned text, and with `explain` every removed line; False when
    nothing of it is left (the explanation still says why)."""
    from summarize.clean import clean as clean_text
    from summarize.clean import cleaning_warning

    cleaned = clean_text(article.text)
    if header:
        sys.stdout.write(f"=== {article.id} ({article.source})\n")
    title = article.title or cleaned.title
    if title:
        sys.stdout.write(f"{title}\n\n")
    if cleaned.text:
        sys.stdout.write(cleaned.text + "\n")
    if explain:
        say(f"{article.id}: {len(cleaned.dropped)} line(s) removed:")
        for dropped in cleaned.dropped:
            why = f"{dropped.rule} ({dropped.detail})" if dropped.detail else dropped.rule
            line = Text.assemble(
                f"  line {dropped.line:>4}  ", (why, "cyan"), "\n             ", dropped.text[:100]
            )
            stderr.print(line)
    if not cleaned.text.strip():
        hint = "the lines above say why" if explain else "add --explain to see why"
        stderr.print(
            f"{article.source}: nothing is left after removing page chrome ({hint})",
            highlight=False,
            markup=False,
            soft_wrap=True,
        )
        return False
    if warning := cleaning_warning(cleaned, article.source):
        stderr.print(f"warning: {warning}", highlight=False, markup=False, soft_wrap=True)
    return True
