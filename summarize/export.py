"""Write results out: a JSON array, or JSON Lines appended as each article finishes.

Both are written as results come, never gathered first: `JsonlWriter` appends a line per
result, `JsonArrayWriter` a JSON array element per result (into a file beside the target,
renamed into place when the array is closed), so a run of any size holds no result longer
than it takes to write it. `read_jsonl_results` reads such lines back one at a time.

A brief exports as its public JSON contract; a failure as `{"article": {...}, "error":
{"kind", "message", "attempts"}}`, so a consumer tells them apart by the `error` key.
Neither ever holds an API key: `ModelConfig` keeps the key out of everything but the
HTTP client.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from collections.abc import Iterable, Iterator
from contextlib import suppress
from pathlib import Path
from types import TracebackType
from typing import IO, Any

from summarize.errors import ConfigError
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


FSYNC_SECONDS = 1.0  # a JSONL line reaches the disk within this long of being written


class JsonlWriter:
    """Append one whole, flushed line per result, so a killed run leaves a valid file
    holding every brief that finished. Each line goes to the operating system at once (a
    `kill -9` loses none); fsync, which makes it survive a crash of the machine, is done
    at most once per FSYNC_SECONDS and on close: one per line cost more than the work."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._stream: IO[str] = self.path.open("a", encoding="utf-8")
        self._synced = time.monotonic()

    def write(self, result: Result) -> None:
        self.write_record(to_record(result))

    def write_record(self, record: dict[str, Any]) -> None:
        """Append one line. On a failed write (a full disk) the part of the line that
        reached the file is cut off again, so the file stays whole lines, and OSError is
        raised: the caller decides whether the batch can go on without the file."""
        line = json.dumps(record, ensure_ascii=False)
        start = self._stream.tell()
        try:
            self._stream.write(line + "\n")
            self._stream.flush()
            if time.monotonic() - self._synced >= FSYNC_SECONDS:
                self._sync()
        except OSError:
            self._discard_from(start)
            raise

    def _sync(self) -> None:
        os.fsync(self._stream.fileno())
        self._synced = time.monotonic()

    def _discard_from(self, offset: int) -> None:
        """Drop what a failed write left after `offset`: buffered and on disk."""
        with suppress(OSError):
            self._stream.close()  # may fail again flushing the buffer; the file is cut below
        with suppress(OSError):  # not a regular file (/dev/full): nothing to cut
            os.truncate(self.path, offset)
        self._stream = open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115 - closed in close()

    def close(self) -> None:
        try:
            if not self._stream.closed:
                self._stream.flush()
                with suppress(OSError, ValueError):  # /dev/null after a failure: no fsync
                    self._sync()
        finally:
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


class JsonArrayWriter:
    """A JSON array written an element at a time, into a temporary file beside `path`
    that `close()` ends with `]` and renames into place (so a crash leaves any old file
    intact, and a stopped run's array is still valid); `None` writes to stdout as it goes.
    The layout is `json.dumps(..., indent=2)`'s."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.count = 0
        self.briefs = 0  # elements that are briefs, not failures
        self._temporary: Path | None = None
        if path is None:
            self._stream: IO[str] = sys.stdout
        else:
            handle, name = tempfile.mkstemp(dir=path.parent or ".", prefix=f".{path.name}.")
            self._temporary = Path(name)
            self._stream = os.fdopen(handle, "w", encoding="utf-8")

    def write(self, record: dict[str, Any]) -> None:
        element = json.dumps(record, ensure_ascii=False, indent=2).replace("\n", "\n  ")
        self._stream.write(("[\n  " if not self.count else ",\n  ") + element)
        self._stream.flush()  # on disk (or down the pipe) as it comes, not at the end
        self.count += 1
        self.briefs += "error" not in record

    def close(self, *, keep: bool = True) -> None:
        """End the array and put it in place; `keep=False` leaves the target as it was."""
        if self._temporary is not None and not keep:
            self._stream.close()
            self._temporary.unlink(missing_ok=True)
            return
        try:
            self._stream.write("\n]\n" if self.count else "[]\n")
            self._stream.flush()
            if self._temporary is not None and self.path is not None:
                os.fsync(self._stream.fileno())
                self._stream.close()
                os.replace(self._temporary, self.path)
        except BaseException:
            self.discard()
            raise

    def discard(self) -> None:
        """Give up (the file cannot be written): the target is left as it was."""
        if self._temporary is not None:
            with suppress(OSError):
                self._stream.close()
            self._temporary.unlink(missing_ok=True)


def result_from_record(record: dict[str, Any]) -> Result:
    """A result as `to_record` wrote it (a brief is validated: pydantic's ValidationError
    for one that is not; a failure's fields are taken as they come, missing ones filled)."""
    if "error" in record:
        article, error = record.get("article"), record["error"]
        article = article if isinstance(article, dict) else {}
        error = error if isinstance(error, dict) else {"message": error}
        return Failure(
            article_id=article.get("id"),
            source=str(article.get("source") or "?"),
            kind=str(error.get("kind") or "error"),
            message=str(error.get("message") or ""),
            attempts=int(error.get("attempts") or 0),
        )
    return Brief.model_validate(record)


def read_jsonl_results(stream: IO[bytes]) -> Iterator[Result]:
    """The results of JSONL lines this module wrote, one at a time."""
    for line in stream:
        if line.strip():
            yield result_from_record(json.loads(line))
