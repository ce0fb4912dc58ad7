"""The review page: written by `brief --html` and `report --html`, self-contained, every
piece of article text escaped, highlights on the text they quote."""

from __future__ import annotations

import json
import time
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from summarize.articles import article_from_text
from summarize.clean import clean
from summarize.cli import app
from summarize.loopback import LoopbackServer, QueueResponder, RoutingResponder
from summarize.review import page_for, render
from summarize.schema import Brief, ResolvedDate
from tests.chromium import Browser, chromium_path
from tests.conftest import ROOT, SEEDS

runner = CliRunner()
GOLD_ANSWERS = ROOT / "evals" / "responses" / "gold"


def gold_answer(article_id: str) -> dict[str, Any]:
    stored = json.loads((GOLD_ANSWERS / f"{article_id}.json").read_text(encoding="utf-8"))
    return dict(stored["exchanges"][0]["payload"])


def seed_gold_answers(server: LoopbackServer) -> None:
    """Each seed answered with its hand-labelled gold brief, routed by its opening words."""
    routes = {}
    for seed in sorted(SEEDS.glob("*.txt")):
        opening = clean(seed.read_text(encoding="utf-8")).text[:120]
        routes[opening] = QueueResponder([gold_answer(seed.stem)] * 3)
    server.responder = RoutingResponder(routes)


