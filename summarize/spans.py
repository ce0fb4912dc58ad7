"""Where a quote is in an article: the one matcher behind grounding and spans.

A quote is *found* when it occurs in the cleaned article after both are put in the form
`clean.normalize_for_match` defines (typographic quotes straightened, zero-width
characters dropped, every run of whitespace one space); conditions also ignore case, and
date expressions must stand as whole words (see `locate`). `Haystack` builds that form
of an article once, with a map from each of its characters back to the cleaned text, so
every occurrence it finds is also a `[start, end)` span of the cleaned text, and
`check_grounding` (pipeline) asks the same object whether a quote is there at all: found
means at least one span.

`RawMap` takes a span of the cleaned text back to the article text as read, line by line:
cleaning keeps story lines whole (whitespace folded, quotes straightened, a bullet
stripped), so each cleaned line is aligned with the raw line it came from, and verified.
A cleaned line that matches no raw line in order gets no raw offsets, never wrong ones.
"""

from __future__ import annotations

import bisect
import functools
import re
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from summarize.clean import (
    BULLET,
    STRAIGHT,
    match_form,
    normalize_for_match,
    straighten,
)
from summarize.schema import Located, ResolvedDate, Span, Threat

WORD_CHAR = re.compile(r"\w")
WHITESPACE = re.compile(r"\s")
ZERO_WIDTH = "".join(char for char, straight in STRAIGHT.items() if not straight)
# A gap is what matching reads as one space (or as nothing, if it is only zero-width
# characters). Most gaps are one plain space and map to themselves; only the others
# (longer runs, other whitespace, zero-width characters) move later characters.
WHITESPACE_CHARS = "".join(chr(code) for code in range(0x3001) if chr(code).isspace())
GAP_CHARS = WHITESPACE_CHARS + ZERO_WIDTH  # U+3000 is the last whitespace character
# Every gap character but the plain space, as one character class: a scan for it is a
# fast charset search, unlike the category test of `\\s`.
SHIFTING_CHAR = re.compile("[" + re.escape(GAP_CHARS.replace(" ", "")) + "]")
SHIFTING_GAP = re.compile(rf"[\s{ZERO_WIDTH}]{{2,}}|[^\S ]|[{ZERO_WIDTH}]")
LINE_BREAK = re.compile(r"\r\n|\r|\n")
LOOKAHEAD = 500  # raw lines searched for a cleaned line: chrome runs between paragraphs
CONTEXT_WORDS = 6  # words either side of a quote shown where it stands
CONTEXT_CHARS = 80  # and at most this many characters of the text read a side


@dataclass(frozen=True)
class OffsetMap:
    """Positions in a derived string back to positions in its source, stored as runs:
    `starts[i]` in the derived string is `sources[i]` in the source, and the run goes on
    one to one until the next start. Compact and fast for text that is mostly unchanged."""

    starts: tuple[int, ...]
    sources: tuple[int, ...]

    def __getitem__(self, position: int) -> int:
        run = bisect.bisect_right(self.starts, position) - 1
        return self.sources[run] + position - self.starts[run]


def _fold_map(text: str, *, with_text: bool = True) -> tuple[str, OffsetMap]:
    """`text` in match form, and where each of its characters came from in `text`. Equal
    to `normalize_for_match(text)` (a property test keeps it so): a gap becomes one space,
    placed at the gap's first whitespace character. Without `with_text`, the map alone
    (the caller has the text from `normalize_for_match`)."""
    body_start, body_end = _body(text)
    if not with_text and _only_plain_gaps(text, body_start, body_end):
        return "", _paragraph_map(text, body_start, body_end)
    pieces: list[str] = []
    starts: list[int] = []
    sources: list[int] = []
    length = 0  # of the derived string so far
    position = body_start
    for gap in SHIFTING_GAP.finditer(text, body_start, body_end):
        if position < gap.start():
            pieces.append(text[position : gap.start()])
            starts.append(length)
            sources.append(position)
            length += gap.start() - position
        if blank := WHITESPACE.search(gap.group()):
            pieces.append(" ")
            starts.append(length)
            sources.append(gap.start() + blank.start())
            length += 1
        position = gap.end()
    if position < body_end:
        pieces.append(text[position:body_end])
        starts.append(length)
        sources.append(position)
    offsets = OffsetMap(tuple(starts), tuple(sources))
    return (straighten("".join(pieces)) if with_text else ""), offsets


