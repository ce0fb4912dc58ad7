"""One pass over RSS/Atom feeds: brief the items not yet in the store, say what is new.

An item is new when its link is not in the store's `feed_items`; it is remembered only
once its brief is stored, so a feed or a page that fails this pass is tried again on the
next, and nothing stored is fetched twice. What a pass found is told as lines: new
threats, threats reported again, and what the new report changed (a deadline set or
moved, a new condition, an escalation).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from summarize.feeds import FeedError, read_feed
from summarize.results import Failure
from summarize.store import Store, Stored
from summarize.store import queries as q

if TYPE_CHECKING:
    from summarize.client import ModelClient
    from summarize.options import BriefOptions
    from summarize.prompts import Prompt
    from summarize.results import Result
    from summarize.schema import Brief


def watch_pass(
    feeds: Sequence[str],
    store: Store,
    client: ModelClient,
    prompt: Prompt,
    options: BriefOptions,
    *,
    feed_timeout: float,
    concurrency: int = 4,
) -> PassReport:
    """Read every feed, brief and store its new items; what was found and what failed."""
    from summarize.articles import read_inputs
    from summarize.batch import run_batch

    report = PassReport()
    links: list[str] = []
    for feed in feeds:
        try:
            items = read_feed(feed, timeout=feed_timeout)
        except FeedError as error:
            report.failures.append(f"{error}; tried again next pass")
            continue
        fresh = [i.link for i in items if i.link not in links and not store.has_feed_item(i.link)]
        links += fresh
        report.items_seen += len(items)
    articles = read_inputs(links)

    def keep(index: int, result: Result) -> None:
        link = links[index]
        if isinstance(result, Failure):
            report.failures.append(f"item {link}: {result.message}; tried again next pass")
            return
        try:
            stored = store.record(result)
            store.remember_feed_item(link, stored.brief_id)
        except sqlite3.Error as error:  # the brief is not lost: asked again next pass
            report.failures.append(f"item {link}: not stored ({error}); tried again next pass")
            return
        report.briefed += 1
        report.news += _news(store, stored, result)

    run_batch(articles, client, prompt, options, concurrency=concurrency, on_result=keep)
    return report


def _news(store: Store, stored: Stored, brief: Brief) -> list[str]:
    """A line per threat of a newly stored brief: new, or reported again and how."""
    lines = []
    outlet = brief.article.url or brief.article.source
    for link in stored.links:
        tracked = q.get_tracked(store.db, link.tracked)
        if tracked is None:
            continue
        what = f"{tracked.issuer} -> {', '.join(tracked.targets)} [{tracked.category}]"
        if link.created:
            lines.append(f"new threat {tracked.id}: {what} ({outlet})")
            continue
        report = next(r for r in q.history(store.db, tracked.id) if r.id == link.threat)
        changed = "; ".join(report.changes)
        lines.append(
            f"reported again {tracked.id}: {what}, {tracked.reports} reports ({outlet})"
            + (f"; {changed}" if changed else "")
        )
    return lines


@dataclass
class PassReport:
    items_seen: int = 0
    briefed: int = 0
    news: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
