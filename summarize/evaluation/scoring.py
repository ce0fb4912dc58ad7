"""Score predicted briefs against gold briefs, field by field.

Pure functions over plain dicts in the brief's JSON contract, so a report can be
recomputed from stored JSON alone. The method, which `evals/README.md` restates:

1. Names are compared after normalisation (case, punctuation, a leading "the") and
   through an alias table: the product's (`summarize.similarity.ALIASES`), the eval's
   few additions below (`EVAL_ALIASES`) and each gold file's `aliases` (a gold
   alias that clashes with a built-in one loses; `gold.alias_clashes` names it). Issuers
   and speakers also match by their tokens with titles stripped, speakers by surname too
   ("Rubio" = "Secretary of State Marco Rubio"); never by substring.
2. Predicted threats are matched one-to-one to gold threats by the assignment that
   maximises total similarity (issuer 0.4, targets Jaccard 0.4, category 0.2); a pair
   below `MATCH_THRESHOLD` is no match. Unmatched predictions are false positives, which
   includes any threat predicted in a no-threat article; unmatched gold are misses.
3. On matched pairs: issuer, category and deadline accuracy (a deadline whose gold date
   is null judged on its text); targets and speaker P/R/F1 (a speaker named where gold
   has none is a false positive); `action` and `conditions` similarity as token F1 after
   normalisation, counted correct at or above `TEXT_THRESHOLD`.
4. Actors P/R/F1 by role on (name, role) pairs; dates P/R/F1 on resolved ISO values;
   grounding: the share of evidence quotes and conditions that pass the product's own
   grounding check (`pipeline.check_grounding`: found in the cleaned article, outside
   any passage suspected of prompt injection).
Aggregates are micro-averaged over all items, with their counts.
"""

from __future__ import annotations

import itertools
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from summarize.clean import normalize_for_match
from summarize.pipeline import check_grounding
from summarize.schema import ExtractedThreat, Grounding
from summarize.similarity import ALIASES, STOPWORDS

MATCH_THRESHOLD = 0.5
TEXT_THRESHOLD = 0.5
ROLES = ("issuer", "target", "speaker", "other")

# Names the eval also counts as the state, beyond the product's table
# (`summarize.similarity.ALIASES`, which the store links threats by): its government
# named by its capital or as a government, as stories name issuers.
EVAL_ALIASES: dict[str, tuple[str, ...]] = {
    "united states": ("us government",),
    "united kingdom": ("london",),
    "european union": ("brussels",),
}


def normalize_name(name: str) -> str:
    text = normalize_for_match(name).casefold()
    text = re.sub(r"[^\w\s]", " ", text.replace(".", ""))
    text = re.sub(r"\s+", " ", text).strip()
    return re.sub(r"^the ", "", text)


class AliasTable:
    """Maps every known variant of a name to one canonical form."""

    def __init__(self, *tables: Mapping[str, Iterable[str]]) -> None:
        self._canonical: dict[str, str] = {}
        for table in (ALIASES, EVAL_ALIASES, *tables):
            for canonical, variants in table.items():
                key = self._canonical.get(normalize_name(canonical), normalize_name(canonical))
                for variant in (canonical, *variants):
                    self._canonical.setdefault(normalize_name(variant), key)

    def canonical(self, name: str | None) -> str | None:
        if name is None:
            return None
        normalized = normalize_name(name)
        return self._canonical.get(normalized, normalized)

    def same(self, left: str | None, right: str | None) -> bool:
        return self.canonical(left) == self.canonical(right)

    def knows(self, name: str) -> bool:
        return normalize_name(name) in self._canonical


# Words that give a person's office, not their name: stripped before names are compared.
TITLE_WORDS = frozenset(
    {
        "president",
        "prime",
        "minister",
        "secretary",
        "state",
        "department",
        "spokesman",
        "spokeswoman",
        "spokesperson",
        "foreign",
        "defense",
        "defence",
        "deputy",
        "ambassador",
        "general",
        "gen",
        "lt",
        "col",
        "chancellor",
        "king",
        "queen",
        "leader",
        "chief",
        "envoy",
        "special",
        "representative",
        "senator",
        "sen",
        "rep",
        "mr",
        "mrs",
        "ms",
        "dr",
        "professor",
        "prof",
        "adviser",
        "advisor",
        "national",
        "security",
        "interior",
        "finance",
        "affairs",
        "ministry",
        "official",
        "commander",
        "supreme",
        "vice",
        "acting",
        "former",
        "premier",
        "governor",
        "mayor",
        "director",
        "head",
        "us",
        "un",
        "uk",
        "eu",
        "provincial",
        "sheikh",
        "crown",
        "prince",
        "emir",
        "sir",
        "lord",
        "of",
        "the",
        "for",
        "a",
        "an",
        "and",
        "to",
        "in",
        "at",
        "on",
    }
)