def _body(text: str) -> tuple[int, int]:
    """Where `text` starts and ends once the gaps at either end are left out."""
    body_start = len(text) - len(text.lstrip(GAP_CHARS))
    return body_start, max(len(text.rstrip(GAP_CHARS)), body_start)


def _only_plain_gaps(text: str, start: int, end: int) -> bool:
    """Whether every gap in text[start:end] is one plain space or one paragraph break
    (as in a cleaned article), checked with string methods, far faster than a scan."""
    body = text[start:end]
    return (
        "  " not in body
        and " \n" not in body
        and "\n " not in body
        and "\n\n\n" not in body
        and _no_shifting_char(body.replace("\n\n", ""))
    )


def _no_shifting_char(text: str) -> bool:
    """Whether `text` is free of gap characters but the plain space. None of them is
    printable, so printable text (the usual) is told so by one pass of a C method."""
    return text.isprintable() or not SHIFTING_CHAR.search(text)


def _paragraph_map(text: str, start: int, end: int) -> OffsetMap:
    """The offset map of text[start:end] whose only gaps that move characters are
    paragraph breaks (two newlines, read as one space)."""
    starts, sources = [0], [start]
    length, position = 0, start
    while (brk := text.find("\n\n", position, end)) >= 0:
        length += brk - position + 1  # the words, then the break's one space
        position = brk + 2
        starts.append(length)
        sources.append(position)
    return OffsetMap(tuple(starts), tuple(sources))


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
        self.matchable, self._plain = match_form(text)

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
    def _origin(self) -> OffsetMap:
        if self._plain:
            # What `_fold_map` finds after testing the gaps again: only paragraph breaks
            # move characters (a lone line break is one space, where it stands).
            return _paragraph_map(self.text, *_body(self.text))
        return _fold_map(self.text, with_text=False)[1]

    @functools.cached_property
    def _folded_map(self) -> tuple[str, list[int] | None, list[bool] | None]:
        # ASCII text folds as it lower-cases, which is a fast path of its own
        text = self.matchable
        folded = text.lower() if text.isascii() else text.casefold()
        if len(folded) == len(text):  # nearly always: one folds to one
            return folded, None, None
        return _casefold_map(text)

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


def _squeeze(text: str, runs: re.Pattern[str], replacement: str) -> tuple[str, OffsetMap]:
    """`text` with each match of `runs` replaced by `replacement` ('' or one character,
    placed at the match's start), and the map back into `text`."""
    pieces: list[str] = []
    starts: list[int] = [0]
    sources: list[int] = [0]
    length = position = 0
    for run in runs.finditer(text):
        pieces.append(text[position : run.start()])
        length += run.start() - position
        pieces.append(replacement)
        length += len(replacement)
        position = run.end()
        starts.append(length)
        sources.append(position)
    pieces.append(text[position:])
    return "".join(pieces), OffsetMap(tuple(starts), tuple(sources))


IDENTITY = OffsetMap((0,), (0,))
ZERO_WIDTH_RUN = re.compile(f"[{ZERO_WIDTH}]+")
# clean.SPACES's runs, less the lone " " that stays where it is (most of them)
SHIFTING_SPACES = re.compile(r"[ \t\f\v]{2,}|[\t\f\v]")


def clean_line(raw_line: str) -> tuple[str, Callable[[int], int]]:
    """A raw line as cleaning keeps it (typographic characters straightened, runs of
    spaces folded, trimmed, a leading bullet dropped: `clean.normalize` and `clean.BULLET`
    step by step), and a function from each of its positions to one in `raw_line`."""
    line, visible = raw_line, IDENTITY
    if any(char in raw_line for char in ZERO_WIDTH):  # string tests: faster than a scan
        line, visible = _squeeze(raw_line, ZERO_WIDTH_RUN, "")
    line, folded = straighten(line), IDENTITY
    if "  " in line or "\t" in line or "\f" in line or "\v" in line:
        line, folded = _squeeze(line, SHIFTING_SPACES, " ")
    skipped = len(line) - len(line.lstrip())
    line = line.strip()
    if bullet := BULLET.match(line):
        line, skipped = line[bullet.end() :], skipped + bullet.end()
    return line, lambda position: visible[folded[position + skipped]]


