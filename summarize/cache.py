"""A content-addressed cache of model answers, in SQLite, so no brief is paid for twice.

The key is the SHA-256 of the canonical JSON (sorted keys, no whitespace) of everything
that determines the answer: endpoint, model, structured-output mode, generation
parameters, the response schema and the rendered messages (which carry the prompt, its
version and the cleaned article). Never the API key or any header: two users of one
endpoint share answers, and the cache file can be handed around.

The value is the validated answer plus the tokens it cost, not the brief: date resolution
and grounding are code and run again on a hit, so fixing them never needs a cold cache.

Several processes may share one file: SQLite in WAL mode serialises the writers, each
thread has its own connection, and a busy database is waited for, not reported.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from summarize.errors import ConfigError

CACHE_ENV = "SUMMARIZE_CACHE"
KEY_VERSION = 1  # bump when the key's ingredients change, so old entries stop matching
BUSY_TIMEOUT_MS = 30_000

SCHEMA = """
CREATE TABLE IF NOT EXISTS answers (
    key           TEXT PRIMARY KEY,
    answer        TEXT    NOT NULL,
    model         TEXT    NOT NULL,
    input_tokens  INTEGER NOT NULL,
    output_tokens INTEGER NOT NULL,
    created       REAL    NOT NULL
)
"""


def default_path() -> Path:
    """$SUMMARIZE_CACHE, else the platform's user cache folder (platformdirs)."""
    if override := os.environ.get(CACHE_ENV):
        return Path(override).expanduser()
    from platformdirs import user_cache_path

    return user_cache_path("summarize", appauthor=False) / "answers.sqlite3"


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def request_key(ingredients: dict[str, Any]) -> str:
    """The cache key of one request: a hash of its canonical JSON."""
    payload = canonical_json({"key_version": KEY_VERSION, **ingredients})
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class CachedAnswer:
    answer: dict[str, Any]
    model: str
    input_tokens: int
    output_tokens: int


@dataclass(frozen=True)
class CacheStats:
    path: Path
    entries: int
    size_bytes: int
    input_tokens: int
    output_tokens: int
    oldest: float | None
    newest: float | None


class AnswerCache:
    """The SQLite store. `read=False` (for --refresh) still writes fresh answers."""

    def __init__(self, path: Path | str | None = None, *, read: bool = True) -> None:
        self.path = Path(path) if path is not None else default_path()
        self.read = read
        self._local = threading.local()
        self._connections: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        self._connect()  # fail now, with a clear message, not in the middle of a batch

    def _connect(self) -> sqlite3.Connection:
        connection: sqlite3.Connection | None = getattr(self._local, "connection", None)
        if connection is not None:
            return connection
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            connection = sqlite3.connect(
                self.path, timeout=BUSY_TIMEOUT_MS / 1000, check_same_thread=False
            )
            connection.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            connection.execute("PRAGMA journal_mode = WAL")
            connection.execute(SCHEMA)
            connection.commit()
        except (OSError, sqlite3.Error) as error:
            raise ConfigError(
                f"cache {self.path}: cannot open it ({error}); pass --cache PATH "
                f"or set {CACHE_ENV} to a writable file, or use --no-cache"
            ) from None
        self._local.connection = connection
        with self._lock:
            self._connections.append(connection)
        return connection

    def get(self, key: str) -> CachedAnswer | None:
        if not self.read:
            return None
        row = (
            self._connect()
            .execute(
                "SELECT answer, model, input_tokens, output_tokens FROM answers WHERE key = ?",
                (key,),
            )
            .fetchone()
        )
        if row is None:
            return None
        return CachedAnswer(json.loads(row[0]), row[1], row[2], row[3])

    def put(self, key: str, answer: CachedAnswer) -> None:
        connection = self._connect()
        with connection:  # one transaction: a concurrent reader sees all of it or nothing
            connection.execute(
                "INSERT OR REPLACE INTO answers VALUES (?, ?, ?, ?, ?, ?)",
                (
                    key,
                    canonical_json(answer.answer),
                    answer.model,
                    answer.input_tokens,
                    answer.output_tokens,
                    time.time(),
                ),
            )

    def stats(self) -> CacheStats:
        row = (
            self._connect()
            .execute(
                "SELECT count(*), coalesce(sum(input_tokens), 0), "
                "coalesce(sum(output_tokens), 0), min(created), max(created) FROM answers"
            )
            .fetchone()
        )
        size = sum(
            p.stat().st_size
            for p in (self.path, Path(f"{self.path}-wal"), Path(f"{self.path}-shm"))
            if p.exists()
        )
        return CacheStats(self.path, row[0], size, row[1], row[2], row[3], row[4])

    def clear(self) -> int:
        connection = self._connect()
        with connection:
            removed: int = connection.execute("DELETE FROM answers").rowcount
        connection.execute("VACUUM")
        return removed

    def close(self) -> None:
        with self._lock:
            for connection in self._connections:
                connection.close()
            self._connections.clear()
        self._local = threading.local()
