"""Strip page chrome from an article and keep the story, word for word.

`clean(raw)` is a pure function: raw article text in, `Cleaned` out, with a record of every
dropped line, the rule that dropped it and the signals behind it, so `summarize clean
--explain` can show its work.

It works line by line, because chrome arrives as whole lines. Each line is measured
(`lineshape`: length, stopwords, punctuation, capitals, symbols, voice), checked against
rules for lines that are chrome on their own (`chrome_rules`), then judged in context
(`boilerplate`: jusText, the story's span, neighbours). The headline is chosen among
heading-like lines above the story that share its words. Story lines are kept whole: only
whitespace and typographic quotes are normalised and leading bullet glyphs removed, so
no word is ever changed.
"""

from __future__ import annotations

import gc
import re
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass

from summarize.boilerplate import Verdict, decide
from summarize.chrome_rules import author_names, chrome_rule, is_author_bio
from summarize.lineshape import Shape, shape

STRAIGHT: dict[str, str] = {
    "\u2018": "'",  # left single quotation mark
    "\u2019": "'",  # right single quotation mark / apostrophe
    "\u201a": "'",
    "\u201b": "'",
    "\u2032": "'",
    "\u201c": '"',
    "\u201d": '"',
    "\u201e": '"',
    "\u201f": '"',
    "\u2033": '"',
    "\u00ab": '"',
    "\u00bb": '"',
    "\u00a0": " ",  # no-break space
    "\u2009": " ",
    "\u202f": " ",
    "\u200b": "",  # zero-width space: invisible, never part of a word
    "\ufeff": "",  # byte-order mark
}
# Straightened with a membership test and a `replace` per typographic character: C string
# searches, faster than one regex pass calling back into Python for every quote, and far
# faster than `str.translate`, which looks every character up in a dict. Each character
# becomes ASCII or nothing, so the order of the replacements cannot matter.
BULLET = re.compile(r"^[\u2022\u2023\u25cf\u25aa\u25e6\u2043\u2219*\-\u2013\u2014]\s+")
BULLET_GLYPHS = frozenset("\u2022\u2023\u25cf\u25aa\u25e6\u2043\u2219*-\u2013\u2014")
SPACES = re.compile(r"[ \t\f\v]{2,}|[\t\f\v]")  # single spaces are left alone: fast


def straighten(text: str) -> str:
    """Typographic quotes and spaces made plain, zero-width characters removed."""
    if text.isascii():
        return text
    for char, plain in STRAIGHT.items():
        if char in text:
            text = text.replace(char, plain)
    return text


def normalize(text: str) -> str:
    """Straighten typographic quotes, fold runs of spaces, and trim each line."""
    text = straighten(text).replace("\r\n", "\n").replace("\r", "\n")
    if "  " in text or "\t" in text or "\f" in text or "\v" in text:  # cheap tests first
        text = SPACES.sub(" ", text)  # one pass: the pattern never crosses a line break
    return "\n".join(line.strip() for line in text.split("\n"))


WHITESPACE_RUN = re.compile(r"\s+")
# Whitespace other than the space and the line break, spelled out (U+3000 is the last
# whitespace character): the regex engine scans a plain set far faster than `[^\S \n]`.
OTHER_WHITESPACE = re.compile(
    "["
    + re.escape("".join(c for c in map(chr, range(0x3001)) if c.isspace() and c not in " \n"))
    + "]"
)


def has_other_whitespace(text: str) -> bool:
    """Whether `text` holds whitespace other than the space and the line break. None of
    it is printable, so text printable but for its line breaks (the usual) is told so by
    one pass of a C method, faster than a scan for the set."""
    return not text.replace("\n", "").isprintable() and OTHER_WHITESPACE.search(text) is not None


def _irregular_gap(text: str) -> bool:
    """Whether `text` has whitespace that folding would change other than a lone space,
    a line break or a paragraph break (`[^\\S \\n]|  | \\n|\\n |\\n\\n\\n`, tested
    with string methods and one scan of a character set)."""
    return (
        "  " in text
        or " \n" in text
        or "\n " in text
        or "\n\n\n" in text
        or has_other_whitespace(text)
    )


