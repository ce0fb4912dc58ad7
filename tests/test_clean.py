"""Cleaning removes page chrome by the shape and place of a line, never a sentence of
the story for a phrase in it; the seeds, the issue's examples and corpus evidence."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from summarize.clean import clean, normalize, normalize_for_match
from summarize.data import Article
from summarize.evaluation.cleaning import load_pages
from summarize.linefreq import for_article, repeated_lines
from tests.conftest import ROOT, SEED_000, SEED_001, SEED_004

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


# --- shape and place, not phrases (issue 10) ---------------------------------------------

STORY_PARAGRAPHS = [
    "The United States said on Monday that it would impose new sanctions on Russia and "
    "North Korea if arms transfers between the two countries continued this year.",
    "State Department spokesman Matthew Miller told reporters that Washington would not "
    "hesitate to act, and that allies in Europe and Asia had been briefed on the plans.",
    "Russian officials dismissed the warning. The Kremlin said the talks with Pyongyang "
    "were a sovereign matter and that sanctions had never changed Moscow's course.",
    "Analysts said the measures could target shipping companies and banks in both "
    "countries, as earlier rounds of sanctions had done since the start of the war.",
]
ALLIES = '"Our allies must support us now or face sanctions," he said.'
THANKED = "Putin thanked Kim Jong Un for his country's support in the war."
VOA_LINE_31 = Path(__file__).parent / "data" / "voa-8009973.jsonl"


def page(*lines: str) -> str:
    return "\n".join(lines)


def test_the_voa_story_that_mentions_donating_is_kept_whole() -> None:
    """Line 31 of the shared VOA corpus: 5,744 characters on one line, saying someone
    "wanted to donate them to China". It used to clean to nothing."""
    from summarize.articles import read_corpus
    from summarize.pipeline import clean_article

    (article,) = read_corpus(VOA_LINE_31)
    assert isinstance(article, Article)
    cleaned = clean_article(article)
    assert "wanted to donate them to China" in cleaned.text
    assert cleaned.text == normalize_for_match(article.text)
    assert cleaned.dropped == ()


@pytest.mark.parametrize("sentence", [ALLIES, THANKED])
@pytest.mark.parametrize("where", ["between", "last", "after an ad"])
def test_the_example_sentences_are_kept_wherever_they_stand(sentence: str, where: str) -> None:
    """Phrase rules ("support us", "support") never drop a sentence of the story."""
    body = list(STORY_PARAGRAPHS)
    if where == "between":
        body.insert(2, sentence)
    elif where == "last":
        body.append(sentence)
    else:
        body += ["Advertisement", sentence]
    raw = page("Share on Threads", "US warns Russia and North Korea of new sanctions", *body)
    assert sentence in clean(raw).text.split("\n\n")


def test_a_sentence_holding_chrome_words_is_kept_a_short_appeal_is_not() -> None:
    sentence = (
        "Officials urged residents to sign up for evacuation alerts and to share the "
        "warnings with neighbours, the ministry said."
    )
    raw = page(*STORY_PARAGRAPHS[:2], sentence, *STORY_PARAGRAPHS[2:], "Sign up for our newsletter")
    cleaned = clean(raw)
    assert sentence in cleaned.text
    assert "Sign up for our newsletter" not in cleaned.text


def test_a_subheading_between_paragraphs_stays_a_short_line_between_chrome_goes() -> None:
    raw = page(
        "Menu",
        "Opinion",
        "Sign in",
        *STORY_PARAGRAPHS[:2],
        "Sanctions threat",
        *STORY_PARAGRAPHS[2:],
        "Topics",
        "Join the conversation",
        "Privacy policy",
    )
    cleaned = clean(raw)
    kept = cleaned.text.split("\n\n")
    assert "Sanctions threat" in kept
    assert "Opinion" not in kept
    assert "Join the conversation" not in kept
    rules = {d.text: d.rule for d in cleaned.dropped}
    assert rules["Join the conversation"] == "after the story"


def test_other_stories_headlines_between_paragraphs_are_dropped() -> None:
    """Related headlines carry other stories' threats: they must not reach the model."""
    related = [
        "Iran threatens to close Strait of Hormuz over new sanctions",
        "China warns Taiwan of consequences after drills",
    ]
    raw = page(*STORY_PARAGRAPHS[:2], "Related coverage", *related, *STORY_PARAGRAPHS[2:])
    cleaned = clean(raw)
    for headline in related:
        assert headline not in cleaned.text
    assert all(p in cleaned.text for p in STORY_PARAGRAPHS)


