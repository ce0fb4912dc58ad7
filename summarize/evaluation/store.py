"""Stored model responses: replay them offline, or record a live run to replay later.

Layout: `<responses>/<NAME>/<article-id>.json`, each `{"article_id", "exchanges": [...]}`,
one exchange per HTTP request the article caused, in order. An exchange is either

- recorded: `{"status", "content_type", "body"}`, the provider's raw answer, replayed byte
  for byte (error answers too, so retries replay as they happened); or
- hand-written: `{"payload": {...}}`, a model answer shaped at replay time into whatever
  the request asked for (tool call or JSON content).

`<NAME>/_meta.json` may give the `model` and `mode` the set was made with.

Both directions run through a real loopback HTTP server: the pipeline under test talks to
it exactly as it would to a provider. Requests are routed to articles by the cleaned
article text they carry. Recording forwards each request upstream with its headers in
memory only: no key or header is ever written to the store.
"""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from summarize.errors import ConfigError
from summarize.loopback import QueueResponder, Reply, Request, RoutingResponder, structured_reply

META_FILE = "_meta.json"
FORWARDED_HEADERS = ("authorization", "content-type", "openai-organization", "openai-project")


def load_meta(folder: Path) -> dict[str, Any]:
    path = folder / META_FILE
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}


def _exchange_reply(exchange: Mapping[str, Any]) -> Reply | Any:
    if "payload" in exchange:
        payload = exchange["payload"]
        return lambda request: structured_reply(request, payload)
    if exchange.get("drop"):
        return Reply(drop=True)
    return Reply(
        status=int(exchange.get("status", 200)),
        body=str(exchange.get("body", "")).encode("utf-8"),
        headers={"Content-Type": exchange.get("content_type") or "application/json"},
    )


def replay_responder(folder: Path, routes: Mapping[str, str]) -> tuple[RoutingResponder, list[str]]:
    """A responder replaying `folder`'s exchanges; `routes` maps article text to id.

    Returns the responder and the ids that have no stored responses.
    """
    if not folder.is_dir():
        raise ConfigError(
            f"{folder}: no such response set; record one with --record NAME or pass --responses DIR"
        )
    queues: dict[str, QueueResponder] = {}
    missing = []
    for text, article_id in routes.items():
        path = folder / f"{article_id}.json"
        if not path.is_file():
            missing.append(article_id)
            continue
        exchanges = json.loads(path.read_text(encoding="utf-8"))["exchanges"]
        queues[text] = QueueResponder([_exchange_reply(e) for e in exchanges])
    return RoutingResponder(queues), missing


class RecordingResponder:
    """Forwards each request to the real provider and keeps its raw answer per article."""

    def __init__(self, upstream: str, routes: Mapping[str, str], *, timeout: float) -> None:
        self.upstream = upstream.rstrip("/")
        self.routes = dict(routes)
        self.timeout = timeout
        self.exchanges: dict[str, list[dict[str, Any]]] = {}
        self._lock = threading.Lock()

    def _article_id(self, request: Request) -> str | None:
        prompt = request.prompt_text
        return next((aid for text, aid in self.routes.items() if text in prompt), None)

    def __call__(self, request: Request) -> Reply:
        suffix = request.path[len("/v1") :] if request.path.startswith("/v1") else request.path
        headers = {k: v for k, v in request.headers.items() if k in FORWARDED_HEADERS}
        upstream = urllib.request.Request(  # noqa: S310 - the upstream is the configured provider
            self.upstream + suffix, data=request.body, headers=headers, method=request.method
        )
        try:
            with urllib.request.urlopen(upstream, timeout=self.timeout) as answer:  # noqa: S310
                exchange = {
                    "status": answer.status,
                    "body": answer.read().decode("utf-8"),
                    "content_type": answer.headers.get("Content-Type"),
                }
        except urllib.error.HTTPError as error:
            exchange = {
                "status": error.code,
                "body": error.read().decode("utf-8", "replace"),
                "content_type": error.headers.get("Content-Type"),
            }
        except OSError:
            exchange = {"drop": True}
        article_id = self._article_id(request)
        if article_id is not None:
            with self._lock:
                self.exchanges.setdefault(article_id, []).append(exchange)
        return _exchange_reply(exchange)

    def save(self, folder: Path, meta: Mapping[str, Any]) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        (folder / META_FILE).write_text(json.dumps(dict(meta), indent=2) + "\n", encoding="utf-8")
        for article_id, exchanges in sorted(self.exchanges.items()):
            record = {"article_id": article_id, "exchanges": exchanges}
            (folder / f"{article_id}.json").write_text(
                json.dumps(record, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
            )
