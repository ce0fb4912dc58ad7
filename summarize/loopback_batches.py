"""The loopback server's Files and Batch APIs: `/v1/files` and `/v1/batches`.

A batch runs in a background thread, as at a provider: `validating`, then `in_progress`
while each request line is answered by the server's own chat-completions responder, then
`completed`; `failed` when the input file is not a valid batch file (nothing is run);
`expired` when `expires_after` seconds pass first; `cancelled` after a cancel. Answers
with HTTP 200 go to the output file, the others (and the lines never run) to the error
file, each line `{id, custom_id, response: {status_code, request_id, body}, error}`.

Knobs for tests, set on `LoopbackServer.batches`: `expires_after` (seconds from creation),
`hold_after` (answer this many lines, then wait for expiry or a cancel), `step` (seconds
spent validating), `reject_creates` (refuse that many batch creations, as over quota),
`create_delays` (seconds to wait before answering each batch creation in turn, so that a
client can be killed while one is in flight: the batch is still created; `creations_asked`
counts the creations received).
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from email.parser import BytesParser
from email.policy import HTTP
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from summarize.loopback import Reply, Request

TERMINAL = frozenset({"completed", "failed", "expired", "cancelled"})


@dataclass
class StoredFile:
    id: str
    filename: str
    purpose: str
    data: bytes
    created_at: int

    def describe(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "object": "file",
            "bytes": len(self.data),
            "created_at": self.created_at,
            "filename": self.filename,
            "purpose": self.purpose,
            "status": "processed",
        }


class BatchService:
    """Files and batches held in memory for the server's lifetime."""

    def __init__(self, answer: Callable[[Request], Reply]) -> None:
        self.answer = answer
        self.files: dict[str, StoredFile] = {}
        self.batches: dict[str, dict[str, Any]] = {}
        self.expires_after: float | None = None
        self.hold_after: int | None = None
        self.step = 0.02
        self.reject_creates = 0  # answer this many batch creations 400, as over quota
        self.create_delays: list[float] = []  # wait before answering each creation in turn
        self.creations_asked = 0  # batch creations received, answered or not yet
        self._cancel: set[str] = set()
        self._ids = itertools.count(1)
        self._lock = threading.Lock()

    def handle(self, request: Request) -> Reply:
        from summarize.loopback import Reply

        parts = request.path.split("?", 1)[0].strip("/").split("/")[1:]  # after "v1"
        route = (request.method, parts[0], len(parts), parts[-1])
        if route[:3] == ("POST", "files", 1):
            return self._upload(request)
        if route[:3] == ("POST", "batches", 1):
            return self._create(request)
        if route[:3] == ("GET", "batches", 1):  # newest first, as OpenAI lists them
            with self._lock:
                listed = [dict(batch) for batch in reversed(self.batches.values())]
            return Reply(body={"object": "list", "data": listed, "has_more": False})
        with self._lock:
            if parts[0] == "files" and len(parts) >= 2 and parts[1] in self.files:
                stored = self.files[parts[1]]
                if route[:3] == ("GET", "files", 2):
                    return Reply(body=stored.describe())
                if route == ("GET", "files", 3, "content"):
                    return Reply(
                        body=stored.data, headers={"Content-Type": "application/octet-stream"}
                    )
            if parts[0] == "batches" and len(parts) >= 2 and parts[1] in self.batches:
                batch = self.batches[parts[1]]
                if route[:3] == ("GET", "batches", 2):
                    return Reply(body=dict(batch))
                if route == ("POST", "batches", 3, "cancel"):
                    if batch["status"] not in TERMINAL:
                        batch["status"] = "cancelling"
                        batch["cancelling_at"] = int(time.time())
                        self._cancel.add(batch["id"])
                    return Reply(body=dict(batch))
        return _error(404, f"no such resource: {request.method} {request.path}")

    def _new_id(self, prefix: str) -> str:
        return f"{prefix}-loopback-{next(self._ids)}"

    def _store(self, data: bytes, *, filename: str, purpose: str) -> StoredFile:
        stored = StoredFile(self._new_id("file"), filename, purpose, data, int(time.time()))
        with self._lock:
            self.files[stored.id] = stored
        return stored

    def _upload(self, request: Request) -> Reply:
        from summarize.loopback import Reply

        content_type = request.headers.get("content-type", "")
        message = BytesParser(policy=HTTP).parsebytes(
            f"Content-Type: {content_type}\r\n\r\n".encode() + request.body
        )
        fields: dict[str, tuple[str | None, bytes]] = {}
        for part in message.iter_parts() if message.is_multipart() else []:
            name = part.get_param("name", header="content-disposition")
            payload = part.get_payload(decode=True)
            if isinstance(name, str) and isinstance(payload, bytes):
                fields[name] = (part.get_filename(), payload)
        if "file" not in fields or "purpose" not in fields:
            return _error(400, "a file upload needs multipart fields 'file' and 'purpose'")
        filename, data = fields["file"]
        stored = self._store(
            data, filename=filename or "upload", purpose=fields["purpose"][1].decode()
        )
        return Reply(body=stored.describe())

    def _create(self, request: Request) -> Reply:
        from summarize.loopback import Reply

        payload = request.json() or {}
        with self._lock:
            self.creations_asked += 1
            rejected, self.reject_creates = self.reject_creates > 0, max(self.reject_creates - 1, 0)
            delay = self.create_delays.pop(0) if self.create_delays else 0.0
        time.sleep(delay)
        if rejected:
            return _error(400, "enqueued token limit reached; try again later")
        input_id = payload.get("input_file_id")
        if input_id not in self.files:
            return _error(404, f"no such file: {input_id}")
        now = int(time.time())
        batch: dict[str, Any] = {
            "id": self._new_id("batch"),
            "object": "batch",
            "endpoint": payload.get("endpoint", "/v1/chat/completions"),
            "errors": None,
            "input_file_id": input_id,
            "completion_window": payload.get("completion_window", "24h"),
            "status": "validating",
            "output_file_id": None,
            "error_file_id": None,
            "created_at": now,
            "expires_at": now + 86_400,
            "request_counts": {"total": 0, "completed": 0, "failed": 0},
            "metadata": payload.get("metadata"),
        }
        with self._lock:
            self.batches[batch["id"]] = batch
        worker = threading.Thread(target=self._run, args=(batch["id"],), daemon=True)
        worker.start()
        return Reply(body=dict(batch))

    def _update(self, batch_id: str, **fields: Any) -> None:
        with self._lock:
            self.batches[batch_id].update(fields)

    def _run(self, batch_id: str) -> None:
        from summarize.loopback import Reply, Request

        started = time.monotonic()
        time.sleep(self.step)
        with self._lock:
            batch = self.batches[batch_id]
            data = self.files[batch["input_file_id"]].data
        lines, problems = _parse_input(data, batch["endpoint"])
        if problems:
            errors = {"object": "list", "data": problems}
            self._update(batch_id, status="failed", errors=errors, failed_at=int(time.time()))
            return
        self._update(
            batch_id,
            status="in_progress",
            in_progress_at=int(time.time()),
            request_counts={"total": len(lines), "completed": 0, "failed": 0},
        )
        output: list[str] = []
        failed: list[str] = []
        final = "completed"
        for number, line in enumerate(lines):
            final = self._wait_turn(batch_id, number, started)
            if final != "completed":
                for rest in lines[number:]:
                    failed.append(_result_line(rest["custom_id"], error=_stop_error(final)))
                break
            request = Request(
                method="POST",
                path=line["url"],
                headers={"content-type": "application/json"},
                body=json.dumps(line["body"]).encode(),
            )
            try:
                reply = self.answer(request)
            except Exception as error:  # a responder's bug must not leave the batch running
                reply = Reply(status=500, body={"error": {"message": repr(error)}})
            try:
                body = json.loads(reply.encoded()) if not reply.drop else None
            except ValueError:
                body = None
            if reply.drop:
                result = _result_line(
                    line["custom_id"], error={"code": "server_error", "message": "dropped"}
                )
            else:
                result = _result_line(line["custom_id"], status=reply.status, body=body)
            (output if reply.status == 200 and not reply.drop else failed).append(result)
            with self._lock:
                counts = self.batches[batch_id]["request_counts"]
                counts["completed" if reply.status == 200 and not reply.drop else "failed"] += 1
        files: dict[str, Any] = {}
        if output:
            stored = self._store(
                "".join(output).encode(), filename="output.jsonl", purpose="batch_output"
            )
            files["output_file_id"] = stored.id
        if failed:
            stored = self._store(
                "".join(failed).encode(), filename="errors.jsonl", purpose="batch_error"
            )
            files["error_file_id"] = stored.id
        stamp = {"completed": "completed_at", "expired": "expired_at", "cancelled": "cancelled_at"}
        self._update(batch_id, status=final, **files, **{stamp[final]: int(time.time())})

    def _wait_turn(self, batch_id: str, answered: int, started: float) -> str:
        """'completed' when the next line may run; 'expired' or 'cancelled' when not."""
        while True:
            with self._lock:
                if batch_id in self._cancel:
                    return "cancelled"
            if self.expires_after is not None and time.monotonic() - started > self.expires_after:
                return "expired"
            if self.hold_after is None or answered < self.hold_after:
                return "completed"
            time.sleep(0.01)