class Page(HTMLParser):
    """The parts of the page a test checks: marks with their text, the article text
    divs, script and external references."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.marks: list[tuple[dict[str, str | None], str]] = []
        self.texts: list[str] = []
        self.scripts = 0
        self.external: list[str] = []
        self._stack: list[str] = []
        self._mark: dict[str, str | None] | None = None
        self._mark_text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "script":
            self.scripts += 1
            if found.get("src"):
                self.external.append(str(found["src"]))
        if tag in {"link", "img", "iframe", "object", "embed"}:
            self.external.append(tag)
        if tag == "div" and found.get("class") == "text":
            self.texts.append("")
            self._stack.append("text")
        elif tag == "div" and self._stack:
            self._stack.append("div")
        if tag == "mark":
            self._mark, self._mark_text = found, []

    def handle_endtag(self, tag: str) -> None:
        if tag == "div" and self._stack:
            self._stack.pop()
        if tag == "mark" and self._mark is not None:
            self.marks.append((self._mark, "".join(self._mark_text)))
            self._mark = None

    def handle_data(self, data: str) -> None:
        if self._stack and self._stack[-1] == "text":
            self.texts[-1] += data
        if self._mark is not None:
            self._mark_text.append(data)


def parse(html: str) -> Page:
    page = Page()
    page.feed(html)
    page.close()
    return page


HOSTILE = (
    "Minister says </textarea><script>alert('owned')</script> is not a threat.\n\n"
    'The ministry said: "We will impose sanctions on <b>Acme</b> by Friday if talks fail."\n\n'
    "Share on Facebook\n"
)


def hostile_brief() -> Brief:
    return Brief.model_validate(
        {
            "summary": "A minister <img src=x onerror=alert(1)> spoke.",
            "threats": [
                {
                    "issuer": "Ministry <script>",
                    "targets": ["<b>Acme</b>"],
                    "action": "impose sanctions",
                    "category": "sanctions",
                    "conditions": ["if talks fail"],
                    "deadline": {"text": "Friday", "date": "2025-03-14", "event": "deadline"},
                    "evidence": [
                        "We will impose sanctions on <b>Acme</b>",
                        "</textarea><script>alert('owned')</script>",
                    ],
                }
            ],
            "actors": [],
            "dates": [{"text": "Friday", "date": "2025-03-14", "event": "talks end"}],
            "article": {
                "id": "x",
                "source": "x.txt",
                "title": "<script>alert('title')</script>",
                "chars_raw": 1,
                "chars_clean": 1,
            },
            "run": {"provider": "p", "model": "m", "prompt_version": "v"},
            "grounding": {"grounded": False, "ungrounded": ["invented <i>quote</i>"]},
            "warnings": ["possible prompt injection (instruction override): <script>"],
        }
    )


def test_article_text_with_script_and_textarea_shows_as_text() -> None:
    """Markup in the article, the brief and the warnings is escaped: the page's one
    script is its own, and the hostile text reads back, as text, exactly."""
    html = render([page_for(hostile_brief(), HOSTILE, "a-x")])
    page = parse(html)
    assert page.scripts == 1  # the page's own
    assert "<script>alert" not in html
    assert "</textarea>" not in html
    assert "<b>Acme" not in html
    assert "<img" not in html
    assert "&lt;script&gt;alert(&#39;owned&#39;)&lt;/script&gt;" in html
    cleaned = clean(HOSTILE).text
    assert page.texts == [cleaned]  # the text reads back unchanged, markup and all
    marked = {text for _, text in page.marks}
    assert "</textarea><script>alert('owned')</script>" in marked


def test_every_highlight_sits_on_the_text_it_quotes_in_its_threat_colour() -> None:
    brief = hostile_brief()
    page_data = page_for(brief, HOSTILE, "a-x")
    page = parse(render([page_data]))
    text = page.texts[0]
    position = 0
    by_token: dict[str, str] = {}
    for attrs, marked in page.marks:
        position = text.index(marked, position)
        for token in str(attrs["data-marks"]).split():
            by_token[token] = by_token.get(token, "") + marked
    assert by_token["t0-evidence-0"] == "We will impose sanctions on <b>Acme</b>"
    assert by_token["t0-condition-0"] == "if talks fail"
    assert by_token["t0-deadline-0"] == "Friday"
    assert by_token["d-date-0"] == "Friday"  # the same words, marked for both
    evidence = next(a for a, t in page.marks if "t0-evidence-0" in str(a["data-marks"]))
    assert "--colour: #e6194b" in str(evidence["style"])


def test_the_page_loads_nothing_and_shows_removed_lines_and_warnings_loudly() -> None:
    html = render([page_for(hostile_brief(), HOSTILE, "a-x")])
    page = parse(html)
    assert page.external == []
    assert "default-src 'none'" in html  # the browser refuses any fetch the page tries
    assert "removed by cleaning (1 line(s))" in html
    assert "[share button]</span> Share on Facebook" in html
    assert 'class="loud ungrounded"' in html
    assert "invented &lt;i&gt;quote&lt;/i&gt;" in html
    assert 'class="loud warning injection"' in html
    assert 'class="tl-point deadline"' in html  # Friday, 2025-03-14, on the timeline


def test_brief_html_and_report_from_saved_briefs_show_the_same_highlights(
    model_env: LoopbackServer, tmp_path: Path, monkeypatch: Any
) -> None:
    """`brief --html` writes the page; `report` rebuilds it from the JSONL, the articles
    read again from their files, and from the JSONL alone with --embed-text."""
    seed_gold_answers(model_env)
    monkeypatch.chdir(ROOT)
    jsonl, embedded = tmp_path / "briefs.jsonl", tmp_path / "embedded.jsonl"
    direct, again, alone = (
        tmp_path / "direct.html",
        tmp_path / "again.html",
        tmp_path / "alone.html",
    )
    result = runner.invoke(
        app, ["brief", "seeds", "--jsonl", str(jsonl), "--html", str(direct), "-q"]
    )
    assert result.exit_code == 0, result.stderr
    result = runner.invoke(app, ["report", str(jsonl), "--html", str(again)])
    assert result.exit_code == 0, result.stderr
    result = runner.invoke(app, ["brief", "seeds", "--jsonl", str(embedded), "--embed-text", "-q"])
    assert result.exit_code == 0, result.stderr
    records = [json.loads(line) for line in embedded.read_text().splitlines()]
    assert all(r["article"]["text"] for r in records)
    monkeypatch.chdir(tmp_path)  # the seeds' relative paths no longer lead anywhere
    result = runner.invoke(app, ["report", str(embedded), "--html", str(alone)])
    assert result.exit_code == 0, result.stderr
    pages = [parse(path.read_text(encoding="utf-8")) for path in (direct, again, alone)]
    assert len(pages[0].texts) == 3
    marks = [sorted((str(a["data-marks"]), t) for a, t in p.marks) for p in pages]
    assert marks[0] == marks[1] == marks[2]  # the JSONL is in finishing order
    assert ("t0-evidence-1", "We will not hesitate to do so in the future.") in marks[0]


def test_report_without_the_article_says_so_loudly(tmp_path: Path) -> None:
    saved = hostile_brief().model_dump(mode="json")
    saved["article"]["source"] = "<stdin>"
    (tmp_path / "b.jsonl").write_text(json.dumps(saved) + "\n", encoding="utf-8")
    result = runner.invoke(
        app, ["report", str(tmp_path / "b.jsonl"), "--html", str(tmp_path / "r.html")]
    )
    assert result.exit_code == 0, result.stderr
    assert "--embed-text" in result.stderr
    html = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert "Text not shown: &lt;stdin&gt;: an article read from standard input" in html


def test_report_of_a_file_that_holds_no_briefs_is_one_line_and_exit_2(tmp_path: Path) -> None:
    bad = tmp_path / "notes.jsonl"
    bad.write_text("not json\n", encoding="utf-8")
    result = runner.invoke(app, ["report", str(bad), "--html", str(tmp_path / "r.html")])
    assert result.exit_code == 2
    assert "notes.jsonl: not a JSON array or JSON lines" in result.stderr
    assert not (tmp_path / "r.html").exists()


def test_a_failure_is_listed_in_the_index() -> None:
    from summarize.results import Failure

    article = article_from_text("Some story.", id="s", source="s.txt")
    html = render([], [Failure(article.id, article.source, "provider", "HTTP 503 <x>")])
    assert "failed: HTTP 503 &lt;x&gt;" in html


# --- In a real browser ---------------------------------------------------------------------

CHROMIUM = chromium_path()
needs_chromium = pytest.mark.skipif(
    CHROMIUM is None,
    reason="chromium is not installed (Debian: apt-get install -y chromium); "
    "the review page is not checked in a real browser",
)

# Each article's text, and each highlight's item tokens and [start, end) within it.
READ_MARKS = """
[...document.querySelectorAll("section.article")].map(section => {
  const text = section.querySelector(".text");
  return {
    id: section.id,
    text: text.textContent,
    marks: [...text.querySelectorAll("mark")].map(mark => {
      const before = document.createRange();
      before.setStart(text, 0);
      before.setEndBefore(mark);
      const start = before.toString().length;
      return [mark.dataset.marks, start, start + mark.textContent.length];
    }),
  };
})
"""


def expected_marks(brief: Brief) -> dict[str, set[tuple[int, int]]]:
    """Every item's spans by the token the page marks it with."""
    spans: dict[str, set[tuple[int, int]]] = {}
    for n, threat in enumerate(brief.threats):
        for kind, items in (
            ("evidence", threat.evidence_spans),
            ("condition", threat.condition_spans),
        ):
            for i, item in enumerate(items):
                spans[f"t{n}-{kind}-{i}"] = set(item.spans)
        if threat.deadline is not None:
            spans[f"t{n}-deadline-0"] = set(threat.deadline.spans)
    for i, when in enumerate(brief.dates):
        spans[f"d-date-{i}"] = set(when.spans)
    return {token: found for token, found in spans.items() if found}


