"""Cleaning removes the page chrome the seeds show and keeps every story sentence."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from summarize.clean import clean, normalize_for_match
from tests.conftest import SEED_000, SEED_001, SEED_004

CHROME = {
    SEED_000: [
        "North KoreaNorth Korea- Russia sanctionsRussiaRussia sanctions",  # glued tag cloud
    ],
    SEED_001: [
        "Oops!",
        "Something went wrong.",
        "Please try again later.",
        "Ukrainska Pravda is the place where you will find",
        "Follow us on Twitter, support us, or become our patron!",
    ],
    SEED_004: [
        "Share on facebook",
        "Share on whatsapp",
        "Share on telegram",
        "This story originally appeared on thehill.com read the full story",
        "Support fearless, independent journalism",
        "our readers support us. Donate any amount over $2.",
        "Support us just once",
        "We accept support of any size",
        "Related",
        "More",
        "1 2 3 6,013",
        "Don't Miss",
    ],
}

STORY = {
    SEED_000: [
        "The United States said on Monday that it would not hesitate to impose sanctions",
        "We will not hesitate to do so in the future.",
        "Russian Defense Minister Sergei Shoigu arrived in Pyongyang on Tuesday last week",
        "Yonhap reported. Refers.",
        "the security agenda facing the two countries. Thoughts shared.",
    ],
    SEED_001: [
        "is ready to impose new sanctions without hesitation if both countries violate",
        "Source: Matthew Miller, spokesperson for the US Department of State",
        'Quote: "I will remind both countries that any transfer of arms',
        "Details: He added that the United States will closely monitor",
        "On 4 September, The New York Times reported",
        "Several media outlets reported on 11 September",
        "His last trip abroad in 2019 was also for a summit with Putin.",
    ],
    SEED_004: [
        "Russian President Vladimir Putin thanked North Korean leader Kim Jong Un on Tuesday",
        "Last week, the Biden administration announced hundreds of new measures",
        "Putin said Russia and North Korea will develop trade systems not controlled by the U.S.",
        "Russia was not included in the conference.",
    ],
}


def sentences(text: str) -> list[str]:
    """Sentence-ish units of a text, for checking none of the story went missing."""
    flat = normalize_for_match(text)
    return [s for s in re.split(r"(?<=[.!?\"])\s+(?=[A-Z\"])", flat) if len(s.split()) >= 4]


@pytest.mark.parametrize("seed", list(CHROME), ids=lambda p: p.stem)
def test_every_chrome_line_is_removed(seed: Path) -> None:
    """None of the page chrome in a seed survives cleaning."""
    cleaned = clean(seed.read_text())
    lines = cleaned.text.split("\n")
    flat = normalize_for_match(cleaned.text)
    for chrome in CHROME[seed]:
        needle = normalize_for_match(chrome)
        # Short chrome ("More") is a whole line; longer chrome must not survive anywhere.
        assert needle not in lines if len(needle) <= 20 else needle not in flat, chrome
    assert "Share on" not in cleaned.text
    assert "Oops" not in cleaned.text


@pytest.mark.parametrize("seed", list(STORY), ids=lambda p: p.stem)
def test_named_story_sentences_are_kept(seed: Path) -> None:
    """Story sentences, including labelled lines such as 'Source:', survive cleaning."""
    cleaned = normalize_for_match(clean(seed.read_text()).text)
    for sentence in STORY[seed]:
        assert normalize_for_match(sentence) in cleaned, sentence


@pytest.mark.parametrize("seed", list(STORY), ids=lambda p: p.stem)
def test_every_story_paragraph_is_kept(seed: Path) -> None:
    """Every sentence of the raw article that is not chrome is in the cleaned text."""
    raw = seed.read_text()
    cleaned = clean(raw)
    dropped = {d.text for d in cleaned.dropped}
    kept_text = normalize_for_match(cleaned.text)
    for line in raw.splitlines():
        normalized = normalize_for_match(line).lstrip("\u2022 ")
        if not normalized or normalized in dropped:
            continue
        for sentence in sentences(normalized):
            assert sentence in kept_text, sentence


def test_section_label_and_headline_become_metadata() -> None:
    """A section label and headline at the top become section and title, not body text."""
    cleaned = clean(SEED_004.read_text())
    assert cleaned.section == "Politics"
    assert cleaned.title == "Putin arrives in North Korea promising to fight US-led sanctions"
    assert not cleaned.text.startswith("Politics")
    assert "promising to fight US-led sanctions" not in cleaned.text


def test_a_headline_without_section_becomes_the_title() -> None:
    """A lone headline line is taken as the title."""
    cleaned = clean(SEED_001.read_text())
    assert cleaned.title is not None
    assert cleaned.title.startswith("US threatens new sanctions")
    assert cleaned.section is None


def test_typographic_quotes_are_straightened_without_changing_words() -> None:
    """Curly quotes and apostrophes become straight; the words stay the same."""
    cleaned = clean("A headline\n\nHe said \u201cwe won\u2019t   hesitate.\u201d Then left.")
    assert cleaned.text == 'He said "we won\'t hesitate." Then left.'


def test_every_dropped_line_names_its_rule() -> None:
    """--explain has a rule name for every line it removed."""
    cleaned = clean(SEED_004.read_text())
    rules = {d.rule for d in cleaned.dropped}
    assert {
        "share button",
        "appeal to the reader",
        "syndication note",
        "numbers and symbols",  # the pagination "1 2 3 6,013"
        "trailer heading",
        "section label",
        "after the story",  # the long donation appeal, prose in the page's own voice
    } <= rules
    assert all(d.line >= 1 and d.text and d.rule for d in cleaned.dropped)


def test_a_story_line_mentioning_support_is_kept() -> None:
    """Ordinary uses of 'support' are story, not a donation appeal."""
    line = "Putin thanked Kim Jong Un for his country's support in the war."
    assert clean(f"Title\n\n{line}").text == line


def test_bullets_lose_their_glyph_but_not_their_words() -> None:
    """A bulleted background item keeps its text without the bullet glyph."""
    text = "Headline here\n\nFirst paragraph of the story.\n\n  \u2022 On 4 September, talks began."
    assert clean(text).text.endswith("On 4 September, talks began.")


@pytest.mark.parametrize(
    "first_line",
    [
        "Story one. If other tariffs are not dropped, I will raise them,",
        "The minister said on Monday that talks would resume",
    ],
)
def test_a_first_line_of_prose_is_not_taken_for_a_headline(first_line: str) -> None:
    """Two sentences on a line, a trailing comma, or a run-on into the next line is prose."""
    raw = f"{first_line}\nand the ministry confirmed it later.\nA second paragraph.\n"
    cleaned = clean(raw)
    assert cleaned.title is None
    assert cleaned.text.startswith(first_line)
