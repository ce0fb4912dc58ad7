"""`summarize watch`: feeds, pages and the model all served by a real loopback server."""

from __future__ import annotations

import json
from collections.abc import Iterator
from html import escape
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from summarize.cli import app
from summarize.feeds import FeedError, read_feed
from summarize.loopback import LoopbackServer, Reply, Request, structured_reply
from summarize.store import Store
from summarize.store import queries as q
from tests.conftest import extraction

runner = CliRunner()
HTML = {"Content-Type": "text/html; charset=utf-8"}
RSS = {"Content-Type": "application/rss+xml"}
DATA = Path(__file__).resolve().parent / "data"
VOA = {  # two public-domain VOA stories of 11 and 13 March 2025
    story: json.loads((DATA / f"voa-{story}.json").read_text(encoding="utf-8"))
    for story in ("8006924", "8009495")
}


def page(story: dict[str, Any]) -> str:
    paragraphs = "".join(f"<p>{escape(p)}</p>" for p in story["text"].split("\n") if p.strip())
    return (
        f"<html><head><title>{escape(story['title'])}</title>"
        f'<meta property="article:published_time" content="{story["published"]}">'
        f"</head><body><article><h1>{escape(story['title'])}</h1>{paragraphs}</article>"
        "</body></html>"
    )


def rss(base: str, paths: list[str]) -> str:
    items = "".join(f"<item><title>{p}</title><link>{base}{p}</link></item>" for p in paths)
    return (
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>{items}</channel></rss>'
    )


STEEL = {
    "issuer": "United States",
    "speaker": None,
    "targets": ["Canada"],
    "action": "double the tariff on Canadian steel and aluminum",
    "category": "tariffs",
    "conditions": [],
    "deadline": None,
    "evidence": ["Trump said"],
}


class Newsroom:
    """Feeds, article pages and a model on one server; the feed's items change by pass."""

    def __init__(self) -> None:
        self.feed_paths = ["/a/8006924.html", "/a/missing.html"]
        self.fetched: list[str] = []
        self.answers: dict[str, dict[str, Any]] = {
            "Doug Ford": extraction(threats=[STEEL], dates=[]),
            "200% tariff": extraction(
                threats=[{**STEEL, "deadline": "April 2", "evidence": ["Trump said"]}], dates=[]
            ),
        }
        self.base = ""

    def __call__(self, request: Request) -> Reply:
        if request.method == "POST":
            for marker, answer in self.answers.items():
                if marker in request.article:
                    return structured_reply(request, answer)
            return structured_reply(request, extraction(threats=[], dates=[]))
        self.fetched.append(request.path)
        if request.path == "/feed.xml":
            return Reply(body=rss(self.base, self.feed_paths), headers=RSS)
        if request.path == "/broken.xml":
            return Reply(body="<rss><channel><item><title>oops", headers=RSS)
        if request.path == "/slow.xml":
            return Reply(body=rss(self.base, []), headers=RSS, delay=2.0)
        if request.path == "/a/8006924.html":
            return Reply(body=page(VOA["8006924"]), headers=HTML)
        if request.path == "/a/8009495.html":
            return Reply(body=page(VOA["8009495"]), headers=HTML)
        return Reply(status=404, body="not found", headers=HTML)


@pytest.fixture
def newsroom(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Newsroom, str]]:
    room = Newsroom()
    with LoopbackServer(room) as server:
        room.base = server.url.removesuffix("/v1")
        monkeypatch.setenv("OPENAI_BASE_URL", server.url)
        monkeypatch.setenv("SUMMARIZE_MODEL", "loopback-model")
        monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
        yield room, room.base


def test_read_feed_names_a_malformed_or_silent_feed(newsroom: tuple[Newsroom, str]) -> None:
    _, base = newsroom
    assert [i.link for i in read_feed(f"{base}/feed.xml")] == [
        f"{base}/a/8006924.html",
        f"{base}/a/missing.html",
    ]
    with pytest.raises(FeedError, match="not a readable RSS or Atom feed"):
        read_feed(f"{base}/broken.xml")
    with pytest.raises(FeedError, match=r"no answer within 0\.5 s"):
        read_feed(f"{base}/slow.xml", timeout=0.5)
    with pytest.raises(FeedError, match="HTTP 404"):
        read_feed(f"{base}/nowhere.xml")


