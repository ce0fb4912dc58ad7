"""Write results out: a JSON array, or JSON Lines appended as each article finishes.

A brief exports as its public JSON contract; a failure as `{"article": {...}, "error":
{"kind", "message", "attempts"}}`, so a consumer tells them apart by the `error` key.
Neither ever holds an API key: `ModelConfig` keeps the key out of everything but the
HTTP client.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterable
from contextlib import suppress
from pathlib import Path
from types import TracebackType
from typing import IO, Any

from pydantic import ValidationError

from summarize.errors import ConfigError, InputError
from summarize.results import Failure, Result
from summarize.schema import Brief


def to_record(result: Result) -> dict[str, Any]:
    if isinstance(result, Failure):
        return result.to_json()
    return result.model_dump(mode="json")


def json_text(results: Iterable[Result]) -> str:
    return json.dumps([to_record(r) for r in results], ensure_ascii=False, indent=2) + "\n"


def write_json(path: str | Path, results: Iterable[Result]) -> None:
    """Write a JSON array atomically: a crash or failed run leaves any old file intact."""
    write_atomically(path, json_text(results))


def write_atomically(path: str | Path, text: str) -> None:
    """Write to a temporary file beside `path`, then rename it into place."""
    target = Path(path)
    handle, temporary = tempfile.mkstemp(dir=target.parent or ".", prefix=f".{target.name}.")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def check_output(path: Path, *, flag: str) -> None:
    """Refuse an output path that cannot be written, before any article is paid for:
    a folder, a missing or read-only folder, a read-only file. Probed by really creating
    a file beside it (what `write_atomically` does), so read-only disks and permissions
    are found whoever runs it. Raises ConfigError naming the flag and the fix."""
    where = f"{flag} {path}"
    if path.is_dir():
        example = path / f"briefs.{flag.lstrip('-')}"
        raise ConfigError(f"{where}: is a folder; name a file in it, e.g. {example}")
    folder = path.parent
    if not folder.exists():
        raise ConfigError(f"{where}: there is no folder {folder}; create it or pick another path")
    if not folder.is_dir():
        raise ConfigError(f"{where}: {folder} is a file, not a folder; pick another path")
    try:
        handle, probe = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.")
        os.close(handle)
        os.unlink(probe)
        if path.exists():
            with path.open("a", encoding="utf-8"):
                pass  # opening to append changes nothing, and fails if it is read-only
    except OSError as error:
        raise ConfigError(
            f"{where}: cannot be written ({error.strerror}); pick a writable path"
        ) from None


class JsonlWriter:
    """Append one whole, flushed and fsynced line per result, so a killed run leaves a
    valid file holding every brief that finished."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._stream: IO[str] = self.path.open("a", encoding="utf-8")

    def write(self, result: Result) -> None:
        """Append one line. On a failed write (a full disk) the part of the line that
        reached the file is cut off again, so the file stays whole lines, and OSError is
        raised: the caller decides whether the batch can go on without the file."""
        line = json.dumps(to_record(result), ensure_ascii=False)
        start = self._stream.tell()
        try:
            self._stream.write(line + "\n")
            self._stream.flush()
            os.fsync(self._stream.fileno())
        except OSError:
            self._discard_from(start)
            raise

    def _discard_from(self, offset: int) -> None:
        """Drop what a failed write left after `offset`: buffered and on disk."""
        with suppress(OSError):
            self._stream.close()  # may fail again flushing the buffer; the file is cut below
        with suppress(OSError):  # not a regular file (/dev/full): nothing to cut
            os.truncate(self.path, offset)
        self._stream = open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115 - closed in close()

    def close(self) -> None:
        self._stream.close()

    def __enter__(self) -> JsonlWriter:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


def finished_briefs(
    path: str | Path, *, warnings: list[str] | None = None
) -> dict[tuple[str, str], Brief]:
    """The briefs already in a JSONL file, by (article id, cache key), for `--resume`.

    Failures are not finished: they run again. A last line cut off by a killed process
    is dropped from the file, so that appending continues a valid JSONL file. A line that
    is JSON but not a brief is passed over, with a warning naming it in `warnings`.
    """
    target = Path(path)
    if not target.exists():
        return {}
    data = target.read_bytes()
    if data and not data.endswith(b"\n"):
        cut = data.rfind(b"\n") + 1  # 0 when the only line is the partial one
        with target.open("r+b") as stream:
            stream.truncate(cut)
        data = data[:cut]
    finished: dict[tuple[str, str], Brief] = {}
    for number, line in enumerate(data.decode("utf-8", errors="replace").splitlines(), 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            raise InputError(
                f"{target}:{number}: not a JSON line; --resume needs the JSONL file an "
                "earlier run wrote (move this one aside to start afresh)",
                source=str(target),
            ) from None
        if isinstance(record, dict) and "error" in record:
            continue
        run = record.get("run") if isinstance(record, dict) else None
        key = run.get("cache_key") if isinstance(run, dict) else None
        try:
            if not isinstance(record, dict):
                raise ValueError("not a JSON object")
            if not isinstance(key, str) or not key:
                raise ValueError("no run.cache_key")
            brief = Brief.model_validate(record)
        except ValueError as error:  # pydantic's ValidationError is a ValueError
            if warnings is not None:
                warnings.append(
                    f"{target}:{number}: not a brief ({_first_problem(error)}); passed over"
                )
            continue
        finished[(brief.article.id, key)] = brief
    return finished


def _first_problem(error: ValueError) -> str:
    """One line about why a JSON line is not a brief (pydantic's own message is many)."""
    if isinstance(error, ValidationError):
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "the line"
        more = f", and {error.error_count() - 1} more" if error.error_count() > 1 else ""
        return f"{where}: {first['msg']}{more}"
    return str(error)
