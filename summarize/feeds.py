"""RSS and Atom feeds: the links of their items, read with feedparser.

The feed is fetched here (one GET, a timeout, a size cap) and only parsed by feedparser,
so a slow server costs the timeout and no more. A feed that cannot be fetched, or that
is so malformed feedparser finds no item in it, raises `FeedError` with a one-line
reason; a feed with a minor fault but items is read.
"""

from __future__ import annotations

import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any

from summarize.errors import InputError

USER_AGENT = "summarize/0.1 (threat briefs; feed reader)"
MAX_BYTES = 10_000_000
TIMEOUT_SECONDS = 20.0


class FeedError(InputError):
    """A feed could not be read this time."""


def read_feed(url: str, *, timeout: float = TIMEOUT_SECONDS) -> list[FeedItem]:
    """The items of the feed at `url`, in feed order, each with a link."""
    import feedparser

    if not url.startswith(("http://", "https://")):
        raise FeedError(f"feed {url}: not an http(s) URL", source=url)
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:  # noqa: S310
            data = answer.read(MAX_BYTES + 1)
    except urllib.error.HTTPError as error:
        raise FeedError(f"feed {url}: HTTP {error.code}", source=url) from None
    except (urllib.error.URLError, OSError) as error:
        reason = getattr(error, "reason", error)
        if isinstance(reason, TimeoutError) or isinstance(error, TimeoutError):
            message = f"feed {url}: no answer within {timeout:g} s"
        else:
            message = f"feed {url}: cannot fetch it ({reason})"
        raise FeedError(message, source=url) from None
    if len(data) > MAX_BYTES:
        raise FeedError(f"feed {url}: larger than {MAX_BYTES:,} bytes", source=url)
    parsed: Any = feedparser.parse(data)
    items = [_item(entry) for entry in parsed.entries if entry.get("link")]
    if not items and parsed.get("bozo"):
        problem = str(parsed.get("bozo_exception") or "not a feed").splitlines()[0]
        raise FeedError(f"feed {url}: not a readable RSS or Atom feed ({problem})", source=url)
    return items


def _item(entry: Any) -> FeedItem:
    return FeedItem(link=str(entry.get("link")), title=entry.get("title"))


@dataclass(frozen=True)
class FeedItem:
    link: str
    title: str | None = None
