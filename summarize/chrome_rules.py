"""Explainable rules for lines that are page chrome on their own, whatever surrounds them.

Each rule is named (the name is what `summarize clean --explain` prints) and looks at one
line's `Shape`. The story is protected by construction: a rule either matches the whole
line (anchored: "Page 1 of 3", "© 2025 ...", "Read more: <a headline>"), or it may only
drop a line that does not read as prose. A sentence of the story that happens to contain
"support us", "share" or "donate" is never dropped by a phrase inside it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from summarize.lineshape import INTERFACE, WORD, Shape, shape, stopwords

IGNORE = re.IGNORECASE


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


DATE_WORDS = _words(
    """jan feb mar apr may jun jul aug sep sept oct nov dec january february march april
    june july august september october november december monday tuesday wednesday
    thursday friday saturday sunday today yesterday am pm a.m p.m gmt utc est edt cet cest
    bst pst pdt ist jst ago hours hour minutes updated published posted modified last
    first on at by"""
)
COPYRIGHT = re.compile(r"\u00a9|\(c\)|&copy|\bcopyright\b|\ball rights reserved\b", IGNORE)
BYLINE = re.compile(
    r"^(?:[Bb]y|BY|[Ww]ritten by|[Rr]eporting by|[Ww]ords by|[Ss]tory by|[Ff]rom)\s+"
    r"(?P<names>[A-Z][\w.'-]*(?:\s+(?:[A-Z][\w.'-]*|and|&|,|de|van|von|al|bin))*)"
    r"(?:\s*[,|/-]\s*.{0,40})?$"
)
NAME_SEPARATOR = re.compile(r"\s*(?:,|&|\band\b)\s*")
CAPTION = re.compile(
    r"^(?:file(?: photo)?|photo|photos|image|images|picture|credit|image credit|photo credit|"
    r"illustration|video)\s*[:\-\u2013\u2014|/]"  # a credit label at the start
    r"|\((?=[^()]*(?:\bphoto|\bimage|\bfile\b|\bcredit|getty|reuters|\bAP\b|\bAFP\b|\bEPA\b|"
    r"\bpool\b|courtesy|\bvia\b|/))[^()]{1,80}\)\s*\.?$"  # a credit in brackets at the end
    r"|\b(?:getty images|shutterstock|afp|reuters|associated press)\s*$",  # a bare credit
    IGNORE,
)
# A photographer's credit closing a caption: "... on Monday. Sergei Ivanov/TASS"
SLASH_CREDIT = re.compile(r"\.\s+[A-Z][\w'-]*(?:\s[A-Z][\w'-]*){0,3}\s?/\s?[A-Z][\w-]*\s*$")
LINK_LABEL = re.compile(
    r"^(?P<label>[^:|\u2013\u2014]{2,30}?)\s*(?::|\||\u2013|\u2014|\s-)\s*(?P<rest>\S.*)$"
)
MENU_SEPARATOR = re.compile(r"\s[|>\u203a\u00bb/\u00b7\u2022]\s")
GLUED = re.compile(r"[a-z][A-Z]")
DIGIT = re.compile(r"\d")
LABEL_MARKS = (":", "|", " - ", "\u2013", "\u2014")
# What a link to another page is labelled with ("Read more:", "Related |", "Watch:"). A
# headline's own label ("Report:", "Analysis:", "Q&A:") is not among them.
LINK_WORDS = _words(
    """read more related see also watch listen recommended trending popular latest further
    reading explore editor's editors picks pick top stories story don't dont miss click here
    from our the more next previous up"""
)


SHARING = _words(
    """share shares sharing tweet post email e-mail print copy link url whatsapp facebook
    twitter x linkedin pinterest telegram reddit threads bluesky mastodon instagram youtube
    tiktok flipboard messenger snapchat vk line opens new window tab"""
)


def _share_button(line: Shape) -> bool:
    """'Share on Threads', 'Copy URL', 'WhatsApp (opens in new window)'."""
    if line.words > 6 or line.is_prose:
        return False
    content = [w for w in line.lowered if w not in stopwords()]
    return bool(content) and all(w in SHARING for w in content)


def _interface(line: Shape) -> bool:
    """Mostly the page's own controls: 'Share on Threads', 'Copy URL', '479 comments'."""
    if line.words > 8 or (line.is_prose and line.words >= 6):
        return False
    content = [w for w in line.lowered if w not in stopwords()]
    if not content:
        return False
    return sum(w in INTERFACE for w in content) / len(content) > 0.5


def _numbers_and_symbols(line: Shape) -> bool:
    """No words to speak of: '1 2 3 6,013', '0:00 / 2:41', '«'."""
    return line.words == 0 or (line.words <= 2 and line.digit_share >= 0.4)


def _dateline(line: Shape) -> bool:
    """Only dates, times and 'Updated'/'Published': 'Updated March 3, 2025 10:45 AM EST'."""
    if line.words > 12 or line.digit_share == 0 or DIGIT.search(line.text) is None:
        return False
    return all(w.rstrip(".") in DATE_WORDS for w in line.lowered)


def _byline(line: Shape) -> bool:
    return line.words <= 10 and not line.is_prose and BYLINE.match(line.text) is not None


def _menu(line: Shape) -> bool:
    """Breadcrumbs and menus: short items between separators, 'Home > World > Europe'."""
    if line.separators == 0 or line.is_prose:
        return False
    parts = MENU_SEPARATOR.split(line.text)
    if len(parts) < 2:
        return False
    return all(len(p.split()) <= 4 for p in parts) and (len(parts) >= 3 or line.words <= 4)


def _copyright(line: Shape) -> bool:
    if line.words > 20:
        return False
    if not any(mark in line.text for mark in ("\u00a9", "(", "&")) and not (
        {"copyright", "reserved"} & set(line.lowered)
    ):
        return False  # a cheap test first: the pattern is slow to try on every line
    return COPYRIGHT.search(line.text) is not None


