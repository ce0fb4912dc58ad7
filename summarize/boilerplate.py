"""Which lines are the story: jusText's classification, the story's span, and context.

Three classic ideas, in this order:

1. jusText (the `justext` package, wrapped, not re-implemented) classifies each line from
   its length, stopword density and link density, then resolves short lines from their
   neighbours: a short line between good paragraphs is good, between bad ones bad.
2. boilerpipe's observation: the story is the long run of dense prose; chrome comes in
   runs at the top, at the bottom and between paragraphs. The story's span runs from its
   first to its last *core* line: dense prose (jusText's good, or a sentence of ten
   words) on the page's topic that does not speak for the page ("you", "we", "our"
   outside quotes about an inbox, a subscription, cookies).
3. Context for what is left: a short line between chrome is chrome; a lone heading
   between story paragraphs is a subheading and stays; three headlines in a row are a
   list of other stories. Prose near the span (a last short paragraph after an ad) or on
   its topic is story.

Every drop carries a rule name and the signals behind it, for `--explain`.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from summarize.lineshape import Shape, stopwords

BIO_SHAPE = re.compile(
    r"[A-Z][\w'.-]+(?: [A-Z][\w'.-]+){1,3},? (?:is|was|writes|covers|reports|has been)\b"
)
WINDOW = 256  # jusText's neighbour search is quadratic in a run of short lines: bound it
ON_TOPIC = 0.2  # share of a line's content words found in the rest of the story
ON_TOPIC_WORDS = 5  # or this many of them: a long paragraph brings many new words
OFF_TOPIC_READER = 0.34  # below this, prose that talks to the reader is the page's
NEAR_TOPIC = 0.1  # prose outside the span sharing this much is story, kept to be safe
NEAR_LINES = 4  # prose this close to the span is story whatever its words (a last line)
MIN_CORE_LINES = 3  # with fewer dense lines, topic overlap is no evidence
MIN_LIST = 3  # headlines in a row between story paragraphs that make a list of links


@dataclass(frozen=True)
class Verdict:
    keep: bool
    rule: str = ""
    detail: str = ""


KEEP = Verdict(keep=True)


@dataclass(frozen=True)
class Reading:
    """The decision for every line, and what the headline is chosen against."""

    verdicts: list[Verdict]
    story_middle: int | None  # the core line half the story's characters in (None: no core)
    vocabulary: frozenset[str]  # content words of the story's core lines
    on_topic: list[float]  # each line's topic overlap with the story (`topic_overlap`)

    def is_story_prose(self, i: int, line: Shape) -> bool:
        """Prose on the story's topic: what corpus evidence may never remove."""
        return line.is_prose and line.words >= 8 and self.on_topic[i] >= OFF_TOPIC_READER


class _Path:
    """The DOM path jusText reads headings from: a heading-shaped line is an <h2>."""

    def __init__(self, heading: bool) -> None:
        self.dom = "html.body.h2" if heading else "html.body.p"
        self.xpath = "/html/body/h2" if heading else "/html/body/p"


HEADING_PATH, PARAGRAPH_PATH = _Path(heading=True), _Path(heading=False)


@functools.cache
def _paragraph_class() -> type[Any]:
    """jusText's Paragraph, with its text computed once: jusText re-joins and re-folds a
    paragraph's text on every access, a dozen times per line; ours is folded already."""
    from justext.paragraph import Paragraph

    class Line(Paragraph):  # type: ignore[misc]
        def __init__(self, text: str, heading: bool) -> None:
            super().__init__(HEADING_PATH if heading else PARAGRAPH_PATH)
            self.text_nodes = [text]
            self._text = text
            # lower-cased whole: the same as token by token, as no letter's lower case
            # depends on anything past a space, or holds one
            self._tokens = text.lower().split()

        @property
        def text(self) -> str:
            return self._text

        @property
        def words_count(self) -> int:
            return len(self._tokens)

        def stopwords_count(self, stopwords: frozenset[str]) -> int:
            # jusText's own definition, counted in one pass over tokens split once
            return sum(map(stopwords.__contains__, self._tokens))

    return Line


def justext_classes(shapes: Sequence[Shape]) -> list[str]:
    """jusText's final class of each line: 'good', 'bad' (or, rarely, 'neargood'/'short')."""
    from justext.core import classify_paragraphs, revise_paragraph_classification

    line_class = _paragraph_class()
    classes: list[str] = []
    for start in range(0, len(shapes), WINDOW):
        paragraphs = []
        for line in shapes[start : start + WINDOW]:
            paragraph = line_class(line.text, line.is_heading)
            if line.separators >= 2 and not line.is_prose:  # a list of links: link density
                paragraph.chars_count_in_links = line.chars
            paragraphs.append(paragraph)
        classify_paragraphs(paragraphs, stopwords())
        revise_paragraph_classification(paragraphs)
        classes += [p.class_type for p in paragraphs]
    return classes


