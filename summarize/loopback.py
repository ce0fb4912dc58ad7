"""A real OpenAI-compatible HTTP server on 127.0.0.1, for tests, offline evals and benchmarks.

No SDK is patched: the real `openai` client and `instructor` talk HTTP to this server, so
every code path a hosted provider exercises (headers, retries, parsing, re-asks) runs.
What the server answers is decided by a *responder*, a plain callable from the recorded
request to a `Reply`, in the spirit of httpx's `MockTransport` handlers::

    def responder(request: Request) -> Reply:
        return structured_reply(request, {"summary": "...", "threats": [], ...})

    with LoopbackServer(responder) as server:
        client = OpenAI(base_url=server.url, api_key="test")

`structured_reply` shapes one payload as the request asked for it: a tool call when the
request offered tools, JSON message content for `response_format` / JSON modes.

`/v1/files` and `/v1/batches` are served too (summarize.loopback_batches): each line of a
batch is answered by the same responder and recorded in `requests` like a live request;
the file and batch calls themselves are not recorded.
"""

from __future__ import annotations

import json
import socket
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from summarize.loopback_batches import BatchService


@dataclass(frozen=True)
class Request:
    """One request as the server received it."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None

    @property
    def prompt_text(self) -> str:
        """Every message's content joined, to assert on what the model was shown."""
        payload = self.json() or {}
        return "\n".join(str(m.get("content") or "") for m in payload.get("messages", []))

    @property
    def article(self) -> str:
        """The article (or the part of it) the prompt fences in `<article>` tags."""
        return self.prompt_text.split("<article>\n", 1)[-1].split("\n</article>", 1)[0]


@dataclass
class Reply:
    """What to send back. `drop` closes the connection without answering; `delay` waits."""

    status: int = 200
    body: bytes | str | dict[str, Any] | list[Any] = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    drop: bool = False

    def encoded(self) -> bytes:
        if isinstance(self.body, bytes):
            return self.body
        if isinstance(self.body, str):
            return self.body.encode()
        return json.dumps(self.body).encode()


Responder = Callable[[Request], Reply]


def completion(
    *,
    content: str | None = None,
    tool_arguments: str | None = None,
    tool_name: str = "Extraction",
    finish_reason: str | None = None,
    model: str = "loopback-model",
    prompt_tokens: int = 100,
    completion_tokens: int = 50,
    refusal: str | None = None,
) -> dict[str, Any]:
    """A chat.completion body with either message content or one tool call."""
    message: dict[str, Any] = {"role": "assistant", "content": content, "refusal": refusal}
    if tool_arguments is not None:
        message["tool_calls"] = [
            {
                "id": "call_loopback",
                "type": "function",
                "function": {"name": tool_name, "arguments": tool_arguments},
            }
        ]
    return {
        "id": "chatcmpl-loopback",
        "object": "chat.completion",
        "created": 1_700_000_000,
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": message,
                "finish_reason": finish_reason or ("tool_calls" if tool_arguments else "stop"),
            }
        ],
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        },
    }


def structured_reply(request: Request, payload: Any, **completion_options: Any) -> Reply:
    """Answer `payload` (a dict, or raw JSON text) in the shape the request asked for."""
    text = payload if isinstance(payload, str) else json.dumps(payload)
    body = request.json() or {}
    tools = body.get("tools") or []
    if tools:
        name = tools[0].get("function", {}).get("name", "Extraction")
        return Reply(body=completion(tool_arguments=text, tool_name=name, **completion_options))
    return Reply(body=completion(content=text, **completion_options))


class QueueResponder:
    """Answers from a queue, one item per request, each a Reply or a payload to structure.

    When the queue runs dry it answers 500, so a test that under-provisions replies fails
    loudly instead of hanging.
    """

    def __init__(self, items: Iterable[Reply | Callable[[Request], Reply] | dict[str, Any]]):
        self._items: deque[Reply | Callable[[Request], Reply] | dict[str, Any]] = deque(items)
        self._lock = threading.Lock()

    def push(self, *items: Reply | Callable[[Request], Reply] | dict[str, Any]) -> None:
        with self._lock:
            self._items.extend(items)

    def __call__(self, request: Request) -> Reply:
        with self._lock:
            item = self._items.popleft() if self._items else None
        if item is None:
            return Reply(status=500, body={"error": {"message": "loopback queue is empty"}})
        if isinstance(item, Reply):
            return item
        if callable(item):
            return item(request)
        return structured_reply(request, item)


