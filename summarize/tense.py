"""Whether a date expression looks back or ahead, read from its own clause in the article.

"Lindner said on Wednesday that a trade war would do more harm": Wednesday belongs to
"said", so it lies in the past, whatever "would" does later in the sentence. The signal is
the verb group nearest the expression inside its clause, not any modal in the sentence:

1. a preposition right before the expression decides first: "by", "until", "till",
   "next", "coming" look ahead, "since" and "last" back;
2. the article is split into sentences, and each sentence into clauses at commas,
   semicolons, colons, dashes and the conjunctions that start a new finite verb ("and",
   "but", "while", "after", "before", "when", "because", "although");
3. from the expression, the clause is read backwards to the nearest verb marker, then
   forwards;
4. a verb marker and up to three words before it form its verb group: a past auxiliary
   ("had", "has", "was", "were", "did") makes it past ("was signed on Monday"),
   then a future marker ("will", "would", "shall", "must", "could", "may", "plans",
   "scheduled", "expected", "due", "is set") makes it future ("will be held on Monday",
   "is expected to vote Tuesday"), then a past form ("said", "met", any "-ed" word)
   makes it past;
5. present-tense verbs other than "say(s)" decide nothing: "the talks begin Monday" and
   "the ministry says" look alike without a parser, so the rule does not guess.

When the expression is not in the article (a model paraphrased it), or its clause has no
verb ("before the election in November"), the event description is read from its start,
its first verb group deciding: "Lindner said a trade war would do more harm" is past;
without an event, the nearest marker in the sentence decides. No marker at all is None,
and the caller's default (past) holds.
"""

from __future__ import annotations

import bisect
import functools
import re
from collections.abc import Iterator
from typing import Literal

# "future_in_past" is "would": ahead of a reported moment that may itself be past ("said
# the ship would depart in early February"), so it moves a weekday forward but does not
# push a month or a day into another year.
Direction = Literal["past", "future", "future_in_past"]

_SENTENCE_END = re.compile(r"(?<=[.!?])[\"'\u201d\u2019)]*\s+(?=[\"'\u201c\u2018(]?[A-Z0-9])|\n+")
_CLAUSE_BREAK = re.compile(
    r"[,;:()\u2013\u2014\"\u201c\u201d]|\s-\s|\b(?:and|but|while|after|before|when|because|although|"
    r"though|whereas|where|which|who)\b",
    re.IGNORECASE,
)
_WORD = re.compile(r"[a-z]+(?:'[a-z]+)?")

PAST_AUXILIARIES = frozenset({"had", "has", "have", "was", "were", "did", "been"})
FUTURE_MARKERS = frozenset(
    {
        "will",
        "would",
        "is",
        "are",
        "am",
        "hopes",
        "hope",
        "wants",
        "want",
        "seeks",
        "seek",
        "intend",
        "aim",
        "expects",
        "expect",
        "shall",
        "must",
        "could",
        "may",
        "might",
        "should",
        "set",
        "plans",
        "plan",
        "planned",
        "planning",
        "scheduled",
        "slated",
        "expected",
        "due",
        "upcoming",
        "intends",
        "aims",
        "going",
    }
)
# Irregular past forms a news story uses; regular ones are recognised by "-ed".
IRREGULAR_PAST = frozenset(
    {
        "said",
        "told",
        "met",
        "went",
        "came",
        "took",
        "gave",
        "made",
        "held",
        "began",
        "spoke",
        "wrote",
        "left",
        "saw",
        "sent",
        "won",
        "lost",
        "fell",
        "rose",
        "struck",
        "hit",
        "fought",
        "fled",
        "drove",
        "flew",
        "grew",
        "knew",
        "led",
        "meant",
        "paid",
        "ran",
        "sat",
        "sold",
        "stood",
        "thought",
        "understood",
        "brought",
        "bought",
        "caught",
        "found",
        "got",
        "heard",
        "kept",
        "laid",
        "lay",
        "felt",
        "rode",
        "rang",
        "shot",
        "shut",
        "sought",
        "spent",
        "split",
        "spread",
        "stole",
        "swore",
        "threw",
        "tore",
        "woke",
        "withdrew",
        "undertook",
        "became",
        "arose",
        "broke",
        "chose",
        "forbade",
        "forgave",
        "froze",
        "hid",
        "overtook",
        "overthrew",
        "sank",
        "sang",
        "slid",
        "swept",
        "taught",
        "upheld",
        "withheld",
        "says",
        "say",
        "seen",
        "done",
        "given",
        "taken",
        "gone",
        "known",
        "shown",
        "written",
        "spoken",
        "begun",
        "broken",
        "chosen",
    }
)
# "-ed" words that are not verbs in the past, or that point ahead.
_NOT_PAST_ED = frozenset(
    {
        "united",
        "hundred",
        "indeed",
        "need",
        "speed",
        "seed",
        "feed",
        "red",
        "bed",
        "shed",
        "embed",
        "proceed",
        "succeed",
        "exceed",
        "breed",
        "greed",
        "creed",
        "deed",
        "weed",
        "sped",
        "armed",
        "alleged",
        "so-called",
        "advanced",
        "limited",
        "detailed",
        "related",
        "based",
        "led",
    }
)
FUTURE_PREPOSITIONS = frozenset({"by", "until", "till", "next", "coming"})
PAST_PREPOSITIONS = frozenset({"since", "last"})
_MAX_GROUP = 3  # words before a verb marker that belong to its verb group


