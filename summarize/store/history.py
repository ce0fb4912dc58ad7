"""How a tracked threat changed from one report to the next.

Each report after the first is compared with everything reported before it: a condition
not stated before, a target added, a deadline set or moved, and the threat's modality
rising from possible ("may", "could", "considering") to definite ("will", "shall",
"going to") or falling back. Modality is read from the modal verbs of the report's own
evidence quotes and action: grammar, not topic words.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Literal, Protocol

from summarize.similarity import canonical_name

Modality = Literal["possible", "definite"]

DEFINITE = re.compile(
    r"\b(will|shall|won't|wo n't|going to|is set to|are set to|vow(?:s|ed)? to|"
    r"pledge[sd]? to|has decided|have decided)\b|'ll\b",
    re.IGNORECASE,
)
POSSIBLE = re.compile(
    r"\b(may|might|could|would consider|consider(?:s|ing)?|weigh(?:s|ing)?|"
    r"not rul(?:e|ed|ing) out|possibl[ey]|potential(?:ly)?|option)\b",
    re.IGNORECASE,
)


class ReportLike(Protocol):
    @property
    def action(self) -> str: ...
    @property
    def targets(self) -> list[str]: ...
    @property
    def conditions(self) -> list[str]: ...
    @property
    def evidence(self) -> list[str]: ...
    @property
    def deadline_text(self) -> str | None: ...
    @property
    def deadline_date(self) -> str | None: ...


def modality(report: ReportLike) -> Modality | None:
    """'definite' when the report's quotes say will/shall; 'possible' when only may/could;
    None when they say neither."""
    text = " ".join([*report.evidence, report.action])
    if DEFINITE.search(text):
        return "definite"
    if POSSIBLE.search(text):
        return "possible"
    return None


def _key(text: str) -> str:
    return " ".join(text.casefold().split())


def changes(reports: Sequence[ReportLike]) -> list[list[str]]:
    """For each report, in order, what it says that the reports before it did not."""
    out: list[list[str]] = []
    conditions: set[str] = set()
    targets: set[str] = set()
    deadline: tuple[str | None, str | None] = (None, None)
    strongest: Modality | None = None
    for index, report in enumerate(reports):
        notes: list[str] = []
        if index == 0:
            notes.append("first report")
        else:
            notes += [f"new condition: {c}" for c in report.conditions if _key(c) not in conditions]
            notes += [
                f"new target: {t}" for t in report.targets if canonical_name(t) not in targets
            ]
            if report.deadline_text and deadline == (None, None):
                notes.append(f"deadline set: {report.deadline_text}")
            elif report.deadline_text and (report.deadline_date or report.deadline_text) != (
                deadline[1] or deadline[0]
            ):
                notes.append(f"deadline moved: {deadline[0]} -> {report.deadline_text}")
        mood = modality(report)
        if index and strongest == "possible" and mood == "definite":
            notes.append('escalated: "may" -> "will"')
        elif index and strongest == "definite" and mood == "possible":
            notes.append('softened: "will" -> "may"')
        conditions |= {_key(c) for c in report.conditions}
        targets |= {canonical_name(t) for t in report.targets}
        if report.deadline_text:
            deadline = (report.deadline_text, report.deadline_date)
        strongest = mood or strongest
        out.append(notes)
    return out
