"""Markdown reports and CSV rows: what an analyst pastes into a memo or a spreadsheet."""

from __future__ import annotations

import csv
from pathlib import Path

from typer.testing import CliRunner

from summarize.cli import app
from summarize.formats import CSV_COLUMNS, markdown_report
from summarize.loopback import LoopbackServer, QueueResponder, Reply, RoutingResponder
from summarize.schema import ArticleMeta, Brief, RunInfo, Threat
from summarize.spans import CONTEXT_CHARS, in_context
from tests.conftest import extraction

runner = CliRunner()
STORY = (
    "---\ntitle: Tariffs | and trade\npublished: 2025-03-11\n"
    "url: https://www.voanews.com/a/8006924.html\n---\n"
    "Story one. If other tariffs are not dropped by Canada, I will substantially increase, "
    "on April 2nd, the Tariffs on Cars coming into the U.S., Trump said. "
    "Ontario said it would cut power.\n"
)
THREATS = [
    {
        "issuer": "United States",
        "speaker": "President Donald Trump",
        "targets": ["Canada"],
        "action": "increase the tariffs on cars",
        "category": "tariffs",
        "conditions": ["If other tariffs are not dropped by Canada"],
        "deadline": "April 2nd",
        "evidence": ["I will substantially increase, on April 2nd, the Tariffs on Cars"],
    },
    {
        "issuer": "Ontario",
        "speaker": None,
        "targets": ["United States", "Michigan"],
        "action": "cut power",
        "category": "other",
        "conditions": [],
        "deadline": None,
        "evidence": ["Ontario said it would cut power."],
    },
]


def run(tmp_path: Path, *flags: str) -> tuple[int, str, str]:
    (tmp_path / "one.txt").write_text(STORY)
    (tmp_path / "two.txt").write_text("Story two. Ministers met and talked.\n")
    (tmp_path / "three.txt").write_text("Story three. Nothing to see.\n")
    routes = {
        "Story one.": QueueResponder([extraction(threats=THREATS, dates=[])]),
        "Story two.": QueueResponder([extraction(threats=[], dates=[])]),
        "Story three.": QueueResponder([Reply(status=404, body={"error": {"message": "x"}})]),
    }
    with LoopbackServer(RoutingResponder(routes)) as server:
        result = runner.invoke(
            app,
            ["brief", *(str(tmp_path / f"{n}.txt") for n in ("one", "two", "three")), *flags],
            env={"OPENAI_BASE_URL": server.url, "SUMMARIZE_MODEL": "m"},
        )
    return result.exit_code, result.stdout, result.stderr


def test_csv_has_one_row_per_threat_with_lists_joined(tmp_path: Path) -> None:
    """Two threats, one threat-free article and one failure give a header and two rows."""
    out = tmp_path / "threats.csv"
    code, _, _ = run(tmp_path, "--csv", str(out), "-q")
    assert code == 1  # story three failed; the CSV still holds the others
    with out.open(newline="", encoding="utf-8") as stream:
        reader = csv.DictReader(stream)
        rows = list(reader)
    assert tuple(reader.fieldnames or ()) == CSV_COLUMNS
    assert [r["issuer"] for r in rows] == ["United States", "Ontario"]
    first, second = rows
    assert first["article_id"] == "one"
    assert first["title"] == "Tariffs | and trade"
    assert first["published"] == "2025-03-11"
    assert first["deadline"] == "2025-04-02"
    assert first["conditions"] == "If other tariffs are not dropped by Canada"
    assert first["evidence"].startswith("I will substantially increase")
    assert second["targets"] == "United States; Michigan"
    assert second["speaker"] == ""


def test_markdown_report_has_a_linked_section_per_article_and_lists_failures(
    tmp_path: Path,
) -> None:
    """--format md prints a report: linked headings, a threat table, failures at the end."""
    code, stdout, _ = run(tmp_path, "--format", "md")
    assert code == 1
    assert stdout.startswith("# Threat briefs\n\n2 article(s) briefed, 1 failed.")
    assert "## [Tariffs \\| and trade](https://www.voanews.com/a/8006924.html)" in stdout
    assert "| United States | President Donald Trump | Canada | increase the tariffs on cars |" in (
        stdout
    )
    assert "| 2025-04-02 |" in stdout
    assert "No threats." in stdout
    assert "## Failed" in stdout
    assert "three.txt" in stdout.split("## Failed")[1]
    assert "\u256d" not in stdout  # no terminal panel drawing in a Markdown report