CAPTION_WORDS = _words(
    "file photo photos image images picture credit illustration video shutterstock afp "
    "reuters press"
)


def _caption(line: Shape) -> bool:
    if line.words > 40 or not line.lowered:
        return False
    text = line.text
    if not (
        text.rstrip(". ").endswith(")")
        or "/" in text
        or line.lowered[0] in CAPTION_WORDS
        or line.lowered[-1] in CAPTION_WORDS
    ):
        return False  # a cheap test first: the patterns are slow to try on every line
    return CAPTION.search(text) is not None or SLASH_CREDIT.search(text) is not None


def _link_to_another_story(line: Shape) -> bool:
    """'Read more: <headline>', 'ALSO READ | <headline>': a label made of the words
    links are labelled with, in front of a headline (not a sentence: 'Details: He added
    that...' is the story's; not a headline's own label: 'Q&A: ...', 'Report: ...')."""
    if not any(mark in line.text for mark in LABEL_MARKS):
        return False
    match = LINK_LABEL.match(line.text)
    if match is None:
        return False
    label, rest = match["label"].strip(), match["rest"]
    label_words = WORD.findall(label.lower())
    if not label_words or len(label_words) > 4:
        return False
    return all(w in LINK_WORDS for w in label_words) and shape(rest).is_headline


def _tag_cloud(line: Shape) -> bool:
    """Tags glued together with no separator: 'North KoreaNorth Korea- Russia sanctions...'."""
    return not line.ends_sentence and len(GLUED.findall(line.text)) >= 3


def _anchored(*patterns: str) -> Callable[[Shape], bool]:
    """A phrase rule that must match the whole line."""
    compiled = re.compile("|".join(f"(?:^{p}$)" for p in patterns), IGNORE)
    return lambda line: compiled.match(line.text) is not None


def _phrase(*patterns: str) -> Callable[[Shape], bool]:
    """A phrase rule for short lines that are not prose; never for a sentence."""
    compiled = re.compile("|".join(f"(?:{p})" for p in patterns), IGNORE)
    return lambda line: (
        line.is_short and not line.is_prose and compiled.search(line.text) is not None
    )


@dataclass(frozen=True)
class Rule:
    name: str
    matches: Callable[[Shape], bool]


RULES: tuple[Rule, ...] = (
    Rule("share button", _share_button),
    Rule("interface words", _interface),
    Rule("numbers and symbols", _numbers_and_symbols),
    Rule("dateline", _dateline),
    Rule("byline", _byline),
    Rule("breadcrumb or menu", _menu),
    Rule("copyright", _copyright),
    Rule("photo caption or credit", _caption),
    Rule("link to another story", _link_to_another_story),
    Rule("tag cloud", _tag_cloud),
    Rule(
        "error widget",
        _anchored(
            r"oops!?",
            r"(oops!? )?something went wrong[.,!]?( please try again( later)?[.!]?)?",
            r"please try again( later)?[.!]?",
        ),
    ),
    Rule(
        "syndication note",
        _anchored(
            r"this (story|article) (originally )?appeared (first )?(on|in) .*read the full story",
            r"read the full (story|article)( (at|on) .*)?",
            r"this (story|article) (originally )?appeared (first )?(on|in) \S+\.?",
        ),
    ),
    Rule(
        "appeal to the reader",
        _phrase(
            r"\bsupport (us|fearless|independent|our journalism)\b",
            r"\bdonate\b",
            r"\bbecome (our|a) (patron|member|supporter)\b",
            r"\bsubscribe\b",
            r"\bsign up\b",
            r"\bfollow us\b",
        ),
    ),
    Rule(
        "trailer heading",
        _anchored(
            r"(don'?t miss|you may also like|more|also read)",
            r"(more|latest|top stories|most read|also) (from|on|in|at) [^.!?:]{1,40}",
        ),
    ),
)


def author_names(lines: Sequence[Shape], rules: Sequence[str | None]) -> set[str]:
    """Names the page credits as its authors: from bylines ('By Maria Kovacs and Daniel
    Osei') and from short lines of a name in capitals ('MARIA KOVACS')."""
    names: set[str] = set()
    for line, rule in zip(lines, rules, strict=True):
        match = BYLINE.match(line.text) if rule == "byline" else None
        if match is not None:
            names.update(n.lower() for n in NAME_SEPARATOR.split(match["names"]) if " " in n)
        elif line.all_caps and 2 <= line.words <= 4 and line.words == len(line.text.split()):
            names.add(line.text.lower())
    return names


def is_author_bio(line: Shape, names: set[str]) -> bool:
    """A paragraph that starts with the name of the page's author is about the author:
    'Maria Kovacs is a correspondent for ...', 'Maria Kovacs writes about ...'."""
    if not names or not line.is_prose or line.words < 5:
        return False
    start = line.text.lower()
    return any(start.startswith(name + " ") for name in names)


LONGEST_RULED = 40  # words: no rule but the tag cloud reaches a line longer than this
LONG_PROSE = 20  # words: a sentence this long can only be a caption or a syndication note


# The rules that can match a long sentence (the others look at short lines only)
PROSE_RULES = tuple(r for r in RULES if r.name in {"photo caption or credit", "syndication note"})


def chrome_rule(line: Shape) -> str | None:
    """The name of the first rule that marks this line as chrome on its own, else None."""
    if line.words > LONGEST_RULED:
        return "tag cloud" if _tag_cloud(line) else None
    rules = PROSE_RULES if line.is_prose and line.words > LONG_PROSE else RULES
    for rule in rules:
        if rule.matches(line):
            return rule.name
    return None
