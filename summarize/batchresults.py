"""A batch's results files, read a line at a time: where each request's answer is.

A results file (OpenAI's output or error file, or `vllm run-batch`'s output) holds one
line per request, `{id, custom_id, response: {status_code, body}, error}`, in no promised
order, and can be 200 MB. `Answers` keeps only where each custom_id's line is (file,
line number) and reads that line when the answer is asked for, so collecting holds one
answer per article in flight, never the batch's. The places are kept by an 8-byte digest
of the custom_id in flat arrays (`summarize.digests`: 16 bytes a slot, resized as results
files are added, and 8 bytes a line for where it starts), not in a dict of strings (about
200 bytes a result): each line read back is checked for its custom_id, so two ids
sharing a digest never take each other's answer.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from array import array
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from summarize.digests import DigestTable, nonzero, table_size
from summarize.errors import InputError

# The custom_id of a result line, found without parsing the line: a JSON string can hold
# `"custom_id"` only escaped, so an unescaped match is a key. A line with none or several
# (a nested object using the name) is parsed whole instead.
CUSTOM_ID = re.compile(rb'"custom_id"\s*:\s*"((?:[^"\\\n]|\\.)*)"')
FILE_LIMIT = 1 << 12  # files one Answers reads: a job's batches and follow-up rounds


@dataclass(frozen=True)
class Result:
    """One result line: the completion, or why there is none."""

    completion: dict[str, Any] | None
    error: str | None


class Answers:
    """The answers of a job's results files, by custom_id, read from disk when asked for.

    Safe to read from several threads at once (`os.pread`, no shared file position)."""

    def __init__(self) -> None:
        self._paths: list[Path] = []
        self._fds: list[int] = []
        self._starts: list[array[int]] = []  # per file: where each line starts
        # custom_id digest -> place (line number * FILE_LIMIT + file number), in order
        self._where = DigestTable(table_size(0))

    def __len__(self) -> int:
        return len(self._where)  # result lines indexed

    def read(self, path: Path) -> None:
        """Index a results file: every line's custom_id and place. Raises InputError for a
        file that cannot be read or a line that is not a batch result."""
        if len(self._paths) + 1 >= FILE_LIMIT:
            raise InputError(f"{path}: more than {FILE_LIMIT - 1} results files for one job")
        try:
            stream = path.open("rb")
        except OSError as error:
            raise InputError(f"{path}: cannot read results ({error.strerror})") from None
        number = len(self._paths)
        starts = array("Q")  # where each line starts, and the file's end
        with stream:
            self._make_room(_line_count(stream))
            offset = 0
            for line_number, line in enumerate(stream, 1):
                starts.append(offset)
                if line.strip():
                    custom_id = _custom_id(line, path, line_number)
                    self._where.append(_digest(custom_id), (line_number - 1) * FILE_LIMIT + number)
                offset += len(line)
            starts.append(offset)
        self._starts.append(starts)
        self._paths.append(path)
        self._fds.append(os.open(path, os.O_RDONLY))

    def _make_room(self, lines: int) -> None:
        size = table_size(len(self._where) + lines)
        if size > self._where.size:
            self._where = self._where.resized(size)

    def lookup(self, custom_id: str) -> Result | None:
        """The request's result, None if no file holds it. A completion wins over an
        error line for the same request (a follow-up round, a retried download)."""
        found, error = False, None
        for place in self._where.all(_digest(custom_id)):
            result = self._result(place, custom_id)
            if result is None:
                continue  # another custom_id with the same digest
            if result.completion is not None:
                return result
            found, error = True, error or result.error
        return Result(None, error) if found else None

    def completion(self, custom_id: str) -> dict[str, Any] | None:
        """The chat completion answering the request, or None."""
        result = self.lookup(custom_id)
        return result.completion if result is not None else None

    def _result(self, place: int, custom_id: str) -> Result | None:
        """The result line at `place`; None when it is another custom_id's."""
        line, number = divmod(place, FILE_LIMIT)
        offset = self._starts[number][line]
        data = os.pread(self._fds[number], self._starts[number][line + 1] - offset, offset)
        try:
            record = json.loads(data)
            if record.get("custom_id") != custom_id:
                return None
            response = record.get("response") or {}
            status = response.get("status_code", 200)
            body = response.get("body")
        except (ValueError, AttributeError):
            where = f"{self._paths[number]} at byte {offset}"
            return Result(None, f"the results line {where} is not a batch result")
        if status == 200 and isinstance(body, dict) and not record.get("error"):
            return Result(body, None)
        return Result(None, _error_text(record, status, body))

    def close(self) -> None:
        for fd in self._fds:
            os.close(fd)
        self._fds.clear()

    def __enter__(self) -> Answers:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _digest(custom_id: str) -> int:
    data = custom_id.encode("utf-8", "surrogatepass")
    return nonzero(int.from_bytes(hashlib.blake2b(data, digest_size=8).digest(), "little"))


def _line_count(stream: BinaryIO) -> int:
    """The lines of a file (what the index makes room for), the stream left at its start."""
    lines = 0
    while piece := stream.read(1 << 20):
        lines += piece.count(b"\n")
    stream.seek(0)
    return lines + 1


def _custom_id(line: bytes, path: Path, number: int) -> str:
    found = CUSTOM_ID.findall(line)
    if len(found) == 1:
        raw: bytes = found[0]
        return json.loads(b'"' + raw + b'"') if b"\\" in raw else raw.decode("utf-8", "replace")
    try:
        custom_id = json.loads(line)["custom_id"]
        if not isinstance(custom_id, str):
            raise TypeError
    except (ValueError, KeyError, TypeError):
        raise InputError(
            f"{path}:{number}: not a batch result line "
            "(JSON with a custom_id); pass the file the batch wrote",
            source=str(path),
        ) from None
    return custom_id


def _error_text(record: dict[str, Any], status: int, body: Any) -> str:
    error = record.get("error")
    if isinstance(error, dict):
        text = f"{error.get('code') or 'error'}: {error.get('message') or ''}".strip()
    elif error:
        text = str(error)
    elif isinstance(body, dict) and isinstance(body.get("error"), dict):
        text = f"HTTP {status}: {body['error'].get('message') or ''}"
    else:
        text = f"HTTP {status}"
    return f"the batch answered this request with an error ({text[:200]})"