def normalize_for_match(text: str) -> str:
    """The form quotes are compared in: normalised, all whitespace folded to one space.

    The same as folding `normalize(text)`. It runs on whole articles, up to megabytes:
    a cleaned article's only gaps are single spaces and paragraph breaks, which two
    replaces fold without the list of every word that a regex substitution builds."""
    return match_form(text)[0]


def match_form(text: str) -> tuple[str, bool]:
    """`normalize_for_match(text)`, and whether `text` was already plain: no character
    straightened or removed, and every gap a single space or line break or a paragraph
    break (so only a paragraph break moves the characters after it: `spans` maps the
    match form back to `text` from that alone)."""
    straight = straighten(text)
    if _irregular_gap(straight):
        return WHITESPACE_RUN.sub(" ", straight).strip(), False
    return straight.replace("\n\n", " ").replace("\n", " ").strip(), straight is text


HEADING_RULES = frozenset({"headline (moved to title)", "section label"})
MIN_TITLE_OVERLAP = 0.3  # share of a headline's content words the story uses
MIN_TITLE_SHARED = 2  # and at least this many: one shared word is a coincidence
MIN_TITLE_WORDS = 4  # shorter lines above a story are section labels and tags
MAX_TITLE_INTERFACE = 0.25  # share of interface words a headline never reaches


@dataclass(frozen=True)
class Dropped:
    """One line the cleaner removed, why, and the signals behind the decision."""

    line: int  # 1-based line number in the raw text
    text: str
    rule: str
    detail: str = ""


@dataclass(frozen=True)
class Cleaned:
    title: str | None
    section: str | None
    text: str  # the kept lines, paragraphs separated by a blank line
    dropped: tuple[Dropped, ...]
    lines: tuple[int, ...] = ()  # raw line number (1-based) of each kept paragraph, in order
    chars_in: int = 0  # characters of the raw article's non-blank lines, normalised

    @property
    def removed_share(self) -> float:
        """Share of the article's characters removed as chrome (a title or section label
        moved to metadata is not removed)."""
        removed = sum(len(d.text) for d in self.dropped if d.rule not in HEADING_RULES)
        return removed / self.chars_in if self.chars_in else 0.0


MAX_REMOVED_SHARE = 0.5  # cleaning that removes more than this is worth a second look


def cleaning_warning(cleaned: Cleaned, source: str) -> str | None:
    """The brief's warning when cleaning removed more than half of the article."""
    if cleaned.removed_share <= MAX_REMOVED_SHARE:
        return None
    return (
        f"cleaning removed {cleaned.removed_share:.0%} of the article's characters as page "
        f"chrome; check it with: summarize clean {source} --explain"
    )


def clean(
    raw: str, *, find_title: bool = True, repeated: Mapping[str, int] | None = None
) -> Cleaned:
    """Clean one article. `repeated` maps a normalised line to the number of articles of
    the same run it occurs in (see `summarize.linefreq`); those lines are boilerplate."""
    with _collector_paused():
        return _clean(raw, find_title=find_title, repeated=repeated)


