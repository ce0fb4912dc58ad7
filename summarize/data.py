"""The values every reader and writer of articles shares, at the bottom of the package.

An `Article` as read, a `Deferred` read (a URL fetched when a batch worker gets to it),
the `---` front-matter header a plain-text article or a prompt file may start with, and
publication dates written as ISO dates or timestamps. The readers (`summarize.articles`
for files, folders, standard input and JSON Lines; `summarize.web` for HTML and URLs)
sit above this module; it imports nothing of ours but the error types.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from summarize.errors import InputError

MAX_INPUT_BYTES = 5_000_000  # one article, file, stdin or web page (--max-input-bytes)
FRONT_MATTER = re.compile(r"\A---[ \t]*\r?\n(?P<body>(?:[^\n]*\n)*?)---[ \t]*(?:\r?\n|\Z)")
HEADER_LINE = re.compile(r"^(?P<key>[A-Za-z_][\w-]*)\s*:\s*(?P<value>.*?)\s*$")


@dataclass(frozen=True)
class Article:
    """One article as read, before cleaning."""

    id: str
    source: str
    text: str
    title: str | None = None
    published: date | None = None
    url: str | None = None
    meta: dict[str, str] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class Deferred:
    """An input read when it is needed (a URL: its server may be slow), never raising:
    `read()` gives the article, or the InputError that stands in its place."""

    source: str
    read: Callable[[], Article | InputError]


def parse_published(value: str, *, source: str) -> date:
    """An ISO date or timestamp ('2025-03-13', '2025-03-13 20:30:26Z') to its date."""
    try:
        return date.fromisoformat(value.strip()[:10])
    except ValueError:
        raise InputError(
            f"{source}: published date {value!r} is not ISO 8601; write it as YYYY-MM-DD",
            source=source,
        ) from None


def split_front_matter(text: str) -> tuple[dict[str, str], str]:
    """Split a `---` header off the top of a text; ({}, text) when there is none."""
    match = FRONT_MATTER.match(text)
    if match is None:
        return {}, text
    header: dict[str, str] = {}
    for line in match["body"].splitlines():
        if not line.strip():
            continue
        entry = HEADER_LINE.match(line)
        if entry is None:  # not a header after all: treat the whole file as the story
            return {}, text
        header[entry["key"].lower()] = entry["value"]
    return header, text[match.end() :]