def covered(marks: list[tuple[str, int, int]]) -> dict[str, set[tuple[int, int]]]:
    """The spans each token's highlights cover, adjacent pieces joined."""
    pieces: dict[str, list[tuple[int, int]]] = {}
    for tokens, start, end in marks:
        for token in tokens.split():
            pieces.setdefault(token, []).append((start, end))
    joined: dict[str, set[tuple[int, int]]] = {}
    for token, parts in pieces.items():
        runs: list[tuple[int, int]] = []
        for start, end in sorted(parts):
            if runs and runs[-1][1] == start:
                runs[-1] = (runs[-1][0], end)
            else:
                runs.append((start, end))
        joined[token] = set(runs)
    return joined


@needs_chromium
def test_the_seeds_page_in_headless_chromium(
    model_env: LoopbackServer, tmp_path: Path, monkeypatch: Any
) -> None:
    """Highlights cover exactly the spans of the brief, a click on a card scrolls its
    quotes into view and flashes them, nothing is logged as an error, nothing fetched."""
    seed_gold_answers(model_env)
    monkeypatch.chdir(ROOT)
    html, jsonl = tmp_path / "seeds.html", tmp_path / "seeds.jsonl"
    result = runner.invoke(
        app, ["brief", "seeds", "--html", str(html), "--jsonl", str(jsonl), "-q"]
    )
    assert result.exit_code == 0, result.stderr
    briefs = {
        b.article.id: b
        for b in (Brief.model_validate_json(line) for line in jsonl.read_text().splitlines())
    }
    url = html.resolve().as_uri()
    assert CHROMIUM is not None
    with Browser(CHROMIUM, width=1280, height=600) as browser:
        browser.open(url)
        articles = browser.evaluate(READ_MARKS)
        assert len(articles) == 3
        for article in articles:
            brief = briefs[article["id"].removeprefix("a-")]
            raw = (ROOT / brief.article.source).read_text(encoding="utf-8")
            assert article["text"] == clean(raw).text
            assert covered(article["marks"]) == expected_marks(brief)
        assert covered(articles[0]["marks"])["t0-evidence-1"]  # the seed's quote is marked

        # Scroll to the end of the first article: its card stays in view (sticky), its
        # first quote is above the window. A real click on the card brings it back.
        state = browser.evaluate(CLICK_SETUP)
        assert state["markTop"] < 0, state
        browser.click(state["x"], state["y"])
        time.sleep(0.3)
        after = browser.evaluate(AFTER_CLICK)
        assert after["scrollY"] < state["scrollY"]
        assert 0 <= after["markTop"] < after["innerHeight"]
        assert after["flashing"] >= 2  # both of the threat's highlighted quotes flash

        # The timeline: a real click on a dated point flashes that date in its article.
        browser.evaluate(UNFLASH)
        point = browser.evaluate(TIMELINE_POINT)
        flashed = FLASHED.replace("ARTICLE", point["article"]).replace("TOKEN", point["token"])
        assert browser.evaluate(flashed) == 0
        browser.click(point["x"], point["y"])
        time.sleep(0.3)
        assert browser.evaluate(flashed) >= 1

        assert browser.problems() == []
        assert browser.requests() == [url]  # the page itself, and nothing else


