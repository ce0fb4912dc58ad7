"""Questions asked of tracked threats: which, what history, which deadlines come due.

SQL over the store (a text search first brings the full-text index up to date); value
types at the bottom are what the CLI renders.
"""

from __future__ import annotations

import calendar
import json
import sqlite3
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from summarize.similarity import canonical_name
from summarize.store.db import index_evidence
from summarize.store.history import changes

TRACKED_COLUMNS = (
    "id, issuer, category, targets, first_reported, latest_reported, reports, articles,"
    " deadline_text, deadline_date"
)


def fts_phrase(text: str) -> str:
    """User text as one FTS5 phrase: its quotes and operators are words, not syntax."""
    return '"' + text.replace('"', '""') + '"'


def list_tracked(db: sqlite3.Connection, filters: Filters) -> list[TrackedThreat]:
    """Tracked threats matching every filter given, latest report first."""
    where, args = [], []
    if filters.issuer:
        where.append("issuer_key = ?")
        args.append(canonical_name(filters.issuer))
    if filters.target:
        where.append("(target_keys LIKE ? OR targets LIKE ?)")
        args += [f"%|{canonical_name(filters.target)}|%", f"%{filters.target}%"]
    if filters.category:
        where.append("category = ?")
        args.append(filters.category)
    if filters.since:
        where.append("latest_reported >= ?")
        args.append(filters.since.isoformat())
    if filters.until:
        where.append("first_reported <= ?")
        args.append(filters.until.isoformat())
    if filters.text:
        index_evidence(db)
        where.append(
            "id IN (SELECT t.tracked FROM evidence_fts f JOIN evidence e ON e.id = f.rowid"
            " JOIN threats t ON t.id = e.threat WHERE evidence_fts MATCH ?)"
        )
        args.append(fts_phrase(filters.text))
    sql = f"SELECT {TRACKED_COLUMNS} FROM tracked"  # noqa: S608 - constant columns; values bound
    if where:
        sql += " WHERE " + " AND ".join(where)
    sql += " ORDER BY latest_reported DESC, id DESC"
    if filters.limit:
        sql += f" LIMIT {int(filters.limit)}"
    return [_tracked(row) for row in db.execute(sql, args)]


def get_tracked(db: sqlite3.Connection, tracked_id: int) -> TrackedThreat | None:
    sql = f"SELECT {TRACKED_COLUMNS} FROM tracked WHERE id = ?"  # noqa: S608 - constant columns
    row = db.execute(sql, (tracked_id,))
    found = row.fetchone()
    return None if found is None else _tracked(found)


def history(db: sqlite3.Connection, tracked_id: int) -> list[Report]:
    """Every report of a tracked threat, oldest first, each with what it changed."""
    rows = db.execute(
        "SELECT t.id, t.reported, a.outlet, a.title, a.url, a.article_id, t.issuer, t.speaker,"
        " t.targets, t.action, t.category, t.conditions, t.deadline_text, t.deadline_date,"
        " t.likeness, t.pinned, b.model, b.prompt_version,"
        " (SELECT json_group_array(quote) FROM"
        "   (SELECT quote FROM evidence WHERE threat = t.id ORDER BY position))"
        " FROM threats t JOIN briefs b ON b.id = t.brief JOIN articles a ON a.id = b.article"
        " WHERE t.tracked = ? ORDER BY t.reported, t.id",
        (tracked_id,),
    ).fetchall()
    reports = [
        Report(
            id=row[0],
            reported=row[1],
            outlet=row[2],
            title=row[3],
            url=row[4],
            article_id=row[5],
            issuer=row[6],
            speaker=row[7],
            targets=json.loads(row[8]),
            action=row[9],
            category=row[10],
            conditions=json.loads(row[11]),
            deadline_text=row[12],
            deadline_date=row[13],
            likeness=json.loads(row[14]) if row[14] else None,
            pinned=bool(row[15]),
            model=row[16],
            prompt_version=row[17],
            evidence=json.loads(row[18]),
        )
        for row in rows
    ]
    for report, notes in zip(reports, changes(reports), strict=True):
        report.changes = notes
    return reports


def due_date(value: str) -> date:
    """The last day a partial ISO date allows: '2025-04' -> 2025-04-30, '2025' -> 12-31."""
    parts = [int(p) for p in value.split("-")]
    if len(parts) == 3:
        return date(*parts)
    if len(parts) == 2:
        return date(parts[0], parts[1], calendar.monthrange(parts[0], parts[1])[1])
    return date(parts[0], 12, 31)


def deadlines(db: sqlite3.Connection, as_of: date, within: int) -> list[Deadline]:
    """Deadlines falling due in the `within` days from `as_of`, and those already passed
    with no report of the threat since: soonest first."""
    horizon = as_of + timedelta(days=within)
    sql = f"SELECT {TRACKED_COLUMNS} FROM tracked WHERE deadline_date <= ?"  # noqa: S608
    rows = db.execute(sql, (horizon.isoformat(),)).fetchall()
    found = []
    for row in rows:
        tracked = _tracked(row)
        due = due_date(str(tracked.deadline_date))
        if as_of <= due <= horizon:
            found.append(Deadline(tracked, due.isoformat(), "due", (due - as_of).days))
        elif due < as_of and date.fromisoformat(tracked.latest_reported) <= due:
            found.append(Deadline(tracked, due.isoformat(), "passed", (due - as_of).days))
    return sorted(found, key=lambda d: d.due)


def _tracked(row: tuple[Any, ...]) -> TrackedThreat:
    return TrackedThreat(
        id=row[0],
        issuer=row[1],
        category=row[2],
        targets=row[3].split("; ") if row[3] else [],
        first_reported=row[4],
        latest_reported=row[5],
        reports=row[6],
        articles=row[7],
        deadline_text=row[8],
        deadline_date=row[9],
    )


# --- value types ----------------------------------------------------------------------


@dataclass(frozen=True)
class Filters:
    issuer: str | None = None
    target: str | None = None
    category: str | None = None
    since: date | None = None
    until: date | None = None
    text: str | None = None
    limit: int | None = None


@dataclass(frozen=True)
class TrackedThreat:
    id: int
    issuer: str
    category: str
    targets: list[str]
    first_reported: str
    latest_reported: str
    reports: int
    articles: int
    deadline_text: str | None
    deadline_date: str | None


@dataclass
class Report:
    """One article's report of a tracked threat."""

    id: int
    reported: str
    outlet: str
    title: str | None
    url: str | None
    article_id: str
    issuer: str
    speaker: str | None
    targets: list[str]
    action: str
    category: str
    conditions: list[str]
    deadline_text: str | None
    deadline_date: str | None
    likeness: dict[str, float] | None  # the linker's score and its parts; None: first
    pinned: bool  # placed by `summarize threats link/unlink`, not by the linker
    model: str
    prompt_version: str
    evidence: list[str]
    changes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Deadline:
    threat: TrackedThreat
    due: str
    status: str  # "due" within the window, or "passed" with no report since
    days: int  # from --as-of to the deadline; negative once passed
