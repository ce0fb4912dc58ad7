"""The store: every finished brief in SQLite, and its threats linked across articles.

One row per article (by id and source); one brief per article, provider, model and prompt
version: storing the same brief again changes nothing, a changed answer under the same
key replaces the old one, and a new model or prompt version is kept beside it. Each
threat is linked to a tracked threat as it is stored (`summarize.store.linker`).

Several processes may share one file: WAL mode, a busy database is waited for.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import urlsplit

from summarize.errors import ConfigError
from summarize.migrations import migrate
from summarize.store import linker

if TYPE_CHECKING:
    from summarize.schema import Brief

STORE_ENV = "SUMMARIZE_STORE"
BUSY_TIMEOUT_MS = 30_000


def default_path() -> Path:
    """$SUMMARIZE_STORE, else the platform's user data folder (platformdirs)."""
    import os

    if override := os.environ.get(STORE_ENV):
        return Path(override).expanduser()
    from platformdirs import user_data_path

    return user_data_path("summarize", appauthor=False) / "store.sqlite3"


class Store:
    """A store file, opened (and created or migrated) on construction."""

    def __init__(self, path: str | Path | None = None) -> None:
        self.path = Path(path) if path is not None else default_path()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            self.db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            self.db.execute("PRAGMA journal_mode = WAL")
            self.db.execute("PRAGMA synchronous = NORMAL")
            self.db.execute("PRAGMA foreign_keys = ON")
            migrate(self.db)
        except (OSError, sqlite3.Error) as error:
            raise ConfigError(
                f"cannot open the store {self.path}: {error}; pass --store PATH or --no-store"
            ) from None
        self._lock = threading.Lock()

    def close(self) -> None:
        try:
            with self._lock:
                index_evidence(self.db)
        except sqlite3.Error:
            pass  # the index catches up on the next close or search
        self.db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self.db.execute("BEGIN IMMEDIATE")
            try:
                yield self.db
            except BaseException:
                self.db.execute("ROLLBACK")
                raise
            self.db.execute("COMMIT")

    # --- writing ---------------------------------------------------------------------

    def record(self, brief: Brief) -> Stored:
        """Store one brief and link its threats; the same brief twice is stored once."""
        digest = _digest(brief)
        run = brief.run
        with self.transaction() as db:
            article = _upsert_article(db, brief)
            old = db.execute(
                "SELECT id, digest FROM briefs WHERE article = ? AND provider = ? AND model = ?"
                " AND prompt_version = ?",
                (article, run.provider, run.model, run.prompt_version),
            ).fetchone()
            if old is not None and old[1] == digest:
                return Stored(brief_id=old[0], status="unchanged")
            touched: set[int] = set()
            if old is not None:
                touched = {
                    row[0]
                    for row in db.execute(
                        "SELECT tracked FROM threats WHERE brief = ? AND tracked IS NOT NULL",
                        (old[0],),
                    )
                }
                db.execute("DELETE FROM briefs WHERE id = ?", (old[0],))
            brief_id = _insert_brief(db, brief, article, digest)
            reported = _reported(brief)
            links: list[Link] = []
            for position, threat in enumerate(brief.threats):
                report = linker.Report(
                    issuer=threat.issuer,
                    targets=list(threat.targets),
                    category=threat.category,
                    action=threat.action,
                    reported=reported,
                    article=article,
                    deadline_text=threat.deadline.text if threat.deadline else None,
                    deadline_date=threat.deadline.date if threat.deadline else None,
                )
                threat_id = _insert_threat(db, brief_id, position, threat, report)
                links.append(Link(threat_id, *linker.link(db, threat_id, report, brief_id)))
            linker.refresh(db, touched)  # the tracked threats the replaced brief reported
        status: Literal["new", "replaced"] = "replaced" if old is not None else "new"
        return Stored(brief_id=brief_id, status=status, links=tuple(links))

    def import_jsonl(self, path: str | Path) -> ImportReport:
        """Store every brief of a JSONL file; failure records are skipped, bad lines named."""
        from pydantic import ValidationError

        from summarize.schema import Brief  # deferred: reading the store needs no pydantic

        report = ImportReport()
        with Path(path).open(encoding="utf-8", errors="replace") as lines:
            for number, line in enumerate(lines, 1):
                if not line.strip():
                    continue
                try:
                    record = json.loads(line)
                except json.JSONDecodeError as error:
                    report.bad_lines.append((number, f"not JSON ({error.msg})"))
                    continue
                if isinstance(record, dict) and "error" in record and "run" not in record:
                    report.failures += 1
                    continue
                try:
                    brief = Brief.model_validate(record)
                except ValidationError as error:
                    first = error.errors()[0]
                    where = ".".join(str(part) for part in first["loc"]) or "record"
                    report.bad_lines.append((number, f"not a brief ({where}: {first['msg']})"))
                    continue
                stored = self.record(brief)
                setattr(report, stored.status, getattr(report, stored.status) + 1)
        return report

    # --- feeds ----------------------------------------------------------------------

    def has_feed_item(self, link: str) -> bool:
        """Whether this feed item's page was briefed and stored already (from a feed, or
        named to `summarize brief`)."""
        found = self.db.execute(
            "SELECT 1 FROM feed_items WHERE link = ? UNION ALL"
            " SELECT 1 FROM articles WHERE url = ? LIMIT 1",
            (link, link),
        )
        return found.fetchone() is not None

    def remember_feed_item(self, link: str, brief_id: int) -> None:
        with self.transaction() as db:
            db.execute(
                "INSERT OR REPLACE INTO feed_items (link, brief, stored_at) VALUES (?, ?, ?)",
                (link, brief_id, datetime.now(UTC).isoformat(timespec="seconds")),
            )

    # --- user overrides --------------------------------------------------------------

    def link(self, keep: int, merge: int) -> int:
        """Merge tracked threat `merge` into `keep`; its reports stay there (pinned)."""
        with self.transaction() as db:
            for tracked in (keep, merge):
                if db.execute("SELECT 1 FROM tracked WHERE id = ?", (tracked,)).fetchone() is None:
                    raise KeyError(f"no tracked threat {tracked}")
            if keep == merge:
                return keep
            db.execute(
                "UPDATE threats SET tracked = ?, pinned = 1, likeness = NULL WHERE tracked = ?",
                (keep, merge),
            )
            db.execute("UPDATE threats SET pinned = 1 WHERE tracked = ?", (keep,))
            linker.refresh(db, {keep, merge})
        return keep

    def unlink(self, report: int) -> int:
        """Detach one report (a stored threat) into a tracked threat of its own."""
        with self.transaction() as db:
            row = db.execute("SELECT tracked FROM threats WHERE id = ?", (report,)).fetchone()
            if row is None:
                raise KeyError(f"no report {report}")
            new = linker.new_tracked(db)
            db.execute(
                "UPDATE threats SET tracked = ?, pinned = 1, likeness = NULL WHERE id = ?",
                (new, report),
            )
            linker.refresh(db, {row[0], new})
        return new


