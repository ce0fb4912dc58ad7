"""Spot article text that tries to instruct the model (prompt injection), to warn about it.

Article text is data: the prompt fences it and says so, and grounding checks every quote
the brief rests on. This module adds the third line of defence, visibility: a brief of an
article that talks to the model carries a warning naming what was found, so an analyst
reads that brief with care. Detection is by pattern, so it flags attempts; it cannot
prove their absence.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Pattern:
    kind: str
    regex: re.Pattern[str]


def _pattern(kind: str, regex: str) -> Pattern:
    return Pattern(kind, re.compile(regex, re.IGNORECASE | re.MULTILINE))


PATTERNS = (
    _pattern(
        "instruction override",
        r"\b(?:ignore|disregard|forget|override)\b[^.\n]{0,40}?\b(?:previous|prior|above|"
        r"earlier|all|any|your|the)\b[^.\n]{0,20}?\b(?:instructions?|prompts?|rules|"
        r"directions|guidelines)\b",
    ),
    _pattern(
        "new instructions",
        r"\b(?:new|updated|real|actual)\s+instructions?\s*:|\byou are now\b|"
        r"\bfrom now on,? you\b|\bact as (?:an?|the)\b",
    ),
    _pattern(
        "fake chat role",
        r"^\s*(?:#+\s*)?(?:system|assistant|developer)\s*(?:message|prompt)?\s*:|"
        r"<\|im_start\|>|<\|im_end\|>|\[/?INST\]|<\s*/?\s*(?:system|assistant)\s*>|"
        r"<\s*/\s*article\s*>",
    ),
    _pattern(
        "prompt extraction",
        r"\b(?:reveal|print|show|repeat|output|disclose|leak)\b[^.\n]{0,30}?"
        r"\b(?:system prompt|your prompt|the prompt|your instructions|hidden instructions)\b",
    ),
    _pattern(
        "fake brief",
        r"\{\s*\"(?:summary|threats|issuer|actors)\"\s*:",
    ),
)
SNIPPET = 60


def injection_warnings(text: str) -> list[str]:
    """One warning per kind of suspected injection, quoting where it was first seen."""
    warnings = []
    for pattern in PATTERNS:
        if match := pattern.regex.search(text):
            snippet = " ".join(match.group(0).split())[:SNIPPET]
            warnings.append(f"possible prompt injection ({pattern.kind}): {snippet!r}")
    return warnings
