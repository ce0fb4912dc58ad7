"""Articles from the web: saved HTML pages and URLs, reduced to their story by trafilatura.

trafilatura finds the main text of a page and reads its metadata (title, publication
date, site name, canonical URL; it uses htmldate for the date). The text it returns then
goes through the same cleaning as any plain-text article, so chrome that slips through
(share rows, newsletter appeals) still goes.

Fetching is deliberately plain: one GET with a timeout, a size cap and a user agent,
redirects followed (at most 10). Anything but an HTML page of a sane size fails that
input alone with a one-line reason: a PDF, an image, a 404, a 5xx, an oversize answer, a
page with no article in it. `read_inputs` fetches up to eight URLs at once, since a batch
of links waits on their servers, not on this machine.
"""

from __future__ import annotations

import re
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import date
from urllib.parse import urlsplit

from summarize.articles import Article, parse_published
from summarize.errors import InputError

USER_AGENT = "summarize/0.1 (threat briefs; +https://github.com/summarize/summarize)"
MAX_BYTES = 5_000_000
TIMEOUT_SECONDS = 20.0
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


def fetch(url: str, *, timeout: float = TIMEOUT_SECONDS, max_bytes: int = MAX_BYTES) -> Page:
    """GET one web page; raise InputError naming the URL and why it is not usable."""
    if urlsplit(url).scheme not in ("http", "https"):
        raise InputError(f"{url}: only http(s) URLs can be fetched", source=url)
    # S310 below: the scheme is checked just above, so no file: or custom scheme opens.
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            kind = response.headers.get_content_type()
            if kind not in HTML_TYPES:
                raise InputError(
                    f"{url}: is {kind}, not a web page; download it and pass its text",
                    source=url,
                )
            data = response.read(max_bytes + 1)
            final_url = response.geturl()
            charset = response.headers.get_content_charset() or "utf-8"
    except urllib.error.HTTPError as error:
        raise InputError(
            f"{url}: the server answered HTTP {error.code} ({error.reason}); check the link",
            source=url,
        ) from None
    except (urllib.error.URLError, TimeoutError, OSError) as error:
        reason = getattr(error, "reason", error)
        raise InputError(f"{url}: cannot fetch it ({reason}); check the link", source=url) from None
    if len(data) > max_bytes:
        raise InputError(
            f"{url}: the page is larger than {max_bytes // 1_000_000} MB; save the article "
            "as text and pass the file",
            source=url,
        )
    return Page(final_url, data.decode(charset, errors="replace"))


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


def read_url(url: str, *, id: str, published: date | None = None) -> Article:
    page = fetch(url)
    return article_from_html(page.html, id=id, source=url, url=page.url, published=published)