def index_evidence(db: sqlite3.Connection) -> int:
    """Add the evidence quotes stored since the last call to the full-text index."""
    db.execute("BEGIN IMMEDIATE")  # read and advance `upto` under the write lock
    try:
        (upto,) = db.execute("SELECT upto FROM fts_state").fetchone()
        cursor = db.execute(
            "INSERT INTO evidence_fts (rowid, quote) SELECT id, quote FROM evidence WHERE id > ?",
            (upto,),
        )
        db.execute(
            "UPDATE fts_state SET upto = (SELECT coalesce(max(id), ?) FROM evidence)", (upto,)
        )
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")
    return cursor.rowcount


def _digest(brief: Brief) -> str:
    """What the brief says, without how long it took: the same answer has one digest."""
    content = brief.model_dump(mode="json", include={"summary", "threats", "actors", "dates"})
    content["article"] = [brief.article.id, brief.article.title, brief.article.published]
    text = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def outlet(source: str, url: str | None) -> str:
    """Who published it: the host of its URL without 'www.', else where it was read."""
    host = urlsplit(url).hostname if url else None
    return host.removeprefix("www.") if host else source


def _reported(brief: Brief) -> date:
    """When the threat was reported: the article's date, else today (UTC)."""
    try:
        return date.fromisoformat(brief.article.published or "")
    except ValueError:
        return datetime.now(UTC).date()


