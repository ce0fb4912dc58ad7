"""`--resume`: which articles' briefs a JSONL file already holds, read line by line.

What is kept per finished brief is an 8-byte digest of its (article id, cache key) and the
byte offset of its line, never the brief: a file of a million briefs costs tens of MB, and
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
    """The 8-byte digest standing for one (article id, cache key) pair."""
    data = f"{article_id}\x00{key}".encode()
    return int.from_bytes(hashlib.blake2b(data, digest_size=8).digest(), "little")


@dataclass
class Finished:
    """The briefs of a JSONL file, by digest; `keys` is what a worker process needs."""

    path: Path
    offsets: dict[int, int] = field(default_factory=dict)  # digest -> byte offset of its line
    by_id: dict[str, Earlier] = field(default_factory=dict)

    @property
    def keys(self) -> frozenset[int]:
        return frozenset(self.offsets)

    def __len__(self) -> int:
        return len(self.offsets)

    def holds(self, article_id: str, key: str) -> bool:
        return pair_digest(article_id, key) in self.offsets

    def earlier(self, article_id: str) -> Earlier | None:
        return self.by_id.get(article_id)

    def line_at(self, digest: int) -> dict[str, Any]:
        """The record of a finished brief, read again from its line."""
        with self.path.open("rb") as stream:
            stream.seek(self.offsets[digest])
            record: dict[str, Any] = json.loads(stream.readline())
            return record


def read_finished(path: Path, *, warnings: list[str] | None = None) -> Finished:
    """The finished briefs of the JSONL file at `path` (none if it does not exist)."""
    finished = Finished(path)
    if not path.exists():
        return finished
    _cut_partial_last_line(path)
    kinds: dict[Earlier, Earlier] = {}  # one Earlier per distinct run: shared, not copied
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
            finished.offsets[pair_digest(brief.article.id, brief.run.cache_key)] = start
            run = brief.run
            earlier = Earlier(run.model, run.prompt_version, run.endpoint, run.mode)
            finished.by_id[brief.article.id] = kinds.setdefault(earlier, earlier)
    return finished


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
