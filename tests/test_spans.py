"""Spans: every quote, condition and date expression located in the cleaned and raw text,
by the same matcher that decides grounding."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from summarize.articles import read_file
from summarize.clean import BULLET, STRAIGHT, clean, normalize, normalize_for_match
from summarize.client import ModelClient
from summarize.loopback import QueueResponder
from summarize.options import BriefOptions
from summarize.pipeline import brief_article, check_grounding
from summarize.prompts import load_prompt
from summarize.schema import ExtractedThreat, ResolvedDate
from summarize.spans import Haystack, RawMap, _fold_map, clean_line, locate
from tests.conftest import SEED_000, extraction

# Characters that matching treats specially: typographic quotes and spaces, zero-width
# characters, case that folds to more than one character, line breaks of every kind.
TRICKY = list(
    "ab Ab.,-\n\t\r\f\u00a0\u2009\u200b\ufeff\u2018\u2019\u201c\u201d'\"\u00dfS\u0130\ufb01\u2028"
)
texts = st.text(alphabet=st.sampled_from(TRICKY), max_size=80)


def normal(text: str, *, ignore_case: bool = False) -> str:
    folded = normalize_for_match(text)
    return folded.casefold() if ignore_case else folded


# Cleaned articles: words, single spaces and paragraph breaks, which take a fast path.
cleaned_like = st.lists(
    st.tuples(
        st.text(alphabet="ab\u2019", min_size=1, max_size=4), st.sampled_from([" ", "\n\n", "\n"])
    )
).map(lambda parts: "".join(word + gap for word, gap in parts))


@given(st.one_of(texts, cleaned_like))
def test_the_offset_map_reads_text_exactly_as_normalize_for_match_does(text: str) -> None:
    matchable, offsets = _fold_map(text)
    assert matchable == normalize_for_match(text)
    _, fast = _fold_map(text, with_text=False)
    assert [fast[i] for i in range(len(matchable))] == [offsets[i] for i in range(len(matchable))]
    found_in = Haystack(text)  # which skips testing the gaps again when they were plain
    assert found_in.matchable == matchable
    assert [found_in._origin[i] for i in range(len(matchable))] == [
        offsets[i] for i in range(len(matchable))
    ]
    origin = [offsets[i] for i in range(len(matchable))]
    assert origin == sorted(set(origin))  # in order, no character twice
    for index, source in enumerate(origin):  # each character is its source, straightened
        expected = " " if text[source].isspace() else STRAIGHT.get(text[source], text[source])
        assert matchable[index] == expected


@settings(max_examples=300, deadline=None)  # its first example compiles the scan's heads
@given(texts, st.data(), st.booleans(), st.booleans())
def test_every_span_holds_the_quote_and_found_means_grounded(
    text: str, data: st.DataObject, ignore_case: bool, whole_words: bool
) -> None:
    """text[start:end], normalised, equals the quote, normalised; a quote is found (has a
    span) exactly when grounding's containment test says it occurs."""
    start = data.draw(st.integers(0, len(text)))
    quote = text[start : data.draw(st.integers(start, len(text)))]
    quote = data.draw(st.sampled_from([quote, quote.upper(), quote + "b", " " + quote]))
    article = Haystack(text)
    if whole_words:  # a date expression's rule: fewer places, each still the quote
        every = set(article.spans(quote, ignore_case=ignore_case))
        assert set(article.spans(quote, ignore_case=ignore_case, whole_words=True)) <= every
    spans = article.spans(quote, ignore_case=ignore_case)
    for begin, end in spans:
        held = text[begin:end]
        assert normal(held, ignore_case=ignore_case) == normal(quote, ignore_case=ignore_case)
    assert bool(spans) == article.contains(quote, ignore_case=ignore_case)
    assert [b for b, _ in spans] == sorted({b for b, _ in spans})  # in order, none twice
    if not ignore_case and normal(quote):
        assert bool(spans) == (normal(quote) in normal(text))  # grounding's definition


def test_a_quote_found_twice_records_both_places() -> None:
    text = "He said \u201cno deal\u201d.\n\nLater:  \u201cNo   deal\u201d again."
    article = Haystack(text)
    assert article.spans('"no deal"') == [(8, 17)]
    both = article.spans('"no deal"', ignore_case=True)
    assert [text[b:e] for b, e in both] == ["\u201cno deal\u201d", "\u201cNo   deal\u201d"]


def test_an_empty_or_blank_quote_is_never_found() -> None:
    assert Haystack("some text").spans("  ") == []
    assert not Haystack("some text").contains("")


def test_a_date_expression_matches_whole_words_only() -> None:
    article = Haystack("The Mayor spoke in May. may-day.")
    spans = article.spans("may", ignore_case=True, whole_words=True)
    assert [article.text[b:e] for b, e in spans] == ["May", "may"]


def test_a_date_is_located_as_written_before_case_is_ignored() -> None:
    text = "Talks may resume in May. By monday, or Monday at the latest."
    dates = [
        ResolvedDate(text="May", date="2025-05", event="talks"),
        ResolvedDate(text="MONDAY", date=None, event="deadline"),
    ]
    locate([], dates, text, text)
    assert [text[b:e] for b, e in dates[0].spans] == ["May"]
    assert [text[b:e] for b, e in dates[1].spans] == ["monday", "Monday"]
    assert dates[1].raw_spans == dates[1].spans  # the text was clean already


