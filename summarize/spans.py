"""Where a quote is in an article: the one matcher behind grounding and spans.

A quote is *found* when it occurs in the cleaned article after both are put in the form
`clean.normalize_for_match` defines (typographic quotes straightened, zero-width
characters dropped, every run of whitespace one space); conditions and date expressions
also ignore case. `Haystack` builds that form of an article once, with a map from each of
its characters back to the cleaned text, so every occurrence it finds is also a
`[start, end)` span of the cleaned text, and `check_grounding` (pipeline) asks the same
object whether a quote is there at all: found means at least one span.

`RawMap` takes a span of the cleaned text back to the article text as read, line by line:
cleaning keeps story lines whole (whitespace folded, quotes straightened, a bullet
stripped), so each cleaned line is aligned with the raw line it came from, and verified.
A cleaned line that matches no raw line in order gets no raw offsets, never wrong ones.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from dataclasses import dataclass

from summarize.clean import BULLET, SPACES, STRAIGHT, TYPOGRAPHIC, normalize_for_match
from summarize.schema import Located, ResolvedDate, Span, Threat

WORD_CHAR = re.compile(r"\w")
WHITESPACE = re.compile(r"\s")
ZERO_WIDTH = "".join(char for char, straight in STRAIGHT.items() if not straight)
GAP = re.compile(rf"[\s{ZERO_WIDTH}]+")  # what matching reads as one space, or nothing
LINE_BREAK = re.compile(r"\r\n|\r|\n")


def _straight(match: re.Match[str]) -> str:
    return STRAIGHT[match.group()]


def _fold_map(text: str) -> tuple[str, list[int]]:
    """`text` in match form, and for each of its characters the index in `text` it came
    from. Equal to `normalize_for_match(text)` (a property test keeps it so): a run of
    whitespace becomes one space, placed at the run's first whitespace character."""
    pieces: list[str] = []
    origin: list[int] = []
    space_at: int | None = None  # where the gap before the next word starts, if any
    position = 0
    for gap in [*GAP.finditer(text), None]:
        word_end = gap.start() if gap else len(text)
        if position < word_end:
            if space_at is not None and pieces:
                pieces.append(" ")
                origin.append(space_at)
            pieces.append(text[position:word_end])
            origin.extend(range(position, word_end))
            space_at = None
        if gap is None:
            break
        if space_at is None and (blank := WHITESPACE.search(gap.group())):
            space_at = gap.start() + blank.start()
        position = gap.end()
    return TYPOGRAPHIC.sub(_straight, "".join(pieces)), origin


def _casefold_map(text: str) -> tuple[str, list[int], list[bool]]:
    """`text.casefold()` with, per character, the index in `text` it came from and
    whether it begins that character's folding ('\u00df' folds to two characters)."""
    chars: list[str] = []
    origin: list[int] = []
    begins: list[bool] = []
    for index, char in enumerate(text):
        fold = char.casefold()
        chars.append(fold)
        origin += [index] * len(fold)
        begins += [True] + [False] * (len(fold) - 1)
    return "".join(chars), origin, begins


class Haystack:
    """An article prepared for matching: build once, ask about many quotes.

    `contains` (grounding, on every re-ask) compares strings only; the character maps
    that turn a match into offsets are built the first time `spans` is asked for."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.matchable = normalize_for_match(text)
        self.folded = self.matchable.casefold()

    def contains(self, quote: str, *, ignore_case: bool = False) -> bool:
        """Whether `quote` is found: what grounding asks, the same search as `spans`."""
        return next(self._occurrences(quote, ignore_case, whole_words=False), None) is not None

    def spans(
        self, quote: str, *, ignore_case: bool = False, whole_words: bool = False
    ) -> list[Span]:
        """Every non-overlapping occurrence of `quote`, as `[start, end)` offsets in
        `text`, in order; [] when it is not there (an empty quote is never found).
        `whole_words` skips occurrences inside a longer word ('May' in 'Mayor')."""
        return [
            (self._origin[first], self._origin[last] + 1)
            for first, last in self._occurrences(quote, ignore_case, whole_words)
        ]

    def _occurrences(
        self, quote: str, ignore_case: bool, whole_words: bool
    ) -> Iterator[tuple[int, int]]:
        """First and last character of each occurrence, as indices in `matchable`."""
        needle = normalize_for_match(quote)
        if not needle:
            return
        haystack = self.matchable
        origin: list[int] | None = None  # None: positions in `haystack` are in `matchable`
        begins: list[bool] | None = None
        if ignore_case:
            needle = needle.casefold()
            haystack, origin, begins = self._folded_map
        at = haystack.find(needle)
        while at >= 0:
            end = at + len(needle)  # exclusive, in `haystack`
            aligned = begins is None or (begins[at] and (end == len(begins) or begins[end]))
            first, last = (origin[at], origin[end - 1]) if origin else (at, end - 1)
            if aligned and (not whole_words or self._word_bounded(first, last)):
                yield first, last
                at = haystack.find(needle, end)
            else:
                at = haystack.find(needle, at + 1)

    @functools.cached_property
    def _origin(self) -> list[int]:
        return _fold_map(self.text)[1]

    @functools.cached_property
    def _folded_map(self) -> tuple[str, list[int] | None, list[bool] | None]:
        if len(self.folded) == len(self.matchable):  # nearly always: one folds to one
            return self.folded, None, None
        return _casefold_map(self.matchable)

    def _word_bounded(self, first: int, last: int) -> bool:
        """Whether matchable[first..last] starts and ends at word boundaries."""
        text = self.matchable
        before = text[first - 1] if first > 0 else " "
        after = text[last + 1] if last + 1 < len(text) else " "
        return not (
            (WORD_CHAR.match(before) and WORD_CHAR.match(text[first]))
            or (WORD_CHAR.match(after) and WORD_CHAR.match(text[last]))
        )


@functools.lru_cache(maxsize=64)
def haystack(article_text: str) -> Haystack:
    """The article as quotes are matched against; kept for the few articles in flight,
    whose grounding is checked after each re-ask and once more, then located."""
    return Haystack(article_text)


def clean_line(raw_line: str) -> tuple[str, list[int]]:
    """A raw line as cleaning keeps it (typographic characters straightened, runs of
    spaces folded, trimmed, a leading bullet dropped: `clean.normalize` and `clean.BULLET`
    step by step), with each character's index in `raw_line`."""
    origin = [i for i, char in enumerate(raw_line) if STRAIGHT.get(char, char)]
    line = TYPOGRAPHIC.sub(_straight, raw_line)
    folded: list[int] = []
    position = 0
    for run in SPACES.finditer(line):
        folded += origin[position : run.start() + 1]
        position = run.end()
    folded += origin[position:]
    line = SPACES.sub(" ", line)
    start = len(line) - len(line.lstrip())
    line = line.strip()
    folded = folded[start : start + len(line)]
    if bullet := BULLET.match(line):
        line, folded = line[bullet.end() :], folded[bullet.end() :]
    return line, folded