class RoutingResponder:
    """Routes each request to the queue whose key occurs in its prompt text, so a batch
    of concurrent articles each gets its own answers whatever order requests arrive in.
    """

    def __init__(self, routes: dict[str, QueueResponder]) -> None:
        self.routes = routes

    def __call__(self, request: Request) -> Reply:
        prompt = request.prompt_text
        for key, responder in self.routes.items():
            if key in prompt:
                return responder(request)
        return Reply(status=500, body={"error": {"message": "no loopback route matches"}})


class Throttled:
    """A provider with a fixed latency that serves `admits` requests at once and answers
    429 beyond that, with `retry_headers` (e.g. Retry-After). Counts what it did."""

    def __init__(
        self,
        answer: Responder,
        *,
        latency: float = 0.0,
        admits: int | None = None,
        retry_headers: dict[str, str] | None = None,
    ) -> None:
        self.answer = answer
        self.latency = latency
        self.admits = admits
        self.retry_headers = retry_headers or {"Retry-After": "1"}
        self.lock = threading.Lock()
        self.serving = self.peak = self.calls = self.rejected = 0

    def __call__(self, request: Request) -> Reply:
        with self.lock:
            if self.admits is not None and self.serving >= self.admits:
                self.rejected += 1
                body = {"error": {"message": "rate limited"}}
                return Reply(status=429, body=body, headers=self.retry_headers)
            self.serving += 1
            self.calls += 1
            self.peak = max(self.peak, self.serving)
        try:
            if self.latency:
                time.sleep(self.latency)
            return self.answer(request)
        finally:
            with self.lock:
                self.serving -= 1


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"
    # Headers and body go out as separate writes; with Nagle on, the body waits for the
    # client's delayed ACK, adding ~40 ms to every answer that no real provider adds.
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: Any) -> None:
        """Silence per-request logging: tests assert on recorded requests instead."""

    def _serve(self) -> None:
        request = Request(
            method=self.command,
            path=self.path,
            headers={k.lower(): v for k, v in self.headers.items()},
            body=self._body(),
        )
        if request.path.startswith(("/v1/files", "/v1/batches")):
            reply = self.server.batches.handle(request)
        else:
            reply = self.server.answer(request)
        if reply.delay:
            time.sleep(reply.delay)
        if reply.drop:
            self.connection.shutdown(socket.SHUT_RDWR)
            self.close_connection = True
            return
        data = reply.encoded()
        self.send_response(reply.status)
        headers = {"Content-Type": "application/json"} | reply.headers
        for key, value in headers.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _body(self) -> bytes:
        """The request body, sent with a Content-Length or (file uploads) chunked."""
        if self.headers.get("Transfer-Encoding", "").lower() != "chunked":
            length = int(self.headers.get("Content-Length") or 0)
            return self.rfile.read(length) if length else b""
        parts = []
        while size := int(self.rfile.readline().split(b";")[0].strip() or b"0", 16):
            parts.append(self.rfile.read(size))
            self.rfile.readline()
        while self.rfile.readline().strip():  # trailers, up to the blank line
            pass
        return b"".join(parts)

    do_POST = _serve
    do_GET = _serve


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 256

    def __init__(self, responder: Responder) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.responder = responder
        self.requests: list[Request] = []
        self.lock = threading.Lock()
        # Batch lines are answered like live requests, and recorded like them.
        self.batches = BatchService(self.answer)

    def answer(self, request: Request) -> Reply:
        """A chat-completions request: recorded, then answered by the responder."""
        with self.lock:
            self.requests.append(request)
        return self.responder(request)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that hung up (it timed out, or a test dropped it) is expected here; say
        nothing, as a provider would. Anything else is a bug in a responder: report it."""
        if isinstance(sys.exc_info()[1], ConnectionError | TimeoutError):
            return
        super().handle_error(request, client_address)


class LoopbackServer:
    """Run an OpenAI-compatible server on 127.0.0.1 for the duration of a `with` block."""

    def __init__(self, responder: Responder) -> None:
        self._server = _Server(responder)
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}/v1"

    @property
    def requests(self) -> list[Request]:
        with self._server.lock:
            return list(self._server.requests)

    @property
    def batches(self) -> BatchService:
        """The Files and Batch APIs' state and knobs (summarize.loopback_batches)."""
        return self._server.batches

    @property
    def responder(self) -> Responder:
        return self._server.responder

    @responder.setter
    def responder(self, responder: Responder) -> None:
        self._server.responder = responder

    def start(self) -> LoopbackServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> LoopbackServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