def _is_marker(word: str) -> bool:
    return word in PAST_AUXILIARIES or word in FUTURE_MARKERS or _is_past_form(word)


def _is_past_form(word: str) -> bool:
    if word in IRREGULAR_PAST:
        return True
    return len(word) > 4 and word.endswith("ed") and word not in _NOT_PAST_ED


SCHEDULED = frozenset({"set", "scheduled", "planned", "slated", "due", "expected"})
_PRESENT_BE = frozenset({"is", "are", "am", "be"})


def _group_direction(words: list[str], index: int) -> Direction | None:
    """The direction of the verb group ending at words[index]; None for a bare participle
    of scheduling ("a report set for release Friday"), which the main verb decides."""
    group = words[max(0, index - _MAX_GROUP) : index + 1]
    if any(w in PAST_AUXILIARIES for w in group) and words[index] not in ("has", "have"):
        return "past"
    marker = words[index]
    if (
        marker in SCHEDULED
        and not (_PRESENT_BE & set(group))
        and words[index + 1 : index + 2] != ["to"]
    ):
        return None
    if "would" in group:
        return "future_in_past"
    if any(w in FUTURE_MARKERS for w in group):
        return "future"
    return "past"


_MAY = re.compile(r"\bMay\b")  # the month, not the modal
_IS = re.compile(r"\b(there|it|that|what|he|she)'s\b", re.IGNORECASE)
_WONT = re.compile(r"won't\b", re.IGNORECASE)
_WILL = re.compile(r"'ll\b")


def _words(text: str) -> list[str]:
    text = text.replace("\u2019", "'")
    if "May" in text:
        text = _MAY.sub("month", text)
    if "'" in text:  # each contraction pattern holds one
        text = _WILL.sub(" will", _WONT.sub("will not", _IS.sub(r"\1 is", text)))
    return _WORD.findall(text.lower())


def _nearest(words: list[str], start: int, step: int, *, strong: bool = False) -> int | None:
    """The index of the nearest verb marker; `strong` skips the present of "be"."""
    index = start
    while 0 <= index < len(words):
        if _is_marker(words[index]) and not (strong and words[index] in _PRESENT_BE):
            return index
        index += step
    return None


def _group_ending(words: list[str], start: int) -> int:
    """A verb group read forwards from its first marker: "officials have said"."""
    end = start
    while end + 1 < len(words) and _is_marker(words[end + 1]) and end - start < _MAX_GROUP:
        end += 1
    return end


