"""Properties of cleaning, for any text: it never raises, never adds words, and settles."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from summarize.clean import clean, normalize

CHROME = [
    "Share this article",
    "Facebook Twitter WhatsApp Email",
    "Oops! Something went wrong. Please try again later.",
    "Support independent journalism: donate today.",
    "Related",
    "Don't Miss",
    "1 2 3 6,013",
    "This story originally appeared on Example News, read the full story",
    "NorthKorea Russia Sanctions Tariffs Politics",
]
STORY = [
    "The United States said on Monday it would not hesitate to impose sanctions.",
    "Source: Matthew Miller, spokesperson for the US Department of State",
    "Quote: \u201cWe will not hesitate to do so in the future.\u201d",
    "Details: He added that talks would resume on 4 September.",
    "Trump said tariffs of 25% would take effect on April 2.",
]
lines = st.one_of(st.sampled_from(CHROME), st.sampled_from(STORY), st.text(max_size=80))
articles = st.lists(lines, max_size=30).map("\n".join)
WORD = re.compile(r"\w+")


def words(text: str) -> set[str]:
    return {w.casefold() for w in WORD.findall(normalize(text))}


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_cleaning_never_raises_on_any_text(raw: str) -> None:
    """Any string at all, control characters included, cleans without an exception."""
    cleaned = clean(raw)
    assert isinstance(cleaned.text, str)


@settings(max_examples=300, deadline=None)
@given(articles)
def test_cleaning_never_adds_a_word(raw: str) -> None:
    """Every word of the cleaned text and title was already in the raw article."""
    cleaned = clean(raw)
    assert words(cleaned.text) <= words(raw)
    assert words(cleaned.title or "") <= words(raw)


@settings(max_examples=300, deadline=None)
@given(articles)
def test_cleaning_twice_equals_cleaning_once(raw: str) -> None:
    """Cleaned text is a fixed point: a second pass removes nothing more."""
    once = clean(raw).text
    assert clean(once, find_title=False).text == once