def is_dense(line: Shape, kind: str) -> bool:
    """Dense prose: jusText's good, or a sentence of ten words or more (jusText demotes
    a paragraph next to chrome, or a short story's paragraphs under 200 characters)."""
    return not line.is_heading and (kind == "good" or (line.is_prose and line.words >= 10))


def topic_overlap(shapes: Sequence[Shape], dense: Sequence[bool]) -> list[float]:
    """For each line, the share of its content words that other dense lines also use
    (1.0 for a line sharing ON_TOPIC_WORDS of them, whatever its length)."""
    vocabulary: set[str] = set()  # the dense lines' content words
    repeated: set[str] = set()  # those that two dense lines or more use
    for line, is_dense_line in zip(shapes, dense, strict=True):
        if is_dense_line:
            repeated |= vocabulary & line.content
            vocabulary |= line.content
    once = vocabulary - repeated  # a dense line's own words
    overlaps = []
    for line, is_dense_line in zip(shapes, dense, strict=True):
        if not line.content:
            overlaps.append(0.0)
            continue
        shared = len(line.content & vocabulary)
        if is_dense_line:
            shared -= len(line.content & once)  # words no other dense line uses
        overlaps.append(1.0 if shared >= ON_TOPIC_WORDS else shared / len(line.content))
    return overlaps


def decide(shapes: Sequence[Shape], rules: Sequence[str | None]) -> Reading:
    """Keep or drop each line; `rules` holds the explicit chrome rule of each line, if any."""
    if not shapes:
        return Reading([], None, frozenset(), [])
    return _Page(shapes, rules).read()


