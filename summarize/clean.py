"""Strip page chrome from an article and keep the story, word for word.

`clean(raw)` is a pure function: raw article text in, `Cleaned` out, with a record of every
dropped line and the rule that dropped it, so `summarize clean --explain` can show its work.

It works line by line, because chrome arrives as whole lines (share buttons, appeals,
trailers). Each rule is a small predicate over one stripped line; the first rule that
matches drops the line. Story lines are kept whole: only whitespace and typographic quotes
are normalised, and leading bullet glyphs are removed, so no word is ever changed.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

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
# One pass of a character class finds the few typographic characters; str.translate with
# this table looks every character up in a dict, many times slower on a whole article.
TYPOGRAPHIC = re.compile("[" + re.escape("".join(STRAIGHT)) + "]")
BULLET = re.compile(r"^[\u2022\u2023\u25cf\u25aa\u25e6\u2043\u2219*\-\u2013\u2014]\s+")
SPACES = re.compile(r"[ \t\f\v]+")
SENTENCE_END = re.compile(r"""[.!?:;…]["')\]]*$""")


def _straight(match: re.Match[str]) -> str:
    return STRAIGHT[match.group()]


def normalize(text: str) -> str:
    """Straighten typographic quotes, fold runs of spaces, and trim each line."""
    text = TYPOGRAPHIC.sub(_straight, text).replace("\r\n", "\n").replace("\r", "\n")
    return "\n".join(SPACES.sub(" ", line).strip() for line in text.split("\n"))


WHITESPACE_RUN = re.compile(r"\s+")
# Whitespace that folding would change other than a lone space, newline or paragraph break.
IRREGULAR_GAP = re.compile(r"[^\S \n]|  | \n|\n |\n\n\n")


def normalize_for_match(text: str) -> str:
    """The form quotes are compared in: normalised, all whitespace folded to one space.

    The same as folding `normalize(text)`. It runs on whole articles, up to megabytes:
    a cleaned article's only gaps are single spaces and paragraph breaks, which two
    replaces fold without the list of every word that a regex substitution builds."""
    text = TYPOGRAPHIC.sub(_straight, text)
    if IRREGULAR_GAP.search(text):
        return WHITESPACE_RUN.sub(" ", text).strip()
    return text.replace("\n\n", " ").replace("\n", " ").strip()


@dataclass(frozen=True)
class Dropped:
    """One line the cleaner removed, and why."""

    line: int  # 1-based line number in the raw text
    text: str
    rule: str


@dataclass(frozen=True)
class Cleaned:
    title: str | None
    section: str | None
    text: str
    dropped: tuple[Dropped, ...]


def _matches(*patterns: str) -> Callable[[str], bool]:
    compiled = re.compile("|".join(f"(?:{p})" for p in patterns), re.IGNORECASE)
    return lambda line: compiled.search(line) is not None


_SHARE_TARGETS = (
    r"facebook|twitter|x|linkedin|pinterest|telegram|email|e-mail|reddit|whatsapp|"
    r"messenger|flipboard|tumblr|vk|print|copy link"
)
_share_button = _matches(
    rf"^(share|share on|share via|tweet|post) ?(on |to )?({_SHARE_TARGETS})?$",
    rf"^({_SHARE_TARGETS})$",
    r"^share this (article|story)$",
)
_error_widget = _matches(
    r"^oops!?$",
    r"^something went wrong\.?$",
    r"^please try again later\.?$",
    r"^oops! something went wrong\. please try again later\.?$",
)
_donation_appeal = _matches(
    r"\bsupport (us|fearless|independent|our journalism)\b",
    r"\bdonate\b",
    r"\bbecome (our|a) (patron|member|supporter)\b",
    r"\bour readers support us\b",
    r"\bwe accept support\b",
    r"\bsubscribe to (our|the) newsletter\b",
    r"\bsign up for (our|the) (free )?newsletter\b",
)
_self_promotion = _matches(
    r"\bis the place where you will find\b",
    r"\bfollow us on\b",
    r"^(download|get) our app\b",
)
_syndication_note = _matches(
    r"^this (story|article) (originally )?appeared (first )?(on|in) .*read the full story",
    r"^read the full (story|article)( (at|on) .*)?$",
    r"^this (story|article) (originally )?appeared (first )?(on|in) \S+\.?$",
)
_trailer_heading = _matches(
    r"^(related|more|don'?t miss|read more|recommended|most popular|trending|"
    r"related (articles|stories|news)|more (stories|news)|you may also like|also read|"
    r"advertisement)$"
)
_pagination = _matches(r"^(\d[\d,]*\s+){1,}\d[\d,]*$", r"^(next|previous|prev|page \d+)$")


