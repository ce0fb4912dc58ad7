"""What every command shares: the two consoles, exit codes, one-line errors, option types.

Data goes to `stdout`; every diagnostic goes to `stderr` through `say`/`fail`, which
print text as text (most of it came from someone else: file names, JSONL values,
provider errors).
"""

from __future__ import annotations

from datetime import date
from enum import IntEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.text import Text

from summarize import signals
from summarize.data import parse_published
from summarize.errors import ConfigError, InputError, NoModelConfigured

if TYPE_CHECKING:
    from summarize.cache import AnswerCache

stdout = Console()
# Every diagnostic goes through this console, and most of what it prints came from
# someone else: file names, JSONL values, provider errors. Markup and emoji codes are
# off so `[/x]` or `:bomb:` print as written (never a MarkupError, never a vanished
# `[redacted]`); our own styling is applied with Text spans (`say`), not markup.
stderr = Console(stderr=True, markup=False, emoji=False, highlight=False, soft_wrap=True)

# What --help shows for options whose default is decided at run time.
DEFAULT_OPENAI_MODEL = "gpt-4o-mini"  # modelconfig.DEFAULT_OPENAI_MODEL, which loads pydantic
MODE_DEFAULT = "tools for OpenAI, json_schema elsewhere"
SHIPPED_PROMPT = "the shipped prompt"
NOT_WRITTEN = "not written"
NO_MODEL = """no model configured. Three ways on, easiest first:
  1. summarize eval
     see it work offline: the whole pipeline on recorded answers, scored against gold
  2. summarize brief --model gguf:PATH seeds/
     a local GGUF model file run by llama.cpp on this machine (pip install 'summarize[local]')
  3. OPENAI_API_KEY=... summarize brief seeds/
     OpenAI (model gpt-4o-mini unless --model or SUMMARIZE_MODEL says otherwise); or
     OPENAI_BASE_URL=http://localhost:11434/v1 (or --base-url) with --model NAME for an
     OpenAI-compatible server (Ollama, vLLM, llama-server)"""
CACHE_DEFAULT = "answers.sqlite3 in the user cache folder; summarize cache stats shows it"


# Options `brief` and `batch submit` share: one definition each.
BaseUrlOption = Annotated[
    str | None,
    typer.Option(
        "--base-url",
        envvar="OPENAI_BASE_URL",
        show_default="OpenAI's API, with OPENAI_API_KEY",
        help="OpenAI-compatible endpoint, e.g. http://localhost:11434/v1.",
    ),
]
ModeOption = Annotated[
    str | None,
    typer.Option(
        show_default=MODE_DEFAULT,
        help="Structured-output mode: tools, json_schema, json or md_json.",
    ),
]
PublishedOption = Annotated[
    str | None,
    typer.Option(
        show_default="each file's front-matter header, or its folder's published.json",
        help="Publication date YYYY-MM-DD for every article (wins over headers).",
    ),
]
PromptOption = Annotated[
    Path | None,
    typer.Option(show_default=SHIPPED_PROMPT, help="Prompt file to use instead."),
]
MaxInputTokensOption = Annotated[
    int,
    typer.Option(
        min=500,
        help="Article budget per request, in tokens (for a gguf: model, at most what its "
        "context holds); longer articles are split.",
    ),
]
MaxChunksOption = Annotated[
    int, typer.Option(min=1, help="Most chunks per long article; the rest is left out.")
]


class Exit(IntEnum):
    OK = 0
    SOME_FAILED = 1
    USAGE = 2
    INTERRUPTED = signals.INTERRUPTED  # Ctrl-C: 128 + SIGINT
    TERMINATED = signals.TERMINATED  # 128 + SIGTERM


def say(message: str, *, label: str = "", style: str = "") -> None:
    """One diagnostic line on stderr: our `label` styled, `message` printed as text."""
    line = Text.assemble((label, style), " " if label else "", message)
    stderr.print(line)


def fail(message: str, code: Exit = Exit.USAGE) -> typer.Exit:
    say(message, label="error:", style="bold red")
    return typer.Exit(int(code))


def config_message(error: ConfigError) -> str:
    """What to tell the user: with no model at all, the ways to get started."""
    return NO_MODEL if isinstance(error, NoModelConfigured) else str(error)


def published_date(value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return parse_published(value, source="--published")
    except InputError as error:
        raise fail(str(error)) from None


def open_cache(path: Path | None, *, refresh: bool, quiet: bool = False) -> AnswerCache:
    """The answer cache; its faults are one `warning:` line each (or none, when `quiet`)."""
    from summarize.cache import AnswerCache

    def warn(message: str) -> None:
        if not quiet:
            stderr.print(f"warning: {message}", highlight=False, markup=False, soft_wrap=True)

    return AnswerCache(path, read=not refresh, on_fault=warn)


CacheOption = Annotated[
    Path | None,
    typer.Option(
        "--cache", envvar="SUMMARIZE_CACHE", show_default=CACHE_DEFAULT, help="Cache file."
    ),
]