LINE_CHARS = "abc \t\u00a0\u2019\u201c\u200b"
raw_lines = st.lists(
    st.one_of(
        st.text(
            alphabet=st.sampled_from(list(LINE_CHARS)),
            min_size=1,
            max_size=30,
        ),
        st.sampled_from(["Share on Facebook", "\u2022 a bullet point", "", "Related"]),
    ),
    min_size=1,
    max_size=8,
)


@settings(max_examples=200)
@given(raw_lines, st.sampled_from(["\n", "\r\n", "\r"]), st.data())
def test_a_span_maps_back_to_the_same_words_in_the_raw_text(
    lines: list[str], newline: str, data: st.DataObject
) -> None:
    raw = newline.join(lines)
    cleaned = clean(raw, find_title=False).text
    if not cleaned:
        return
    paragraphs = cleaned.split("\n\n")
    line = data.draw(st.sampled_from(paragraphs))
    start = data.draw(st.integers(0, len(line) - 1))
    quote = line[start : data.draw(st.integers(start + 1, len(line)))]
    raw_map = RawMap.build(raw, cleaned)
    for span in Haystack(cleaned).spans(quote):
        raw_span = raw_map.raw_span(span)
        assert raw_span is not None  # every kept line is traced back
        if "\n" not in cleaned[span[0] : span[1]]:
            assert normal(raw[raw_span[0] : raw_span[1]]) == normal(quote)


def test_a_line_cleaning_changed_beyond_tracing_gets_no_raw_offsets() -> None:
    raw_map = RawMap.build("first line\nsecond line", "first line\n\nrewritten line")
    assert raw_map.raw_span((0, 5)) == (0, 5)
    assert raw_map.raw_span((12, 21)) is None


def test_a_brief_carries_spans_for_evidence_conditions_and_dates_and_none_for_invented_ones(
    client: ModelClient, queue: QueueResponder
) -> None:
    invented = "The United States will sanction Pyongyang next week."
    threat = {
        **extraction()["threats"][0],
        "evidence": ["We will not hesitate to do so in the future.", invented],
        "conditions": ["IF NECESSARY"],
        "deadline": "Monday",
    }
    queue.push(*[extraction(threats=[threat])] * 3)
    article = read_file(SEED_000)
    brief = brief_article(article, client, load_prompt(), BriefOptions())
    text = clean(article.text).text
    got = brief.threats[0]
    quote, missing = got.evidence_spans
    assert quote.found
    assert len(quote.spans) == 1
    begin, end = quote.spans[0]
    assert text[begin:end] == "We will not hesitate to do so in the future."
    raw_begin, raw_end = quote.raw_spans[0] or (0, 0)
    assert article.text[raw_begin:raw_end] == "We will not hesitate to do so in the future."
    assert (missing.found, missing.spans, missing.raw_spans) == (False, [], [])
    assert brief.grounding is not None
    assert brief.grounding.ungrounded == [invented]
    (condition,) = got.condition_spans
    assert [text[b:e] for b, e in condition.spans] == ["if necessary"]
    assert got.deadline is not None
    assert [text[b:e] for b, e in got.deadline.spans] == ["Monday", "Monday"]
    monday = next(d for d in brief.dates if d.text == "Monday")
    assert len(monday.spans) == 2
    assert len(monday.raw_spans) == 2
    record = json.loads(brief.model_dump_json())
    assert record["threats"][0]["evidence_spans"][0]["spans"] == [[begin, end]]
    assert record["dates"][0]["spans"]


def test_grounding_and_spans_agree_on_every_item() -> None:
    text = clean(SEED_000.read_text(encoding="utf-8")).text
    threat = ExtractedThreat(
        issuer="United States",
        targets=["North Korea"],
        action="sanction",
        category="sanctions",
        conditions=["if Necessary", "if Russia buys arms"],
        evidence=["\u201cNot productive\u201d", "not   productive", "not productive"],
    )
    grounding = check_grounding([threat], text)
    article = Haystack(text)
    assert grounding.ungrounded == ["\u201cNot productive\u201d", "if Russia buys arms"]
    assert [bool(article.spans(q)) for q in threat.evidence] == [False, True, True]


def test_a_case_insensitive_match_never_splits_a_character_that_folds_to_two() -> None:
    """'ß' folds to 'ss': an 's' inside it is no occurrence, 'SS' is."""
    article = Haystack("Stra\u00dfe")
    assert article.spans("s", ignore_case=True) == [(0, 1)]
    assert article.spans("SS", ignore_case=True) == [(4, 5)]


@given(st.text(alphabet=st.sampled_from([*TRICKY, "\u2022", "*", "-", "\v"]), max_size=40))
def test_a_raw_line_is_cleaned_as_cleaning_does_and_each_character_traced(raw: str) -> None:
    raw = raw.replace("\n", " ").replace("\r", " ")
    line, source = clean_line(raw)
    assert line == BULLET.sub("", normalize(raw))
    for index, char in enumerate(line):
        original = raw[source(index)]
        assert char == (" " if original in " \t\f\v" else STRAIGHT.get(original, original))
