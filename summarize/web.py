"""Articles from the web: saved HTML pages and URLs, reduced to their story by trafilatura.

trafilatura finds the main text of a page and reads its metadata (title, publication
date, site name, canonical URL; it uses htmldate for the date). The text it returns then
goes through the same cleaning as any plain-text article, so chrome that slips through
(share rows, newsletter appeals) still goes.

Fetching is deliberately plain: one GET with a user agent, a size cap, and a total
deadline per URL (`--fetch-timeout`, default 30 s) that covers connecting, redirects,
headers and body: a socket timeout alone restarts with every byte, so a server dribbling
a byte every few seconds could hold a URL for ever. At the deadline a watchdog shuts the
socket down. Redirects are followed (at most 10), to http(s) only. Anything but an HTML
page of a sane size fails that input alone with a one-line reason: a PDF, an image, a 404,
a 5xx, an oversize answer, a page with no article in it, a redirect elsewhere, a server
too slow. A batch fetches each URL in its own worker, so an article starts as soon as its
page is in.
"""

from __future__ import annotations

import contextlib
import http.client
import re
import socket
import threading
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import date
from typing import IO, Any
from urllib.parse import urljoin, urlsplit

from summarize.data import MAX_INPUT_BYTES, Article, parse_published
from summarize.errors import InputError

USER_AGENT = "summarize/0.1 (threat briefs; +https://github.com/summarize/summarize)"
FETCH_TIMEOUT = 30.0  # seconds for one URL, all of it: connect, redirects, headers, body
READ_TIMEOUT = 20.0  # seconds of silence on a socket that fail the fetch before that
WEB_SCHEMES = ("http", "https")
HTML_TYPES = ("text/html", "application/xhtml+xml")
MIN_WORDS = 25  # below this, what trafilatura found is a menu or a caption, not a story
SENTENCE = re.compile(r"\w[.!?][\"'\u201d\u2019)]?(?:\s|$)")


@dataclass(frozen=True)
class Page:
    url: str  # after redirects
    html: str


def url_id(url: str) -> str:
    """An article id from a URL: its last path segment without extension, or its host."""
    parts = urlsplit(url)
    segments = [s for s in parts.path.split("/") if s]
    if segments:
        return segments[-1].rsplit(".", 1)[0] or segments[-1]
    return parts.hostname or "page"


class _Deadline:
    """A fetch's total deadline: at expiry, shut down every socket the fetch opened, which
    wakes a read blocked on a dribbling server at once."""

    def __init__(self, seconds: float) -> None:
        self.expired = False
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True
        self._timer.start()

    def watch(self, sock: socket.socket) -> None:
        with self._lock:
            self._sockets.append(sock)
            if self.expired:
                _shut(sock)

    def _expire(self) -> None:
        with self._lock:
            self.expired = True
            for sock in self._sockets:
                _shut(sock)

    def cancel(self) -> None:
        self._timer.cancel()


def _shut(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):  # already closed: nothing left to wake
        sock.shutdown(socket.SHUT_RDWR)


def _watched(base: type[http.client.HTTPConnection], deadline: _Deadline) -> Any:
    """`base` whose sockets are handed to `deadline` as soon as they connect."""

    class Watched(base):  # type: ignore[valid-type,misc]
        def connect(self) -> None:
            super().connect()
            deadline.watch(self.sock)

    return Watched


class _HTTP(urllib.request.HTTPHandler):
    def __init__(self, deadline: _Deadline) -> None:
        super().__init__()
        self.connection = _watched(http.client.HTTPConnection, deadline)

    def http_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        return self.do_open(self.connection, req)


class _HTTPS(urllib.request.HTTPSHandler):
    def __init__(self, deadline: _Deadline) -> None:
        super().__init__()
        self.connection = _watched(http.client.HTTPSConnection, deadline)

    def https_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        return self.do_open(self.connection, req, context=self._context)  # type: ignore[attr-defined]


class _RefusedRedirect(Exception):
    def __init__(self, target: str) -> None:
        super().__init__(target)
        self.target = target


class _WebOnlyRedirects(urllib.request.HTTPRedirectHandler):
    """Follow redirects to http(s) only: urllib alone would follow one to ftp://."""

    def http_error_302(
        self,
        req: urllib.request.Request,
        fp: IO[bytes],
        code: int,
        msg: str,
        headers: http.client.HTTPMessage,
    ) -> Any:
        location = headers.get("location") or headers.get("uri")
        if location is not None:
            target = urljoin(req.full_url, location.strip())
            if urlsplit(target).scheme.lower() not in WEB_SCHEMES:
                fp.close()
                raise _RefusedRedirect(target)
        return super().http_error_302(req, fp, code, msg, headers)

    http_error_301 = http_error_303 = http_error_307 = http_error_308 = http_error_302


