"""Exact counts of names (article ids, paths read) in memory that does not grow with a
corpus: a dict for the first few thousand, then a table of a private temporary SQLite
database, whose pages wait on disk rather than in memory.

The count must stay exact, not probable: it decides an article's id ('story', 'story-2'),
which keys exports, caches and resumes, so a digest that two names could share, or a
filter that can be wrong, would not do. A run of a few articles never opens a database.
"""

from __future__ import annotations

import sqlite3

IN_MEMORY = 4_096  # names counted in a dict; past this, all of them move to SQLite
CACHE_KIB = 2_048  # SQLite's page cache: what the table may hold in memory


class Tally:
    """How many times each name was added, exactly; `close` removes the database."""

    def __init__(self, in_memory: int | None = None) -> None:
        self.in_memory = IN_MEMORY if in_memory is None else in_memory
        self._counts: dict[str, int] | None = {}
        self._db: sqlite3.Connection | None = None

    def add(self, name: str) -> int:
        """Count `name` once more; how many times it has now been added."""
        if self._counts is not None:
            count = self._counts[name] = self._counts.get(name, 0) + 1
            if len(self._counts) > self.in_memory:
                self._spill(self._counts)
            return count
        assert self._db is not None
        row = self._db.execute(
            "INSERT INTO tally VALUES (?, 1) ON CONFLICT (name) DO UPDATE SET n = n + 1 "
            "RETURNING n",
            (name,),
        ).fetchone()
        return int(row[0])

    def _spill(self, counts: dict[str, int]) -> None:
        # "": a temporary database on disk, private to this connection and deleted when
        # it closes; one transaction, never committed, so no write waits on a sync.
        self._db = sqlite3.connect("", check_same_thread=False)
        self._db.execute(f"PRAGMA cache_size = -{CACHE_KIB}")
        self._db.execute("PRAGMA journal_mode = OFF")
        self._db.execute("CREATE TABLE tally (name TEXT PRIMARY KEY, n INTEGER) WITHOUT ROWID")
        self._db.executemany("INSERT INTO tally VALUES (?, ?)", counts.items())
        self._counts = None

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