def _decided(words: list[str], index: int, rest: list[str]) -> Direction:
    """The group's direction; a bare participle of scheduling or a bare "has" takes the
    main verb after the expression when that is past ("elections set for February were
    delayed"), and looks ahead otherwise ("a report set for release Friday")."""
    found = _group_direction(words, index)
    if found is not None:
        return found
    j = _nearest(rest, 0, 1)
    if j is not None and _group_direction(rest, _group_ending(rest, j)) == "past":
        return "past"
    return "future"


def _clause_direction(before: str, after: str, rest: list[str]) -> Direction | None:
    """Direction from the words before and after the expression within one span."""
    left, right = _words(before), _words(after)
    if (i := _nearest(left, len(left) - 1, -1)) is not None:
        return _decided(left, i, rest)
    if (j := _nearest(right, 0, 1)) is not None:
        # A verb group after the expression: "On Monday, officials said": read it whole.
        return _decided(right, _group_ending(right, j), [])
    return None


@functools.lru_cache(maxsize=16)
def _sentences(text: str) -> tuple[tuple[int, int], ...]:
    """Sentence spans of an article, kept for the few articles whose dates are resolving."""
    spans, start = [], 0
    for boundary in _SENTENCE_END.finditer(text):
        spans.append((start, boundary.start()))
        start = boundary.end()
    spans.append((start, len(text)))
    return tuple(spans)


@functools.lru_cache(maxsize=16)
def _starts(text: str) -> list[int]:
    return [start for start, _ in _sentences(text)]


def _clause_bounds(sentence: str, start: int, end: int) -> tuple[int, int]:
    left, right = 0, len(sentence)
    for brk in _CLAUSE_BREAK.finditer(sentence):
        if brk.end() <= start:
            left = brk.end()
        elif brk.start() >= end and right == len(sentence):
            right = brk.start()
    return left, right


Located = tuple[str, int, int]  # a sentence, and the expression's start and end in it


_WORD_CHAR = re.compile(r"\w")
# The characters outside ASCII that match an ASCII letter when case is ignored (dotted and
# dotless i, the Kelvin sign, the long s); no other character's lower case changes length.
_CASE_TWINS = "\u0130\u0131\u212a\u017f"


def _word_starts(
    pattern: re.Pattern[str], text: str, candidates: re.Pattern[str] | None = None
) -> Iterator[re.Match[str]]:
    """The matches `finditer` gives for `(?<!\\w)` + `pattern`: none starts inside a word.
    Checked here, not in the pattern: a pattern that opens with a lookbehind is tried at
    every position of the article, three times slower than one opening with its text.
    `candidates`, a case-sensitive pattern that matches the lower-cased text wherever
    `pattern` matches the text, finds where to try `pattern` (a search that ignores case
    cannot skip ahead to the text's first letter, and is slower again)."""
    lowered = _lowered(text) if candidates is not None else ""
    at = 0
    while (match := _first_match(pattern, text, at, candidates, lowered)) is not None:
        start = match.start()
        if start and _WORD_CHAR.match(text, start - 1):
            at = start + 1
            continue
        yield match
        at = max(match.end(), start + 1)


@functools.lru_cache(maxsize=16)
def _lowered(text: str) -> str:
    """The article lower-cased, kept (as `_sentences` keeps its sentences) for the few
    articles whose dates are resolving: each of an article's expressions searches it."""
    return text.lower()


def _first_match(
    pattern: re.Pattern[str],
    text: str,
    at: int,
    candidates: re.Pattern[str] | None,
    lowered: str,
) -> re.Match[str] | None:
    """The first match of `pattern` in `text` from `at` (`pattern.search`)."""
    if candidates is None:
        return pattern.search(text, at)
    while (candidate := candidates.search(lowered, at)) is not None:
        if (match := pattern.match(text, candidate.start())) is not None:
            return match
        at = candidate.start() + 1
    return None


def occurrences(expression: str, article: str) -> list[re.Match[str]]:
    """Where the expression stands in the article as whole words, ignoring case, any run
    of whitespace matching its spaces: `(?<!\\w)phrase(?!\\w)`, case ignored."""
    patterns = _patterns(expression)
    if patterns is None:
        return []
    pattern, candidates = patterns
    if candidates is not None and any(twin in article for twin in _CASE_TWINS):
        candidates = None
    return list(_word_starts(pattern, article, candidates))