class _Page:
    """One article's lines while they are being decided."""

    def __init__(self, shapes: Sequence[Shape], rules: Sequence[str | None]) -> None:
        self.shapes, self.rules = shapes, rules
        self.classes = justext_classes(shapes)
        self.dense = [is_dense(line, kind) for line, kind in zip(shapes, self.classes, strict=True)]
        self.overlaps = topic_overlap(shapes, self.dense)
        # With few dense lines, topic overlap is no evidence either way.
        self.evidence = sum(self.dense) >= MIN_CORE_LINES
        self.verdicts: list[Verdict | None] = [
            Verdict(False, rule) if rule is not None else None for rule in rules
        ]

    def read(self) -> Reading:
        core = [i for i in range(len(self.shapes)) if self.is_core(i)]
        if not core:  # no dense prose at all: a short text, keep all but explicit chrome
            return Reading([v or KEEP for v in self.verdicts], None, frozenset(), self.overlaps)
        first, last = core[0], core[-1]
        for i in range(first, last + 1):
            if self.verdicts[i] is None and self.is_prose(i):
                self.verdicts[i] = self.judge_prose(i)
        top, bottom = self.extend(first, last)
        self.keep_outside(bottom, range(bottom + 1, len(self.shapes)))
        self.keep_outside(top, range(top - 1, -1, -1))
        kept = [i for i, v in enumerate(self.verdicts) if v is not None and v.keep]
        self.resolve_runs(min(first, kept[0]), max(last, kept[-1]))
        for i, verdict in enumerate(self.verdicts):
            if verdict is None:
                where = "before the story" if i < first else "after the story"
                self.verdicts[i] = Verdict(False, where, self.signals(i))
        vocabulary = frozenset().union(*(self.shapes[i].content for i in core))
        verdicts = [v or KEEP for v in self.verdicts]
        return Reading(verdicts, _middle(self.shapes, core), vocabulary, self.overlaps)

    def keep_outside(self, anchor: int, lines: range) -> None:
        """Walk away from the span keeping the story's prose out there; `anchor` is the
        nearest line kept so far."""
        for i in lines:
            if self.verdicts[i] is not None or not self.is_prose(i):
                continue
            if self.story_outside(i, near=abs(i - anchor) <= NEAR_LINES):
                self.verdicts[i] = KEEP
                anchor = i

    def resolve_runs(self, first: int, last: int) -> None:
        """Decide the runs of undecided lines between `first` and `last` (both kept)."""
        i = first
        while i <= last:
            end = i
            while self.verdicts[i] is None and self.verdicts[end + 1] is None:
                end += 1
            if self.verdicts[i] is None:
                self.resolve_run(range(i, end + 1))
            i = end + 1

    def is_core(self, i: int) -> bool:
        """Dense prose on the story's topic, in no one's voice but the story's."""
        line = self.shapes[i]
        if self.rules[i] is not None or line.is_headline or not self.dense[i]:
            return False  # jusText promotes headings near prose; the core is prose itself
        if not self.evidence:
            return True
        return not self.speaks_for_the_page(i) and self.overlaps[i] >= ON_TOPIC

    def is_prose(self, i: int) -> bool:
        line = self.shapes[i]
        return line.is_prose or (self.classes[i] == "good" and not line.is_heading)

    def speaks_for_the_page(self, i: int) -> bool:
        """Prose in the page's own voice: it talks to the reader ("you", "we", "our"
        outside any quote) and names the reader's own business (inbox, subscription,
        cookies) or, at some length, is off the story's topic."""
        line = self.shapes[i]
        if not line.reader_voice:
            return False
        if not self.evidence:
            return True
        return line.reader_service or (self.overlaps[i] < OFF_TOPIC_READER and line.words >= 6)

    def judge_prose(self, i: int) -> Verdict:
        """Prose inside the span is story unless it talks to the reader about the reader's
        own business: a first-person reporter's notebook or an interview stays."""
        line = self.shapes[i]
        if self.evidence and line.reader_voice and line.reader_service:
            return Verdict(False, "addresses the reader", self.signals(i))
        return KEEP

    def story_outside(self, i: int, *, near: bool) -> bool:
        """Prose outside the span is kept when it is close to it, on the story's topic, or
        reports someone's words: the story is not lost for an ad before its last line
        or a related list in its middle. Prose in the page's voice is not."""
        line = self.shapes[i]
        if line.words < 6 or line.is_headline or self.speaks_for_the_page(i):
            return False  # a headline out there is another story's
        if self.about_someone_else(i):
            return False
        shared = self.overlaps[i] * len(line.content)
        on_topic = self.overlaps[i] >= NEAR_TOPIC and (shared >= 2 or self.overlaps[i] == 1)
        return near or on_topic or line.quotes

    def about_someone_else(self, i: int) -> bool:
        """A sentence introducing a person the story never mentions ("Jane Smith is the
        foreign editor of ...", "... writes about ..."): an author's bio below the story."""
        return BIO_SHAPE.match(self.shapes[i].text) is not None and self.overlaps[i] < ON_TOPIC

    def extend(self, first: int, last: int) -> tuple[int, int]:
        """Prose directly above or below the span (no chrome between) is story too.
        Returns the first and last lines kept."""

        def story_like(i: int) -> bool:
            line = self.shapes[i]
            if self.rules[i] is not None or self.speaks_for_the_page(i):
                return False
            if self.about_someone_else(i):
                return False
            return line.is_prose or line.text[:1].islower()

        i = last + 1
        while i < len(self.shapes) and story_like(i):
            self.verdicts[i] = KEEP
            i += 1
        j = first - 1
        while j >= 0 and story_like(j) and self.shapes[j].is_prose:
            self.verdicts[j] = KEEP
            j -= 1
        return j + 1, i - 1

    def resolve_run(self, run: range) -> None:
        """Decide a run of undecided lines inside the span from what surrounds it (the
        span starts and ends with core lines, so both neighbours exist)."""
        above, below = self.verdicts[run.start - 1], self.verdicts[run.stop]
        story_sides = sum(v is not None and v.keep for v in (above, below))
        for k in run:
            self.verdicts[k] = self.in_context(k, run, story_sides)

    def in_context(self, k: int, run: range, story_sides: int) -> Verdict:
        line = self.shapes[k]
        if story_sides == 2:
            if len(run) == 1:
                return KEEP  # a subheading, a label such as "Source:"
            headlines = sum(self.shapes[j].is_headline and self.shapes[j].words >= 3 for j in run)
            if headlines >= MIN_LIST:  # (two in a row may be a story's labels or subheads)
                return Verdict(False, "list of headlines", f"{headlines} in a row")
            if any(_chrome_signal(self.shapes[j]) for j in run):
                return Verdict(False, "box of short lines", f"{len(run)} lines")
            return KEEP
        if story_sides == 1:
            if line.ends_sentence and line.words >= 6:
                return KEEP  # a sentence of the story, whatever its density
            if len(run) == 1 and line.is_heading and not _chrome_signal(line):
                return KEEP  # a subheading right after an ad stays
            return Verdict(False, "short line next to chrome", f"{line.words} words")
        return Verdict(False, "short line between chrome", f"{line.words} words")

    def signals(self, i: int) -> str:
        line = self.shapes[i]
        return (
            f"jusText {self.classes[i]}; {line.words} words, stopwords "
            f"{line.stop_share:.2f}, on topic {self.overlaps[i]:.2f}"
        )


def _middle(shapes: Sequence[Shape], core: Sequence[int]) -> int:
    """The core line at which half of the core's characters have been read."""
    half = sum(shapes[i].chars for i in core) / 2
    for i in core:
        half -= shapes[i].chars
        if half <= 0:
            return i
    return core[-1]


def _chrome_signal(line: Shape) -> bool:
    """Any sign of the page's own furniture in a short line."""
    return (
        line.interface_share >= 0.15
        or line.digit_share >= 0.2
        or (line.all_caps and line.words > 0)
        or line.separators > 0
    )