def _parse_input(data: bytes, endpoint: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The request lines, or the problems that fail the whole batch (as a provider does)."""
    lines: list[dict[str, Any]] = []
    problems: list[dict[str, Any]] = []
    seen: set[str] = set()
    for number, raw in enumerate(data.decode("utf-8", errors="replace").splitlines(), 1):
        if not raw.strip():
            continue
        try:
            line = json.loads(raw)
            custom_id, url, body = line["custom_id"], line["url"], line["body"]
        except (ValueError, KeyError, TypeError):
            problems.append(_problem("invalid_json_line", "not a request line", number))
            continue
        if url != endpoint:
            problems.append(_problem("mismatched_endpoint", f"url {url} is not {endpoint}", number))
        elif custom_id in seen:
            problems.append(_problem("duplicate_custom_id", f"{custom_id} repeats", number))
        elif not isinstance(body, dict):
            problems.append(_problem("invalid_request", "body is not an object", number))
        seen.add(custom_id)
        lines.append(line)
    if not lines and not problems:
        problems.append(_problem("empty_file", "the input file holds no requests", None))
    return lines, problems


def _problem(code: str, message: str, line: int | None) -> dict[str, Any]:
    return {"code": code, "message": message, "line": line, "param": None}


def _stop_error(status: str) -> dict[str, str]:
    code = "batch_expired" if status == "expired" else "batch_cancelled"
    return {"code": code, "message": f"this request was not run: the batch was {status}"}


def _result_line(
    custom_id: str,
    *,
    status: int | None = None,
    body: Any = None,
    error: dict[str, str] | None = None,
) -> str:
    response = None
    if status is not None:
        response = {"status_code": status, "request_id": f"req-{custom_id[:12]}", "body": body}
    line = {"id": f"batch_req_{custom_id[:16]}", "custom_id": custom_id}
    return json.dumps(line | {"response": response, "error": error}) + "\n"


def _error(status: int, message: str) -> Reply:
    from summarize.loopback import Reply

    return Reply(status=status, body={"error": {"message": message, "type": "invalid_request"}})
