"""A batch's results files, read a line at a time: where each request's answer is.

A results file (OpenAI's output or error file, or `vllm run-batch`'s output) holds one
line per request, `{id, custom_id, response: {status_code, body}, error}`, in no promised
order, and can be 200 MB. `Answers` keeps only where each custom_id's line is (file,
offset, length: one int) and reads that line when the answer is asked for, so collecting
holds one answer per article in flight, never the batch's.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from summarize.errors import InputError

# The custom_id of a result line, found without parsing the line: a JSON string can hold
# `"custom_id"` only escaped, so an unescaped match is a key. A line with none or several
# (a nested object using the name) is parsed whole instead.
CUSTOM_ID = re.compile(rb'"custom_id"\s*:\s*"((?:[^"\\\n]|\\.)*)"')
LENGTH_LIMIT = 1 << 32  # a result line is shorter than 4 GB
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
        self._where: dict[str, int | list[int]] = {}

    def __len__(self) -> int:
        return len(self._where)

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
        with stream:
            offset = 0
            for line_number, line in enumerate(stream, 1):
                if line.strip():
                    custom_id = _custom_id(line, path, line_number)
                    self._add(custom_id, (offset * LENGTH_LIMIT + len(line)) * FILE_LIMIT + number)
                offset += len(line)
        self._paths.append(path)
        self._fds.append(os.open(path, os.O_RDONLY))

    def _add(self, custom_id: str, place: int) -> None:
        known = self._where.get(custom_id)
        if known is None:
            self._where[custom_id] = place
        elif isinstance(known, list):
            known.append(place)
        else:
            self._where[custom_id] = [known, place]

    def lookup(self, custom_id: str) -> Result | None:
        """The request's result, None if no file holds it. A completion wins over an
        error line for the same request (a follow-up round, a retried download)."""
        known = self._where.get(custom_id)
        if known is None:
            return None
        error = None
        for place in known if isinstance(known, list) else [known]:
            result = self._result(place)
            if result.completion is not None:
                return result
            error = error or result.error
        return Result(None, error)

    def completion(self, custom_id: str) -> dict[str, Any] | None:
        """The chat completion answering the request, or None."""
        result = self.lookup(custom_id)
        return result.completion if result is not None else None

    def _result(self, place: int) -> Result:
        rest, number = divmod(place, FILE_LIMIT)
        offset, length = divmod(rest, LENGTH_LIMIT)
        data = os.pread(self._fds[number], length, offset)
        try:
            record = json.loads(data)
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
