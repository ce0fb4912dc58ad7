"""A content-addressed cache of model answers, in SQLite, so no brief is paid for twice.

The key is the SHA-256 of the canonical JSON (sorted keys, no whitespace) of everything
that determines the answer: endpoint, model, structured-output mode, generation
parameters, the response schema and the rendered messages (which carry the prompt, its
version and the cleaned article). Never the API key or any header: two users of one
endpoint share answers, and the cache file can be handed around.

The value is the validated answer plus the tokens it cost, not the brief: date resolution
and grounding are code and run again on a hit, so fixing them never needs a cold cache.

The file's schema is versioned: `MIGRATIONS` below, run by `summarize.migrations.migrate`
(the store's mechanism) and recorded in a `_migrations` table. The first is the table every
cache file has had, so a file written before the schema was versioned opens unchanged.

Several processes may share one file: SQLite in WAL mode serialises the writers, each
thread has its own connection, and a busy database is waited for, not reported.

Each `put` is its own transaction, and so its own fsync (about a millisecond). A caller
that stores many answers at once (`batch collect`) holds them instead (`holding()`) and
writes them with `commit()`, many rows to a transaction; it commits before it reports
the work those answers went into as done, so a crash loses no answer a finished brief
rests on.

The cache is an optimisation, so its faults never cost an article. A read that fails (a
corrupt page, a row that is not a stored answer, a table of another schema, a file that
is not SQLite) is a miss: the answer is fetched again. A write that fails (a full disk, a
read-only or damaged file) turns the cache off for the rest of the run. Each kind is
reported once, through `on_fault`, and summed up by `fault_note()` for the totals line.
A file that is damaged, or on a full or failing disk, when the run starts is the same: the
cache is off. Only a path that cannot be opened at all (a folder in the way, no
permission) is a configuration error, raised before any model call.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from summarize.errors import ConfigError, SummarizeError
from summarize.migrations import Migration, migrate

CACHE_ENV = "SUMMARIZE_CACHE"
KEY_VERSION = 1  # bump when the key's ingredients change, so old entries stop matching
BUSY_TIMEOUT_MS = 30_000
SQLITE_MAGIC = b"SQLite format 3\x00"  # the first 16 bytes of every SQLite database file
# SQLite's names for a file that is damaged or not a database at all (Python 3.11+ gives
# every sqlite3 error its `sqlite_errorname`); other errors are I/O, full, busy, schema.
DAMAGED = ("SQLITE_CORRUPT", "SQLITE_NOTADB")
DISK_FAULTS = ("SQLITE_FULL", "SQLITE_IOERR")  # the disk under the file, not the path
# Faults of the path or of other users of the file; any other fault while reading or
# upgrading the schema means its tables are garbled (text that does not decode, a record
# "too big"): the file is damaged, see `CorruptSchema`.
OPEN_FAULTS = (
    "SQLITE_CANTOPEN",
    "SQLITE_PERM",
    "SQLITE_READONLY",
    "SQLITE_AUTH",
    "SQLITE_BUSY",
    "SQLITE_LOCKED",
)

COLUMNS = ["key", "answer", "model", "input_tokens", "output_tokens", "created"]
MIGRATIONS_COLUMNS = ["name", "applied_at"]


def m001_answers(db: sqlite3.Connection) -> None:
    """The answers table, as every cache file had it before the schema was versioned
    (IF NOT EXISTS: such a file keeps its table and rows and is only marked migrated)."""
    db.execute(
        """
        CREATE TABLE IF NOT EXISTS answers (
            key           TEXT PRIMARY KEY,
            answer        TEXT    NOT NULL,
            model         TEXT    NOT NULL,
            input_tokens  INTEGER NOT NULL,
            output_tokens INTEGER NOT NULL,
            created       REAL    NOT NULL
        )
        """
    )


# The cache's schema, in order; never edit one that has shipped: add the next.
MIGRATIONS: list[Migration] = [m001_answers]


class CorruptSchema(sqlite3.DatabaseError):
    """The schema's own tables cannot be read back (text that is not UTF-8, a record that
    claims to be too big): a damaged file, so it is handled as SQLite's SQLITE_CORRUPT."""

    sqlite_errorname = "SQLITE_CORRUPT"


