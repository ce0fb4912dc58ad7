"""The project's one definition of "the same threat", as a score with its parts.

Two threats are the same when the same issuer threatens overlapping targets with the same
kind of measure, worded alike, close in time. `likeness` scores each of those parts in
[0, 1] and weighs them into one score; callers decide what is close enough:

- merging the chunk briefs of one article (`summarize.chunking`) needs every gate and an
  action worded alike (`same_in_article`): time is not a question within one article;
- linking threats across articles (`summarize.store`) adds how close in time the reports
  are and links at `LINK_THRESHOLD` (`same_across_articles`), measured on the labelled
  pairs in `evals/threat_pairs/`.

Names compare after normalisation (case, dots of abbreviations, punctuation, a leading
"the") and a small table of the commonest variants of state names ("U.S." and "United
States"); anything else compares as written.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Protocol

WORD = re.compile(r"(?:[^\W_]|[%$])+")  # letters of any script, digits, % and $

ALIASES: dict[str, tuple[str, ...]] = {
    "united states": ("us", "usa", "america", "washington", "united states of america"),
    "united kingdom": ("uk", "britain", "great britain"),
    "european union": ("eu",),
    "russia": ("russian federation", "moscow", "kremlin"),
    "china": ("prc", "people s republic of china", "beijing"),
    "north korea": ("dprk", "pyongyang", "democratic people s republic of korea"),
    "south korea": ("republic of korea", "rok", "seoul"),
    "united nations": ("un",),
    "united nations security council": ("un security council", "unsc", "security council"),
    "iran": ("tehran", "islamic republic of iran"),
    "ukraine": ("kyiv", "kiev"),
    "turkey": ("turkiye", "türkiye", "ankara"),
    "nato": ("north atlantic treaty organization",),
}
_CANONICAL = {variant: name for name, variants in ALIASES.items() for variant in variants}

# Words that carry no meaning of a measure: articles, prepositions, modal verbs.
STOPWORDS = frozenset(
    [
        "a",
        "an",
        "the",
        "of",
        "to",
        "on",
        "in",
        "for",
        "and",
        "or",
        "by",
        "with",
        "from",
        "at",
        "as",
        "its",
        "their",
        "his",
        "her",
        "it",
        "that",
        "this",
        "be",
        "will",
        "would",
        "could",
        "may",
        "might",
        "shall",
        "should",
        "is",
        "are",
        "was",
        "were",
        "has",
        "have",
        "had",
        "any",
        "all",
    ]
)

# Weights of the parts; they sum to 1. Issuer, targets and category are also gates.
WEIGHTS = {"issuer": 0.25, "targets": 0.2, "category": 0.15, "action": 0.25, "time": 0.15}
CHUNK_ACTION_THRESHOLD = 0.3  # chunks of one article: actions this alike are one threat
# Reports in different articles: this likeness links them (set on evals/threat_pairs).
LINK_THRESHOLD = 0.76
TIME_HALF_LIFE_DAYS = 30.0  # reports this far apart score 0.5 on closeness in time
NEUTRAL = 0.5  # a part that cannot be judged (no date, no measure named) counts half


class ThreatLike(Protocol):
    """What likeness reads of a threat: `ExtractedThreat`, `Threat` or a stored row."""

    @property
    def issuer(self) -> str: ...
    @property
    def targets(self) -> list[str]: ...
    @property
    def category(self) -> str: ...
    @property
    def action(self) -> str: ...


def normalize_name(name: str | None) -> str:
    """A name as compared: casefolded, abbreviation dots and punctuation gone, no leading
    'the'. 'The U.S.' -> 'us'."""
    words = WORD.findall((name or "").casefold().replace(".", ""))
    if words[:1] == ["the"]:
        words = words[1:]
    return " ".join(words)


def canonical_name(name: str | None) -> str:
    """The normalised name, with a known variant replaced by its canonical form."""
    normalized = normalize_name(name)
    return _CANONICAL.get(normalized, normalized)


def action_words(text: str | None) -> set[str]:
    """The content words of an action, crudely stemmed ('imposes', 'imposed' -> 'impos');
    '%' is the word 'percent'."""
    words = WORD.findall((text or "").casefold().replace("%", " percent "))
    return {_stem(w) for w in words if w not in STOPWORDS}


def _stem(word: str) -> str:
    """Enough to equate 'wines' and 'wine', 'imposes', 'imposed' and 'imposing'."""
    for suffix in ("ing", "ed", "s"):
        if len(word) > len(suffix) + 2 and word.endswith(suffix) and not word.endswith("ss"):
            word = word[: -len(suffix)]
            break
    return word[:-1] if len(word) > 3 and word.endswith("e") else word


def jaccard(left: set[str], right: set[str]) -> float:
    return len(left & right) / len(left | right) if left | right else 1.0


def target_overlap(a: frozenset[str], b: frozenset[str]) -> float:
    """Shared targets over the shorter list: one report naming Canada and another naming
    Canada, Mexico and China overlap fully on what the first one says."""
    if not a or not b:
        return 0.0
    return len(a & b) / min(len(a), len(b))


def time_closeness(left: date | None, right: date | None) -> float:
    """1.0 on the same day, halving every `TIME_HALF_LIFE_DAYS`; 0.5 when a date is unknown."""
    if left is None or right is None:
        return NEUTRAL
    return float(0.5 ** (abs((left - right).days) / TIME_HALF_LIFE_DAYS))


@dataclass(frozen=True)
class Features:
    """A threat as likeness sees it: canonical names, category, the words of its measure."""

    issuer: str
    targets: frozenset[str]
    category: str
    measure: frozenset[str]


@dataclass(frozen=True)
class Likeness:
    """How alike two threats are: each part in [0, 1], and the weighted score."""

    issuer: float
    targets: float
    category: float
    action: float
    time: float

    @property
    def gated(self) -> bool:
        """Same issuer, overlapping targets, same kind of measure: the minimum to be one."""
        return self.issuer == 1.0 and self.targets > 0 and self.category == 1.0

    @property
    def score(self) -> float:
        parts = self.parts()
        return round(sum(WEIGHTS[name] * value for name, value in parts.items()), 4)

    def parts(self) -> dict[str, float]:
        return {
            "issuer": self.issuer,
            "targets": round(self.targets, 4),
            "category": self.category,
            "action": round(self.action, 4),
            "time": round(self.time, 4),
        }

    def explain(self) -> str:
        parts = ", ".join(f"{name} {value:.2f}" for name, value in self.parts().items())
        return f"{self.score:.2f} ({parts})"


def features(threat: ThreatLike) -> Features:
    """What likeness compares of a threat, computed once (the store keeps them)."""
    return Features(
        issuer=canonical_name(threat.issuer),
        targets=frozenset(canonical_name(t) for t in threat.targets),
        category=threat.category,
        measure=frozenset(_measure_words(threat)),
    )


def _measure_words(threat: ThreatLike) -> set[str]:
    """The action's words less those naming its parties or its category ('tariffs',
    'Canadian'), which the other parts already compare: what is left is the measure."""
    names = {threat.issuer, *threat.targets, threat.category.replace("_", " ")}
    known = {w[:5] for name in names for w in action_words(canonical_name(name) + " " + name)}
    return {w for w in action_words(threat.action) if w[:5] not in known}


def compare(
    a: Features, b: Features, *, a_date: date | None = None, b_date: date | None = None
) -> Likeness:
    return Likeness(
        issuer=float(a.issuer == b.issuer),
        targets=target_overlap(a.targets, b.targets),
        category=float(a.category == b.category),
        action=_measure_likeness(a.measure, b.measure),
        time=time_closeness(a_date, b_date),
    )


def _measure_likeness(a: frozenset[str], b: frozenset[str]) -> float:
    """Jaccard of the measure words; NEUTRAL when a side names no measure beyond a verb
    ('impose sanctions' says only 'impose'): silence is no evidence either way."""
    if min(len(a), len(b)) < 2:
        return NEUTRAL
    return jaccard(set(a), set(b))


def likeness(
    a: ThreatLike, b: ThreatLike, *, a_date: date | None = None, b_date: date | None = None
) -> Likeness:
    return compare(features(a), features(b), a_date=a_date, b_date=b_date)


def same_in_article(a: ThreatLike, b: ThreatLike) -> bool:
    """One threat found twice in one article (its chunks): every gate, and measures worded
    alike. Stricter than across articles: a measure left unnamed in one chunk is not taken
    as the same as the other's, since both were worded from one text."""
    left, right = features(a), features(b)
    found = compare(left, right)
    return found.gated and jaccard(set(left.measure), set(right.measure)) >= CHUNK_ACTION_THRESHOLD


def same_across_articles(found: Likeness) -> bool:
    """Two reports of one threat in different articles."""
    return found.gated and found.score >= LINK_THRESHOLD