class _CollectorPause:
    """Pause Python's cycle collector while cleaning: cleaning makes a few objects per
    line and no cycles, and on a 5 MB file the collector's repeated sweeps over them
    cost a sixth of the time. Counted, so concurrent cleans restore it once, last."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.depth = 0
        self.was_enabled = True

    @contextmanager
    def __call__(self) -> Iterator[None]:
        with self.lock:
            if self.depth == 0:
                self.was_enabled = gc.isenabled()
                gc.disable()
            self.depth += 1
        try:
            yield
        finally:
            with self.lock:
                self.depth -= 1
                if self.depth == 0 and self.was_enabled:
                    gc.enable()


_collector_paused = _CollectorPause()


def _clean(raw: str, *, find_title: bool, repeated: Mapping[str, int] | None) -> Cleaned:
    numbers: list[int] = []
    shapes: list[Shape] = []
    for number, raw_line in enumerate(normalize(raw).split("\n"), start=1):
        text = BULLET.sub("", raw_line) if raw_line[:1] in BULLET_GLYPHS else raw_line
        if text:
            numbers.append(number)
            shapes.append(shape(text))
    rules = [chrome_rule(line) for line in shapes]
    authors = author_names(shapes, rules)
    rules = [
        "author bio" if rule is None and is_author_bio(line, authors) else rule
        for line, rule in zip(shapes, rules, strict=True)
    ]
    reading = decide(shapes, rules)
    verdicts = list(reading.verdicts)
    for i, line in enumerate(shapes):
        seen = repeated.get(line.text, 0) if repeated else 0
        if seen and verdicts[i].keep and not reading.is_story_prose(i, line):
            verdicts[i] = Verdict(False, f"repeated in {seen} articles", "of this run")

    title = section = None
    moved: dict[int, str] = {}
    if find_title:
        at = _headline(shapes, rules, reading.story_middle, reading.vocabulary)
        if at is not None:
            title = shapes[at].text
            moved[at] = "headline (moved to title)"
            above = at - 1
            # a short label right above the headline, or one the context drops anyway
            if (
                above >= 0
                and _is_section(shapes[above], rules[above])
                and (numbers[above] == numbers[at] - 1 or not verdicts[above].keep)
            ):
                section = shapes[above].text
                moved[above] = "section label"

    kept: list[int] = []
    dropped: list[Dropped] = []
    for i, (number, line) in enumerate(zip(numbers, shapes, strict=True)):
        if i in moved:
            dropped.append(Dropped(number, line.text, moved[i]))
        elif verdicts[i].keep:
            kept.append(i)
        else:
            dropped.append(Dropped(number, line.text, verdicts[i].rule, verdicts[i].detail))
    return Cleaned(
        title=title,
        section=section,
        text="\n\n".join(shapes[i].text for i in kept),
        dropped=tuple(dropped),
        lines=tuple(numbers[i] for i in kept),
        chars_in=sum(line.chars for line in shapes),
    )


def _is_section(line: Shape, rule: str | None) -> bool:
    """A very short label above the headline: 'Politics', 'United States' (not a counter
    or a button: '30 comments', 'Share')."""
    return (
        rule in (None, "interface words")
        and line.is_heading
        and line.words <= 3
        and line.digit_share == 0
    )


def _headline(
    shapes: list[Shape],
    rules: list[str | None],
    story_middle: int | None,
    vocabulary: frozenset[str],
) -> int | None:
    """The index of the headline: among headline-shaped lines in the first half of the
    story or above it that no rule marks as chrome and that share enough of the story's
    words, the one sharing most (the first of equals: a headline comes before the story).
    Without a story to compare with, the first line, if it reads as a heading and the next
    does not continue it."""
    if story_middle is not None and vocabulary:
        best, best_shared = None, 0
        for i in range(story_middle):
            line = shapes[i]
            if rules[i] is not None or not line.is_headline or not line.content:
                continue
            if line.words < MIN_TITLE_WORDS or line.all_caps:
                continue  # a label ("China News") or a name in capitals ("MARIA KOVACS")
            if line.reader_voice or line.interface_share >= MAX_TITLE_INTERFACE:
                continue  # the page talking: "Enter your email address"
            shared = len(line.content & vocabulary)
            if shared / len(line.content) >= MIN_TITLE_OVERLAP and shared > best_shared:
                best, best_shared = i, shared
        return best if best_shared >= MIN_TITLE_SHARED else None
    if len(shapes) < 2 or rules[0] is not None:
        return None
    first, following = shapes[0], shapes[1]
    if not (first.is_heading or first.is_headline) or following.text[:1].islower():
        return None
    return 0
