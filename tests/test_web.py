"""Web inputs: saved pages and URLs served from a real loopback HTTP server."""

from __future__ import annotations

import contextlib
import json
import shutil
import socket
import ssl
import subprocess
import threading
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from summarize.articles import read_inputs
from summarize.cli import app
from summarize.data import Article
from summarize.errors import InputError
from summarize.loopback import LoopbackServer, Reply, Request, structured_reply
from summarize.pipeline import clean_article
from tests.conftest import extraction

runner = CliRunner()
PAGE = (Path(__file__).parent / "data" / "voa-8009495.html").read_text(encoding="utf-8")
HTML = {"Content-Type": "text/html; charset=utf-8"}
EMPTY_PAGE = "<html><head><title>Menu</title></head><body><nav>Home | World</nav></body></html>"


class Site:
    """A small web site: an article, a redirect to it, a PDF, an empty page, a 404."""

    def __init__(self) -> None:
        self.routes = {
            "/a/8009495.html": Reply(body=PAGE, headers=HTML),
            "/old-link": Reply(status=301, headers={"Location": "/a/8009495.html"}),
            "/report.pdf": Reply(body=b"%PDF-1.7 ...", headers={"Content-Type": "application/pdf"}),
            "/menu.html": Reply(body=EMPTY_PAGE, headers=HTML),
            "/huge.html": Reply(body="<p>x</p>" * 800_000, headers=HTML),
        }

    def __call__(self, request: Request) -> Reply:
        if request.method == "POST":  # the model, on the same server for the CLI test
            return structured_reply(request, extraction(threats=[], dates=[]))
        return self.routes.get(request.path, Reply(status=404, body="not found", headers=HTML))


@pytest.fixture
def site() -> Iterator[str]:
    with LoopbackServer(Site()) as server:
        yield server.url.removesuffix("/v1")


def test_a_chrome_heavy_page_yields_the_story_with_its_metadata(site: str) -> None:
    """Title, date, site and URL come from the page; nav, share, cookie and footer go."""
    [article] = read_inputs([f"{site}/a/8009495.html"])
    assert isinstance(article, Article)
    assert article.id == "8009495"
    assert article.title == "Trump threatens 200% tariffs on European spirits"
    assert article.published == date(2025, 3, 13)
    assert article.meta["site"] == "Voice of America"
    text = clean_article(article).text
    assert "U.S. President Donald Trump on Thursday threatened the European Union" in text
    assert "very bad for the USA." in text  # the last sentence of the story is kept
    for chrome in ("Accept all cookies", "WhatsApp", "Sign up for our newsletter",
                   "Stocks slide as trade war widens", "Terms of Use", "analytics"):  # fmt: skip
        assert chrome not in text, chrome


def test_a_redirect_is_followed_to_the_article(site: str) -> None:
    """A moved link lands on the article and records where it ended up."""
    [article] = read_inputs([f"{site}/old-link"])
    assert isinstance(article, Article)
    assert article.title == "Trump threatens 200% tariffs on European spirits"


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        ("/missing", "the server answered HTTP 404"),
        ("/report.pdf", "is application/pdf, not a web page"),
        ("/menu.html", "no article text found in the page"),
        ("/huge.html", "the page is larger than 5 MB"),
    ],
)
def test_an_unusable_url_fails_alone_with_its_reason(site: str, path: str, reason: str) -> None:
    """Each bad URL is an InputError naming it; the good one beside it still reads."""
    bad, good = read_inputs([f"{site}{path}", f"{site}/a/8009495.html"])
    assert isinstance(bad, InputError)
    assert str(bad).startswith(f"{site}{path}: ")
    assert reason in str(bad)
    assert isinstance(good, Article)


def test_an_unreachable_host_is_a_clear_error() -> None:
    """Nothing listening: the error says it cannot fetch the URL."""
    [error] = read_inputs(["http://127.0.0.1:9/a/1.html"])
    assert isinstance(error, InputError)
    assert "cannot fetch it" in str(error)


