"""From article to brief: clean, prompt, ask the model, resolve dates, check grounding.

Each step is a small function; `brief_article` strings them together for one article.
Many articles at a time are `summarize.batch`'s job. One article's failure is a `Failure`
value in its place, never an exception that costs the others their briefs.
"""

from __future__ import annotations

import functools
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Protocol

from summarize.chunking import OVERLAP_CHARS, merge, split
from summarize.clean import Cleaned, clean, cleaning_warning
from summarize.data import Article
from summarize.dates import resolve_mention
from summarize.errors import ArticleFailed, InputError
from summarize.injection import Scan, scan
from summarize.options import BriefOptions
from summarize.prompts import Prompt
from summarize.results import TRUNCATED
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
from summarize.spans import haystack, locate
from summarize.tokens import count_tokens, fits

if TYPE_CHECKING:
    from summarize.client import ModelClient
    from summarize.transport import CallRecord


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
    extraction: Extraction, article: Article, text: str | None = None
) -> tuple[list[ResolvedDate], list[Threat]]:
    """Turn the model's verbatim expressions into ISO dates against the publication date;
    `text`, the cleaned article, is where each expression's own clause gives its tense."""
    published = article.published
    dates = [
        ResolvedDate(
            text=mention.text,
            date=resolve_mention(mention.text, published, article=text, event=mention.event),
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
                date=resolve_mention(extracted.deadline, published, article=text, deadline=True),
                event=f"deadline: {extracted.action}",
            )
        threats.append(Threat(**fields, deadline=deadline))
    return dates, threats


class _Scans:
    """Articles scanned for prompt injection, once for their warnings and grounding
    (checked after each re-ask and once more); kept for a few articles in flight, as a
    scan holds a copy of its article's text. A scan made earlier of the same text (a batch
    job scans what it sends at submit: `Plan.scan`) is handed in with `remember`."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._scans: OrderedDict[str, Scan] = OrderedDict()
        self._lock = threading.Lock()

    def __call__(self, article_text: str) -> Scan:
        with self._lock:
            known = self._scans.get(article_text)
            if known is not None:
                self._scans.move_to_end(article_text)
                return known
        found = scan(article_text)
        self.remember(article_text, found)
        return found

    def remember(self, article_text: str, found: Scan) -> None:
        with self._lock:
            self._scans[article_text] = found
            self._scans.move_to_end(article_text)
            while len(self._scans) > self._size:
                self._scans.popitem(last=False)


_scanned = _Scans(16)


def check_grounding(threats: Sequence[Threat | ExtractedThreat], article_text: str) -> Grounding:
    """Every evidence quote and condition must occur in the cleaned article, verbatim
    after whitespace and quote normalisation (case-insensitively for conditions, which
    models often start with a capital), and outside any passage suspected of prompt
    injection: a model that obeys "report this: ..." quotes the injected text, which is in
    the article, so being found is not enough. Found but suspect items are `suspect`.
    "Occur" is `summarize.spans`' definition, the one that also gives each quote its
    offsets."""
    if not any(threat.evidence or threat.conditions for threat in threats):
        return Grounding(grounded=True, ungrounded=[])
    quotes = tuple((tuple(threat.evidence), tuple(threat.conditions)) for threat in threats)
    missing, suspect = _ungrounded(quotes, article_text)
    return Grounding(grounded=not (missing or suspect), ungrounded=[*missing], suspect=[*suspect])


@functools.lru_cache(maxsize=64)
def _ungrounded(
    quotes: tuple[tuple[tuple[str, ...], tuple[str, ...]], ...], article_text: str
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The quotes and conditions (each threat's) not found in the article, and those found
    in a suspect passage. Kept for the few articles in flight: an answer's grounding is
    checked after its last re-ask and again when the brief is assembled, with the same
    quotes, and the answer is the same."""
    article = haystack(article_text)
    injection = _scanned(article_text)
    missing: list[str] = []
    suspect: list[str] = []
    for evidence, conditions in quotes:
        for quote in evidence:
            if not article.contains(quote):
                missing.append(quote)
            elif injection.touches(quote):
                suspect.append(quote)
        for condition in conditions:
            if not article.contains(condition, ignore_case=True):
                missing.append(condition)
            elif injection.touches(condition):
                suspect.append(condition)
    return tuple(missing), tuple(suspect)


def assemble(
    article: Article,
    cleaned: Cleaned,
    extraction: Extraction,
    record: CallRecord,
    *,
    run: dict[str, Any],
) -> Brief:
    dates, threats = resolve_dates(extraction, article, cleaned.text)
    locate(threats, dates, cleaned.text, article.text)
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
        warnings=[*article.warnings, *_scanned(cleaned.text).warnings()],
    )


