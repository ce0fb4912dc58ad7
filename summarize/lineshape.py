"""The shape of one line of an article: the signals cleaning decides from.

Nothing here knows a publisher or a phrase of a page. A line is described by what any
reader sees at a glance: how long it is, how many of its words are function words
(stopwords, from jusText's stoplist), whether it ends like a sentence, how much of it is
capitalised, digits or symbols, whether it addresses the reader, whether it is a label or
a list of links rather than prose, and which words of the page's interface it uses.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field

ENDINGS = frozenset(".!?\u2026")  # the marks that end a sentence
CLOSING = "\"')]\u201d"  # and what may follow them: "...," he said.")
ELLIPSIS_ONLY = re.compile(r"^\W*\w+(\s\w+)?\s*(\.\.\.|…)$")  # "Loading...", "Please wait…"
# Two sentences on one line: prose, not a heading. The period must close a word ("U.S.
# Shifts Focus" is one headline).
MID_SENTENCE = re.compile(r"[a-z]{2}[.!?][\"')]?\s+[\"(]?[A-Z]")
# Letters spelled out as ranges (ASCII, then the scripts from Latin-1 on, leaving out the
# punctuation, symbol and private-use blocks): twice as fast as [^\W\d_] on long lines.
LETTER = (
    "a-zA-Z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u1fff\u2c00-\u2dff\u3040-\ud7ff"
    "\uf900-\ufdcf\ufe70-\ufefe"
)
WORD = re.compile(f"[{LETTER}]+(?:['.-][{LETTER}]+)*")
QUOTES = re.compile(r"[\"\u201c\u201d]")
# " | ", " > ", " \u203a ", " \u00bb ", " / ", " \u00b7 ", " \u2022 ": what menus and
# breadcrumbs put between items (not dashes, which prose uses too)
SEPARATORS = re.compile(r"\s[|>\u203a\u00bb/\u00b7\u2022]\s")
SEPARATOR_CHARS = "|>\u203a\u00bb/\u00b7\u2022"  # tested for first, with `in`: cheap
SYMBOL = re.compile(r"[^\w\s.,'\"]|\d")


STEM = 5
SHORT_CHARS = 200  # a heading's longest: digits and symbols matter only up to here
LONG = 6


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


READER = _words(
    "you your yours yourself we our us ours you're you've you'll you'd we're we've we'll we'd"
)

# Words of a page's interface: what buttons, menus, widgets and footers are made of. A
# short line mostly made of them is a control, not a sentence of the story. (Signal, not a
# phrase list: it counts a share of words, as a stoplist does for prose.)
INTERFACE = _words(
    """
    share shares sharing tweet email e-mail print copy link links url whatsapp facebook
    twitter linkedin pinterest telegram reddit threads bluesky mastodon instagram youtube
    tiktok flipboard messenger snapchat rss feed subscribe subscribed subscriber subscribers
    subscription unsubscribe newsletter newsletters inbox sign log login logout register
    account profile menu search skip navigation sections section cookie cookies accept
    reject consent preferences settings manage privacy terms policy contact about careers
    jobs advertise advertisement advertising ad ads sponsored sponsor promoted scroll
    continue continues loading load comments comment reply replies follow followers
    download app apps store play sitemap accessibility rights reserved copyright home next
    previous prev back top page pages read more related trending popular latest recommended
    watch listen video videos photo photos gallery image images credit min topics tags tag
    save bookmark open window close show hide expand view views click tap here story stories
    article articles edition podcast podcasts live newsletter alerts notifications donate
    support membership subscribe premium free trial offer help faq feedback report error
    print opinion editorial standards corrections content jump x
    """
)


# The part of that vocabulary a page uses when it talks to its reader about the reader's
# own business (an inbox, an account, cookies): a sentence in the page's voice, not a
# quoted speaker's ("we", "you" also fill interviews and quotes).
READER_SERVICE = _words(
    """
    newsletter newsletters inbox subscribe subscribed subscriber subscribers subscription
    unsubscribe sign login log register account cookie cookies consent preferences settings
    privacy email e-mail app download notifications alerts donate donation membership
    premium trial paywall articles browser device ads advertising personalise personalize
    personalised personalized contribution contributions journalism supporter supporters
    patron patrons
    """
)


@functools.lru_cache(maxsize=1)
def stopwords() -> frozenset[str]:
    """jusText's English stoplist: the function words that make up most of any prose."""
    import justext

    return frozenset(justext.get_stoplist("English"))


