"""`--resume`: which articles' briefs a JSONL file already holds, read line by line.

What is kept per finished brief is an 8-byte digest of its (article id, cache key) and the
byte offset of its line, never the brief, in flat arrays sized once from the file's line
count (28 bytes a slot, 4/3 to 8/3 slots a brief): not a dict entry per brief, and
a brief is read back from its line only when a caller needs it (`line_at`). A batch asks
`holds(id, key)` once it knows an article's cache key; `earlier(id)` says how the file's
brief of an article was made, so a brief that does not match is explained (another model,
prompt, endpoint or mode), never silently paid for again.

Failures are not finished: they run again. A last line cut off by a killed process is cut
from the file, so appending continues a valid JSONL file. A line that is JSON but not a
brief is passed over with a warning; a line that is not JSON is an InputError (this is not
the file an earlier run wrote).
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from summarize.digests import DigestSet, DigestTable, nonzero, table_size
from summarize.errors import InputError
from summarize.schema import Brief

TAIL_CHUNK = 1 << 16  # bytes read at a time, backwards, to find a cut-off last line


@dataclass(frozen=True)
class Earlier:
    """How an earlier brief was made: what `mismatch` compares with this run."""

    model: str | None
    prompt_version: str | None
    endpoint: str | None
    mode: str | None


def pair_digest(article_id: str, key: str) -> int:
    """The 8-byte digest (nonzero) standing for one (article id, cache key) pair."""
    return _digest(f"{article_id}\x00{key}")


def _digest(text: str) -> int:
    return nonzero(int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "little"))


@dataclass
class Finished:
    """The briefs of a JSONL file, by digest, in tables sized once from the file's line
    count (`summarize.digests`: 16 bytes a brief for the offsets, 12 for the ids, at most
    4/3 of that with the free slots). `keys` is what a worker process needs.

    `earlier` finds an article by an 8-byte digest of its id: two ids sharing one (odds
    of about 1 in 30 billion at a million briefs) would only explain a new brief with the
    other article's earlier run; whether a brief is finished is decided by `holds`, on the
    (id, cache key) digest, as it always was."""

    path: Path
    offsets: DigestTable = field(default_factory=lambda: DigestTable(8))  # digest -> offset
    by_id: DigestTable = field(default_factory=lambda: DigestTable(8, "I"))  # -> kind + 1
    kinds: list[Earlier] = field(default_factory=list)  # one per distinct run, shared

    @property
    def keys(self) -> DigestSet:
        return DigestSet(self.offsets)

    def __len__(self) -> int:
        return len(self.offsets)

    def holds(self, article_id: str, key: str) -> bool:
        return pair_digest(article_id, key) in self.offsets

    def earlier(self, article_id: str) -> Earlier | None:
        kind = self.by_id.get(_digest(article_id))
        return self.kinds[kind - 1] if kind else None

    def line_at(self, digest: int) -> dict[str, Any]:
        """The record of a finished brief, read again from its line."""
        slot = self.offsets.slot(digest)
        if not self.offsets.keys[slot]:
            raise KeyError(digest)
        with self.path.open("rb") as stream:
            stream.seek(self.offsets.values[slot])
            record: dict[str, Any] = json.loads(stream.readline())
            return record


def read_finished(path: Path, *, warnings: list[str] | None = None) -> Finished:
    """The finished briefs of the JSONL file at `path` (none if it does not exist)."""
    if not path.exists():
        return Finished(path)
    _cut_partial_last_line(path)
    size = table_size(_line_count(path))
    finished = Finished(path, DigestTable(size), DigestTable(size, "I"))
    kinds: dict[Earlier, int] = {}
    with path.open("rb") as stream:
        offset, number = 0, 0
        while raw := stream.readline():
            number += 1
            start, offset = offset, offset + len(raw)
            if not raw.strip():
                continue
            brief = _brief(raw, path, number, warnings)
            if brief is None or brief.run.cache_key is None:
                continue
            slot = finished.offsets.claim(pair_digest(brief.article.id, brief.run.cache_key))
            finished.offsets.values[slot] = start  # a slot is free: sized for every line
            run = brief.run
            earlier = Earlier(run.model, run.prompt_version, run.endpoint, run.mode)
            if earlier not in kinds:
                finished.kinds.append(earlier)
                kinds[earlier] = len(finished.kinds)
            finished.by_id.values[finished.by_id.claim(_digest(brief.article.id))] = kinds[earlier]
    return finished


def _line_count(path: Path) -> int:
    """The lines of a file, counted in pieces (what the tables are sized for)."""
    lines = 0
    with path.open("rb") as stream:
        while piece := stream.read(TAIL_CHUNK * 16):
            lines += piece.count(b"\n")
    return lines + 1


def _brief(raw: bytes, path: Path, number: int, warnings: list[str] | None) -> Brief | None:
    """One line's brief; None for a failure or (with a warning) a line that is no brief."""
    try:
        record = json.loads(raw.decode("utf-8", errors="replace"))
    except json.JSONDecodeError:
        raise InputError(
            f"{path}:{number}: not a JSON line; --resume needs the JSONL file an "
            "earlier run wrote (move this one aside to start afresh)",
            source=str(path),
        ) from None
    if isinstance(record, dict) and "error" in record:
        return None
    run = record.get("run") if isinstance(record, dict) else None
    key = run.get("cache_key") if isinstance(run, dict) else None
    try:
        if not isinstance(record, dict):
            raise ValueError("not a JSON object")
        if not isinstance(key, str) or not key:
            raise ValueError("no run.cache_key")
        return Brief.model_validate(record)
    except ValueError as error:  # pydantic's ValidationError is a ValueError
        if warnings is not None:
            warnings.append(f"{path}:{number}: not a brief ({first_problem(error)}); passed over")
        return None


def _cut_partial_last_line(path: Path) -> None:
    """Cut a last line without its newline (a killed writer's), reading only the tail."""
    with path.open("r+b") as stream:
        end = stream.seek(0, os.SEEK_END)
        if end == 0:
            return
        stream.seek(end - 1)
        if stream.read(1) == b"\n":
            return
        position = end
        while position > 0:
            start = max(0, position - TAIL_CHUNK)
            stream.seek(start)
            piece = stream.read(position - start)
            if (newline := piece.rfind(b"\n")) >= 0:
                stream.truncate(start + newline + 1)
                return
            position = start
        stream.truncate(0)  # the only line is the partial one


def first_problem(error: ValueError) -> str:
    """One line about why a JSON line is not a brief (pydantic's own message is many)."""
    if isinstance(error, ValidationError):
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "the line"
        more = f", and {error.error_count() - 1} more" if error.error_count() > 1 else ""
        return f"{where}: {first['msg']}{more}"
    return str(error)


def mismatch(earlier: Earlier, now: Earlier) -> str:
    """Why an earlier brief of an article is not this run's: what changed, old -> new."""
    for what, old, new in (
        ("model", earlier.model, now.model),
        ("prompt version", earlier.prompt_version, now.prompt_version),
        ("endpoint", earlier.endpoint, now.endpoint),
        ("mode", earlier.mode, now.mode),
    ):
        if old is not None and old != new:
            return f"with another {what} ({old}, now {new})"
    unknown = ", endpoint" if earlier.endpoint is None else ""  # briefs before run.endpoint
    return f"with other article text or generation parameters (--max-tokens{unknown})"