def test_a_saved_html_file_is_read_like_a_page(tmp_path: Path) -> None:
    """A .html file on disk goes through the same extraction; --published still wins."""
    path = tmp_path / "saved.html"
    path.write_text(PAGE, encoding="utf-8")
    [article] = read_inputs([str(path)], published=date(2025, 3, 14))
    assert isinstance(article, Article)
    assert article.title == "Trump threatens 200% tariffs on European spirits"
    assert article.published == date(2025, 3, 14)


def test_brief_accepts_a_url_end_to_end(site: str) -> None:
    """`summarize brief URL` fetches, extracts, cleans and briefs with the page's date."""
    result = runner.invoke(
        app,
        ["brief", f"{site}/a/8009495.html", "--json", "-", "--base-url", f"{site}/v1", "-m", "m"],
    )
    assert result.exit_code == 0, result.stderr
    [brief] = json.loads(result.stdout)
    assert brief["article"]["published"] == "2025-03-13"
    assert brief["article"]["url"].endswith("/8009495.html")  # the page's canonical URL


def test_urls_are_fetched_several_at_a_time_and_kept_in_order(site: str) -> None:
    """Four pages that each wait for another request in flight all read: fetches overlap."""
    both_in_flight = threading.Barrier(2, timeout=5)

    def slow_site(request: Request) -> Reply:
        both_in_flight.wait()  # breaks (and the page 500s) if fetches came one at a time
        return Reply(body=PAGE, headers=HTML)

    with LoopbackServer(slow_site) as server:
        root = server.url.removesuffix("/v1")
        urls = [f"{root}/a/{n}.html" for n in range(4)]
        articles = read_inputs(urls)
    assert [a.id for a in articles if isinstance(a, Article)] == ["0", "1", "2", "3"]


def test_a_url_named_twice_is_fetched_once(site: str) -> None:
    """The same URL given twice is one article and one note, as with files."""
    notes: list[str] = []
    url = f"{site}/a/8009495.html"
    articles = read_inputs([url, url], notes=notes)
    assert len(articles) == 1
    assert notes == [f"{url}: named more than once; read once"]


class Dribbler:
    """A real HTTP server on 127.0.0.1 that sends one byte every `interval` seconds: of
    its headers (`stage="headers"`) or of a 1,000-byte page (`stage="body"`)."""

    def __init__(
        self, stage: str, interval: float = 0.3, tls: ssl.SSLContext | None = None
    ) -> None:
        self.stage, self.interval, self.tls = stage, interval, tls
        self.listener = socket.create_server(("127.0.0.1", 0))
        scheme = "https" if tls else "http"
        self.url = f"{scheme}://127.0.0.1:{self.listener.getsockname()[1]}/a/slow.html"
        self.stop = threading.Event()
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        connection, _ = self.listener.accept()
        if self.tls is not None:
            connection = self.tls.wrap_socket(connection, server_side=True)
        with connection:
            connection.recv(65536)
            head = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 1000\r\n\r\n"
            if self.stage == "body":
                connection.sendall(head)
            trickle = head if self.stage == "headers" else b"x" * 1000
            for byte in trickle:
                if self.stop.wait(self.interval):
                    return
                with contextlib.suppress(OSError):
                    connection.sendall(bytes([byte]))

    def close(self) -> None:
        self.stop.set()
        self.listener.close()


@pytest.mark.parametrize("stage", ["headers", "body"])
def test_a_dribbling_server_is_cut_off_at_the_total_deadline(stage: str) -> None:
    """Each byte comes well within the 20 s read timeout, so only a total deadline ends
    the fetch: it fails, naming the URL and --fetch-timeout, within about 2 s."""
    server = Dribbler(stage)
    try:
        started = time.monotonic()
        [error] = read_inputs([server.url], fetch_timeout=2)
        elapsed = time.monotonic() - started
    finally:
        server.close()
    assert isinstance(error, InputError)
    assert str(error).startswith(f"{server.url}: the page did not arrive within 2 s")
    assert "--fetch-timeout" in str(error)
    assert 1.9 <= elapsed < 3.5