@dataclass(slots=True, eq=False)  # not frozen: a frozen dataclass is slow to build
class Shape:
    """What a line looks like, measured once; every decision reads these."""

    text: str
    chars: int
    words: int  # alphabetic words
    stop_share: float  # share of words that are stopwords
    reader_service: bool  # names the reader's inbox, account, cookies, subscription
    all_caps: bool  # written in capitals: a label or a name, rarely a sentence
    digit_share: float  # share of non-space characters that are digits or symbols
    ends_sentence: bool
    reader_voice: bool  # "you"/"we"/"our" outside any quotation: the page talking
    quotes: bool  # holds a quotation mark: someone's words are reported
    separators: int  # " | ", " > " ...: menus, breadcrumbs, link lists
    content: frozenset[str]  # stems of the content words, for topic overlap

    is_prose: bool  # reads as a sentence (`_is_prose`)
    is_heading: bool  # reads as a headline or subheading (`_is_heading`)
    is_headline: bool  # a heading, or a one-sentence question or exclamation
    _lowered: tuple[str, ...] | None = field(default=None, repr=False)
    _interface_share: float | None = field(default=None, repr=False)

    @property
    def is_short(self) -> bool:
        return self.words <= 12

    @property
    def interface_share(self) -> float:
        """Share of its words that are interface words. Counted when first asked for:
        only the rules for headlines and boxes of short lines ask, and counting a long
        paragraph's words costs time."""
        if self._interface_share is None:
            words = self._lowered if self._lowered is not None else lowered_words(self.text)
            self._interface_share = sum(map(INTERFACE.__contains__, words)) / (self.words or 1)
        return self._interface_share

    @property
    def lowered(self) -> tuple[str, ...]:
        """Its words, lower-cased. Listed when first asked for, not when the line is
        measured: only the rules for short lines ask, and a long article's paragraphs
        would otherwise each keep a tuple of their words (or pay to intern them)."""
        if self._lowered is None:
            self._lowered = tuple(lowered_words(self.text))
        return self._lowered


def _is_prose(text: str, words: int, stop_share: float, ends_sentence: bool) -> bool:
    """Enough words, enough of them function words (a label or a headline has few), and
    it ends like a sentence, or is too long and dense to be anything else (a paragraph
    cut off mid-sentence is still prose)."""
    if words < 4 or stop_share < 0.15 or ELLIPSIS_ONLY.match(text):
        return False
    return ends_sentence or (words >= 30 and stop_share >= 0.3)


def _is_heading(text: str, words: int, ends_sentence: bool, separators: int, digits: float) -> bool:
    """A few words, no closing punctuation, one sentence, mostly letters."""
    return (
        1 <= words <= 25
        and len(text) <= 200
        and not ends_sentence
        and not text.endswith((",", ";", "-"))
        and separators == 0
        and digits < 0.3
        and not MID_SENTENCE.search(text)
    )


def _is_headline(text: str, words: int, heading: bool) -> bool:
    """A heading, or a one-sentence question or exclamation, of two words or more."""
    if words < 2:
        return False
    return heading or (
        text.endswith(("?", "!", '?"', "?'")) and words <= 25 and not MID_SENTENCE.search(text)
    )


@functools.lru_cache(maxsize=1 << 16)
def _stem(word: str) -> str:
    """A content word's crude stem, its first five letters ("boosts" and "boosting" are
    one topic); "" for a function word. Long words count even when frequent
    ("development", "official")."""
    if len(word) <= 2 or (len(word) < LONG and word in stopwords()):
        return ""
    return word[:STEM]