class RawMap:
    """Offsets in the cleaned text to offsets in the raw article text, where a cleaned
    line can be traced to the raw line it came from (each raw line cleaned as `clean_line`
    does, in order; a property test holds `clean_line` to cleaning's own functions)."""

    def __init__(self, lines: list[tuple[int, int, Callable[[int], int] | None]]) -> None:
        # per cleaned line: its start and length in the cleaned text, and the map of its
        # characters into the raw text (None when no raw line was found for it)
        self.lines = lines
        self._starts = [start for start, _, _ in lines]

    @classmethod
    def build(cls, raw: str, cleaned_text: str, *, until: int | None = None) -> RawMap:
        """Trace the cleaned lines that start before offset `until` (all without it).

        Raw lines are read and cleaned lazily, at most `LOOKAHEAD` ahead of the last one
        traced, so a long article costs memory and time for the part its spans need, and
        a cleaned line with no raw line (cleaning changed it beyond tracing) costs a
        bounded search, not a scan of the rest of the article.
        """
        raw_lines = ((offset, *clean_line(line)) for offset, line in _raw_lines(raw))
        ahead: deque[tuple[int, str, Callable[[int], int]]] = deque()
        lines: list[tuple[int, int, Callable[[int], int] | None]] = []
        for start, kept in _paragraphs(cleaned_text):
            if until is not None and start > until:
                break
            mapping: Callable[[int], int] | None = None
            while len(ahead) < LOOKAHEAD and (line := next(raw_lines, None)) is not None:
                ahead.append(line)
            for number, (offset, line_text, source) in enumerate(ahead):
                if line_text == kept:
                    mapping = functools.partial(_shifted, source, offset)
                    for _ in range(number + 1):  # cleaning keeps lines in order
                        ahead.popleft()
                    break
            lines.append((start, len(kept), mapping))
        return cls(lines)

    def raw_span(self, span: Span) -> Span | None:
        """The raw offsets of a cleaned span, or None when either end is not traceable."""
        start = self._raw_offset(span[0])
        end = self._raw_offset(span[1] - 1)
        if start is None or end is None:
            return None
        return start, end + 1

    def _raw_offset(self, offset: int) -> int | None:
        number = bisect.bisect_right(self._starts, offset) - 1
        if number < 0:
            return None
        start, length, mapping = self.lines[number]
        if mapping is None or offset >= start + length:
            return None  # untraced, or the blank line between paragraphs
        return mapping(offset - start)


def _shifted(source: Callable[[int], int], offset: int, position: int) -> int:
    return offset + source(position)


def _raw_lines(raw: str) -> Iterator[tuple[int, str]]:
    """Each line of `raw` with its offset, split as cleaning splits (CRLF, CR or LF)."""
    start = 0
    for match in LINE_BREAK.finditer(raw):
        yield start, raw[start : match.start()]
        start = match.end()
    yield start, raw[start:]


def _paragraphs(cleaned_text: str) -> Iterator[tuple[int, str]]:
    """Each kept line of a cleaned text (joined by blank lines) with its offset."""
    start = 0
    while cleaned_text:
        end = cleaned_text.find("\n\n", start)
        yield start, cleaned_text[start : len(cleaned_text) if end < 0 else end]
        if end < 0:
            return
        start = end + 2