def test_watch_once_briefs_new_items_and_tells_what_is_new(
    newsroom: tuple[Newsroom, str], private_store: Path
) -> None:
    room, base = newsroom
    feeds = [f"{base}/feed.xml", f"{base}/broken.xml", f"{base}/slow.xml"]
    args = ["watch", *feeds, "--once", "--feed-timeout", "0.5"]
    first = runner.invoke(app, args)
    assert first.exit_code == 1, first.stderr  # some feeds and items failed
    assert "new threat 1: United States -> Canada [tariffs]" in first.stdout
    assert f"feed {base}/broken.xml: not a readable RSS or Atom feed" in first.stderr
    assert f"feed {base}/slow.xml: no answer within 0.5 s" in first.stderr
    assert f"item {base}/a/missing.html:" in first.stderr
    assert "tried again next pass" in first.stderr

    # next pass: the stored item is not fetched again; the 404 is retried; a new item
    room.fetched.clear()
    room.feed_paths.append("/a/8009495.html")
    second = runner.invoke(app, ["watch", f"{base}/feed.xml", "--once"])
    assert "/a/8006924.html" not in room.fetched
    assert room.fetched.count("/a/missing.html") == 1
    assert "reported again 1: United States -> Canada [tariffs], 2 reports" in second.stdout
    assert "deadline set: April 2" in second.stdout
    assert second.exit_code == 1  # the 404 still fails

    with Store(private_store) as store:
        [steel] = q.list_tracked(store.db, q.Filters())
        assert steel.reports == 2
        assert store.db.execute("SELECT count(*) FROM feed_items").fetchone()[0] == 2


def test_watch_rejects_a_bad_interval() -> None:
    result = runner.invoke(app, ["watch", "http://127.0.0.1:9/feed", "--every", "soon"])
    assert result.exit_code == 2
    assert "--every 'soon': write a duration such as 30s, 15m or 2h" in result.stderr


@pytest.mark.parametrize(
    ("every", "seconds"), [("15m", 900.0), ("30s", 30.0), ("2h", 7200.0), ("45", 45.0)]
)
def test_every_reads_durations(every: str, seconds: float) -> None:
    from summarize.commands.watch import _interval

    assert _interval(every) == seconds


def test_watch_passes_again_every_interval_until_stopped(
    newsroom: tuple[Newsroom, str], private_store: Path
) -> None:
    """A real process: two passes a second apart, the second fetching only the feed and
    the failed page again; SIGTERM stops it with 143."""
    import os
    import signal
    import subprocess
    import sys
    import time

    room, base = newsroom
    process = subprocess.Popen(
        [sys.executable, "-m", "summarize", "watch", f"{base}/feed.xml", "--every", "1s"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ},
    )
    try:
        deadline = time.monotonic() + 60
        while room.fetched.count("/feed.xml") < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
        time.sleep(0.5)
    finally:
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=30)
    assert room.fetched.count("/feed.xml") >= 2, err
    assert room.fetched.count("/a/8006924.html") == 1  # stored after the first pass
    assert room.fetched.count("/a/missing.html") >= 2  # failed, so tried again
    assert "new threat 1: United States -> Canada [tariffs]" in out
    assert err.count("pass done") >= 2
    assert process.returncode == 143


def test_an_item_already_briefed_by_url_is_not_fetched_again(
    newsroom: tuple[Newsroom, str], private_store: Path
) -> None:
    room, base = newsroom
    first = runner.invoke(app, ["brief", f"{base}/a/8006924.html", "-q"])
    assert first.exit_code == 0, first.stderr
    room.fetched.clear()
    runner.invoke(app, ["watch", f"{base}/feed.xml", "--once"])
    assert "/a/8006924.html" not in room.fetched


def test_a_store_that_cannot_be_written_costs_the_item_this_pass_only(
    newsroom: tuple[Newsroom, str], private_store: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, base = newsroom
    monkeypatch.setattr("summarize.store.db.BUSY_TIMEOUT_MS", 50)
    Store(private_store).close()
    with Store(private_store) as other:  # another process holds the write lock
        other.db.execute("BEGIN IMMEDIATE")
        locked = runner.invoke(app, ["watch", f"{base}/feed.xml", "--once"])
        other.db.execute("ROLLBACK")
    assert f"item {base}/a/8006924.html: not stored (database is locked)" in locked.stderr
    again = runner.invoke(app, ["watch", f"{base}/feed.xml", "--once"])
    assert "new threat 1: United States -> Canada [tariffs]" in again.stdout