def _capitalised_words(part: str) -> int:
    words = re.findall(r"[^\W\d_][\w'-]*", part)
    return sum(w[0].isupper() and w.casefold().rstrip(".") not in TITLE_WORDS for w in words)


def person_tokens(name: str) -> list[str]:
    """A person's name as tokens, titles stripped: "Matthew Miller, spokesperson for the US
    Department of State" is [matthew, miller]. Of comma-separated parts, the first that
    holds two or more capitalised non-title words names the person (else the one with
    most): "Ontario's premier, Doug Ford" is [doug, ford]."""
    parts = [p for p in re.sub(r"['\u2019]s\b", "", name).split(",") if p.strip()] or [name]
    named = [p for p in parts if _capitalised_words(p) >= 2]
    part = named[0] if named else max(parts, key=_capitalised_words)
    return [t for t in normalize_name(part).split() if t not in TITLE_WORDS]


def same_speaker(predicted: str | None, gold: str | None, names: AliasTable) -> bool:
    """Two speakers are one person when the alias table says so, or when their names,
    titles stripped, are equal or one is the other's surname part ("Rubio" and "Secretary
    of State Marco Rubio"). Never by substring: "e", "State" or "Minister" name no one."""
    if predicted is None or gold is None:
        return predicted is None and gold is None
    if names.same(predicted, gold):
        return True
    p, g = person_tokens(predicted), person_tokens(gold)
    if not p or not g:
        return False
    shorter, longer = sorted((p, g), key=len)
    return shorter[-1] == longer[-1] and set(shorter) <= set(longer)


def same_issuer(predicted: str | None, gold: str | None, names: AliasTable) -> bool:
    """Issuers (states, organisations) match through the alias table or by their
    normalised names with titles stripped; no surname rule: "States" is not a state."""
    if predicted is None or gold is None:
        return predicted is None and gold is None
    if names.same(predicted, gold):
        return True
    p = [t for t in normalize_name(predicted).split() if t not in TITLE_WORDS]
    return bool(p) and p == [t for t in normalize_name(gold).split() if t not in TITLE_WORDS]


def tokens(text: str) -> list[str]:
    words = re.findall(r"[\w%$]+", normalize_for_match(text).casefold())
    return [_stem(w) for w in words if w not in STOPWORDS]


def _stem(word: str) -> str:
    """A crude stemmer, enough to equate 'imposes', 'imposed', 'imposing' and 'impose'."""
    for suffix in ("ing", "ed", "s"):
        if len(word) > len(suffix) + 2 and word.endswith(suffix):
            word = word[: -len(suffix)]
            break
    return word[:-1] if len(word) > 3 and word.endswith("e") else word


def token_f1(predicted: str, gold: str) -> float:
    """Token-overlap F1 after normalisation: 1.0 for identical wording, 0.0 for none."""
    p, g = Counter(tokens(predicted)), Counter(tokens(gold))
    if not p and not g:
        return 1.0
    overlap = sum((p & g).values())
    if overlap == 0:
        return 0.0
    precision, recall = overlap / sum(p.values()), overlap / sum(g.values())
    return 2 * precision * recall / (precision + recall)


def list_similarity(predicted: Sequence[str], gold: Sequence[str]) -> float:
    """Soft F1 of two lists of phrases: each item counts its best token-F1 partner."""
    if not predicted and not gold:
        return 1.0
    if not predicted or not gold:
        return 0.0
    precision = sum(max(token_f1(p, g) for g in gold) for p in predicted) / len(predicted)
    recall = sum(max(token_f1(p, g) for p in predicted) for g in gold) / len(gold)
    return 0.0 if precision + recall == 0 else 2 * precision * recall / (precision + recall)


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


@dataclass
class Counts:
    """True positives, false positives and false negatives, summed micro-style.

    A rate with nothing to count is undefined (None, shown as "-"), never a free 1.0: a
    model that predicts nothing has no precision to speak of, and must not look precise.
    F1 is 0.0 when only one side is empty, and undefined when both are (targets of no
    matched threat, or a no-threat article answered with no threat: nothing to judge).
    """

    tp: int = 0
    fp: int = 0
    fn: int = 0

    def add(self, other: Counts) -> None:
        self.tp, self.fp, self.fn = self.tp + other.tp, self.fp + other.fp, self.fn + other.fn

    @property
    def precision(self) -> float | None:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else None

    @property
    def recall(self) -> float | None:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else None

    @property
    def f1(self) -> float | None:
        p, r = self.precision, self.recall
        if p is None and r is None:
            return None
        if p is None or r is None:
            return 0.0
        return 2 * p * r / (p + r) if p + r else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "precision": _rounded(self.precision),
            "recall": _rounded(self.recall),
            "f1": _rounded(self.f1),
            "tp": self.tp,
            "fp": self.fp,
            "fn": self.fn,
        }