class ForeignTable(ValueError):
    """The file holds an `answers` table this tool did not create: it is left untouched."""


def default_path() -> Path:
    """$SUMMARIZE_CACHE, else the platform's user cache folder (platformdirs)."""
    if override := os.environ.get(CACHE_ENV):
        return Path(override).expanduser()
    return platform_path()


def platform_path() -> Path:
    """The cache file in the user cache folder: the one file this tool surely owns."""
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


class CacheError(SummarizeError):
    """`cache stats` or `cache clear` met a file it cannot use; the message says why."""

    kind = "config"


def is_damaged(error: sqlite3.Error) -> bool:
    """Whether SQLite says the file is corrupt or not a database (not busy, full or I/O)."""
    return getattr(error, "sqlite_errorname", "").startswith(DAMAGED)


def is_disk_fault(error: sqlite3.Error) -> bool:
    """Whether SQLite says the disk is full or failing."""
    return getattr(error, "sqlite_errorname", "").startswith(DISK_FAULTS)


def _log_fault(message: str) -> None:
    logging.getLogger("summarize").warning("%s", message)


class AnswerCache:
    """The SQLite store. `read=False` (for --refresh) still writes fresh answers.

    `on_fault(message)` hears the first read fault and the write fault that turns the
    cache off (by default they are logged as warnings on the `summarize` logger)."""

    def __init__(
        self,
        path: Path | str | None = None,
        *,
        read: bool = True,
        on_fault: Callable[[str], None] | None = None,
    ) -> None:
        self.path = Path(path) if path is not None else default_path()
        self.read = read
        self.on_fault = on_fault or _log_fault
        self.read_faults = 0
        self.off_because: str | None = None  # why the cache is off for this run, if it is
        self.migrated: list[str] = []  # the migrations this open applied to the file
        self._local = threading.local()
        self._connections: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        self._held: dict[str, tuple[Any, ...]] | None = None  # rows put while holding
        try:
            self._connect()  # fail now, with a clear message, not in the middle of a batch
        except ForeignTable as error:
            self._turn_off(error)
        except sqlite3.Error as error:
            if not (is_damaged(error) or is_disk_fault(error)):
                raise self._unopenable(error) from None
            self._turn_off(error)  # a damaged file or a full disk: the batch runs uncached

    def _unopenable(self, error: Exception) -> ConfigError:
        return ConfigError(
            f"cache {self.path}: cannot open it ({error}); pass --cache PATH "
            f"or set {CACHE_ENV} to a writable file, or use --no-cache"
        )

    def _connect(self) -> sqlite3.Connection:
        connection: sqlite3.Connection | None = getattr(self._local, "connection", None)
        if connection is not None:
            return connection
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            connection = sqlite3.connect(
                self.path, timeout=BUSY_TIMEOUT_MS / 1000, check_same_thread=False
            )
        except OSError as error:
            raise self._unopenable(error) from None
        with self._lock:
            self._connections.append(connection)  # closed by close(), even if setup fails
        connection.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        connection.execute("PRAGMA journal_mode = WAL")
        try:
            _refuse_foreign_tables(connection, missing_ok=True)  # before writing anything
            isolation, connection.isolation_level = connection.isolation_level, None
            try:  # autocommit: each migration runs in its own explicit transaction
                applied = migrate(connection, MIGRATIONS)
            finally:
                connection.isolation_level = isolation
            _refuse_foreign_tables(connection, missing_ok=False)
        except sqlite3.Error as error:
            name = getattr(error, "sqlite_errorname", None) or ""  # none: raised by Python
            if is_damaged(error) or is_disk_fault(error) or name.startswith(OPEN_FAULTS):
                raise
            # Python's decoding error quotes the garbled bytes: not for a terminal.
            reason = _reason(error) if name else "a row is not UTF-8 text"
            raise CorruptSchema(f"its schema tables are damaged ({reason})") from None
        with self._lock:
            self.migrated.extend(applied)
        self._local.connection = connection
        return connection

    def get(self, key: str) -> CachedAnswer | None:
        """The stored answer, or None: not stored, or the store could not give it."""
        if not self.read or self.off_because is not None:
            return None
        try:
            row = (
                self._connect()
                .execute(
                    "SELECT answer, model, input_tokens, output_tokens FROM answers WHERE key = ?",
                    (key,),
                )
                .fetchone()
            )
            return None if row is None else _answer_from_row(row)
        except sqlite3.Error as error:
            if is_damaged(error):  # writing into a damaged file could spread the damage
                self._turn_off(error)
            else:
                self._read_failed(error)
            return None
        except ValueError as error:
            self._read_failed(error)
            return None

    def put(self, key: str, answer: CachedAnswer) -> None:
        """Store an answer; if the store cannot take it, turn the cache off for the run."""
        if self.off_because is not None:
            return
        try:
            row = (
                key,
                canonical_json(answer.answer),
                answer.model,
                answer.input_tokens,
                answer.output_tokens,
                time.time(),
            )
        except ValueError as error:
            self._turn_off(error)
            return
        with self._lock:
            if self._held is not None:
                self._held[key] = row
                return
        self._write([row])

    @contextmanager
    def holding(self) -> Iterator[AnswerCache]:
        """Hold every `put` in memory until `commit()` (and at the end of the block), which
        writes them in one transaction. `get` reads what is committed only: a request
        asked again before the commit is answered as if the held answer were not there."""
        with self._lock:
            self._held = {}
        try:
            yield self
        finally:
            self.commit()
            with self._lock:
                self._held = None

    def commit(self) -> None:
        """Write the held answers, all in one transaction; returns once they are on disk."""
        with self._lock:
            if not self._held:
                return
            rows, self._held = list(self._held.values()), {}
        self._write(rows)

    def _write(self, rows: list[tuple[Any, ...]]) -> None:
        """Store rows; if the store cannot take them, turn the cache off for the run."""
        if self.off_because is not None:
            return
        try:
            connection = self._connect()
            with connection:  # one transaction: a concurrent reader sees all of it or nothing
                connection.executemany(
                    "INSERT OR REPLACE INTO answers VALUES (?, ?, ?, ?, ?, ?)", rows
                )
        except (sqlite3.Error, OSError, ValueError, ConfigError) as error:
            self._turn_off(error)

    def _read_failed(self, error: Exception) -> None:
        with self._lock:
            self.read_faults += 1
            first = self.read_faults == 1
        if first:
            self.on_fault(
                f"cache {self.path}: cannot read a stored answer ({_reason(error)}); "
                "such answers are fetched from the model instead"
            )

    def _turn_off(self, error: Exception) -> None:
        with self._lock:
            first = self.off_because is None
            if first:
                self.off_because = _reason(error)
        if first:
            damaged = isinstance(error, sqlite3.Error) and is_damaged(error)
            self.on_fault(
                f"cache {self.path}: {self.off_because}; the cache is off for the rest of "
                "this run"
                + ("; `summarize cache clear` removes the damaged file" if damaged else "")
            )

    def add_faults(self, read_faults: int, off_because: str | None) -> None:
        """Count what another connection to this cache met this run (a worker process's),
        so that the totals line says it once for all of them."""
        self.read_faults += read_faults
        self.off_because = self.off_because or off_because

    def fault_note(self) -> str | None:
        """What went wrong with the cache this run, for the totals line; None if nothing."""
        parts = []
        if self.read_faults:
            parts.append(f"{self.read_faults} cache read(s) failed and were asked again")
        if self.off_because is not None:
            parts.append(f"cache off ({self.off_because})")
        return ", ".join(parts) or None

    def stats(self) -> CacheStats:
        try:
            row = (
                self._connect()
                .execute(
                    "SELECT count(*), coalesce(sum(input_tokens), 0), "
                    "coalesce(sum(output_tokens), 0), min(created), max(created) FROM answers"
                )
                .fetchone()
            )
        except ForeignTable as error:
            raise CacheError(f"cache {self.path}: {error}") from None
        except sqlite3.Error as error:
            raise CacheError(
                f"cache {self.path}: cannot read it ({_reason(error)}); "
                "`summarize cache clear` removes it"
            ) from None
        size = sum(p.stat().st_size for p in self._files() if p.exists())
        return CacheStats(self.path, row[0], size, row[1], row[2], row[3], row[4])

    def clear(self) -> int | None:
        """Delete every stored answer and return how many; a damaged file is deleted
        whole (None is returned), so the next run starts a fresh cache."""
        try:
            connection = self._connect()
            with connection:
                removed: int = connection.execute("DELETE FROM answers").rowcount
            connection.execute("VACUUM")
            return removed
        except ForeignTable as error:
            raise CacheError(f"cache {self.path}: {error}; not clearing it") from None
        except sqlite3.Error as error:
            if not is_damaged(error) and self.off_because is None:
                raise CacheError(f"cache {self.path}: cannot clear it ({_reason(error)})") from None
            self._remove_damaged_file()
            return None

    def _remove_damaged_file(self) -> None:
        """Delete the damaged database, but only one that is ours: a SQLite file, or the
        cache file in the user cache folder. `--cache` or $SUMMARIZE_CACHE pointed at some
        other file by mistake keeps it."""
        self.close()
        try:
            with self.path.open("rb") as stream:
                ours = stream.read(len(SQLITE_MAGIC)) == SQLITE_MAGIC
        except OSError:
            ours = False
        if not ours and self.path != platform_path():
            raise CacheError(
                f"cache {self.path}: is not a SQLite file, so not a cache this tool wrote; "
                "not deleting it: remove it yourself or pass another --cache"
            )
        for file in self._files():
            file.unlink(missing_ok=True)

    def _files(self) -> tuple[Path, Path, Path]:
        return self.path, Path(f"{self.path}-wal"), Path(f"{self.path}-shm")

    def close(self) -> None:
        with self._lock:
            for connection in self._connections:
                connection.close()
            self._connections.clear()
        self._local = threading.local()