def locate(threats: list[Threat], dates: list[ResolvedDate], cleaned: str, raw: str | None) -> None:
    """Fill in the spans of every evidence quote, condition and date expression (the
    threats' deadlines too), in place. Evidence and conditions match as grounding does
    (conditions ignoring case); a date expression must stand as whole words ('May' is not
    in 'Mayor') and is matched as written, or ignoring case only when that finds nothing.
    `raw` is the article text as read; without it raw spans stay empty."""
    found_in = haystack(cleaned)

    def located(text: str, *, ignore_case: bool) -> Located:
        spans = found_in.spans(text, ignore_case=ignore_case)
        return Located(text=text, found=bool(spans), spans=spans, raw_spans=[])

    def place(date: ResolvedDate) -> None:
        # as written first: "May" the month is not "may" the verb, unless only that is there
        date.spans = found_in.spans(date.text, whole_words=True) or found_in.spans(
            date.text, ignore_case=True, whole_words=True
        )

    for threat in threats:
        threat.evidence_spans = [located(q, ignore_case=False) for q in threat.evidence]
        threat.condition_spans = [located(c, ignore_case=True) for c in threat.conditions]
        if threat.deadline is not None:
            place(threat.deadline)
    for date in dates:
        place(date)
    if raw is None:
        return
    # Raw offsets second, tracing only as far into the article as the last span reaches.
    items: list[Located | ResolvedDate] = [
        *(item for t in threats for item in (*t.evidence_spans, *t.condition_spans)),
        *(t.deadline for t in threats if t.deadline is not None),
        *dates,
    ]
    ends = [end for item in items for _, end in item.spans]
    raw_map = RawMap.build(raw, cleaned, until=max(ends, default=-1))
    for item in items:
        item.raw_spans = [raw_map.raw_span(span) for span in item.spans]


def in_context(
    text: str, span: Span, *, words: int = CONTEXT_WORDS, chars: int = CONTEXT_CHARS
) -> tuple[str, str, str]:
    """The passage at `span` with up to `words` words either side, whitespace folded;
    '…' marks where the text goes on. For showing a quote where it stands. Each side
    reads at most `chars` characters of the text: a script written without spaces, or a
    long link, shows its nearest `chars` characters, never a whole paragraph."""
    start, end = span
    # A quote may start or end inside a word ('failed' of 'failed.'): the rest of that
    # word is shown, not counted, and no space is put where the text has none.
    joined_before = start > 0 and not text[start - 1].isspace()
    joined_after = end < len(text) and not text[end].isspace()
    lead = trail = ""
    if words:
        lead = _side(text, max(0, start - chars), start, words + joined_before, before=True)
        trail = _side(text, end, min(len(text), end + chars), words + joined_after, before=False)
    gap_before = " " if lead and not joined_before else ""
    gap_after = " " if trail and not joined_after else ""
    return lead + gap_before, " ".join(text[start:end].split()), gap_after + trail


def _side(text: str, start: int, end: int, count: int, *, before: bool) -> str:
    """Up to `count` words of text[start:end] nearest the quote (its end when `before`,
    else its start), with '…' on the far side when the text goes on. A word the window
    cuts through is left out, unless it is all there is (a script without spaces)."""
    window = text[start:end]
    tokens = window.split()
    if before:
        rest = text[:start]
        cut = start > 0 and not text[start - 1].isspace() and not window[:1].isspace()
        if cut and len(tokens) > 1:
            tokens = tokens[1:]
        shown = tokens[-count:]
    else:
        rest = text[end:]
        cut = end < len(text) and not text[end].isspace() and not window[-1:].isspace()
        if cut and len(tokens) > 1:
            tokens = tokens[:-1]
        shown = tokens[:count]
    if not shown:
        return ""
    more = len(tokens) > count or cut or bool(rest.strip())
    joined = " ".join(shown)
    if not more:
        return joined
    return "\u2026 " + joined if before else joined + " \u2026"


def quote_in_context(
    text: str, item: Located, *, words: int = CONTEXT_WORDS
) -> tuple[str, str, str] | None:
    """`item`'s first occurrence in the cleaned `text` with words either side (as
    `in_context`), or None when it has no span or `text` does not hold it there: a text
    other than the one briefed (a saved brief, an article changed since) shows no
    stranger's words as the quote's context."""
    if not item.found or not item.spans:
        return None
    start, end = item.spans[0]
    if end > len(text) or normalize_for_match(text[start:end]) != normalize_for_match(item.text):
        return None
    return in_context(text, (start, end), words=words)