def test_markdown_report_shows_each_quote_in_context_from_its_span(tmp_path: Path) -> None:
    """A few words either side of each evidence quote, the quote in bold."""
    _, stdout, _ = run(tmp_path, "--format", "md")
    assert (
        "> \u2026 tariffs are not dropped by Canada, **I will substantially increase, on "
        "April 2nd, the Tariffs on Cars** coming into the U.S., Trump said. \u2026"
    ) in stdout
    assert "> \u2026 coming into the U.S., Trump said. **Ontario said it would cut power.**\n" in (
        stdout
    )


def test_markdown_report_flags_a_quote_not_found_and_counts_repeats() -> None:
    brief = _brief("He said no. Later he said no. The rest.", evidence=["he said no.", "invented"])
    report = markdown_report([brief], {"a": "He said no. Later he said no. The rest."})
    assert "> He said no. Later **he said no.** The rest.\n" in report  # case as written
    assert "> \u201cinvented\u201d *(not found in the article)*" in report
    found_twice = _brief("A b. A b.", evidence=["A b."])
    assert "*(found 2 times)*" in markdown_report([found_twice], {"a": "A b. A b."})


def test_markdown_report_escapes_markup_in_article_and_brief() -> None:
    text = "Intro words here. They said <script>alert(1)</script> | *loudly* today."
    brief = _brief(text, evidence=["<script>alert(1)</script> | *loudly*"], title="<b>T</b>")
    report = markdown_report([brief], {"a": text})
    assert "<script>" not in report
    assert "<b>" not in report
    assert "**\\<script\\>alert(1)\\</script\\> \\| \\*loudly\\***" in report
    brief.article.url = "javascript:alert(1)"
    assert "javascript:" not in markdown_report([brief])


def test_a_quote_in_context_keeps_the_words_and_says_where_the_text_goes_on() -> None:
    text = "one two three four five QUOTE six seven"
    start = text.index("QUOTE")
    assert in_context(text, (start, start + 5), words=2) == (
        "\u2026 four five ",
        "QUOTE",
        " six seven",
    )
    assert in_context("abcQUOTEdef", (3, 8), words=3) == ("abc", "QUOTE", "def")
    # the rest of a word the quote ends in ('.' of 'failed.') is shown but not counted
    text = "He said it failed. Then more words"
    start = text.index("failed")
    assert in_context(text, (start, start + 6), words=2) == (
        "\u2026 said it ",
        "failed",
        ". Then more \u2026",
    )


def test_a_quote_in_context_reads_a_bounded_stretch_of_text_either_side() -> None:
    """Text without spaces (Chinese) or a long link is one 'word': each side shows at most
    CONTEXT_CHARS characters of it, never the whole paragraph, and a word cut at that
    bound is left out when other words are nearer."""
    sentence = "美国国务院发言人周一表示如果朝鲜向俄罗斯提供武器美国将毫不犹豫地实施新的制裁"
    text = sentence * 20
    start = text.index("美国将毫不犹豫", len(text) // 2)
    lead, quote, trail = in_context(text, (start, start + 7))
    assert quote == "美国将毫不犹豫"
    assert lead.startswith("\u2026 ")
    assert len(lead) == CONTEXT_CHARS + 2
    assert trail.endswith(" \u2026")
    assert len(trail) == CONTEXT_CHARS + 2
    assert text[start - CONTEXT_CHARS : start] == lead[2:]
    link = "https://example.com/" + "a" * 300
    text = f"See {link} for details. He said QUOTE and then {link} and more."
    start = text.index("QUOTE")
    assert in_context(text, (start, start + 5)) == (
        "\u2026 for details. He said ",
        "QUOTE",
        " and then \u2026",
    )


def _brief(text: str, *, evidence: list[str], title: str = "T") -> Brief:
    from summarize.clean import clean
    from summarize.spans import locate

    threat = Threat(issuer="X", targets=["Y"], action="act", category="other", evidence=evidence)
    brief = Brief(
        summary="s",
        threats=[threat],
        actors=[],
        dates=[],
        article=ArticleMeta(id="a", source="a.txt", title=title, chars_raw=1, chars_clean=1),
        run=RunInfo(provider="p", model="m", prompt_version="v"),
    )
    locate(brief.threats, brief.dates, clean(text).text, text)
    return brief