@dataclass
class Accuracy:
    """Correct out of n; undefined (None) when there was nothing to judge."""

    correct: int = 0
    n: int = 0
    total_similarity: float = 0.0

    def add(self, ok: bool, similarity: float | None = None) -> None:
        self.correct += ok
        self.n += 1
        self.total_similarity += float(ok) if similarity is None else similarity

    def merge(self, other: Accuracy) -> None:
        self.correct += other.correct
        self.n += other.n
        self.total_similarity += other.total_similarity

    @property
    def accuracy(self) -> float | None:
        return self.correct / self.n if self.n else None

    def as_dict(self) -> dict[str, Any]:
        return {
            "accuracy": _rounded(self.accuracy),
            "correct": self.correct,
            "n": self.n,
            "mean_similarity": _rounded(self.total_similarity / self.n if self.n else None),
        }


def multiset_counts(predicted: Iterable[Any], gold: Iterable[Any]) -> Counts:
    p, g = Counter(predicted), Counter(gold)
    tp = sum((p & g).values())
    return Counts(tp=tp, fp=sum(p.values()) - tp, fn=sum(g.values()) - tp)


def threat_similarity(
    predicted: Mapping[str, Any], gold: Mapping[str, Any], names: AliasTable
) -> float:
    issuer = float(same_issuer(predicted.get("issuer"), gold.get("issuer"), names))
    p_targets = {names.canonical(t) for t in predicted.get("targets") or []}
    g_targets = {names.canonical(t) for t in gold.get("targets") or []}
    union = p_targets | g_targets
    targets = len(p_targets & g_targets) / len(union) if union else 1.0
    category = float(predicted.get("category") == gold.get("category"))
    return 0.4 * issuer + 0.4 * targets + 0.2 * category


def match_threats(
    predicted: Sequence[Mapping[str, Any]], gold: Sequence[Mapping[str, Any]], names: AliasTable
) -> list[tuple[int, int]]:
    """The one-to-one (predicted index, gold index) pairs of the best total similarity."""
    if not predicted or not gold:
        return []
    scores = [[threat_similarity(p, g, names) for g in gold] for p in predicted]
    small, large = (predicted, gold) if len(predicted) <= len(gold) else (gold, predicted)
    best: tuple[float, list[tuple[int, int]]] = (-1.0, [])
    if len(large) <= 8:  # exact: few threats per article, so permutations are cheap
        for chosen in itertools.permutations(range(len(large)), len(small)):
            pairs = [(i, j) if small is predicted else (j, i) for i, j in enumerate(chosen)]
            kept = [(i, j) for i, j in pairs if scores[i][j] >= MATCH_THRESHOLD]
            total = sum(scores[i][j] for i, j in kept)
            if total > best[0]:
                best = (total, kept)
        return sorted(best[1])
    ranked = sorted(
        ((scores[i][j], i, j) for i in range(len(predicted)) for j in range(len(gold))),
        reverse=True,
    )
    used_p: set[int] = set()
    used_g: set[int] = set()
    pairs = []
    for score, i, j in ranked:  # greedy beyond 8 threats: rare, and documented as such
        if score >= MATCH_THRESHOLD and i not in used_p and j not in used_g:
            pairs.append((i, j))
            used_p.add(i)
            used_g.add(j)
    return sorted(pairs)


def speaker_counts(predicted: str | None, gold: str | None, names: AliasTable) -> Counts:
    """One matched threat's speaker as counts: a named speaker the gold brief lacks is a
    false positive, a gold speaker not named (or named wrongly) a false negative."""
    if predicted is not None and gold is not None and same_speaker(predicted, gold, names):
        return Counts(tp=1)
    return Counts(fp=int(predicted is not None), fn=int(gold is not None))


def deadline_matches(predicted: Mapping[str, Any], gold: Mapping[str, Any]) -> bool:
    """Deadlines agree on their resolved date; a gold deadline whose date is null (no
    day can be given) is judged on its text, by token F1 at `TEXT_THRESHOLD`, and a
    predicted one with a date where gold has none is wrong."""
    p, g = predicted.get("deadline"), gold.get("deadline")
    if not isinstance(p, Mapping) or not isinstance(g, Mapping):
        return not isinstance(p, Mapping) and not isinstance(g, Mapping)
    if g.get("date") is not None or p.get("date") is not None:
        return bool(p.get("date") == g.get("date"))
    return token_f1(p.get("text") or "", g.get("text") or "") >= TEXT_THRESHOLD


