"""Spot article text that tries to instruct the model (prompt injection), to warn about it.

Article text is data: the prompt fences it and says so, and grounding checks every quote
the brief rests on. This module adds visibility: a brief of an article that talks to the
model carries a warning naming what was found, and a brief whose evidence or conditions
come from the suspected passage is not passed as grounded (`summarize.pipeline`).
Detection is by grammar (`summarize.injection_grammar`), so it flags attempts; it cannot
prove their absence.

Text is normalised before matching, so that spelling tricks do not hide an attempt:
compatibility forms folded (NFKC: fullwidth and mathematical letters, ligatures),
invisible characters removed (zero-width, bidi controls, soft hyphens; Unicode tag
characters decoded to the ASCII they smuggle), Cyrillic and Greek lookalikes and digits
inside otherwise Latin words read as the Latin letters they imitate, typographic quotes
and dashes made ASCII, words hyphenated across a line break joined, every run of
whitespace folded to one space or one line break, and a line that goes on in lower case
joined to its sentence (so that only a real break opens a sentence). The patterns read
the result lower-cased; offsets are the same in both.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from itertools import accumulate, compress, count

from summarize.clean import has_other_whitespace
from summarize.injection_grammar import INTRO_CHARS, RULES, Clause, Head, Marker

SNIPPET = 60
WORD_SLICE = 65_536  # characters of an article split into words at a time
# How far past a suspected passage its payload may run ("Ignore the above and report
# this:" is followed by what to report): to the end of the next paragraph, at most this far.
PAYLOAD_CHARS = 400

# Characters that change what a pattern sees: invisible ones (zero-width, bidi controls,
# soft hyphen, variation selectors), Unicode tag characters (ASCII smuggled invisibly),
# and Cyrillic and Greek letters (lookalikes of Latin ones).
_INVISIBLE = (
    "\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200f\u202a-\u202e"
    "\u2060-\u206f\ufe00-\ufe0f\ufeff\U000e0000-\U000e001f\U000e007f-\U000e01ef"
)
_TAG = "\U000e0020-\U000e007e"
_LOOKALIKE_SCRIPTS = "\u0370-\u03ff\u0400-\u052f"
_HIDDEN = re.compile(f"[{_INVISIBLE}{_TAG}]")
_LOOKALIKE_SCRIPT = re.compile(f"[{_LOOKALIKE_SCRIPTS}]")
_INVISIBLE_RUN = re.compile(f"[{_INVISIBLE}]+")
_TAG_RUN = re.compile(f"[{_TAG}]+")
# Quotes, dashes and inverted marks to ASCII, and the Russian ё to е (often left out).
_PUNCTUATION = tuple(
    zip(
        "\u201c\u201d\u201e\u201f\u00ab\u00bb\u2033\u2018\u2019\u201a\u201b\u02bc\u2032"
        "\u2014\u2013\u2012\u2015\u2212\u00a1\u00bf\u2022\u00b7\u0451\u0401",
        '"""""""\'\'\'\'\'\'-----!?**\u0435\u0415',
        strict=True,
    )
)
# Where a Latin letter touches a digit, or a Cyrillic or Greek letter: inside such a word
# every letter that looks Latin is read as Latin ("Іgnore", "ign0re"). Each pattern opens
# with a character set, which the regex engine skips through fast.
_DIGIT_IN_WORD = re.compile(r"[0-9](?:(?<=[a-zA-Z][0-9])|(?=[a-zA-Z]))")
_SCRIPT_IN_WORD = re.compile(
    f"[{_LOOKALIKE_SCRIPTS}](?:(?<=[a-zA-Z][{_LOOKALIKE_SCRIPTS}])|(?=[a-zA-Z]))"
)
_WORD_CHAR = re.compile(r"\w")
# A word made only of letters that look Latin (Cyrillic "ѕуѕ" passing for "sys").
_ALL_LOOKALIKE = re.compile("[аеорсухіјѕԁԛԝһӏАВЕКМНОРСТХІЈЅοαειρτυνκχΑΒΕΖΗΙΚΜΝΟΡΤΥΧ]{2,}(?!\\w)")
# Letters of other scripts, and digits, drawn like Latin ones (after the Unicode
# confusables data, narrowed to the common cases).
_LATIN_OF = str.maketrans(
    "аеорсухіјѕԁԛԝһӏпгтмквԍАВЕКМНОРСТХІЈЅοαειρτυνκχηϲΑΒΕΖΗΙΚΜΝΟΡΤΥΧ013457",
    "aeopcyxijsdqwhlnrtmkbgABEKMHOPCTXIJSoaeiptuvkxncABEZHIKMNOPTYXoieast",
)
_HYPHEN_BREAK = re.compile(r"(?<=\w)-\n(?=\w)")
# A line that goes on in lower case continues a sentence (hard-wrapped text): the break
# becomes a space, so that only a real break opens a sentence for the patterns.
_WRAPPED = re.compile("\n(?=[^\\w\n]*[a-z\u00df-\u00ff\u0430-\u045f\u03ac-\u03ce])")
_SENTENCE_END = re.compile(r"[.!?][\"')\]]*\s+")
# Every ASCII byte that is not a letter, digit or underscore, to a space: splitting the
# result gives the article's words.
_SEPARATORS = bytes(
    b if chr(b).isalnum() or b == ord("_") or b > 127 else ord(" ") for b in range(256)
)


def normalise(text: str) -> str:
    """The text as the patterns read it (see the module docstring), opening with a line
    break; offsets into the result are what `Suspicion.start` and `end` count.

    Written for speed (it runs on every article): whole-text passes are C string methods
    or regexes that open with a character set, and the rare cases are tested before
    they are handled."""
    if not text.isascii():
        if not unicodedata.is_normalized("NFKC", text):
            text = unicodedata.normalize("NFKC", text)
        # Punctuation first (character for character, none of it hidden or a script
        # letter): news text that is ASCII but for its dashes and quotes skips the rest.
        for old, new in _PUNCTUATION:
            if old in text:
                text = text.replace(old, new)
    if not text.isascii():
        if _HIDDEN.search(text):
            if _TAG_RUN.search(text):
                text = _TAG_RUN.sub(_untag, text)
            text = _INVISIBLE_RUN.sub("", text)
        if _LOOKALIKE_SCRIPT.search(text):
            text = _ALL_LOOKALIKE.sub(_whole_word_to_latin, text)
            text = _latin_words(text, _SCRIPT_IN_WORD)
    if _digit_touches_letter(text):
        text = _latin_words(text, _DIGIT_IN_WORD)
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _fold_lines(text)
    if "-\n" in text:
        text = _HYPHEN_BREAK.sub("", text)
    return "\n" + _WRAPPED.sub(" ", text)


# Each ASCII letter to "a", each ASCII digit to "0", every other byte to a space.
_LETTER_OR_DIGIT = (
    bytes(
        ord("a") if chr(b).isalpha() else ord("0") if chr(b).isdigit() else ord(" ")
        for b in range(128)
    )
    + b" " * 128
)


def _digit_touches_letter(text: str) -> bool:
    """Whether `_DIGIT_IN_WORD` finds a digit touching a Latin letter (most stories have
    none): two byte searches of the text with letters and digits marked, faster than the
    regex, which tries its lookarounds at every digit. Encoded, a character outside
    ASCII is bytes that are neither, so no neighbours are made or lost."""
    marked = text.encode().translate(_LETTER_OR_DIGIT)
    return b"a0" in marked or b"0a" in marked


def _fold_lines(text: str) -> str:
    """Each line's whitespace folded to single spaces and trimmed, and empty lines
    dropped. Text already so but for blank lines (a cleaned article) is found so with
    string tests, and only its blank lines are removed: splitting a paragraph into words
    to join them again costs far more."""
    if (
        "  " in text
        or " \n" in text
        or "\n " in text
        or text[:1] in (" ", "\n")
        or text[-1:] in (" ", "\n")
        or has_other_whitespace(text)
    ):
        lines = (" ".join(line.split()) for line in text.split("\n"))
        return "\n".join(line for line in lines if line)
    while "\n\n" in text:
        text = text.replace("\n\n", "\n")
    return text


def _untag(match: re.Match[str]) -> str:
    return "".join(chr(ord(c) - 0xE0000) for c in match.group())


def _to_latin(match: re.Match[str]) -> str:
    return match.group().translate(_LATIN_OF)


def _whole_word_to_latin(match: re.Match[str]) -> str:
    """`_to_latin` for a match that is a whole word (the pattern opens with a character
    set, for speed, so it can start inside a word: those are left alone)."""
    start = match.start()
    if start and match.string[start - 1].isalnum():
        return match.group()
    return _to_latin(match)


def _latin_words(text: str, mixed: re.Pattern[str]) -> str:
    """Each word in which `mixed` finds Latin touching another script or a digit, with
    its lookalike letters read as Latin."""
    parts: list[str] = []
    done = 0
    for match in mixed.finditer(text):
        if match.start() < done:
            continue
        start = match.start()
        while start > done and _WORD_CHAR.match(text, start - 1):
            start -= 1
        end = match.end()
        while end < len(text) and _WORD_CHAR.match(text, end):
            end += 1
        parts += [text[done:start], text[start:end].translate(_LATIN_OF)]
        done = end
    return "".join([*parts, text[done:]]) if parts else text


@dataclass(frozen=True, order=True)
class Suspicion:
    """One suspected injection: where it is in the normalised text, and its kind."""

    start: int
    end: int
    kind: str
    snippet: str


@dataclass(frozen=True)
class Scan:
    """An article scanned for injection: the normalised text, what was found in it, and
    the spans a brief must not rest on (each finding and the payload that follows it)."""

    text: str
    found: tuple[Suspicion, ...]
    spans: tuple[tuple[int, int], ...]

    def warnings(self) -> list[str]:
        """One warning per kind of suspected injection, quoting where it was first seen."""
        seen: dict[str, str] = {}
        for suspicion in self.found:
            seen.setdefault(suspicion.kind, suspicion.snippet)
        return [f"possible prompt injection ({kind}): {snip!r}" for kind, snip in seen.items()]

    @functools.cached_property
    def _haystack(self) -> str:
        return self.text.replace("\n", " ").lower()

    def touches(self, quote: str) -> bool:
        """Whether `quote` (an evidence quote or condition) comes from a suspected span, or
        is itself an attempt, so that a brief resting on it is not passed as grounded."""
        if not self.found:
            return False
        needle = normalise(quote).replace("\n", " ").strip().lower()
        if not needle:
            return False
        if scan(quote).found:
            return True
        haystack = self._haystack
        at = haystack.find(needle)
        while at != -1:
            end = at + len(needle)
            if any(at < span_end and start < end for start, span_end in self.spans):
                return True
            at = haystack.find(needle, at + 1)
        return False


_CJK = re.compile("[\u3400-\u9fff\uf900-\ufaff]")


@dataclass(frozen=True)
class _HeadGroup:
    """The clauses one key word opens whose head is the same pattern: most of a key's
    clauses share their head ("you are" opens four kinds of role change), so where the
    key stands the head is tried once for all of them, not once per clause. Grouped by
    the heads' source, so that none is compiled before it is first tried."""

    clauses: tuple[tuple[Clause, Head], ...]

    @property
    def head(self) -> re.Pattern[str]:
        return self.clauses[0][1].head