@dataclass(frozen=True)
class RawMap:
    """Offsets in the cleaned text to offsets in the raw article text, where a cleaned
    line can be traced to the raw line it came from."""

    # per cleaned line: its start in the cleaned text, its length, and its character map
    # into the raw text (None when no raw line was found for it)
    lines: tuple[tuple[int, int, tuple[int, ...] | None], ...]

    @classmethod
    def build(cls, raw: str, cleaned_text: str) -> RawMap:
        raw_lines = [(offset, *clean_line(line)) for offset, line in _raw_lines(raw)]
        position = 0  # the next raw line to try: cleaning keeps lines in order
        lines: list[tuple[int, int, tuple[int, ...] | None]] = []
        start = 0
        for kept in cleaned_text.split("\n\n") if cleaned_text else []:
            mapping: tuple[int, ...] | None = None
            for number in range(position, len(raw_lines)):
                offset, line, origin = raw_lines[number]
                if line == kept:
                    mapping = tuple(offset + index for index in origin)
                    position = number + 1
                    break
            lines.append((start, len(kept), mapping))
            start += len(kept) + 2
        return cls(tuple(lines))

    def raw_span(self, span: Span) -> Span | None:
        """The raw offsets of a cleaned span, or None when either end is not traceable."""
        start = self._raw_offset(span[0])
        end = self._raw_offset(span[1] - 1)
        if start is None or end is None:
            return None
        return start, end + 1

    def _raw_offset(self, offset: int) -> int | None:
        for start, length, mapping in self.lines:
            if start <= offset < start + length:
                return mapping[offset - start] if mapping is not None else None
        return None  # the blank line between paragraphs: no character of any quote end


def _raw_lines(raw: str) -> list[tuple[int, str]]:
    """Each line of `raw` with its offset, split as cleaning splits (CRLF, CR or LF)."""
    lines: list[tuple[int, str]] = []
    start = 0
    for match in LINE_BREAK.finditer(raw):
        lines.append((start, raw[start : match.start()]))
        start = match.end()
    lines.append((start, raw[start:]))
    return lines


def locate(threats: list[Threat], dates: list[ResolvedDate], cleaned: str, raw: str | None) -> None:
    """Fill in the spans of every evidence quote, condition and date expression (the
    threats' deadlines too), in place. Evidence matches as grounding does; conditions and
    dates ignore case; a date expression must stand as whole words ('May' not in 'Mayor').
    `raw` is the article text as read; without it raw spans stay empty."""
    found_in = haystack(cleaned)
    raw_map = RawMap.build(raw, cleaned) if raw is not None else None

    def raw_spans(spans: list[Span]) -> list[Span | None]:
        return [raw_map.raw_span(span) for span in spans] if raw_map else []

    def located(text: str, *, ignore_case: bool) -> Located:
        spans = found_in.spans(text, ignore_case=ignore_case)
        return Located(text=text, found=bool(spans), spans=spans, raw_spans=raw_spans(spans))

    def place(date: ResolvedDate) -> None:
        date.spans = found_in.spans(date.text, ignore_case=True, whole_words=True)
        date.raw_spans = raw_spans(date.spans)

    for threat in threats:
        threat.evidence_spans = [located(q, ignore_case=False) for q in threat.evidence]
        threat.condition_spans = [located(c, ignore_case=True) for c in threat.conditions]
        if threat.deadline is not None:
            place(threat.deadline)
    for date in dates:
        place(date)


def in_context(text: str, span: Span, *, words: int = 6) -> tuple[str, str, str]:
    """The passage at `span` with up to `words` words either side, whitespace folded;
    '…' marks where the text goes on. For showing a quote where it stands."""
    start, end = span
    before = text[:start].split()
    after = text[end:].split()
    lead = " ".join(before[-words:]) if words else ""
    trail = " ".join(after[:words]) if words else ""
    if len(before) > words:
        lead = "\u2026 " + lead
    if len(after) > words:
        trail += " \u2026"
    # keep a space only where the text has one: a quote may start or end inside a word
    gap_before = " " if lead and (start == 0 or text[start - 1].isspace()) else ""
    gap_after = " " if trail and (end >= len(text) or text[end].isspace()) else ""
    return lead + gap_before, " ".join(text[start:end].split()), gap_after + trail
