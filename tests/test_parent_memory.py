"""The parent's per-run structures stay of a fixed size as a corpus grows (the line
count, the ids, the --resume digests), and give what the unbounded ones gave."""

from __future__ import annotations

import hashlib
import json
import tracemalloc
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

import pytest

from summarize.linefreq import repeated_lines

ROOT = Path(__file__).resolve().parent.parent
VOA = ROOT.parent / "shared" / "articles" / "voa.jsonl"
FOOTER = "Sign up for our newsletter to get the day's top stories in your inbox."


def exact_repeated_lines(
    texts: Iterable[str], *, min_articles: int = 3, max_distinct: int = 300_000
) -> dict[str, int]:
    """The line count as it was before its structures were bounded (a set of every
    article, a dict of every line): the oracle for the bounded one."""
    from summarize.linefreq import MAX_SCAN_CHARS, _lines

    def digest(text: str) -> int:
        return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "little")

    counts: dict[int, int] = {}
    repeated: dict[int, str] = {}
    seen_texts: set[int] = set()
    floor = 1
    for text in texts:
        head = text[:MAX_SCAN_CHARS]
        if (whole := digest(f"{len(text)}\x00{head}")) in seen_texts:
            continue
        seen_texts.add(whole)
        for line in _lines(head):
            key = digest(line)
            count = counts[key] = counts.get(key, 0) + 1
            if count == min_articles:
                repeated[key] = line
        if len(counts) > max_distinct:
            counts = {key: n for key, n in counts.items() if n > floor or key in repeated}
            floor += len(counts) > max_distinct // 2
    if len(seen_texts) < min_articles:
        return {}
    return {line: counts[key] for key, line in repeated.items()}


def shared_articles() -> list[str]:
    if not VOA.exists():
        pytest.skip("needs ../shared/articles/voa.jsonl")
    return [json.loads(line)["text"] for line in VOA.read_text(encoding="utf-8").splitlines()]


def invented_variations(stories: list[str]) -> list[str]:
    """The shared stories with chrome of several frequencies, exact duplicates, a
    near-duplicate (an updated version) and distinct paragraphs per copy."""
    texts = []
    for n, story in enumerate(stories):
        chrome = [FOOTER, f"Follow our coverage of region {n % 4} on the app today."]
        texts.append("\n\n".join([story, *chrome]))
        if n % 5 == 0:
            texts.append(texts[-1])  # the same article twice: counts once
        if n % 7 == 0:
            texts.append(story + "\n\nThis story was updated with the minister's reply.")
        paragraphs = story.split("\n\n")
        texts.append("\n\n".join(f"{p} (Edition {n}.)" for p in paragraphs[:3]))
    return texts


def distinct_articles(count: int, start: int = 0) -> Iterator[str]:
    for n in range(start, start + count):
        yield f"Story {n} opens with a line of its own.\nIts second line, {n}, too.\n{FOOTER}"


def traced_peak(work: Callable[[], object]) -> int:
    tracemalloc.start()
    try:
        work()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize("max_distinct", [300_000, 500, 60])
def test_the_bounded_line_count_finds_what_the_unbounded_one_found(max_distinct: int) -> None:
    """On the shared articles and invented variations, with the default cap and with
    caps small enough to prune many times, the same lines with the same counts."""
    texts = invented_variations(shared_articles())
    exact = exact_repeated_lines(texts, max_distinct=max_distinct)
    assert FOOTER in exact
    assert repeated_lines(iter(texts), max_distinct=max_distinct) == exact


def test_identical_articles_still_count_once() -> None:
    texts = ["One story line is here.\nThe shared line of two words here."] * 5
    assert repeated_lines(texts) == {}  # one distinct article: too few to be evidence
    texts += ["Another story line.\nThe shared line of two words here."] * 3
    assert repeated_lines(texts) == {}  # two distinct articles: still too few
    texts.append("A third story line.\nThe shared line of two words here.")
    assert repeated_lines(texts) == {"The shared line of two words here.": 3}


def test_the_line_count_does_not_grow_with_the_articles() -> None:
    """Ten times the articles (every line distinct but the footer) cost the same memory:
    what is kept is allocated up front (a Bloom filter of the articles read, a table of
    line digests pruned in place), not a set entry per article."""
    small = traced_peak(lambda: repeated_lines(distinct_articles(3_000), max_distinct=2_000))
    large = traced_peak(lambda: repeated_lines(distinct_articles(30_000), max_distinct=2_000))
    assert large - small < 100_000, (small, large)


def test_a_line_the_full_table_cannot_hold_is_left_uncounted_not_miscounted() -> None:
    """Past every bound, a count is only ever lower than the exact one."""
    texts = list(distinct_articles(400))
    for n in range(30):
        texts.append("\n".join(f"Shared sentence number {k} of the batch." for k in range(n)))
    capped = repeated_lines(texts, max_distinct=10)
    exact = exact_repeated_lines(texts)
    assert capped[FOOTER] == exact[FOOTER] == 400
    assert all(count <= exact[line] for line, count in capped.items())