def fetch(url: str, *, timeout: float = FETCH_TIMEOUT, max_bytes: int = MAX_INPUT_BYTES) -> Page:
    """GET one web page within `timeout` seconds in all; raise InputError naming the URL
    and why it is not usable."""
    if urlsplit(url).scheme.lower() not in WEB_SCHEMES:
        raise InputError(f"{url}: only http(s) URLs can be fetched", source=url)
    deadline = _Deadline(timeout)
    opener = urllib.request.build_opener(_HTTP(deadline), _HTTPS(deadline), _WebOnlyRedirects())
    # S310 below: the scheme is checked just above, and redirects by _WebOnlyRedirects.
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})  # noqa: S310
    try:
        with opener.open(request, timeout=min(READ_TIMEOUT, timeout)) as response:
            kind = response.headers.get_content_type()
            if kind not in HTML_TYPES:
                raise InputError(
                    f"{url}: is {kind}, not a web page; download it and pass its text",
                    source=url,
                )
            data = _read_capped(response, max_bytes)
            final_url = response.geturl()
            charset = response.headers.get_content_charset() or "utf-8"
    except _RefusedRedirect as refused:
        raise InputError(
            f"{url}: redirects to {refused.target}, which is not an http(s) URL; refused",
            source=url,
        ) from None
    except urllib.error.HTTPError as error:
        raise InputError(
            f"{url}: the server answered HTTP {error.code} ({error.reason}); check the link",
            source=url,
        ) from None
    except (urllib.error.URLError, http.client.HTTPException, OSError) as error:
        if deadline.expired:
            raise _too_slow(url, timeout) from None
        reason = getattr(error, "reason", error)
        raise InputError(f"{url}: cannot fetch it ({reason}); check the link", source=url) from None
    finally:
        deadline.cancel()
    if deadline.expired:  # the watchdog shut the socket: what was read is not the page
        raise _too_slow(url, timeout)
    if len(data) > max_bytes:
        raise InputError(
            f"{url}: the page is larger than {max_bytes / 1e6:g} MB (--max-input-bytes); "
            "save the article as text and pass the file",
            source=url,
        )
    return Page(final_url, data.decode(charset, errors="replace"))


def _read_capped(response: http.client.HTTPResponse, max_bytes: int) -> bytes:
    """The body, or its first `max_bytes + 1` bytes: read as the bytes arrive (`read1`),
    so the deadline's watchdog can end a slow body between any two packets."""
    parts: list[bytes] = []
    size = 0
    while size <= max_bytes:
        part = response.read1(min(65_536, max_bytes + 1 - size))
        if not part:
            break
        parts.append(part)
        size += len(part)
    return b"".join(parts)


def _too_slow(url: str, timeout: float) -> InputError:
    return InputError(
        f"{url}: the page did not arrive within {timeout:g} s; check the link, or raise "
        "--fetch-timeout for a slow server",
        source=url,
    )


def article_from_html(
    html: str,
    *,
    id: str,
    source: str,
    url: str | None = None,
    published: date | None = None,
) -> Article:
    """The story of an HTML page, with the page's title, date and site as metadata."""
    import trafilatura  # deferred: heavy, and only HTML inputs need it

    document = trafilatura.bare_extraction(
        html, url=url, with_metadata=True, favor_precision=True, include_comments=False
    )
    text = getattr(document, "text", None) if document is not None else None
    if not text or len(text.split()) < MIN_WORDS or not SENTENCE.search(text):
        raise InputError(
            f"{source}: no article text found in the page; save the story itself as text",
            source=source,
        )
    page_date = getattr(document, "date", None)
    site = getattr(document, "sitename", None) or getattr(document, "hostname", None)
    return Article(
        id=id,
        source=source,
        text=text,
        title=getattr(document, "title", None) or None,
        published=published or (parse_published(page_date, source=source) if page_date else None),
        url=getattr(document, "url", None) or url,
        meta={"site": site} if site else {},
    )


def read_url(
    url: str,
    *,
    id: str,
    published: date | None = None,
    timeout: float = FETCH_TIMEOUT,
    max_bytes: int = MAX_INPUT_BYTES,
) -> Article:
    page = fetch(url, timeout=timeout, max_bytes=max_bytes)
    return article_from_html(page.html, id=id, source=url, url=page.url, published=published)