# `lowered_words` of ASCII text: letters lower-cased, the joiners ' . - kept, every other
# byte a space; then a joiner without a letter on both sides becomes a space too.
_ASCII_WORDS = (
    bytes(
        ord(chr(b).lower()) if chr(b).isalpha() or chr(b) in "'.-" else ord(" ") for b in range(128)
    )
    + b" " * 128
)
_LONE_JOINER = re.compile(r"['.-](?:(?<![a-z]['.-])|(?![a-z]))")
# The characters whose lower case is not one character of the same kind (LETTER or not),
# or depends on what follows (capital sigma): with one of them, words are lower-cased one
# by one. (Every other character's lower case is one character, a LETTER if it is one.)
_SPECIAL_LOWER = re.compile("[\u0130\u2126\u212a\u212b\u03a3]")


# Punctuation outside ASCII that news text is full of (dashes, an ellipsis, bullets):
# neither LETTER nor a joiner, so a space in its place splits words the same way, and a
# line that is ASCII but for these takes the ASCII way.
WORD_BREAKS = "\u2014\u2013\u2026\u2022\u00b7\u00a0\u2018\u2019\u201c\u201d\u00ab\u00bb\u2012\u2015"


def lowered_words(text: str) -> list[str]:
    """`[word.lower() for word in WORD.findall(text)]`, a line's words lower-cased; on the
    common text (ASCII, or no special letter) with C string methods, not a Python loop."""
    if not text.isascii():
        spaced = text
        for mark in WORD_BREAKS:
            if mark in spaced:
                spaced = spaced.replace(mark, " ")
        if spaced.isascii():
            text = spaced
    if text.isascii():
        spaced = text.encode().translate(_ASCII_WORDS).decode()
        if "'" in spaced or "." in spaced or "-" in spaced:
            spaced = _LONE_JOINER.sub(" ", spaced)
        return spaced.split()
    if _SPECIAL_LOWER.search(text) is None:
        return WORD.findall(text.lower())
    return [word.lower() for word in WORD.findall(text)]


def shape(text: str) -> Shape:
    lowered = lowered_words(text)  # counted here, not kept (see `Shape.lowered`)
    distinct = set(lowered)  # the small word sets test against it, not a pass over the line
    count = len(lowered) or 1
    stop = stopwords()
    stop_share = sum(map(stop.__contains__, lowered)) / count
    quoted = '"' in text  # (cleaning straightens typographic quotes first)
    ends = text.rstrip(CLOSING)[-1:] in ENDINGS
    has_separator = any(char in text for char in SEPARATOR_CHARS)
    separators = len(SEPARATORS.findall(text)) if has_separator else 0
    # only short lines are judged by it; counting symbols in a paragraph costs time
    digits = (
        len(SYMBOL.findall(text)) / (len(text) - text.count(" ") or 1)
        if len(text) <= SHORT_CHARS
        else 0.0
    )
    heading = _is_heading(text, len(lowered), ends, separators, digits)
    return Shape(
        text=text,
        chars=len(text),
        words=len(lowered),
        stop_share=stop_share,
        reader_service=not READER_SERVICE.isdisjoint(distinct),
        all_caps=text.isupper(),
        digit_share=digits,
        ends_sentence=ends,
        # "you", "we" outside quotes; "US" in capitals is the country, not the reader
        reader_voice=not quoted
        and not READER.isdisjoint(distinct)
        and any(w.lower() in READER and not w.isupper() for w in WORD.findall(text)),
        quotes=quoted,
        separators=separators,
        content=frozenset(filter(None, map(_stem, distinct))),
        is_prose=_is_prose(text, len(lowered), stop_share, ends),
        is_heading=heading,
        is_headline=_is_headline(text, len(lowered), heading),
    )