@dataclass
class ArticleScore:
    """Everything scored for one article, with the items behind each number."""

    article_id: str
    threats: Counts = field(default_factory=Counts)
    issuer: Accuracy = field(default_factory=Accuracy)
    category: Accuracy = field(default_factory=Accuracy)
    speaker: Counts = field(default_factory=Counts)
    deadline: Accuracy = field(default_factory=Accuracy)
    action: Accuracy = field(default_factory=Accuracy)
    conditions: Accuracy = field(default_factory=Accuracy)
    targets: Counts = field(default_factory=Counts)
    actors: dict[str, Counts] = field(default_factory=lambda: {r: Counts() for r in ROLES})
    dates: Counts = field(default_factory=Counts)
    grounding: Accuracy = field(default_factory=Accuracy)
    details: dict[str, list[str]] = field(default_factory=dict)
    error: str | None = None

    def note(self, kind: str, item: str) -> None:
        self.details.setdefault(kind, []).append(item)


def _describe(threat: Mapping[str, Any]) -> str:
    targets = ", ".join(threat.get("targets") or [])
    return f"{threat.get('issuer')} -> {targets}: {threat.get('action')} ({threat.get('category')})"


def _score_pair(
    score: ArticleScore, p: Mapping[str, Any], g: Mapping[str, Any], names: AliasTable
) -> None:
    """Field-level scores of one matched (predicted, gold) threat pair."""
    issuer_ok = same_issuer(p.get("issuer"), g.get("issuer"), names)
    speaker = speaker_counts(p.get("speaker"), g.get("speaker"), names)
    speaker_ok = not (speaker.fp or speaker.fn)
    category_ok = p.get("category") == g.get("category")
    deadline_ok = deadline_matches(p, g)
    action = token_f1(p.get("action") or "", g.get("action") or "")
    conditions = list_similarity(p.get("conditions") or [], g.get("conditions") or [])
    targets = multiset_counts(
        {names.canonical(t) for t in p.get("targets") or []},
        {names.canonical(t) for t in g.get("targets") or []},
    )
    score.issuer.add(issuer_ok)
    score.speaker.add(speaker)
    score.category.add(category_ok)
    score.deadline.add(deadline_ok)
    score.action.add(action >= TEXT_THRESHOLD, action)
    score.conditions.add(conditions >= TEXT_THRESHOLD, conditions)
    score.targets.add(targets)
    differences = [
        ("wrong issuer", not issuer_ok, "issuer"),
        ("wrong speaker", not speaker_ok, "speaker"),
        ("wrong category", not category_ok, "category"),
        ("targets differ", bool(targets.fp or targets.fn), "targets"),
        ("action differs", action < TEXT_THRESHOLD, "action"),
        ("conditions differ", conditions < TEXT_THRESHOLD, "conditions"),
    ]
    for kind, differs, key in differences:
        if differs:
            score.note(kind, f"{p.get(key)!r}, gold {g.get(key)!r}")
    if not deadline_ok:
        score.note("wrong deadline", f"{p.get('deadline')!r}, gold {g.get('deadline')!r}")


def _score_threats(
    score: ArticleScore,
    predicted: Sequence[Mapping[str, Any]],
    gold: Sequence[Mapping[str, Any]],
    names: AliasTable,
) -> None:
    pairs = match_threats(predicted, gold, names)
    score.threats = Counts(tp=len(pairs), fp=len(predicted) - len(pairs), fn=len(gold) - len(pairs))
    matched_p, matched_g = {i for i, _ in pairs}, {j for _, j in pairs}
    score.details.update(
        {
            kind: items
            for kind, items in (
                (
                    "extra threats",
                    [_describe(t) for i, t in enumerate(predicted) if i not in matched_p],
                ),
                (
                    "missed threats",
                    [_describe(t) for j, t in enumerate(gold) if j not in matched_g],
                ),
            )
            if items
        }
    )
    for i, j in pairs:
        _score_pair(score, predicted[i], gold[j], names)


def _score_dates(
    score: ArticleScore, predicted: Mapping[str, Any], gold: Mapping[str, Any]
) -> None:
    p_dates = [d.get("date") for d in predicted.get("dates") or [] if d.get("date")]
    g_dates = [d.get("date") for d in gold.get("dates") or [] if d.get("date")]
    score.dates = multiset_counts(p_dates, g_dates)
    for value in (Counter(p_dates) - Counter(g_dates)).elements():
        score.note("extra dates", value)
    for value in (Counter(g_dates) - Counter(p_dates)).elements():
        score.note("missed dates", value)