def test_the_deadline_holds_over_https(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The same watchdog ends a TLS connection that dribbles its body."""
    if shutil.which("openssl") is None:
        pytest.skip("needs the openssl command to make a certificate")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    self_signed = ["-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1"]
    files = ["-keyout", str(key), "-out", str(cert), "-addext", "subjectAltName=IP:127.0.0.1"]
    subprocess.run(["openssl", "req", *self_signed, *files], check=True, capture_output=True)
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))  # trusted by the client's default context
    tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    tls.load_cert_chain(cert, key)
    server = Dribbler("body", tls=tls)
    try:
        started = time.monotonic()
        [error] = read_inputs([server.url], fetch_timeout=2)
        elapsed = time.monotonic() - started
    finally:
        server.close()
    assert str(error).startswith(f"{server.url}: the page did not arrive within 2 s")
    assert 1.9 <= elapsed < 3.5


@pytest.mark.parametrize(
    ("status", "target"),
    [(302, "ftp://127.0.0.1/story.txt"), (308, "file:///etc/passwd"), (301, "gopher://x/1")],
)
def test_a_redirect_away_from_the_web_is_refused_by_name(
    site: str, status: int, target: str
) -> None:
    """Only http(s) redirects are followed; any other scheme fails that URL, named."""
    with LoopbackServer(lambda r: Reply(status=status, headers={"Location": target})) as server:
        url = server.url.removesuffix("/v1") + "/moved"
        [error, good] = read_inputs([url, f"{site}/a/8009495.html"])
    assert isinstance(error, InputError)
    assert str(error) == f"{url}: redirects to {target}, which is not an http(s) URL; refused"
    assert isinstance(good, Article)


def test_articles_brief_while_a_slow_url_is_still_coming_in(tmp_path: Path) -> None:
    """The first input is a page that takes 3 s; the two local articles after it are sent
    to the model before it arrives. Results stay in input order."""
    events: list[tuple[float, str]] = []
    lock = threading.Lock()

    def site(request: Request) -> Reply:
        with lock:
            events.append((time.monotonic(), request.method))
        if request.method == "POST":
            return structured_reply(request, extraction(threats=[], dates=[]))
        return Reply(body=PAGE, headers=HTML, delay=3.0)

    stories = []
    for name in ("b", "c"):
        stories.append(tmp_path / f"{name}.txt")
        stories[-1].write_text(f"Story {name}. Ministers of two states met on Monday to talk.")
    with LoopbackServer(site) as server:
        root = server.url.removesuffix("/v1")
        model = ["--base-url", server.url, "-m", "m", "--no-cache"]
        inputs = [f"{root}/a/8009495.html", *map(str, stories)]
        result = runner.invoke(app, ["brief", *inputs, "--json", "-", *model])
    assert result.exit_code == 0, result.stderr
    assert [b["article"]["id"] for b in json.loads(result.stdout)] == ["8009495", "b", "c"]
    [page_asked] = [when for when, method in events if method == "GET"]
    model_calls = [when for when, method in events if method == "POST"]
    assert len(model_calls) == 3
    assert sum(when < page_asked + 3.0 for when in model_calls) == 2  # b and c, not waiting


def test_the_cli_takes_fetch_timeout_and_max_input_bytes_for_urls(site: str) -> None:
    """Both flags reach the fetch: a dribbling page fails at --fetch-timeout, a page over
    --max-input-bytes fails by size, and the article beside them is briefed (exit 1)."""
    slow = Dribbler("body")
    try:
        started = time.monotonic()
        urls = [slow.url, f"{site}/huge.html", f"{site}/a/8009495.html"]
        limits = ["--fetch-timeout", "2", "--max-input-bytes", "1000000"]
        model = ["--base-url", f"{site}/v1", "-m", "m", "--no-cache", "--json", "-"]
        result = runner.invoke(app, ["brief", *urls, *limits, *model])
        elapsed = time.monotonic() - started
    finally:
        slow.close()
    assert result.exit_code == 1
    first, second, third = json.loads(result.stdout)
    assert "did not arrive within 2 s" in first["error"]["message"]
    assert "larger than 1 MB (--max-input-bytes)" in second["error"]["message"]
    assert "summary" in third
    assert elapsed < 10