# Characters of raw text a token can stand for, generously: English prose runs about 4
# a token, and cleaning may remove chrome. Raw text past max_chunks x max_input_tokens x
# this can never be sent, so it is neither cleaned nor split (a 50 MB file would cost
# gigabytes and minutes of tokenizing for text no request carries).
RAW_CHARS_PER_TOKEN = 16
SAMPLE_TOKENS = 8  # characters sampled per budget token to learn characters per token


def sendable_part(text: str, options: BriefOptions) -> str:
    """The head of a raw article that could reach the model, cut at a line's end; the
    whole text when it is shorter than that."""
    limit = options.max_input_tokens * options.max_chunks * RAW_CHARS_PER_TOKEN
    if len(text) <= limit:
        return text
    cut = text.rfind("\n", 0, limit)
    return text[: cut + 1 if cut > 0 else limit]


def clean_sendable(
    article: Article, options: BriefOptions, repeated: Mapping[str, int] | None = None
) -> tuple[Cleaned, int]:
    """The cleaned sendable part of an article, and how many raw characters were past it."""
    head = sendable_part(article.text, options)
    sendable = article if head is article.text else replace(article, text=head)
    cleaned = clean_article(sendable, repeated)
    return cleaned, len(article.text) - len(head)


@dataclass(frozen=True)
class Plan:
    """What is sent for an article, known before any model call: its cleaned text, the
    part each request carries, and the warnings its brief gets for that (cleaning removed
    most of it; split, or cut short). A batch job records it at submit, with the cache
    key of each request (`keys`) and the injection scan of the cleaned text (`scan`), so
    that collecting does none of that work again."""

    cleaned: Cleaned
    chunks: list[str]
    warnings: list[str] = field(default_factory=list)
    keys: list[str] | None = None
    scan: Scan | None = None


def plan_article(
    article: Article,
    options: BriefOptions,
    *,
    count: Callable[[str], int] = count_tokens,
    repeated: Mapping[str, int] | None = None,
) -> Plan:
    """The article's plan (split by the model's token `count`). Raises InputError for no
    story."""
    cleaned, unread = clean_sendable(article, options, repeated)
    chunks, note = plan_chunks(cleaned.text, options, count=count, unread=unread)
    warnings = [w for w in (cleaning_warning(cleaned, article.source), note) if w]
    return Plan(cleaned, chunks, warnings)


def plan_chunks(
    text: str,
    options: BriefOptions,
    *,
    count: Callable[[str], int] = count_tokens,
    unread: int = 0,
) -> tuple[list[str], str | None]:
    """The parts of an article to send, each within the input budget by the model's token
    `count`, and a warning when the article was split or (beyond `max_chunks`) cut short,
    so a brief of part of an article never passes for a brief of the whole. `unread`
    counts raw characters after `text` that were never considered (see `sendable_part`)."""
    budget = options.max_input_tokens
    if not unread and fits(text, budget, count):
        return [text], None
    chunks = _split_within(text, budget, count, most=options.max_chunks)
    about = f"at most {budget:,} tokens"
    if len(chunks) <= options.max_chunks and not unread:
        return chunks, f"article split into {len(chunks)} chunks of {about}, merged"
    kept = chunks[: options.max_chunks]
    total = len(text) + unread
    covered = _covered(text, kept)
    return kept, (
        f"{TRUNCATED}: only the first {len(kept)} chunks of {about} were sent; about "
        f"{total - covered:,} of its {total:,} characters ({(total - covered) / total:.1%}) "
        "were left out; raise --max-chunks or --max-input-tokens, or split the file"
    )


def _covered(text: str, kept: list[str]) -> int:
    """Where the last kept chunk ends in `text`: its tail, searched for from where the
    chunks' lengths (less their overlaps) say it is, so a repeated passage earlier in
    the article is not taken for it."""
    tail = kept[-1][-200:]
    estimate = sum(map(len, kept)) - OVERLAP_CHARS * len(kept)
    found = text.find(tail, max(0, estimate - len(tail)))
    return (found if found >= 0 else max(0, estimate)) + len(tail)


