"""Schema versions for our SQLite files: ordered lists of migrations, each run once.

A migration is a function of a connection. `migrate(db, steps)` runs those of `steps`
whose names the file's `_migrations` table does not hold yet, each in its own transaction
with the row that records it, so a migration that fails leaves the database as it was
(SQLite's DDL is transactional). Never edit a migration that has shipped: add the next.

This one mechanism serves every file: the store's migrations are below (`MIGRATIONS`,
registered in order with `@migration`); the answer cache lists its own in
`summarize.cache.MIGRATIONS`.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

Migration = Callable[[sqlite3.Connection], None]
MIGRATIONS: list[Migration] = []  # the store's


def migration(fn: Migration) -> Migration:
    """Register one of the store's migrations, after those above it."""
    MIGRATIONS.append(fn)
    return fn


def migrate(db: sqlite3.Connection, steps: Sequence[Migration] = MIGRATIONS) -> list[str]:
    """Apply the migrations of `steps` (the store's by default) not yet applied, in
    order; return their names.

    `db` must be in autocommit mode (`isolation_level=None`): each migration then runs in
    an explicit transaction, DDL included, which Python's implicit transactions skip.
    """
    db.execute(
        "CREATE TABLE IF NOT EXISTS _migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)"
    )
    applied: list[str] = []
    done = {row[0] for row in db.execute("SELECT name FROM _migrations")}
    if all(fn.__name__ in done for fn in steps):
        return applied  # up to date: no write lock taken
    for fn in steps:
        db.execute("BEGIN IMMEDIATE")  # a second process migrating waits, then sees it done
        try:
            found = db.execute("SELECT 1 FROM _migrations WHERE name = ?", (fn.__name__,))
            if found.fetchone() is None:
                fn(db)
                db.execute(
                    "INSERT INTO _migrations (name, applied_at) VALUES (?, ?)",
                    (fn.__name__, datetime.now(UTC).isoformat(timespec="seconds")),
                )
                applied.append(fn.__name__)
            db.execute("COMMIT")
        except BaseException:
            if db.in_transaction:  # SQLite rolls back by itself on some faults (a full disk)
                db.execute("ROLLBACK")
            raise
    return applied


def _run(db: sqlite3.Connection, script: str) -> None:
    """Run statements one by one (executescript would commit the open transaction)."""
    statement = ""
    for line in script.splitlines(keepends=True):
        statement += line
        if sqlite3.complete_statement(statement):
            db.execute(statement)
            statement = ""