def _refuse_foreign_tables(connection: sqlite3.Connection, *, missing_ok: bool) -> None:
    """ForeignTable if the file holds an `answers` or `_migrations` table this tool did
    not create (another program's database, passed as --cache by mistake)."""
    for table, expected in (("answers", COLUMNS), ("_migrations", MIGRATIONS_COLUMNS)):
        columns = [row[1] for row in connection.execute(f"PRAGMA table_info({table})")]
        if columns != expected and (columns or not missing_ok):
            raise ForeignTable(
                f"holds a table '{table}' of another schema ({', '.join(columns)}), "
                "so it is not a cache this tool wrote; it is left as it is"
            )


def _answer_from_row(row: tuple[Any, ...]) -> CachedAnswer:
    """A stored row as an answer; ValueError for a row that is not one (hand-edited,
    written by another program, or garbled)."""
    answer_text, model, input_tokens, output_tokens = row
    answer = json.loads(answer_text) if isinstance(answer_text, str) else None
    if not isinstance(answer, dict) or not isinstance(model, str):
        raise ValueError("a stored row is not a JSON answer")
    if not (isinstance(input_tokens, int) and isinstance(output_tokens, int)):
        raise ValueError("a stored row has no token counts")
    return CachedAnswer(answer, model, input_tokens, output_tokens)


def _reason(error: Exception) -> str:
    """SQLite's words for the fault, e.g. 'database disk image is malformed'."""
    if isinstance(error, json.JSONDecodeError):
        return "a stored row is not JSON"
    return str(error) or type(error).__name__