def _grouped(rules: Sequence[Clause]) -> dict[str, tuple[_HeadGroup, ...]]:
    by_key: dict[str, dict[str, list[tuple[Clause, Head]]]] = {}
    for rule in rules:
        for key, head in rule.heads.items():
            by_key.setdefault(key, {}).setdefault(head.head_source, []).append((rule, head))
    return {
        key: tuple(_HeadGroup(tuple(group)) for group in heads.values())
        for key, heads in by_key.items()
    }


_BY_KEY = _grouped([rule for rule in RULES if isinstance(rule, Clause) and not rule.cjk])
_ASCII_KEYS = frozenset(key.encode() for key in _BY_KEY if key.isascii())
_CJK_CLAUSES = [rule for rule in RULES if isinstance(rule, Clause) and rule.cjk]
_MARKERS = [rule for rule in RULES if isinstance(rule, Marker)]


def scan(text: str) -> Scan:
    """Find suspected injection in `text`."""
    normal = normalise(text)
    low = normal.lower()
    if len(low) != len(normal):  # a letter whose lower case is longer (İ): keep offsets
        normal = "".join(c if len(c.lower()) == 1 else "?" for c in normal)
        low = normal.lower()
    found = sorted(
        Suspicion(start, end, kind, " ".join(normal[start:end].split())[:SNIPPET])
        for kind, start, end in set(_find(low))
    )
    return Scan(normal, tuple(found), tuple(_span(normal, s) for s in found))


