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

from collections.abc import Container, Iterable, Mapping

from summarize.clean import BULLET, normalize
from summarize.digests import DigestTable, nonzero, table_size, zeros

MIN_ARTICLES = 3  # a line in this many distinct articles of the run is boilerplate
MIN_WORDS = 2  # a one-word line ("Background") says too little to be evidence
MAX_REPEATED_SHARE = 0.5  # beyond this share of an article's text: a near-duplicate
# Lines are read from an article's head only: a page's chrome stands within its first
# megabyte, and a file of 50 MB would otherwise cost a set of all its lines.
MAX_SCAN_CHARS = 1_000_000
# What a run's count keeps is allocated up front and never grows with the corpus, so that
# a million articles cost what ten thousand do. Every bound below can only make a line
# counted in fewer articles than it is in, never in more: a line is taken for chrome on
# its count alone, so no bound ever takes a story line for chrome; past a bound, some
# chrome may be missed (left in the article, as without the filter).
#
# The counts: a fixed table of 8-byte line digests and their counts (12 bytes a slot).
# Past this many distinct lines, the lines seen in fewest articles so far are forgotten
# (lossy counting); a line that finds the table full is not counted.
MAX_DISTINCT_LINES = 300_000
# Identical articles count once: a Bloom filter of 2**25 bits (4 MB) remembers the
# articles read. A false positive takes a new article for one already read and leaves its
# lines uncounted; the odds are about 1 in 100,000 an article at a million articles, 1 in
# 200 at three million.
SEEN_BITS = 1 << 25
SEEN_PROBES = 7
# The text of the lines found repeated, which the run keeps (and sends to each worker):
# past this many characters, a line newly found repeated is not recorded.
MAX_REPEATED_CHARS = 16_000_000


class _SeenArticles:
    """Whether an article's text was read before, in a fixed array of bits (a Bloom filter)."""

    def __init__(self, bits: int = SEEN_BITS, probes: int = SEEN_PROBES) -> None:
        self.bits = zeros("B", bits // 8)  # pages resident as they are first written
        self.mask, self.probes = bits - 1, probes  # bits: a power of two

    def add(self, head: str, length: int) -> bool:
        """Record an article by its `head` (what is read of it) and its whole `length`;
        False when it was (most probably) recorded before. Its two hashes are the
        string's own (as for lines: the filter never leaves this process)."""
        first, step = hash(head), hash((length, head))
        new = False
        for probe in range(self.probes):  # double hashing: first + probe * step
            bit = (first + probe * (step | 1)) & self.mask
            byte, flag = bit >> 3, 1 << (bit & 7)
            if not self.bits[byte] & flag:
                self.bits[byte] |= flag
                new = True
        return new


class _LineCounts:
    """In how many articles each line digest was seen, in a table of fixed size that is
    pruned in place of growing (see MAX_DISTINCT_LINES)."""

    def __init__(self, max_distinct: int) -> None:
        self.table = DigestTable(table_size(max_distinct, load=2 / 3), "I")

    @property
    def used(self) -> int:
        return self.table.used

    def add(self, key: int) -> int:
        """Count one more article for `key` (a nonzero digest); its count, or 0 when the
        table is full and the line is left uncounted."""
        slot = self.table.claim(key)
        if slot < 0:
            return 0
        self.table.values[slot] += 1
        return self.table.values[slot]

    def get(self, key: int) -> int:
        return self.table.get(key)

    def prune(self, floor: int, keep: Container[int]) -> None:
        """Forget the lines counted in at most `floor` articles, except those in `keep`."""
        self.table.retain(lambda key, count: count > floor or key in keep)


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
    """A line's nonzero 8-byte digest (0 marks an empty slot of the count). It is the
    string's own hash: the count lives and dies in this process, and a 64-bit SipHash
    collides no more often than a 64-bit blake2b, at a tenth of the cost (the line's
    encoding and a digest object were a third of the count's time)."""
    return nonzero(hash(text) & 0xFFFF_FFFF_FFFF_FFFF)


def repeated_lines(
    texts: Iterable[str],
    *,
    min_articles: int = MIN_ARTICLES,
    max_distinct: int = MAX_DISTINCT_LINES,
) -> dict[str, int]:
    """Each normalised line found in at least `min_articles` distinct articles, and in how
    many. `texts` is read once, one at a time (a generator over a corpus of any size):
    what is kept is of a fixed size (see MAX_DISTINCT_LINES and the bounds beside it)."""
    counts = _LineCounts(max_distinct)
    repeated: dict[int, str] = {}  # the lines at `min_articles` or more, by digest
    repeated_chars = 0
    seen = _SeenArticles()
    articles = 0  # distinct articles read
    floor = 1  # a prune forgets the lines seen in at most this many articles
    for text in texts:
        head = text[:MAX_SCAN_CHARS]  # what is read of it: its identity, with its length
        if not seen.add(head, len(text)):
            continue
        articles += 1
        for line in _lines(head):
            key = _digest(line)
            if counts.add(key) == min_articles and repeated_chars < MAX_REPEATED_CHARS:
                repeated[key] = line
                repeated_chars += len(line)
        if counts.used > max_distinct:  # forget the rarest; found repeated lines stay
            counts.prune(floor, repeated)
            floor += counts.used > max_distinct // 2  # rarely: most lines are repeated
    if articles < min_articles:  # too few articles to be evidence
        return {}
    return {line: counts.get(key) for key, line in repeated.items()}


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
