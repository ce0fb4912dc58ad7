"""The brief: what the model is asked for, and what `summarize` hands back.

Two layers, because dates are resolved by code and bookkeeping is not the model's job:

- `Extraction` is what the model fills in. Its field descriptions become the JSON schema
  the model sees, so they are written as instructions.
- `Brief` is the public contract: the extraction plus resolved dates, the article's
  metadata and how the run went. Its JSON field names do not change without a major
  version; new fields may be added.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

Category = Literal[
    "sanctions", "tariffs", "export_controls", "military_force", "diplomatic", "legal", "other"
]
ActorKind = Literal["state", "organization", "person", "group"]
ActorRole = Literal["issuer", "target", "speaker", "other"]

ISO_PARTIAL_DATE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")

# Bounds on everything the model writes: they enter the JSON schema, so a runaway answer
# (a small model repeating itself) is cut short by schema-constrained decoding, or fails
# validation and is re-asked, instead of running to the token limit.
Name = Annotated[str, Field(max_length=200)]
Quote = Annotated[str, Field(max_length=1000)]


class Actor(BaseModel):
    name: str = Field(
        max_length=200, description="Name as the article gives it, e.g. 'United States'."
    )
    kind: ActorKind = Field(description="What the actor is.")
    role: ActorRole = Field(
        description="The actor's most important role in the threats: issuer, target, "
        "speaker (the person who voiced a threat), or other."
    )


# --- What the model fills in -------------------------------------------------------------


class DateMention(BaseModel):
    text: str = Field(
        description="The date expression exactly as written in the article, e.g. 'Monday', "
        "'4 September', 'last week', 'July 27, 2023'. Do not convert it to a date.",
        max_length=100,
    )
    event: str = Field(max_length=300, description="What happened, or will happen, then.")


class ExtractedThreat(BaseModel):
    issuer: str = Field(
        max_length=200,
        description="The state or organisation making the threat, e.g. 'United States'. "
        "Not a person: the person goes in speaker.",
    )
    speaker: str | None = Field(
        default=None,
        max_length=200,
        description="The person who voiced the threat, with title as in the article, "
        "or null when no person is named.",
    )
    targets: list[Name] = Field(max_length=20, description="Who the threat is aimed at.")
    action: str = Field(
        max_length=300,
        description="What is threatened, as a short verb phrase, e.g. 'impose new sanctions'.",
    )
    category: Category = Field(description="The kind of coercive measure threatened.")
    conditions: list[Quote] = Field(
        default_factory=list,
        max_length=10,
        description="Each trigger for the threat, in the article's own words. "
        "Empty when the threat is unconditional.",
    )
    deadline: str | None = Field(
        default=None,
        max_length=100,
        description="The date expression of any stated deadline, verbatim from the article, "
        "or null.",
    )
    evidence: list[Quote] = Field(
        min_length=1,
        max_length=5,
        description="One to three exact quotes copied from the article that show the threat.",
    )


class Extraction(BaseModel):
    """A threat brief of one news article."""

    summary: str = Field(
        min_length=1,
        max_length=1500,
        description="One to three neutral sentences summarising the article.",
    )
    threats: list[ExtractedThreat] = Field(
        max_length=20,
        description="Threats of future coercive action made in the article. Empty when the "
        "article holds no threat. Measures already imposed are not threats.",
    )
    actors: list[Actor] = Field(
        max_length=50, description="The states, organisations, people and groups."
    )
    dates: list[DateMention] = Field(
        max_length=60,
        description="Every expression that places an event of the story on the calendar.",
    )


# --- What summarize hands back ------------------------------------------------------------

# `[start, end)` character offsets: `text[start:end]` is the quoted passage.
Span = tuple[int, int]


class Located(BaseModel):
    """Where one quoted item (an evidence quote or a condition) is in the article."""

    text: str
    found: bool = Field(description="Whether the item occurs in the cleaned article.")
    spans: list[Span] = Field(
        default_factory=list,
        description="Every occurrence, as [start, end) offsets in the cleaned article; "
        "empty when not found.",
    )
    raw_spans: list[Span | None] = Field(
        default_factory=list,
        description="The same occurrences in the article text as read, before cleaning; "
        "null where cleaning changed the line beyond tracing.",
    )


class ResolvedDate(BaseModel):
    text: str
    date: str | None = Field(
        description="ISO 8601: YYYY-MM-DD, or YYYY-MM / YYYY when only that is known; null "
        "when it cannot be resolved."
    )
    event: str
    spans: list[Span] = Field(
        default_factory=list,
        description="Where `text` occurs in the cleaned article, as [start, end) offsets.",
    )
    raw_spans: list[Span | None] = Field(
        default_factory=list, description="The same occurrences in the article text as read."
    )

    @field_validator("date")
    @classmethod
    def _iso_or_null(cls, value: str | None) -> str | None:
        if value is not None and not ISO_PARTIAL_DATE.match(value):
            raise ValueError(f"date must be YYYY-MM-DD, YYYY-MM or YYYY, got {value!r}")
        return value


class Threat(BaseModel):
    model_config = ConfigDict(extra="allow")

    issuer: str
    speaker: str | None = None
    targets: list[str]
    action: str
    category: Category
    conditions: list[str] = Field(default_factory=list)
    deadline: ResolvedDate | None = None
    evidence: list[str]
    # One entry per evidence quote and per condition, in the same order.
    evidence_spans: list[Located] = Field(default_factory=list)
    condition_spans: list[Located] = Field(default_factory=list)


class ArticleMeta(BaseModel):
    model_config = ConfigDict(extra="allow")

    id: str
    source: str
    title: str | None = None
    published: str | None = Field(default=None, description="YYYY-MM-DD, or null if unknown.")
    chars_raw: int
    chars_clean: int
    url: str | None = None
    text: str | None = Field(
        default=None,
        description="The article text as read, before cleaning: only with --embed-text, so "
        "`summarize report` can show it without the source.",
    )


class RunInfo(BaseModel):
    model_config = ConfigDict(extra="allow")

    provider: str
    model: str
    prompt_version: str
    mode: str | None = None
    endpoint: str | None = None  # normalised, no credentials: what the cache key holds
    input_tokens: int = 0
    output_tokens: int = 0
    attempts: int = 1
    seconds: float = 0.0
    cached: bool = False  # answered from the cache: no model call on this run
    cache_key: str | None = None  # what `--resume` matches a JSONL line against


class Grounding(BaseModel):
    """Whether every quote the brief rests on is found in the cleaned article, outside any
    passage suspected of prompt injection."""

    grounded: bool
    ungrounded: list[str] = Field(
        default_factory=list, description="Evidence quotes and conditions not found verbatim."
    )
    suspect: list[str] = Field(
        default_factory=list,
        description="Evidence quotes and conditions found in the article, but in (or "
        "overlapping) a passage suspected of prompt injection, or themselves an attempt: "
        "what an obeyed injection has the model report. Any makes `grounded` false.",
    )


class Brief(BaseModel):
    model_config = ConfigDict(extra="allow")

    summary: str
    threats: list[Threat]
    actors: list[Actor]
    dates: list[ResolvedDate]
    article: ArticleMeta
    run: RunInfo
    grounding: Grounding | None = None
    warnings: list[str] = Field(default_factory=list)
