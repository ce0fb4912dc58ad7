"""From article to brief: clean, prompt, ask the model, resolve dates, check grounding.

Each step is a small function; `brief_article` strings them together for one article.
Many articles at a time are `summarize.batch`'s job. One article's failure is a `Failure`
value in its place, never an exception that costs the others their briefs.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import TYPE_CHECKING, Any

from summarize.articles import Article, article_from_text
from summarize.chunking import OVERLAP_CHARS, merge, split
from summarize.clean import Cleaned, clean, cleaning_warning, normalize_for_match
from summarize.dates import direction_of, resolve
from summarize.errors import ArticleFailed, InputError, SummarizeError
from summarize.injection import injection_warnings
from summarize.prompts import Prompt
from summarize.schema import (
    ArticleMeta,
    Brief,
    ExtractedThreat,
    Extraction,
    Grounding,
    ResolvedDate,
    RunInfo,
    Threat,
)
from summarize.tokens import count_tokens, fits

if TYPE_CHECKING:
    from summarize.client import CallRecord, ModelClient, ModelConfig


@dataclass(frozen=True)
class Failure:
    """An article that produced no brief, and why, in one line."""

    article_id: str | None
    source: str
    kind: str
    message: str
    attempts: int = 0

    @classmethod
    def from_error(cls, error: SummarizeError, article: Article | None = None) -> Failure:
        source = article.source if article else getattr(error, "source", None) or "?"
        return cls(
            article_id=article.id if article else None,
            source=source,
            kind=error.kind,
            message=str(error),
            attempts=error.attempts if isinstance(error, ArticleFailed) else 0,
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "article": {"id": self.article_id, "source": self.source},
            "error": {"kind": self.kind, "message": self.message, "attempts": self.attempts},
        }


Result = Brief | Failure


def clean_article(article: Article, repeated: Mapping[str, int] | None = None) -> Cleaned:
    """The article without page chrome; `repeated` holds the lines other articles of the
    run share with it (`summarize.linefreq.for_article`)."""
    cleaned = clean(article.text, repeated=repeated)
    if not cleaned.text.strip():
        raise InputError(
            f"{article.source}: nothing is left after removing page chrome; "
            "check that the file holds the story (summarize clean --explain shows why)"
        )
    return cleaned


def resolve_dates(
    extraction: Extraction, article: Article
) -> tuple[list[ResolvedDate], list[Threat]]:
    """Turn the model's verbatim expressions into ISO dates against the publication date."""
    published = article.published
    dates = [
        ResolvedDate(
            text=mention.text,
            date=resolve(mention.text, published, direction=direction_of(mention.event)),
            event=mention.event,
        )
        for mention in extraction.dates
    ]
    threats = []
    for extracted in extraction.threats:
        fields = extracted.model_dump(exclude={"deadline"})
        deadline = None
        if extracted.deadline:
            deadline = ResolvedDate(
                text=extracted.deadline,
                date=resolve(extracted.deadline, published, direction="future"),
                event=f"deadline: {extracted.action}",
            )
        threats.append(Threat(**fields, deadline=deadline))
    return dates, threats


@functools.lru_cache(maxsize=64)
def _searchable(article_text: str) -> tuple[str, str]:
    """The article as quotes are matched against, as is and case-folded; kept for the
    few articles in flight, whose grounding is checked after each re-ask and once more."""
    haystack = normalize_for_match(article_text)
    return haystack, haystack.casefold()


def check_grounding(threats: Sequence[Threat | ExtractedThreat], article_text: str) -> Grounding:
    """Every evidence quote and condition must occur in the cleaned article, verbatim
    after whitespace and quote normalisation (case-insensitively for conditions, which
    models often start with a capital)."""
    if not any(threat.evidence or threat.conditions for threat in threats):
        return Grounding(grounded=True, ungrounded=[])
    haystack, folded = _searchable(article_text)
    missing: list[str] = []
    for threat in threats:
        missing += [q for q in threat.evidence if normalize_for_match(q) not in haystack]
        missing += [c for c in threat.conditions if normalize_for_match(c).casefold() not in folded]
    return Grounding(grounded=not missing, ungrounded=missing)


def assemble(
    article: Article,
    cleaned: Cleaned,
    extraction: Extraction,
    record: CallRecord,
    *,
    run: dict[str, Any],
) -> Brief:
    dates, threats = resolve_dates(extraction, article)
    meta = ArticleMeta(
        id=article.id,
        source=article.source,
        title=article.title or cleaned.title,
        published=article.published.isoformat() if article.published else None,
        chars_raw=len(article.text),
        chars_clean=len(cleaned.text),
        url=article.url,
    )
    return Brief(
        summary=extraction.summary,
        threats=threats,
        actors=extraction.actors,
        dates=dates,
        article=meta,
        run=RunInfo(
            **run,
            input_tokens=record.input_tokens,
            output_tokens=record.output_tokens,
            attempts=record.attempts,
            attempt_log=list(record.outcomes),
            cached=record.cached,
            cache_key=record.cache_key,
        ),
        grounding=check_grounding(threats, cleaned.text),
        warnings=[*article.warnings, *injection_warnings(cleaned.text)],
    )


