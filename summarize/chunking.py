"""Long articles: split on paragraph boundaries with overlap, brief each part, merge.

`split` cuts by characters; the pipeline (`plan_chunks`) turns a token budget into a
character budget from the article's own characters per token and checks every chunk
with the tokenizer (`summarize.tokens`).

Merging is by meaning, not position: the same threat found in two chunks (by the
project's one definition, `summarize.similarity.same_in_article`) appears once, with
the union of its evidence and conditions; actors and dates are deduplicated; the
summaries are combined.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from summarize.schema import Actor, DateMention, ExtractedThreat, Extraction
from summarize.similarity import normalize_name, same_in_article

OVERLAP_CHARS = 600  # a paragraph or so repeated at the top of the next chunk
ROLE_RANK = {"issuer": 0, "speaker": 1, "target": 2, "other": 3}
SENTENCE = re.compile(r"(?<=[.!?])\s+")


def split(text: str, max_chars: int, *, overlap: int = OVERLAP_CHARS) -> list[str]:
    """Chunks of at most `max_chars`, cut between paragraphs (within a paragraph only
    when one paragraph alone is too long), each starting with the tail of the last."""
    if len(text) <= max_chars:
        return [text]
    pieces = [piece for p in text.split("\n\n") for piece in _fit(p, max_chars - overlap)]
    chunks: list[str] = []
    current: list[str] = []
    for piece in pieces:
        if current and len("\n\n".join([*current, piece])) > max_chars:
            chunks.append("\n\n".join(current))
            tail = current[-1][-overlap:] if overlap else ""
            current = [tail] if tail and len(tail) + len(piece) + 2 <= max_chars else []
        current.append(piece)
    chunks.append("\n\n".join(current))
    return chunks


def _fit(paragraph: str, limit: int) -> list[str]:
    """A paragraph in pieces of at most `limit`, cut at spaces where there are any."""
    pieces = []
    rest = paragraph
    while len(rest) > limit:
        cut = rest.rfind(" ", 0, limit)
        cut = cut if cut > 0 else limit
        pieces.append(rest[:cut])
        rest = rest[cut:].lstrip()
    return [*pieces, rest]


def _union(*lists: Iterable[str]) -> list[str]:
    seen: dict[str, str] = {}
    for item in (i for items in lists for i in items):
        seen.setdefault(" ".join(item.split()).casefold(), item)
    return list(seen.values())


def _merge_threat(kept: ExtractedThreat, other: ExtractedThreat) -> ExtractedThreat:
    return kept.model_copy(
        update={
            "speaker": kept.speaker or other.speaker,
            "targets": _union(kept.targets, other.targets)[:20],
            "conditions": _union(kept.conditions, other.conditions)[:10],
            "deadline": kept.deadline or other.deadline,
            "evidence": _union(kept.evidence, other.evidence),
        }
    )


def merge(parts: list[Extraction]) -> Extraction:
    """One extraction from the extractions of an article's chunks."""
    threats: list[ExtractedThreat] = []
    for threat in (t for part in parts for t in part.threats):
        match = next((i for i, kept in enumerate(threats) if same_in_article(kept, threat)), None)
        if match is None:
            threats.append(threat)
        else:
            threats[match] = _merge_threat(threats[match], threat)
    actors: dict[str, Actor] = {}
    for actor in (a for part in parts for a in part.actors):
        known = actors.get(normalize_name(actor.name))
        if known is None or ROLE_RANK[actor.role] < ROLE_RANK[known.role]:
            actors[normalize_name(actor.name)] = actor
    dates: dict[tuple[str, str], DateMention] = {}
    for mention in (d for part in parts for d in part.dates):
        dates.setdefault((normalize_name(mention.text), normalize_name(mention.event)), mention)
    sentences = _union(*(SENTENCE.split(part.summary.strip()) for part in parts))
    return Extraction(
        summary=" ".join(sentences[:3])[:1500],
        threats=threats,
        actors=list(actors.values()),
        dates=list(dates.values()),
    )
