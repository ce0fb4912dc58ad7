"""Corpus evidence: a line that recurs across many articles of one run is boilerplate.

This is the line-frequency filter of large web-text pipelines (CCNet de-duplicates
paragraphs by hash across a shard): a publisher's footer, newsletter prompt or standing
disclaimer is the same line on every page, while a story's sentences are its own.
`repeated_lines` counts, over a run's articles, in how many distinct articles each line
occurs; `clean(raw, repeated=...)` drops those lines with the rule "repeated in N articles".

Two guards keep the story: identical articles count once, and an article most of whose
text recurs elsewhere (a near-duplicate, an updated version of the same story) is not
filtered at all, because there the repetition is the story, not the page.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping

from summarize.clean import BULLET, normalize

MIN_ARTICLES = 3  # a line in this many distinct articles of the run is boilerplate
MIN_WORDS = 2  # a one-word line ("Background") says too little to be evidence
MAX_REPEATED_SHARE = 0.5  # beyond this share of an article's text: a near-duplicate
# Lines are read from an article's head only: a page's chrome stands within its first
# megabyte, and a file of 50 MB would otherwise cost a set of all its lines.
MAX_SCAN_CHARS = 1_000_000
# A run's count is kept as 8-byte digests, never the lines, so a corpus of any size is
# counted in one streaming pass. Past this many distinct lines, the lines seen in fewest
# articles so far are forgotten (lossy counting): the counts stay near 50 MB (about 165
# bytes a line, measured), and a line can then only be undercounted, never overcounted,
# so no story line is ever taken for chrome because of the cap.
MAX_DISTINCT_LINES = 300_000


def _lines(text: str) -> set[str]:
    lines = {BULLET.sub("", line) for line in normalize(text).split("\n")}
    return {line for line in lines if _has_words(line, MIN_WORDS)}


def _has_words(line: str, count: int) -> bool:
    """Whether a trimmed line holds `count` words or more: for two, whether it holds a
    gap (a space, the usual one, tested first), without splitting a long paragraph."""
    if count == 2 and " " in line:
        return True
    return len(line.split()) >= count


def _digest(text: str) -> int:
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "little")


def repeated_lines(
    texts: Iterable[str],
    *,
    min_articles: int = MIN_ARTICLES,
    max_distinct: int = MAX_DISTINCT_LINES,
) -> dict[str, int]:
    """Each normalised line found in at least `min_articles` distinct articles, and in how
    many. `texts` is read once, one at a time (a generator over a corpus of any size):
    what is kept is a digest per distinct line and per distinct article, and the text of
    the lines found repeated (see MAX_DISTINCT_LINES for the bound)."""
    counts: dict[int, int] = {}
    repeated: dict[int, str] = {}  # the lines at `min_articles` or more, by digest
    seen_texts: set[int] = set()  # identical articles count once
    floor = 1  # a prune forgets the lines seen in at most this many articles
    for text in texts:
        head = text[:MAX_SCAN_CHARS]  # what is read of it: its identity, with its length
        if (whole := _digest(f"{len(text)}\x00{head}")) in seen_texts:
            continue
        seen_texts.add(whole)
        for line in _lines(head):
            key = _digest(line)
            count = counts[key] = counts.get(key, 0) + 1
            if count == min_articles:
                repeated[key] = line
        if len(counts) > max_distinct:  # forget the rarest; found repeated lines stay
            counts = {key: n for key, n in counts.items() if n > floor or key in repeated}
            floor += len(counts) > max_distinct // 2  # rarely: most lines are repeated
    if len(seen_texts) < min_articles:  # too few articles to be evidence
        return {}
    return {line: counts[key] for key, line in repeated.items()}


def for_article(text: str, repeated: Mapping[str, int]) -> dict[str, int]:
    """The repeated lines that apply to one article: none when they make up more than half
    of its characters (the article is a near-duplicate of others, not their chrome)."""
    if not repeated:
        return {}
    lines = _lines(text[:MAX_SCAN_CHARS])
    mine = {line: repeated[line] for line in lines if line in repeated}
    total = sum(len(line) for line in lines) or 1
    if sum(len(line) for line in mine) > MAX_REPEATED_SHARE * total:
        return {}
    return mine