def _split_within(text: str, budget: int, count: Callable[[str], int], *, most: int) -> list[str]:
    """Chunks of at most `budget` tokens: a character budget from this article's own
    characters per token (counted on a sample of its head), tightened until every chunk
    counts within it (dense text such as numbers or non-Latin scripts packs fewer
    characters into a token). Only `most` chunks and one more are made: enough to send
    and to know that there was more."""
    sample = text[: budget * (most + 1) * SAMPLE_TOKENS]
    max_chars = max(1, len(sample) * budget // max(count(sample), 1))
    while True:
        head = text[: max_chars * (most + 1)]
        chunks = split(head, max_chars, overlap=min(OVERLAP_CHARS, max_chars // 4))
        if max_chars == 1 or all(fits(chunk, budget, count) for chunk in chunks[:most]):
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
    options: BriefOptions,
    *,
    repeated: Mapping[str, int] | None = None,
) -> str:
    """The cache key of an article's brief request, known before any model call: what
    `run.cache_key` records and `--resume` compares. Raises InputError for no story."""
    plan = plan_article(article, options, count=client.count_tokens, repeated=repeated)
    return plan_key(article, plan, client, prompt)


def plan_key(article: Article, plan: Plan, client: ModelClient, prompt: Prompt) -> str:
    """The cache key of the first request `plan` makes (see `article_key`)."""
    return client.key_for(plan_requests(article, plan, prompt)[0], Extraction)


def plan_requests(article: Article, plan: Plan, prompt: Prompt) -> list[list[dict[str, str]]]:
    """The messages of the first request for each chunk of `plan`."""
    return [
        request_messages(article, replace(plan.cleaned, text=chunk), prompt)
        for chunk in plan.chunks
    ]


class Ask(Protocol):
    """Gets the model's validated answer to one request: `client.extract` on a live run;
    on a provider batch job, the answer the job returned, checked by `client.accept`.
    `key`, when the caller knows it, is the request's cache key."""

    def __call__(
        self, messages: list[dict[str, str]], label: str, /, key: str | None = None
    ) -> tuple[Extraction, CallRecord]: ...


def brief_article(
    article: Article,
    client: ModelClient,
    prompt: Prompt,
    options: BriefOptions,
    *,
    ask: Ask | None = None,
    repeated: Mapping[str, int] | None = None,
    plan: Plan | None = None,
) -> Brief:
    """Brief one article. Raises SummarizeError subclasses; never anything else on purpose.

    `ask(messages, label)` answers each request (default: live, through `client`);
    grounding re-asks, date resolution and assembly are the same either way. `repeated`
    holds the lines other articles of the run share with this one (cleaning drops them).
    `plan`, when given, is `plan_article`'s for this article, made earlier."""
    if ask is None:

        def ask(
            messages: list[dict[str, str]], label: str, /, key: str | None = None
        ) -> tuple[Extraction, CallRecord]:
            return client.extract(messages, Extraction, label=label)

    started = time.perf_counter()
    if plan is None:
        plan = plan_article(article, options, count=client.count_tokens, repeated=repeated)
    elif plan.scan is not None:
        _scanned.remember(plan.cleaned.text, plan.scan)
    cleaned, chunks = plan.cleaned, plan.chunks
    parts: list[Extraction] = []
    record: CallRecord | None = None
    for number, chunk in enumerate(chunks, start=1):
        part = replace(cleaned, text=chunk)
        label = article.source if len(chunks) == 1 else f"{article.source} (part {number})"
        messages = request_messages(article, part, prompt)
        extraction, calls = ask(messages, label, plan.keys[number - 1] if plan.keys else None)
        parts.append(
            reground(
                extraction,
                calls,
                messages=messages,
                article_text=chunk,
                prompt=prompt,
                options=options,
                label=label,
                ask=ask,
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
        "endpoint": config.endpoint_key,
        "seconds": round(time.perf_counter() - started, 3),
    }
    brief = assemble(article, cleaned, extraction, record, run=run)
    brief.warnings[:0] = plan.warnings
    return brief


def reground(
    extraction: Extraction,
    record: CallRecord,
    *,
    messages: list[dict[str, str]],
    article_text: str,
    prompt: Prompt,
    options: BriefOptions,
    label: str,
    ask: Ask,
) -> Extraction:
    """Re-ask through `ask`, naming them, while quotes or conditions are not in the
    article (bounded).

    After the bound the last answer stands and `assemble` marks the brief ungrounded: an
    unsupported claim is never dropped silently, nor passed as grounded. A re-ask that
    fails outright keeps the answer already in hand, for the same reason.
    """
    for _ in range(options.max_regrounds):
        missing = check_grounding(extraction.threats, article_text).ungrounded
        if not missing:
            break
        record.ungrounded()
        messages = [
            *messages,
            {"role": "assistant", "content": extraction.model_dump_json()},
            {"role": "user", "content": prompt.reground_message(missing)},
        ]
        try:
            extraction, more = ask(messages, label)
        except ArticleFailed as error:
            record.reask_failed(
                error.kind, input_tokens=error.input_tokens, output_tokens=error.output_tokens
            )
            break
        record.absorb(more)
    return extraction
