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
from dataclasses import dataclass

SENTENCE_END = re.compile(r"""[.!?…]["'\u201d)\]]*$""")
ELLIPSIS_ONLY = re.compile(r"^\W*\w+(\s\w+)?\s*(\.\.\.|…)$")  # "Loading...", "Please wait…"
# Two sentences on one line: prose, not a heading. The period must close a word ("U.S.
# Shifts Focus" is one headline).
MID_SENTENCE = re.compile(r"[a-z]{2}[.!?][\"')]?\s+[\"(]?[A-Z]")
WORD = re.compile(r"[^\W\d_]+(?:['\u2019.-][^\W\d_]+)*")
QUOTES = re.compile(r"[\"\u201c\u201d]")
# " | ", " > ", " \u203a ", " \u00bb ", " / ", " \u00b7 ", " \u2022 ": what menus and
# breadcrumbs put between items (not dashes, which prose uses too)
SEPARATORS = re.compile(r"\s(?:[|>\u203a\u00bb/\u00b7\u2022]|::)\s")
SYMBOL = re.compile(r"[^\w\s.,'\"]|\d")


STEM = 5
LONG = 6


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


READER = frozenset({"you", "your", "yours", "yourself", "we", "our", "us", "ours"})

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
    personalised personalized
    """
)


@functools.lru_cache(maxsize=1)
def stopwords() -> frozenset[str]:
    """jusText's English stoplist: the function words that make up most of any prose."""
    import justext

    return frozenset(justext.get_stoplist("English"))


@dataclass(frozen=True, slots=True)
class Shape:
    """What a line looks like, measured once; every decision reads these."""

    text: str
    chars: int
    words: int  # alphabetic words
    stop_share: float  # share of words that are stopwords
    interface_share: float  # share of words that are interface words
    reader_service: bool  # names the reader's inbox, account, cookies, subscription
    capital_share: float  # share of words that start with a capital
    digit_share: float  # share of non-space characters that are digits or symbols
    ends_sentence: bool
    sentences: int  # at least 1 when ends_sentence
    reader_voice: bool  # "you"/"we"/"our" outside any quotation: the page talking
    quotes: bool  # holds a quotation mark: someone's words are reported
    separators: int  # " | ", " > " ...: menus, breadcrumbs, link lists
    content: frozenset[str]  # stems of the content words, for topic overlap

    @property
    def is_prose(self) -> bool:
        """Reads as a sentence: ends like one, has enough words, and enough of them are
        function words (a label or a headline has few)."""
        return (
            self.ends_sentence
            and self.words >= 4
            and self.stop_share >= 0.15
            and not ELLIPSIS_ONLY.match(self.text)
        )

    @property
    def is_heading(self) -> bool:
        """Reads as a headline or subheading: a few words, no closing punctuation, one
        sentence, mostly letters."""
        return (
            1 <= self.words <= 25
            and self.chars <= 200
            and not self.ends_sentence
            and not self.text.endswith((",", ";", "-"))
            and self.separators == 0
            and self.digit_share < 0.3
            and not MID_SENTENCE.search(self.text)
        )

    @property
    def is_headline(self) -> bool:
        """Shaped like a headline: a heading, or a one-sentence question or exclamation."""
        if self.words < 2:
            return False
        return self.is_heading or (
            self.text.endswith(("?", "!", '?"', "?'"))
            and self.words <= 25
            and not MID_SENTENCE.search(self.text)
        )

    @property
    def is_short(self) -> bool:
        return self.words <= 12


def shape(text: str) -> Shape:
    words = WORD.findall(text)
    lowered = [w.lower() for w in words]
    count = len(words) or 1
    stop = stopwords()
    non_space = len(text) - text.count(" ") or 1
    symbols = len(SYMBOL.findall(text))
    ends = bool(SENTENCE_END.search(text))
    quoted = QUOTES.search(text) is not None
    return Shape(
        text=text,
        chars=len(text),
        words=len(words),
        stop_share=sum(w in stop for w in lowered) / count,
        interface_share=sum(w in INTERFACE for w in lowered) / count,
        reader_service=any(w in READER_SERVICE for w in lowered),
        capital_share=sum(w[0].isupper() for w in words) / count,
        digit_share=symbols / non_space,
        ends_sentence=ends,
        sentences=len(MID_SENTENCE.findall(text)) + 1 if ends else 0,
        quotes=quoted,
        # "US" in capitals is the country, not the page talking to its readers
        reader_voice=not quoted and any(w.lower() in READER and not w.isupper() for w in words),
        separators=len(SEPARATORS.findall(text)),
        # a crude stem, the first five letters: "boosts" and "boosting" are one topic;
        # long words count even when frequent ("development", "official")
        content=frozenset(
            w[:STEM] for w in lowered if len(w) > 2 and (w not in stop or len(w) >= LONG)
        ),
    )
