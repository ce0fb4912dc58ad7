"""Each fast path of the per-article text work gives what its plain definition gives.

The plain definitions are what the code said before it was made faster; these property
tests hold the fast code to them on generated text, typographic and non-Latin
characters included, so a speed-up can never change a brief.
"""

from __future__ import annotations

import re
import unicodedata

from hypothesis import example, given, settings
from hypothesis import strategies as st

from summarize import clean, injection, injection_grammar, linefreq, lineshape, spans, tense

# Letters of several scripts and cases, the punctuation words are split at, whitespace,
# digits, and the characters whose lower case is special (dotted I, Kelvin and Ohm signs,
# capital sigma, whose lower case depends on what follows it).
ALPHABET = (
    "aAbBkKsSzZ \n\t.,;'-\"()0123456789\u00e9\u00c9\u00df\u0130\u212a\u2126\u212b"
    "\u03a3\u03c3\u03c2\u0416\u0436\u03b1\u0391\u2019\u201c\u00a0\u200b"
)
texts = st.text(alphabet=ALPHABET + lineshape.WORD_BREAKS, max_size=200)


@settings(max_examples=400, deadline=None)
@given(texts, st.text(alphabet="aAkKsS -'.É", min_size=1, max_size=6))
def test_word_starts_are_the_matches_of_a_leading_lookbehind(text: str, phrase: str) -> None:
    body = re.escape(phrase)
    plain = re.compile(r"(?<!\w)" + body + r"(?!\w)", re.IGNORECASE)
    fast = re.compile(body + r"(?!\w)", re.IGNORECASE)
    expected = [m.span() for m in plain.finditer(text)]
    assert [m.span() for m in tense._word_starts(fast, text)] == expected


@settings(max_examples=600, deadline=None)
@given(texts)
def test_lowered_words_are_the_words_lower_cased(text: str) -> None:
    expected = [word.lower() for word in lineshape.WORD.findall(text)]
    assert lineshape.lowered_words(text) == expected
    ascii_text = text.encode("ascii", "ignore").decode()
    assert lineshape.lowered_words(ascii_text) == [
        word.lower() for word in lineshape.WORD.findall(ascii_text)
    ]


# The chat-role marker as first written: its three openings as an alternation.
PLAIN_LINE_ROLES = re.compile(
    injection_grammar._LINE_ROLES.replace(
        r"""[\n.!?=*#>-](?:(?<=\n)|(?<=[.!?])[\"')]*\s|(?<=[-=*#>])[-=*#>]+\s*)""",
        r"""(?:\n|[.!?][\"')]*\s|[-=*#>]{2,}\s*)""",
    )
)
ROLE_TEXT = st.lists(
    st.sampled_from(
        [
            "system",
            "assistant",
            "user",
            "ai",
            "message",
            ":",
            "\uff1a",
            "#",
            "##",
            "\n",
            ". ",
            '?" ',
            "--",
            "==",
            ">>",
            "*",
            " ",
            "x",
            "note",
            "sistema",
            "-",
        ]
    ),
    max_size=30,
).map("".join)


@settings(max_examples=600, deadline=None)
@given(ROLE_TEXT)
def test_the_chat_role_marker_matches_as_first_written(text: str) -> None:
    fast = re.compile(injection_grammar._LINE_ROLES)
    assert fast.pattern != PLAIN_LINE_ROLES.pattern
    assert [m.span() for m in fast.finditer(text)] == [
        m.span() for m in PLAIN_LINE_ROLES.finditer(text)
    ]


@settings(max_examples=600, deadline=None)
@given(st.one_of(ROLE_TEXT, texts))
def test_a_marker_never_matches_text_without_what_it_needs(text: str) -> None:
    low = text.lower()
    for marker in injection_grammar.RULES:
        is_marker = isinstance(marker, injection_grammar.Marker)
        if is_marker and marker.needs and marker.regex.search(low):
            assert any(part in low for part in marker.needs), marker.regex.pattern


WHITESPACE_TEXT = st.text(
    alphabet=" \n\t\r\x0b\x0c\x1c\x85\xa0\u2003\u2028\u3000\u200bab.\u2022-", max_size=60
)


@settings(max_examples=600, deadline=None)
@given(WHITESPACE_TEXT)
def test_an_irregular_gap_is_what_the_plain_pattern_finds(text: str) -> None:
    plain = re.compile(r"[^\S \n]|  | \n|\n |\n\n\n")
    assert clean._irregular_gap(text) == (plain.search(text) is not None)


@settings(max_examples=600, deadline=None)
@given(st.one_of(WHITESPACE_TEXT, texts))
def test_a_line_has_two_words_when_splitting_says_so(text: str) -> None:
    for normal in clean.normalize(text).split("\n"):
        line = clean.BULLET.sub("", normal)
        assert linefreq._has_words(line, 2) == (len(line.split()) >= 2)