def _upsert_article(db: sqlite3.Connection, brief: Brief) -> int:
    meta = brief.article
    row = db.execute(
        "INSERT INTO articles (article_id, source, url, title, published, outlet)"
        " VALUES (?, ?, ?, ?, ?, ?)"
        " ON CONFLICT (article_id, source) DO UPDATE SET url = coalesce(excluded.url, url),"
        " title = coalesce(excluded.title, title),"
        " published = coalesce(excluded.published, published)"
        " RETURNING id",
        (meta.id, meta.source, meta.url, meta.title, meta.published, outlet(meta.source, meta.url)),
    ).fetchone()
    return int(row[0])


def _insert_brief(db: sqlite3.Connection, brief: Brief, article: int, digest: str) -> int:
    run = brief.run
    grounded = None if brief.grounding is None else int(brief.grounding.grounded)
    cursor = db.execute(
        "INSERT INTO briefs (article, provider, model, prompt_version, mode, summary, grounded,"
        " input_tokens, output_tokens, digest, record, stored_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            article,
            run.provider,
            run.model,
            run.prompt_version,
            run.mode,
            brief.summary,
            grounded,
            run.input_tokens,
            run.output_tokens,
            digest,
            brief.model_dump_json(),
            datetime.now(UTC).isoformat(timespec="seconds"),
        ),
    )
    brief_id = int(cursor.lastrowid or 0)
    db.executemany(
        "INSERT INTO actors (brief, name, kind, role) VALUES (?, ?, ?, ?)",
        [(brief_id, a.name, a.kind, a.role) for a in brief.actors],
    )
    db.executemany(
        "INSERT INTO dates (brief, text, date, event) VALUES (?, ?, ?, ?)",
        [(brief_id, d.text, d.date, d.event) for d in brief.dates],
    )
    return brief_id


def _insert_threat(
    db: sqlite3.Connection, brief_id: int, position: int, threat: Any, report: linker.Report
) -> int:
    deadline = threat.deadline
    cursor = db.execute(
        "INSERT INTO threats (brief, position, issuer, issuer_key, target_keys, measure, speaker,"
        " targets, action, category, conditions, deadline_text, deadline_date, reported)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            brief_id,
            position,
            threat.issuer,
            report.features.issuer,
            linker.pack(report.features.targets),
            " ".join(sorted(report.features.measure)),
            threat.speaker,
            json.dumps(threat.targets, ensure_ascii=False),
            threat.action,
            threat.category,
            json.dumps(threat.conditions, ensure_ascii=False),
            deadline.text if deadline else None,
            deadline.date if deadline else None,
            report.reported.isoformat(),
        ),
    )
    threat_id = int(cursor.lastrowid or 0)
    db.executemany(
        "INSERT INTO threat_targets (threat, key, issuer_key, category, reported)"
        " VALUES (?, ?, ?, ?, ?)",
        [
            (threat_id, key, report.features.issuer, threat.category, report.reported.isoformat())
            for key in report.features.targets
        ],
    )
    db.executemany(
        "INSERT INTO evidence (threat, position, quote) VALUES (?, ?, ?)",
        [(threat_id, i, quote) for i, quote in enumerate(threat.evidence)],
    )
    return threat_id


# --- value types ----------------------------------------------------------------------


@dataclass(frozen=True)
class Link:
    """Where one stored threat went: the tracked threat, and whether it started it."""

    threat: int
    tracked: int
    created: bool


@dataclass(frozen=True)
class Stored:
    brief_id: int
    status: Literal["new", "replaced", "unchanged"]
    links: tuple[Link, ...] = ()


@dataclass
class ImportReport:
    new: int = 0
    replaced: int = 0
    unchanged: int = 0
    failures: int = 0  # failure records in the file: nothing to store
    bad_lines: list[tuple[int, str]] = field(default_factory=list)
