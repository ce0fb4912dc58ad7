"""`summarize cache stats` and `summarize cache clear`."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from summarize.commands.base import CacheOption, Exit, fail, open_cache, stderr
from summarize.errors import ConfigError, SummarizeError

if TYPE_CHECKING:
    from summarize.cache import AnswerCache

cache_app = typer.Typer(help="Inspect or empty the answer cache.", no_args_is_help=True)


def _existing_cache(path: Path | None) -> AnswerCache:
    try:
        return open_cache(path, refresh=False, quiet=True)  # stats and clear say it all
    except ConfigError as error:
        raise fail(str(error)) from None


@cache_app.command("stats")
def cache_stats(cache_path: CacheOption = None) -> None:
    """How many answers the cache holds, where, and the tokens they cost."""
    try:
        stats = _existing_cache(cache_path).stats()
    except SummarizeError as error:
        raise fail(str(error), Exit.SOME_FAILED) from None
    sys.stdout.write(
        f"path: {stats.path}\nanswers: {stats.entries}\nsize: {stats.size_bytes:,} bytes\n"
        f"tokens they cost: {stats.input_tokens:,} input + {stats.output_tokens:,} output\n"
    )


@cache_app.command("clear")
def cache_clear(cache_path: CacheOption = None) -> None:
    """Delete every stored answer (a damaged cache file is deleted whole)."""
    cache = _existing_cache(cache_path)
    try:
        removed = cache.clear()
    except SummarizeError as error:
        raise fail(str(error), Exit.SOME_FAILED) from None
    if removed is None:
        message = f"removed the damaged cache file {cache.path}; the next run starts afresh"
        stderr.print(message, highlight=False, markup=False)
    else:
        stderr.print(f"removed {removed} answer(s)", highlight=False)