CLICK_SETUP = """
(() => {
  const section = document.querySelector("section.article");
  window.scrollTo(0, section.offsetTop + section.offsetHeight - window.innerHeight);
  const card = section.querySelector(".card").getBoundingClientRect();
  const mark = section.querySelector("mark[data-marks~='t0-evidence-0']");
  return {x: card.left + card.width / 2, y: card.top + 20, scrollY: window.scrollY,
          markTop: mark.getBoundingClientRect().top};
})()
"""
TIMELINE_POINT = """
(() => {
  document.getElementById("timeline").scrollIntoView();
  const point = document.querySelector(".tl-point[data-token^='d-date']");
  const box = point.getBoundingClientRect();
  const x = box.left + Math.min(box.width / 2, 3), y = box.top + box.height / 2;
  // Points of one day may overlap: the click lands on whichever is drawn on top.
  const hit = document.elementFromPoint(x, y).closest(".tl-point");
  return {x: x, y: y, token: hit.dataset.token, article: hit.dataset.article};
})()
"""
UNFLASH = "document.querySelectorAll('mark.flash').forEach(m => m.classList.remove('flash'))"
FLASHED = """
document.querySelectorAll("#ARTICLE mark.flash[data-marks~='TOKEN']").length
"""
AFTER_CLICK = """
(() => {
  const section = document.querySelector("section.article");
  const mark = section.querySelector("mark[data-marks~='t0-evidence-0']");
  return {scrollY: window.scrollY, innerHeight: window.innerHeight,
          markTop: mark.getBoundingClientRect().top,
          flashing: section.querySelectorAll("mark.flash").length};
})()
"""


@needs_chromium
def test_hostile_markup_runs_nothing_in_the_browser(tmp_path: Path) -> None:
    """The article's <script> is text on the page: no dialog opens, no extra element."""
    page = tmp_path / "hostile.html"
    page.write_text(render([page_for(hostile_brief(), HOSTILE, "a-x")]), encoding="utf-8")
    assert CHROMIUM is not None
    with Browser(CHROMIUM) as browser:
        browser.open(page.resolve().as_uri())
        counts = browser.evaluate(
            "[document.scripts.length, document.images.length,"
            " document.querySelectorAll('b').length]"
        )
        assert counts == [1, 0, 0]
        assert "<script>alert('owned')</script>" in browser.evaluate(
            "document.querySelector('.text').textContent"
        )
        assert not any(e["method"] == "Page.javascriptDialogOpening" for e in browser.events)
        assert browser.problems() == []


def test_the_timeline_puts_each_deadline_on_its_issuers_row_and_pins_old_history() -> None:
    """A deadline goes on its issuer's row, the article's dates too; a date decades
    before the news is pinned to the axis's edge and labelled, not allowed to squeeze it."""
    brief = hostile_brief()
    brief.article.published = "2025-03-10"
    brief.dates.append(ResolvedDate(text="1953", date="1953", event="armistice"))
    other = hostile_brief().model_copy(deep=True)
    other.threats, other.article.id, other.article.published = [], "y", "2025-01-02"
    html = render([page_for(brief, HOSTILE, "a-x"), page_for(other, HOSTILE, "a-y")])
    rows = timeline_rows(html)
    assert set(rows) == {"Ministry <script>", "(no threat)"}
    ministry = rows["Ministry <script>"]
    deadline = next(p for p in ministry if "deadline" in p["class"])
    assert deadline["title"].startswith("2025-03-14: deadline")
    assert deadline["data-token"] == "t0-deadline-0"
    pinned = next(p for p in ministry if "tl-pinned before" in p["class"])
    assert pinned["text"] == "\u25c0\u00a01 earlier"
    assert pinned["title"] == "1953: armistice\n"
    assert all("1953" not in p.get("title", "") for p in ministry if p is not pinned)
    assert [p["data-article"] for p in rows["(no threat)"]] == ["a-y"]


