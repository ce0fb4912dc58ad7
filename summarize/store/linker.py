"""Link each stored threat to the tracked threat it reports, or start a new one.

A new report is compared, by `summarize.similarity.likeness`, with the reports already
stored from the same issuer and of the same kind of measure within `WINDOW_DAYS`
(newest first, at most `MAX_CANDIDATES`); it joins the tracked threat of its best match
when that match is `same_across_articles`, and records the score and its parts. Two
threats of one brief are never linked to each other: the brief says they are different.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cached_property

from summarize.similarity import (
    Features,
    Likeness,
    canonical_name,
    compare,
    features,
    same_across_articles,
)

WINDOW_DAYS = 180  # past half a year the time part is under 0.02: too far to link
MAX_CANDIDATES = 200


def issuer_key(issuer: str) -> str:
    return canonical_name(issuer)


def link(db: sqlite3.Connection, threat_id: int, report: Report, brief_id: int) -> int:
    """Attach threat `threat_id` to a tracked threat; return that tracked threat's id."""
    window = timedelta(days=WINDOW_DAYS)
    rows = db.execute(
        "SELECT target_keys, measure, reported, tracked FROM threats"
        " WHERE issuer_key = ? AND category = ? AND reported BETWEEN ? AND ?"
        " AND brief != ? AND tracked IS NOT NULL ORDER BY reported DESC LIMIT ?",
        (
            report.features.issuer,
            report.category,
            (report.reported - window).isoformat(),
            (report.reported + window).isoformat(),
            brief_id,
            MAX_CANDIDATES,
        ),
    ).fetchall()
    taken = {
        row[0]
        for row in db.execute(
            "SELECT tracked FROM threats WHERE brief = ? AND tracked IS NOT NULL", (brief_id,)
        )
    }
    best: tuple[float, int, Likeness] | None = None
    for target_keys, measure, reported, tracked in rows:
        if tracked in taken:
            continue
        other = Features(
            report.features.issuer, unpack(target_keys), report.category, frozenset(measure.split())
        )
        found = compare(
            report.features, other, a_date=report.reported, b_date=date.fromisoformat(reported)
        )
        if same_across_articles(found) and (best is None or found.score > best[0]):
            best = (found.score, tracked, found)
    if best is None:
        tracked_id, score = new_tracked(db), None
    else:
        tracked_id, score = best[1], json.dumps({"score": best[0], **best[2].parts()})
    db.execute(
        "UPDATE threats SET tracked = ?, likeness = ? WHERE id = ?", (tracked_id, score, threat_id)
    )
    return tracked_id


def pack(keys: Iterable[str]) -> str:
    """Canonical names as stored: '|canada|mexico|', searchable with LIKE '%|canada|%'."""
    return "|" + "|".join(keys) + "|"


def unpack(packed: str) -> frozenset[str]:
    return frozenset(key for key in packed.split("|") if key)


def new_tracked(db: sqlite3.Connection) -> int:
    """An empty tracked threat; `refresh` fills it in from its reports."""
    cursor = db.execute(
        "INSERT INTO tracked (issuer, issuer_key, category, targets, target_keys,"
        " first_reported, latest_reported, reports, articles)"
        " VALUES ('', '', '', '', '', '', '', 0, 0)"
    )
    return int(cursor.lastrowid or 0)


def refresh(db: sqlite3.Connection, tracked_ids: Iterable[int]) -> None:
    """Recompute each tracked threat's summary columns from its reports; drop empty ones."""
    for tracked in tracked_ids:
        first, latest, reports, articles = db.execute(
            "SELECT min(reported), max(reported), count(*), count(DISTINCT b.article)"
            " FROM threats t JOIN briefs b ON b.id = t.brief WHERE t.tracked = ?",
            (tracked,),
        ).fetchone()
        if not reports:
            db.execute("DELETE FROM tracked WHERE id = ?", (tracked,))
            continue
        issuer, category = db.execute(
            "SELECT issuer, category FROM threats WHERE tracked = ?"
            " ORDER BY reported DESC, id DESC LIMIT 1",
            (tracked,),
        ).fetchone()
        targets: dict[str, str] = {}
        for (name,) in db.execute(
            "SELECT j.value FROM threats t, json_each(t.targets) j WHERE t.tracked = ?"
            " ORDER BY t.reported, t.id, j.key",
            (tracked,),
        ):
            targets.setdefault(canonical_name(name), name)
        deadline = db.execute(
            "SELECT deadline_text, deadline_date FROM threats"
            " WHERE tracked = ? AND deadline_text IS NOT NULL"
            " ORDER BY reported DESC, id DESC LIMIT 1",
            (tracked,),
        ).fetchone() or (None, None)
        db.execute(
            "UPDATE tracked SET issuer = ?, issuer_key = ?, category = ?, targets = ?,"
            " target_keys = ?, first_reported = ?, latest_reported = ?, reports = ?,"
            " articles = ?, deadline_text = ?, deadline_date = ? WHERE id = ?",
            (
                issuer,
                issuer_key(issuer),
                category,
                "; ".join(targets.values()),
                pack(targets),
                first,
                latest,
                reports,
                articles,
                *deadline,
                tracked,
            ),
        )


@dataclass(frozen=True)
class Report:
    """What the linker compares of one stored threat."""

    issuer: str
    targets: list[str]
    category: str
    action: str
    reported: date

    @cached_property
    def features(self) -> Features:
        return features(self)