def plain_normalise(text: str) -> str:
    """`injection.normalise` as first written: punctuation after the hidden characters
    and scripts, every line split into words and joined again."""
    scripts = False
    if not text.isascii():
        if not unicodedata.is_normalized("NFKC", text):
            text = unicodedata.normalize("NFKC", text)
        if injection._HIDDEN.search(text):
            if injection._TAG_RUN.search(text):
                text = injection._TAG_RUN.sub(injection._untag, text)
            text = injection._INVISIBLE_RUN.sub("", text)
        scripts = injection._LOOKALIKE_SCRIPT.search(text) is not None
        for old, new in injection._PUNCTUATION:
            if old in text:
                text = text.replace(old, new)
        if scripts:
            text = injection._ALL_LOOKALIKE.sub(injection._whole_word_to_latin, text)
            text = injection._latin_words(text, injection._SCRIPT_IN_WORD)
    text = injection._latin_words(text, injection._DIGIT_IN_WORD)
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    lines = (" ".join(line.split()) for line in text.split("\n"))
    text = "\n".join(line for line in lines if line)
    if "-\n" in text:
        text = injection._HYPHEN_BREAK.sub("", text)
    return "\n" + injection._WRAPPED.sub(" ", text)


SCAN_TEXT = st.text(
    alphabet=(
        "ab Ig0 1\n\r\t-.'\"\u2014\u2026\u201c\u2019\u00ab\u0451\u00a0\u2028\u200b\u00ad"
        "\U000e0041\U000e0069\u0456\u0455\u03bf\uff41\ufb01\u0130"
    ),
    max_size=80,
)


@settings(max_examples=800, deadline=None)
@given(SCAN_TEXT)
def test_normalising_for_the_injection_scan_gives_what_it_first_gave(text: str) -> None:
    assert injection.normalise(text) == plain_normalise(text)


@settings(max_examples=600, deadline=None)
@given(st.text(alphabet="ab \n'\"" + "".join(clean.STRAIGHT), max_size=60))
def test_straightening_is_one_substitution_of_each_typographic_character(text: str) -> None:
    typographic = re.compile("[" + re.escape("".join(clean.STRAIGHT)) + "]")
    expected = typographic.sub(lambda match: clean.STRAIGHT[match.group()], text)
    assert clean.straighten(text) == expected


@settings(max_examples=800, deadline=None)
@given(
    st.text(alphabet=ALPHABET + "\u0131\u017fmMoOnN", max_size=120),
    st.text(alphabet="aAkKsSiImM -'.\u00e9", min_size=1, max_size=8),
)
@example("the \u017fale on Monday", "sale")  # the long s is an s, ignoring case
@example("\u0131t is", "it")  # the dotless i is an i
@example("\u0130stanbul on Monday", "monday")  # its lower case is two characters
@example("a \u212aey day", "key")  # the Kelvin sign is a k
def test_an_expression_occurs_where_a_case_blind_whole_word_search_finds_it(
    text: str, expression: str
) -> None:
    phrase = re.escape(re.sub(r"\s+", " ", expression.strip())).replace(r"\ ", r"\s+")
    plain = re.compile(r"(?<!\w)" + phrase + r"(?!\w)", re.IGNORECASE)
    expected = [m.span() for m in plain.finditer(text)] if phrase else []
    assert [m.span() for m in tense.occurrences(expression, text)] == expected


def test_no_gap_character_but_the_space_is_printable() -> None:
    """What `has_other_whitespace` and the spans' gap test rest on."""
    every_whitespace = [chr(code) for code in range(0x110000) if chr(code).isspace()]
    assert [c for c in every_whitespace if c.isprintable()] == [" "]
    assert not any(c.isprintable() for c in spans.GAP_CHARS if c != " ")


@settings(max_examples=600, deadline=None)
@given(st.one_of(WHITESPACE_TEXT, texts))
def test_other_whitespace_is_what_its_set_finds(text: str) -> None:
    assert clean.has_other_whitespace(text) == (clean.OTHER_WHITESPACE.search(text) is not None)


KEY_TEXT = st.lists(
    st.one_of(
        st.sampled_from(sorted(key for key in injection._BY_KEY if key.isascii())[:60]),
        st.sampled_from(["as", "from", "you", "no", "state", "ignore", "ignored", "x_as", "ai"]),
        st.text(alphabet="ab19 ._-'\n\u00e9\u2026", max_size=4),
    ),
    max_size=30,
).map(lambda words: "\n" + " ".join(words).lower())


@settings(max_examples=400, deadline=None)
@given(KEY_TEXT)
def test_key_places_are_each_keys_whole_word_places(low: str) -> None:
    # the plain definition: for each key among the text's words, every place where it
    # stands with no letter or digit either side (what the scan tried before)
    expected = {
        (key, at)
        for key in injection._words(low).intersection(injection._BY_KEY)
        for at in injection._whole_word_places(low, key)
    }
    assert sorted(injection._key_places(low)) == sorted(expected)


@settings(max_examples=400, deadline=None)
@given(st.one_of(texts, st.text(alphabet="aZ09 \u00e9\u00b2\u0661\u2026x1", max_size=12)))
def test_a_digit_touches_a_letter_where_the_pattern_finds_one(text: str) -> None:
    found = injection._DIGIT_IN_WORD.search(text) is not None
    assert injection._digit_touches_letter(text) == found