@migration
def m001_initial(db: sqlite3.Connection) -> None:
    _run(
        db,
        """
        CREATE TABLE articles (
            id          INTEGER PRIMARY KEY,
            article_id  TEXT NOT NULL,
            source      TEXT NOT NULL,
            url         TEXT,
            title       TEXT,
            published   TEXT,
            outlet      TEXT NOT NULL,
            UNIQUE (article_id, source)
        );
        CREATE INDEX articles_url ON articles (url);
        CREATE TABLE briefs (
            id              INTEGER PRIMARY KEY,
            article         INTEGER NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
            provider        TEXT NOT NULL,
            model           TEXT NOT NULL,
            prompt_version  TEXT NOT NULL,
            mode            TEXT,
            summary         TEXT NOT NULL,
            grounded        INTEGER,
            input_tokens    INTEGER NOT NULL,
            output_tokens   INTEGER NOT NULL,
            digest          TEXT NOT NULL,
            record          TEXT NOT NULL,
            stored_at       TEXT NOT NULL,
            UNIQUE (article, provider, model, prompt_version)
        );
        CREATE TABLE tracked (
            id               INTEGER PRIMARY KEY,
            issuer           TEXT NOT NULL,
            issuer_key       TEXT NOT NULL,
            category         TEXT NOT NULL,
            targets          TEXT NOT NULL,
            target_keys      TEXT NOT NULL,
            first_reported   TEXT NOT NULL,
            latest_reported  TEXT NOT NULL,
            reports          INTEGER NOT NULL,
            articles         INTEGER NOT NULL,
            deadline_text    TEXT,
            deadline_date    TEXT,
            deadline_reported TEXT  -- when the deadline shown was reported
        );
        CREATE INDEX tracked_latest ON tracked (latest_reported);
        CREATE INDEX tracked_issuer ON tracked (issuer_key, latest_reported);
        CREATE INDEX tracked_deadline ON tracked (deadline_date);
        CREATE TABLE threats (
            id             INTEGER PRIMARY KEY,
            brief          INTEGER NOT NULL REFERENCES briefs (id) ON DELETE CASCADE,
            position       INTEGER NOT NULL,
            issuer         TEXT NOT NULL,
            issuer_key     TEXT NOT NULL,
            target_keys    TEXT NOT NULL,
            measure        TEXT NOT NULL,
            speaker        TEXT,
            targets        TEXT NOT NULL,
            action         TEXT NOT NULL,
            category       TEXT NOT NULL,
            conditions     TEXT NOT NULL,
            deadline_text  TEXT,
            deadline_date  TEXT,
            reported       TEXT NOT NULL,
            tracked        INTEGER REFERENCES tracked (id),
            likeness       TEXT,
            pinned         INTEGER NOT NULL DEFAULT 0
        );
        CREATE TABLE threat_targets (  -- the linker's way in: reports naming a target
            threat      INTEGER NOT NULL REFERENCES threats (id) ON DELETE CASCADE,
            key         TEXT NOT NULL,  -- the target's canonical name
            issuer_key  TEXT NOT NULL,
            category    TEXT NOT NULL,
            reported    TEXT NOT NULL
        );
        CREATE INDEX threat_targets_candidates
            ON threat_targets (key, issuer_key, category, reported);
        CREATE INDEX threat_targets_threat ON threat_targets (threat);
        CREATE INDEX threats_tracked ON threats (tracked);
        CREATE INDEX threats_brief ON threats (brief);
        CREATE TABLE evidence (
            id        INTEGER PRIMARY KEY AUTOINCREMENT,  -- never reused: see evidence_fts
            threat    INTEGER NOT NULL REFERENCES threats (id) ON DELETE CASCADE,
            position  INTEGER NOT NULL,
            quote     TEXT NOT NULL
        );
        CREATE INDEX evidence_threat ON evidence (threat);
        CREATE TABLE actors (
            brief  INTEGER NOT NULL REFERENCES briefs (id) ON DELETE CASCADE,
            name   TEXT NOT NULL,
            kind   TEXT NOT NULL,
            role   TEXT NOT NULL
        );
        CREATE INDEX actors_brief ON actors (brief);
        CREATE TABLE dates (
            brief  INTEGER NOT NULL REFERENCES briefs (id) ON DELETE CASCADE,
            text   TEXT NOT NULL,
            date   TEXT,
            event  TEXT NOT NULL
        );
        CREATE INDEX dates_brief ON dates (brief);
        """,
    )


@migration
def m002_evidence_fts(db: sqlite3.Connection) -> None:
    """Full-text search over evidence quotes (FTS5, external content).

    Quotes are indexed in bulk, not one brief at a time: an FTS5 transaction writes a new
    index segment, which would double the cost of storing a brief. `fts_state.upto` is
    the last evidence id indexed; `summarize.store.db.index_evidence` indexes the rest
    (when a store closes, and before a search). Deleting a quote removes it from the
    index only if it was indexed: FTS5 must not be told to delete what it never held.
    """
    _run(
        db,
        """
        CREATE VIRTUAL TABLE evidence_fts USING fts5 (
            quote, content='evidence', content_rowid='id'
        );
        CREATE TABLE fts_state (upto INTEGER NOT NULL);
        INSERT INTO fts_state (upto) VALUES (0);
        CREATE TRIGGER evidence_ad AFTER DELETE ON evidence
        WHEN old.id <= (SELECT upto FROM fts_state) BEGIN
            INSERT INTO evidence_fts (evidence_fts, rowid, quote)
            VALUES ('delete', old.id, old.quote);
        END;
        """,
    )


@migration
def m003_feed_items(db: sqlite3.Connection) -> None:
    """Feed item links already briefed, so `summarize watch` fetches each page once."""
    _run(
        db,
        """
        CREATE TABLE feed_items (
            link      TEXT PRIMARY KEY,
            brief     INTEGER REFERENCES briefs (id) ON DELETE SET NULL,
            stored_at TEXT NOT NULL
        );
        """,
    )