def _score_grounding(
    score: ArticleScore, threats: Sequence[Mapping[str, Any]], article_text: str
) -> None:
    """Each evidence quote and condition judged by the product's own grounding check, one
    at a time: found in the cleaned article (conditions ignoring case) and outside any
    passage suspected of prompt injection. An empty quote is grounded in nothing."""
    for threat in threats:
        for kind, items in (
            ("quotes", threat.get("evidence")),
            ("conditions", threat.get("conditions")),
        ):
            for item in items or []:
                verdict = _product_grounding(item, kind == "conditions", article_text)
                score.grounding.add(verdict.grounded)
                if verdict.suspect:
                    score.note(f"suspect {kind}", item)
                elif not verdict.grounded:
                    score.note(f"ungrounded {kind}", item)


def _product_grounding(item: str, condition: bool, article_text: str) -> Grounding:
    """`check_grounding` on one quote or condition (its article's haystack and injection
    scan are cached, so one at a time costs a lookup each)."""
    alone = ExtractedThreat.model_construct(  # unvalidated: only the item is read
        issuer="",
        targets=[],
        action="",
        category="other",
        evidence=[] if condition else [item],
        conditions=[item] if condition else [],
    )
    return check_grounding([alone], article_text)


def score_article(
    predicted: Mapping[str, Any] | None,
    gold: Mapping[str, Any],
    *,
    article_text: str | None = None,
    error: str | None = None,
) -> ArticleScore:
    """Score one predicted brief (None when the article failed) against its gold brief."""
    names = AliasTable(gold.get("aliases") or {})
    score = ArticleScore(article_id=gold["article"]["id"], error=error)
    predicted = predicted or {"threats": [], "actors": [], "dates": []}
    p_threats = predicted.get("threats") or []
    _score_threats(score, p_threats, gold.get("threats") or [], names)
    for role in ROLES:
        p_actors = {
            names.canonical(a["name"])
            for a in predicted.get("actors") or []
            if a.get("role") == role
        }
        g_actors = {
            names.canonical(a["name"]) for a in gold.get("actors") or [] if a.get("role") == role
        }
        score.actors[role] = multiset_counts(p_actors, g_actors)
    _score_dates(score, predicted, gold)
    if article_text is not None:
        _score_grounding(score, p_threats, article_text)
    return score


@dataclass
class Totals:
    """Micro-averaged totals over a set of articles."""

    articles: int = 0
    failed: int = 0
    threats: Counts = field(default_factory=Counts)
    targets: Counts = field(default_factory=Counts)
    speaker: Counts = field(default_factory=Counts)
    dates: Counts = field(default_factory=Counts)
    actors: dict[str, Counts] = field(default_factory=lambda: {r: Counts() for r in ROLES})
    accuracies: dict[str, Accuracy] = field(default_factory=dict)

    def add(self, score: ArticleScore) -> None:
        self.articles += 1
        self.failed += score.error is not None
        self.threats.add(score.threats)
        self.targets.add(score.targets)
        self.speaker.add(score.speaker)
        self.dates.add(score.dates)
        for role, counts in score.actors.items():
            self.actors[role].add(counts)
        for name in ("issuer", "category", "deadline", "action", "conditions", "grounding"):
            self.accuracies.setdefault(name, Accuracy()).merge(getattr(score, name))

    def fields(self) -> dict[str, dict[str, Any]]:
        """Every scored field, in report order."""
        actors_all = Counts()
        for counts in self.actors.values():
            actors_all.add(counts)
        table: dict[str, dict[str, Any]] = {"threats": self.threats.as_dict()}
        for name in (
            "issuer",
            "targets",
            "category",
            "speaker",
            "deadline",
            "action",
            "conditions",
        ):
            p_r = {"targets": self.targets, "speaker": self.speaker}.get(name)
            table[name] = (
                p_r.as_dict()
                if p_r is not None
                else self.accuracies.get(name, Accuracy()).as_dict()
            )
        table["actors"] = actors_all.as_dict()
        for role in ROLES:
            table[f"actors.{role}"] = self.actors[role].as_dict()
        table["dates"] = self.dates.as_dict()
        table["grounding"] = self.accuracies.get("grounding", Accuracy()).as_dict()
        return table


def aggregate(scores: Iterable[ArticleScore]) -> Totals:
    totals = Totals()
    for score in scores:
        totals.add(score)
    return totals