@pytest.mark.parametrize(
    "chrome",
    [
        ["This website uses cookies", "OK, got it"],
        ["World"],
        ["Register", "Log in"],
        ["Home > World > Europe"],
    ],
)
def test_page_chrome_above_the_headline_never_becomes_the_title(chrome: list[str]) -> None:
    """The four chrome lines the issue saw sent to the model as headlines."""
    headline = "US warns Russia and North Korea of new sanctions over arms deal"
    cleaned = clean(page(*chrome, headline, "By Jane Doe", *STORY_PARAGRAPHS))
    assert cleaned.title == headline
    without_headline = clean(page(*chrome, "By Jane Doe", *STORY_PARAGRAPHS))
    assert without_headline.title not in chrome


def test_every_kept_line_names_its_raw_line_number() -> None:
    raw = page(
        "Menu", "", "  \u2022 " + STORY_PARAGRAPHS[0], "Advertisement", *STORY_PARAGRAPHS[1:]
    )
    cleaned = clean(raw)
    raw_lines = raw.split("\n")
    assert cleaned.lines == (3, 5, 6, 7)
    for number, kept in zip(cleaned.lines, cleaned.text.split("\n\n"), strict=True):
        assert kept in raw_lines[number - 1]


def test_removed_share_counts_chrome_not_the_title() -> None:
    chrome = ["Share on Threads", "Copy URL", "Advertisement", "Scroll to continue"]
    cleaned = clean(page("US warns Russia of sanctions", *chrome, STORY_PARAGRAPHS[0]))
    removed = sum(map(len, chrome))
    assert cleaned.removed_share == pytest.approx(removed / cleaned.chars_in)


# --- corpus evidence ----------------------------------------------------------------------

PUBLISHER_LINE = (  # a publisher's standing note: a sentence, kept when seen once
    "This article was produced with support from the Civic Journalism Fund, which had no "
    "say over its content."
)


def articles_sharing(line: str) -> list[str]:
    """Three different stories of the dev set, each ending with `line`."""
    pages = load_pages(ROOT / "evals" / "cleaning" / "pages.jsonl")[3:6]
    stories = [[t for t, label in p.lines if label == "story"] for p in pages]
    return [page(*story, line) for story in stories]


def test_a_line_repeated_across_articles_of_a_run_is_dropped() -> None:
    texts = articles_sharing(PUBLISHER_LINE)
    assert PUBLISHER_LINE in clean(texts[0]).text  # alone, the cleaner keeps it
    repeated = repeated_lines(texts)
    assert repeated == {PUBLISHER_LINE: 3}
    cleaned = clean(texts[0], repeated=for_article(texts[0], repeated))
    assert PUBLISHER_LINE not in cleaned.text
    assert [d.rule for d in cleaned.dropped] == ["repeated in 3 articles"]
    assert cleaned.text.split("\n\n") == normalize(texts[0]).split("\n")[:-1]


def test_two_articles_are_not_evidence() -> None:
    assert repeated_lines(articles_sharing(PUBLISHER_LINE)[:2]) == {}


def test_near_duplicate_articles_keep_their_story() -> None:
    """Three versions of one story share most lines: that is the story, not chrome."""
    versions = [page(*STORY_PARAGRAPHS, f"Updated at {hour}:00 GMT.") for hour in (9, 10, 11)]
    repeated = repeated_lines(versions)
    assert STORY_PARAGRAPHS[0] in repeated
    assert for_article(versions[0], repeated) == {}


def test_on_topic_story_prose_shared_by_articles_is_kept() -> None:
    """A sentence of the story that other articles of the run repeat (a standard
    background paragraph) is still this story's: corpus evidence never removes it."""
    text = articles_sharing(PUBLISHER_LINE)[0]
    background = normalize(text).split("\n")[3]
    cleaned = clean(text, repeated={background: 3, normalize(PUBLISHER_LINE): 3})
    assert background in cleaned.text.split("\n\n")
    assert [d.text for d in cleaned.dropped] == [PUBLISHER_LINE]


def test_an_authors_bio_below_the_story_goes_a_person_of_the_story_stays() -> None:
    story = articles_sharing("")[0].split("\n")[:-1]
    bio = "Jane Smith is the foreign affairs editor of The Morning Wire."
    assert bio not in clean(page(*story, bio)).text
    person = "Mohamed Abdullahi Mohamed is Somalia's president, known by his nickname Farmajo."
    assert person in clean(page(*story, person)).text.split("\n\n")
