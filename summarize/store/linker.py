"""Link each stored threat to the tracked threat it reports, or start a new one.

A new report is compared, by `summarize.similarity.compare`, with the reports already
stored that could be the same threat: same issuer, same kind of measure, naming one of
its targets, within `WINDOW_DAYS` (found through the `threat_targets` index, newest
first, at most `MAX_CANDIDATES`, so the cost does not grow with the store). It joins
the tracked threat of its best match when that match is `same_across_articles`, and
records the score and its parts. Two threats of one brief are never linked to each
other: the brief says they are different.
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


def link(db: sqlite3.Connection, threat_id: int, report: Report, brief_id: int) -> tuple[int, bool]:
    """Attach threat `threat_id` to a tracked threat: its id, and whether it is new."""
    window = timedelta(days=WINDOW_DAYS)
    targets = sorted(report.features.targets)
    if not targets:
        return _start(db, threat_id)
    sql = (  # only placeholders are joined in: every value is bound
        "SELECT t.target_keys, t.measure, t.reported, t.tracked"  # noqa: S608
        " FROM threat_targets x JOIN threats t ON t.id = x.threat"
        f" WHERE x.key IN ({', '.join('?' * len(targets))})"
        " AND x.issuer_key = ? AND x.category = ? AND x.reported BETWEEN ? AND ?"
        " AND t.brief != ? AND t.tracked IS NOT NULL ORDER BY x.reported DESC LIMIT ?"
    )
    rows = db.execute(
        sql,
        (
            *targets,
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
        return _start(db, threat_id)
    score = json.dumps({"score": best[0], **best[2].parts()})
    db.execute(
        "UPDATE threats SET tracked = ?, likeness = ? WHERE id = ?", (best[1], score, threat_id)
    )
    _extend(db, best[1], threat_id, report)
    return best[1], False


def _start(db: sqlite3.Connection, threat_id: int) -> tuple[int, bool]:
    """A new tracked threat whose one report is `threat_id`."""
    tracked = new_tracked(db)
    db.execute("UPDATE threats SET tracked = ? WHERE id = ?", (tracked, threat_id))
    refresh(db, [tracked])  # one report: cheap
    return tracked, True


def _extend(db: sqlite3.Connection, tracked: int, threat_id: int, report: Report) -> None:
    """Add one report to a tracked threat's summary columns without reading its others,
    so that linking costs the same however often a threat has been reported."""
    latest, names, keys, deadline_reported = db.execute(
        "SELECT latest_reported, targets, target_keys, deadline_reported FROM tracked WHERE id = ?",
        (tracked,),
    ).fetchone()
    same_article = db.execute(
        "SELECT 1 FROM briefs b JOIN threats t ON t.brief = b.id"
        " WHERE b.article = ? AND t.tracked = ? AND t.id != ? LIMIT 1",
        (report.article, tracked, threat_id),
    ).fetchone()
    targets = names.split("; ") if names else []
    known = list(unpack(keys))
    for name in report.targets:
        if (key := canonical_name(name)) not in known:
            known.append(key)
            targets.append(name)
    day = report.reported.isoformat()
    newest = day >= latest
    new_deadline = report.deadline_text is not None and day >= (deadline_reported or "")
    db.execute(
        "UPDATE tracked SET first_reported = min(first_reported, ?),"
        " latest_reported = max(latest_reported, ?), reports = reports + 1,"
        " articles = articles + ?, targets = ?, target_keys = ?,"
        " issuer = CASE WHEN ? THEN ? ELSE issuer END,"
        " deadline_text = CASE WHEN ? THEN ? ELSE deadline_text END,"
        " deadline_date = CASE WHEN ? THEN ? ELSE deadline_date END,"
        " deadline_reported = CASE WHEN ? THEN ? ELSE deadline_reported END"
        " WHERE id = ?",
        (
            day,
            day,
            0 if same_article else 1,
            "; ".join(targets),
            pack(known),
            newest,
            report.issuer,
            new_deadline,
            report.deadline_text,
            new_deadline,
            report.deadline_date,
            new_deadline,
            day,
            tracked,
        ),
    )


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
            "SELECT deadline_text, deadline_date, reported FROM threats"
            " WHERE tracked = ? AND deadline_text IS NOT NULL"
            " ORDER BY reported DESC, id DESC LIMIT 1",
            (tracked,),
        ).fetchone() or (None, None, None)
        db.execute(
            "UPDATE tracked SET issuer = ?, issuer_key = ?, category = ?, targets = ?,"
            " target_keys = ?, first_reported = ?, latest_reported = ?, reports = ?,"
            " articles = ?, deadline_text = ?, deadline_date = ?, deadline_reported = ?"
            " WHERE id = ?",
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
    article: int = 0  # the article's row in the store
    deadline_text: str | None = None
    deadline_date: str | None = None

    @cached_property
    def features(self) -> Features:
        return features(self)