@functools.lru_cache(maxsize=256)
def _patterns(expression: str) -> tuple[re.Pattern[str], re.Pattern[str] | None] | None:
    """The pattern `occurrences` looks for, and for an ASCII expression the lower-case
    pattern that finds where to try it (valid in text without `_CASE_TWINS`); None for
    an empty expression. Kept: models name the same few expressions ("Monday") again
    and again."""
    phrase = re.escape(re.sub(r"\s+", " ", expression.strip()))
    if not phrase:
        return None
    pattern = re.compile(phrase.replace(r"\ ", r"\s+") + r"(?!\w)", re.IGNORECASE)
    if not expression.isascii():
        return pattern, None
    # a match ignoring case is then a match of the lower-cased phrase in lower case
    return pattern, re.compile(phrase.lower().replace(r"\ ", r"\s+"))


def locate(expression: str, article: str, event: str = "") -> Located | None:
    """The sentence holding the expression and the expression's span in it; of several
    occurrences, the one whose sentence shares the most words with the event."""
    matches = occurrences(expression, article)
    if not matches:
        return None
    spans = _sentences(article)
    starts = _starts(article)
    found: list[Located] = []
    for match in matches:
        s_start, s_end = spans[bisect.bisect_right(starts, match.start()) - 1]
        if match.end() <= s_end:
            found.append((article[s_start:s_end], match.start() - s_start, match.end() - s_start))
    if len(found) <= 1 or not event:
        return found[0] if found else None
    event_words = set(_words(event)) - {"the", "a", "an", "of", "to", "in", "on", "and"}
    return max(found, key=lambda item: len(event_words & set(_words(item[0]))))


def read_direction(expression: str, article: str, event: str = "") -> tuple[Direction, bool] | None:
    """The direction of the expression in the article, and whether its own clause (or the
    preposition before it) gave it; the event's first verb group or the nearest marker
    elsewhere in the sentence are weaker readings. None when nothing marks a tense."""
    return direction_at(locate(expression, article, event), event)


def direction_at(found: Located | None, event: str = "") -> tuple[Direction, bool] | None:
    """`read_direction` for an expression already located in its sentence."""
    if found is None:
        from_event = direction_of_event(event)
        return None if from_event is None else (from_event, False)
    sentence, start, end = found
    preceding = _words(sentence[:start])[-1:]
    if preceding and preceding[0] in FUTURE_PREPOSITIONS:
        return "future", True
    if preceding and preceding[0] in PAST_PREPOSITIONS:
        return "past", True
    left, right = _clause_bounds(sentence, start, end)
    before, after = _words(sentence[:start]), _words(sentence[end:])
    in_clause = _clause_direction(sentence[left:start], sentence[end:right], after)
    if in_clause is not None:
        return in_clause, True
    if (from_event := direction_of_event(event)) is not None:
        return from_event, False
    # Across clauses only verbs with a tense count: a present "is" elsewhere says nothing.
    i = _nearest(before, len(before) - 1, -1, strong=True)
    j = _nearest(after, 0, 1, strong=True)
    if i is None and j is None:
        return None
    if j is None or (i is not None and len(before) - i <= j + 1):
        return (_decided(before, i, after), False) if i is not None else None
    return _decided(after, _group_ending(after, j), []), False


def direction_in_article(expression: str, article: str, event: str = "") -> Direction | None:
    """The direction `read_direction` gives, without its certainty."""
    reading = read_direction(expression, article, event)
    return None if reading is None else reading[0]


@functools.lru_cache(maxsize=1024)  # events repeat: "talks", "deadline: impose tariffs"
def direction_of_event(event: str) -> Direction | None:
    """The direction of an event description: its first verb group decides."""
    words = _words(event)
    first = _nearest(words, 0, 1)
    if first is None:
        return None
    end = _group_ending(words, first)
    return _decided(words, end, words[end + 1 :])