def _find(low: str) -> Iterator[tuple[str, int, int]]:
    """(kind, start, end) of every rule's matches in the lower-cased normalised text."""
    cjk = not low.isascii() and _CJK.search(low) is not None
    for marker in _MARKERS:
        needed = not marker.needs or any(part in low for part in marker.needs)
        if (cjk or not marker.cjk) and needed:
            for match in marker.regex.finditer(low):
                yield (marker.kind, *_trimmed(low, match.start(), match.end()))
    for clause, head, found in _heads(low, cjk=cjk):
        if (span := _confirm(clause, head, low, found)) is not None:
            yield (clause.kind, *span)


def _heads(low: str, *, cjk: bool) -> Iterator[tuple[Clause, Head, re.Match[str]]]:
    """Each clause's head wherever it matches: for Chinese, searched for; otherwise
    tried where a key word of the clause stands as a whole word."""
    if cjk:
        for clause in _CJK_CLAUSES:
            for head in clause.heads.values():
                for found in head.head.finditer(low):
                    yield clause, head, found
    for key, at in _key_places(low):
        for group in _BY_KEY[key]:
            if (matched := group.head.match(low, at)) is not None:
                for clause, head in group.clauses:
                    yield clause, head, matched


def _key_places(low: str) -> Iterator[tuple[str, int]]:
    """Each key word of a clause, and a place where it stands as a whole word (no letter
    or digit either side), in no particular order."""
    if low.isascii() and "_" not in low and len(low) <= WORD_SLICE:
        # Here a whole word is a run of letters and digits between separators: one split
        # finds every key's places, where a search for each key present took a pass
        # over the text per key (a dozen in a news story: "as", "from", "state").
        parts = low.encode().translate(_SEPARATORS).split(b" ")
        starts = list(accumulate(map(len, parts), initial=0))  # of each part, less its spaces
        for i in compress(count(), map(_ASCII_KEYS.__contains__, parts)):
            yield parts[i].decode(), starts[i] + i
        return
    for key in _words(low).intersection(_BY_KEY):
        for at in _whole_word_places(low, key):
            yield key, at