def _tag_cloud(line: str) -> bool:
    """Tags glued together with no separator: 'North KoreaNorth Korea- Russia sanctions...'."""
    glued = re.findall(r"[a-z][A-Z]", line)
    return len(glued) >= 3 and not SENTENCE_END.search(line)


RULES: tuple[tuple[str, Callable[[str], bool]], ...] = (
    ("share button", _share_button),
    ("error widget", _error_widget),
    ("publisher self-promotion", _self_promotion),
    ("donation appeal", _donation_appeal),
    ("syndication note", _syndication_note),
    ("trailer heading", _trailer_heading),
    ("pagination", _pagination),
    ("tag cloud", _tag_cloud),
)


def classify(line: str) -> str | None:
    """The name of the first rule that marks this (normalised) line as chrome, else None."""
    for name, is_chrome in RULES:
        if is_chrome(line):
            return name
    return None


MID_SENTENCE = re.compile(r"[.!?]\s+[A-Z]")  # two sentences on one line: prose, not a heading


def _looks_like_heading(line: str) -> bool:
    return (
        len(line) <= 200
        and not SENTENCE_END.search(line)
        and not line.rstrip().endswith((",", ";", ":", "-"))
        and not MID_SENTENCE.search(line)
    )


def _split_title(
    lines: list[tuple[int, str]],
) -> tuple[str | None, str | None, list[tuple[int, str]], list[Dropped]]:
    """Take a section label and a headline off the top of the story, if they are there.

    The headline is the first line when it reads as a heading (short, no closing
    punctuation) and the next line is not a continuation of it. A very short heading
    directly above another heading is the section label ('Politics', 'United States').
    """
    headings: list[tuple[int, str]] = []
    for number, line in lines[:2]:
        if not _looks_like_heading(line):
            break
        headings.append((number, line))
    if not headings or len(headings) == len(lines):
        return None, None, lines, []
    following = lines[len(headings)][1]
    if following[:1].islower():  # the "heading" runs on into this line: it is prose
        return None, None, lines, []
    if len(headings) == 2 and len(headings[0][1].split()) <= 3:
        (section_no, section), (title_no, title) = headings
        dropped = [
            Dropped(section_no, section, "section label"),
            Dropped(title_no, title, "headline (moved to title)"),
        ]
        return title, section, lines[2:], dropped
    title_no, title = headings[0]
    return title, None, lines[1:], [Dropped(title_no, title, "headline (moved to title)")]


def clean(raw: str, *, find_title: bool = True) -> Cleaned:
    """Clean one article. Paragraphs in the result are separated by a blank line."""
    kept: list[tuple[int, str]] = []
    dropped: list[Dropped] = []
    for number, raw_line in enumerate(normalize(raw).split("\n"), start=1):
        line = BULLET.sub("", raw_line)
        if not line:
            continue
        rule = classify(line)
        if rule is not None:
            dropped.append(Dropped(number, line, rule))
            continue
        kept.append((number, line))

    title = section = None
    if find_title:
        title, section, kept, heading_drops = _split_title(kept)
        dropped = sorted(dropped + heading_drops, key=lambda d: d.line)
    text = "\n\n".join(line for _, line in kept)
    return Cleaned(title=title, section=section, text=text, dropped=tuple(dropped))