def plan_chunks(text: str, config: ModelConfig) -> tuple[list[str], str | None]:
    """The parts of an article to send, each within the input budget, and a warning when
    the article was split or (beyond `max_chunks`) cut short, so a brief of part of an
    article never passes for a brief of the whole."""
    budget = config.max_input_tokens
    count = config.count_tokens or count_tokens
    if fits(text, budget, count):
        return [text], None
    chunks = _split_within(text, budget, count)
    about = f"at most {budget:,} tokens"
    if len(chunks) <= config.max_chunks:
        return chunks, f"article split into {len(chunks)} chunks of {about}, merged"
    kept = chunks[: config.max_chunks]
    covered = text.find(kept[-1][-200:]) + min(200, len(kept[-1]))
    return kept, (
        f"article truncated: {len(text):,} characters after cleaning; only the first "
        f"{config.max_chunks} chunks of {about} were sent and about "
        f"{len(text) - covered:,} characters left out; raise --max-chunks or "
        "--max-input-tokens, or split the file"
    )


def _split_within(text: str, budget: int, count: Callable[[str], int]) -> list[str]:
    """Chunks of at most `budget` tokens: a character budget from this article's own
    characters per token, tightened until every chunk counts within it (dense text such
    as numbers or non-Latin scripts packs fewer characters into a token)."""
    max_chars = max(1, len(text) * budget // count(text))
    while True:
        chunks = split(text, max_chars, overlap=min(OVERLAP_CHARS, max_chars // 4))
        if max_chars == 1 or all(fits(chunk, budget, count) for chunk in chunks):
            return chunks
        max_chars = max(1, max_chars * 9 // 10)


def request_messages(article: Article, cleaned: Cleaned, prompt: Prompt) -> list[dict[str, str]]:
    """The chat messages that ask for one article's brief."""
    return prompt.render(
        article=cleaned.text,
        title=article.title or cleaned.title,
        published=article.published.isoformat() if article.published else None,
    )


def article_key(
    article: Article,
    client: ModelClient,
    prompt: Prompt,
    *,
    repeated: Mapping[str, int] | None = None,
) -> str:
    """The cache key of an article's brief request, known before any model call: what
    `run.cache_key` records and `--resume` compares. Raises InputError for no story."""
    cleaned = clean_article(article, repeated)
    chunks, _ = plan_chunks(cleaned.text, client.config)
    first = replace(cleaned, text=chunks[0])
    return client.key_for(request_messages(article, first, prompt), Extraction)


def brief_article(
    article: Article,
    client: ModelClient,
    prompt: Prompt,
    *,
    repeated: Mapping[str, int] | None = None,
) -> Brief:
    """Brief one article. Raises SummarizeError subclasses; never anything else on purpose."""
    started = time.perf_counter()
    cleaned = clean_article(article, repeated)
    chunks, note = plan_chunks(cleaned.text, client.config)
    parts: list[Extraction] = []
    record: CallRecord | None = None
    for number, chunk in enumerate(chunks, start=1):
        part = replace(cleaned, text=chunk)
        label = article.source if len(chunks) == 1 else f"{article.source} (part {number})"
        messages = request_messages(article, part, prompt)
        extraction, calls = client.extract(messages, Extraction, label=label)
        parts.append(
            reground(
                extraction,
                calls,
                messages=messages,
                article_text=chunk,
                client=client,
                prompt=prompt,
                label=label,
            )
        )
        if record is None:
            record = calls
        else:
            record.absorb(calls)
    assert record is not None  # split() returns at least one chunk
    extraction = parts[0] if len(parts) == 1 else merge(parts)
    config = client.config
    run = {
        "provider": config.provider,
        "model": config.model,
        "prompt_version": prompt.version,
        "mode": config.resolved_mode,
        "seconds": round(time.perf_counter() - started, 3),
    }
    brief = assemble(article, cleaned, extraction, record, run=run)
    if note:
        brief.warnings.insert(0, note)
    if removed := cleaning_warning(cleaned, article.source):
        brief.warnings.insert(0, removed)
    return brief


def reground(
    extraction: Extraction,
    record: CallRecord,
    *,
    messages: list[dict[str, str]],
    article_text: str,
    client: ModelClient,
    prompt: Prompt,
    label: str,
) -> Extraction:
    """Re-ask, naming them, while quotes or conditions are not in the article (bounded).

    After the bound the last answer stands and `assemble` marks the brief ungrounded: an
    unsupported claim is never dropped silently, nor passed as grounded. A re-ask that
    fails outright keeps the answer already in hand, for the same reason.
    """
    for _ in range(client.config.retry.max_regrounds):
        missing = check_grounding(extraction.threats, article_text).ungrounded
        if not missing:
            break
        if record.outcomes and record.outcomes[-1] == "ok":
            record.outcomes[-1] = "ungrounded answer"
        messages = [
            *messages,
            {"role": "assistant", "content": extraction.model_dump_json()},
            {"role": "user", "content": prompt.reground_message(missing)},
        ]
        try:
            extraction, more = client.extract(messages, Extraction, label=label)
        except ArticleFailed as error:
            record.outcomes.append(f"re-ask failed: {error.kind}")
            break
        record.absorb(more)
    return extraction


def summarize_text(
    text: str,
    *,
    config: ModelConfig | None = None,
    published: date | None = None,
    article_id: str = "text",
    prompt: Prompt | None = None,
) -> Brief:
    """Brief one article given as a string; the model is configured from the environment
    unless `config` says otherwise. The one-call entry point for library users."""
    from summarize.client import ModelClient, ModelConfig
    from summarize.prompts import load_prompt

    article = article_from_text(text, id=article_id, source=article_id, published=published)
    client = ModelClient(config or ModelConfig.from_env())
    try:
        return brief_article(article, client, prompt or load_prompt())
    finally:
        client.close()