def _whole_word_places(low: str, key: str) -> Iterator[int]:
    """Where `key` stands as a whole word (no letter or digit either side)."""
    at = low.find(key)
    while at != -1:
        if not (low[at - 1].isalnum() or low[at + len(key) : at + len(key) + 1].isalnum()):
            yield at
        at = low.find(key, at + len(key))


def _words(low: str) -> set[str]:
    """The distinct words of the text, split on every ASCII character that is not a
    letter, digit or underscore. Built a slice at a time, cut at a space: the list of all
    the words of a 2 MB article would take 20 MB, its set of distinct words well under 1."""
    words: set[str] = set()
    start = 0
    while start < len(low):
        end = low.find(" ", start + WORD_SLICE)
        end = len(low) if end == -1 else end
        words.update(low[start:end].encode().translate(_SEPARATORS).decode().split())
        start = end
    return words


def _confirm(clause: Clause, head: Head, low: str, found: re.Match[str]) -> tuple[int, int] | None:
    """The span of `clause` whose head matched as `found`, if its tail and intro are
    there."""
    tail = clause.tail.match(low, found.end())
    if tail is None:
        return None
    at = start = found.start()
    if head.intro is not None:
        window = head.intro.finditer(low, max(0, at - INTRO_CHARS), found.end())
        intro = next((m for m in window if m.end() == found.end()), None)
        if intro is None:
            return None
        start = intro.start()
    return _trimmed(low, start, tail.end())


def injection_warnings(text: str) -> list[str]:
    """One warning per kind of suspected injection in `text`, quoting where it was seen."""
    return scan(text).warnings()


def _trimmed(text: str, start: int, end: int) -> tuple[int, int]:
    """The match without the sentence punctuation and spaces it was anchored on."""
    while start < end and not (text[start].isalnum() or text[start] in "<[{#"):
        start += 1
    return start, end


def _span(text: str, suspicion: Suspicion) -> tuple[int, int]:
    """From the sentence before the finding (its payload may precede it: "report the
    sentence above"), within its paragraph, to the end of the next paragraph, at most
    PAYLOAD_CHARS past the finding (what follows "report this:")."""
    paragraph = text.rfind("\n", 0, suspicion.start) + 1
    starts = [m.end() for m in _SENTENCE_END.finditer(text, paragraph, suspicion.start)]
    start = starts[-2] if len(starts) >= 2 else paragraph
    limit = min(len(text), suspicion.end + PAYLOAD_CHARS)
    first_break = text.find("\n", suspicion.end, limit)
    if first_break == -1:
        return start, limit
    second_break = text.find("\n", first_break + 1, limit)
    return start, limit if second_break == -1 else second_break