def timeline_rows(html: str) -> dict[str, list[dict[str, str]]]:
    """Each timeline row's issuer and its points' attributes (and text)."""

    class Rows(HTMLParser):
        def __init__(self) -> None:
            super().__init__(convert_charrefs=True)
            self.rows: dict[str, list[dict[str, str]]] = {}
            self.issuer: str | None = None
            self.reading: str | None = None

        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            found = {k: v or "" for k, v in attrs}
            if found.get("class") == "tl-issuer":
                self.reading = "issuer"
            elif found.get("class", "").startswith("tl-p") and self.issuer is not None:
                self.rows[self.issuer].append({**found, "text": ""})
                self.reading = "point"

        def handle_endtag(self, tag: str) -> None:
            self.reading = None

        def handle_data(self, data: str) -> None:
            if self.reading == "issuer":
                self.issuer = data
                self.rows[data] = []
            elif self.reading == "point" and self.issuer is not None:
                self.rows[self.issuer][-1]["text"] += data

    parser = Rows()
    parser.feed(html.split('<h2 id="timeline">')[1].split("</div>\n\n", maxsplit=1)[0])
    return parser.rows


def test_only_a_web_address_becomes_a_link() -> None:
    """A header's url is the article's to set: a javascript: address is shown as no link."""
    brief = hostile_brief()
    brief.article.url = "javascript:alert(1)"
    html = render([page_for(brief, HOSTILE, "a-x")])
    assert "javascript:" not in html
    brief.article.url = "https://www.voanews.com/a/1.html"
    assert 'href="https://www.voanews.com/a/1.html"' in render([page_for(brief, HOSTILE, "a-x")])


def test_report_reads_an_article_again_from_its_line_of_a_corpus_and_takes_a_json_array(
    model_env: LoopbackServer, tmp_path: Path
) -> None:
    """A brief of a JSONL corpus names its source 'corpus.jsonl:N'; the report reads that
    line again. A --json array works as well as JSON lines."""
    seed_gold_answers(model_env)
    seed = sorted(SEEDS.glob("*.txt"))[0]
    corpus = tmp_path / "corpus.jsonl"
    story = {"id": "story", "text": seed.read_text(encoding="utf-8"), "title": "T"}
    corpus.write_text("\n" + json.dumps(story) + "\n", encoding="utf-8")  # line 2
    saved, page = tmp_path / "briefs.json", tmp_path / "r.html"
    result = runner.invoke(app, ["brief", str(corpus), "--json", str(saved), "-q"])
    assert result.exit_code == 0, result.stderr
    assert json.loads(saved.read_text())[0]["article"]["source"] == f"{corpus}:2"
    result = runner.invoke(app, ["report", str(saved), "--html", str(page)])
    assert result.exit_code == 0, result.stderr
    shown = parse(page.read_text(encoding="utf-8"))
    assert shown.texts == [clean(story["text"]).text]
    assert ("t0-evidence-1", "We will not hesitate to do so in the future.") in [
        (a["data-marks"], t) for a, t in shown.marks
    ]


def test_a_date_not_in_the_article_says_so() -> None:
    brief = hostile_brief()
    brief.dates.append(ResolvedDate(text="next month", date="2025-04", event="talks resume"))
    html = render([page_for(brief, HOSTILE, "a-x")])
    assert (
        "&ldquo;next month&rdquo; &rarr; 2025-04: talks resume "
        '<span class="missing">(not found in the article)</span>'
    ) in html
    assert 'data-token="d-date-0"' in html  # Friday is in the text: a click shows it
    assert 'data-token="d-date-1"' not in html


def test_a_failure_record_of_any_shape_is_read_as_a_failure(tmp_path: Path) -> None:
    """A JSON file handed to the review page may have been edited: a failure whose
    `error` is a bare string, or whose article is missing, is still a named failure."""
    from summarize.results import Failure
    from summarize.review import read_results

    path = tmp_path / "briefs.json"
    path.write_text(json.dumps([{"error": "timed out"}, {"article": "x", "error": None}]))
    first, second = read_results(path)
    assert isinstance(first, Failure)
    assert (first.source, first.message) == ("?", "timed out")
    assert isinstance(second, Failure)
    assert second.kind == "error"
