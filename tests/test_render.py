"""The terminal view: each threat with its evidence and grounding, at 80 and 120 columns,
every field printed as the text it is."""

from __future__ import annotations

from typing import Any

import pytest
from rich.console import Console
from typer.testing import CliRunner

from summarize.clean import clean
from summarize.cli import app
from summarize.loopback import LoopbackServer, QueueResponder
from summarize.render import print_brief, shorten
from summarize.schema import Brief, Located
from summarize.spans import locate
from tests.conftest import extraction

SHORT_QUOTE = "We will not hesitate to do so in the future."
LONG_QUOTE = (
    "The United States has taken a number of actions to expose and disrupt arms deals "
    "between the DPRK and Russia and we will not hesitate to do so in the future, Miller "
    "told a regular briefing in Washington on Monday when asked about the talks."
)
CONDITION = "if North Korea supplies arms to Russia"


def make_brief(**changes: Any) -> Brief:
    data = extraction()
    threat = data["threats"][0]
    threat["conditions"] = [CONDITION]
    threat["deadline"] = {"text": "Monday", "date": "2023-09-04", "event": "the deadline"}
    threat["evidence"] = [SHORT_QUOTE, LONG_QUOTE]
    data["dates"] = [
        {"text": "Monday", "date": "2023-09-04", "event": "Miller spoke at the briefing"},
        {"text": "last week", "date": None, "event": "Shoigu arrived in Pyongyang"},
    ]
    data["article"] = {
        "id": "000",
        "source": "seeds/000_5f29edb56438c667.txt",
        "title": "US warns North Korea over arms talks with Russia",
        "published": "2023-09-05",
        "chars_raw": 3000,
        "chars_clean": 2800,
    }
    data["run"] = {
        "provider": "openai",
        "model": "gpt-4o-mini",
        "prompt_version": "brief-v2",
        "input_tokens": 1234,
        "output_tokens": 321,
        "attempts": 1,
        "seconds": 2.3,
    }
    data["grounding"] = {"grounded": True, "ungrounded": []}
    for key, value in changes.items():
        data[key] = value if not isinstance(value, dict) else {**data[key], **value}
    return Brief.model_validate(data)


def render(brief: Brief, width: int) -> str:
    console = Console(width=width, record=True, force_terminal=False)
    print_brief(console, brief)
    return console.export_text()


def flat(text: str) -> str:
    """The text without the panel's borders and line breaks, to search across wraps."""
    lines = [line.strip().strip("│╭╮╰╯─").strip() for line in text.splitlines()]
    return " ".join(" ".join(lines).split())


@pytest.mark.parametrize("width", [80, 120])
def test_each_threat_shows_its_evidence_and_that_it_was_found(width: int) -> None:
    """Under the threat: its action, condition, deadline and every evidence quote, each
    ticked as found in the article; a long quote is cut at a word with an ellipsis."""
    text = render(make_brief(), width)
    words = flat(text)
    assert f"\u2713 \u201c{SHORT_QUOTE}\u201d" in words
    assert f"\u2713 \u201c{CONDITION}\u201d" in words
    assert f"\u2713 \u201c{shorten(LONG_QUOTE)}\u201d" in words
    assert shorten(LONG_QUOTE).endswith("\u2026")
    assert LONG_QUOTE not in words
    assert LONG_QUOTE[: len(shorten(LONG_QUOTE)) - 10] in words
    assert "Grounded: every quote and condition was found in the article." in words
    for label in ("action", "speaker", "condition", "deadline", "evidence"):
        assert f" {label} " in text  # whole, not truncated to fit a column
    assert "Monday (2023-09-04)" in words


@pytest.mark.parametrize("width", [80, 120])
def test_the_view_fits_the_width_without_cutting_words(width: int) -> None:
    """Every line fits the terminal; nothing but the long quote is shortened."""
    text = render(make_brief(), width)
    assert all(len(line) <= width for line in text.splitlines())
    assert max(len(line) for line in text.splitlines()) == width  # the panel fills it
    assert text.count("\u2026") == 1
    assert "United States \u2192 North Korea, Russia" in text


def test_a_quote_not_found_in_the_article_is_marked_where_it_stands() -> None:
    """An ungrounded brief marks the very quote that was not found, and says so on top."""
    text = flat(render(make_brief(grounding={"grounded": False, "ungrounded": [SHORT_QUOTE]}), 80))
    assert f"\u2717 \u201c{SHORT_QUOTE}\u201d (not found in the article)" in text
    assert f"\u2713 \u201c{CONDITION}\u201d" in text
    assert f"Unverified: not found in the article: \u201c{SHORT_QUOTE}\u201d" in text


def test_a_brief_without_a_grounding_record_says_it_was_not_checked() -> None:
    text = flat(render(make_brief(grounding=None), 80))
    assert "Grounding: not checked" in text
    assert "\u2713" not in text


@pytest.mark.parametrize("width", [80, 120])
def test_a_cached_brief_says_it_came_from_the_cache(width: int) -> None:
    """A cached brief made no model call: it says so instead of '0 attempt(s)'."""
    cached = flat(render(make_brief(run={"cached": True, "attempts": 0}), width))
    assert "from the cache: no model call this run" in cached
    assert "published 2023-09-05 \u00b7 cached" in cached
    assert "attempt" not in cached
    live = flat(render(make_brief(), width))
    assert "cache" not in live
    assert "1 attempt(s)" in live


MARKUP = ["[/x]", "[bold]b[/bold]", "[link=https://example.com]l[/link]", "[red]", "[/]"]


@pytest.mark.parametrize("width", [80, 120])
def test_text_from_the_article_or_the_model_prints_as_written(width: int) -> None:
    """Square brackets in any field are text, not rich markup: no MarkupError, nothing
    swallowed, in the title, summary, threat fields, quotes, actors, dates and run."""
    fields = {
        name: f"{name} {MARKUP[i % len(MARKUP)]}"
        for i, name in enumerate(
            [
                "title",
                "source",
                "summary",
                "issuer",
                "speaker",
                "target",
                "action",
                "condition",
                "quote",
                "actor",
                "date",
                "event",
                "warning",
                "model",
            ]
        )
    }
    threat = {
        "issuer": fields["issuer"],
        "speaker": fields["speaker"],
        "targets": [fields["target"]],
        "action": fields["action"],
        "category": "other",
        "conditions": [fields["condition"]],
        "deadline": {"text": fields["date"], "date": None, "event": "d"},
        "evidence": [fields["quote"]],
    }
    brief = make_brief(
        summary=fields["summary"],
        threats=[threat],
        actors=[{"name": fields["actor"], "kind": "group", "role": "other"}],
        dates=[{"text": fields["date"], "date": None, "event": fields["event"]}],
        warnings=[fields["warning"]],
        article={"title": fields["title"], "source": fields["source"]},
        run={"model": fields["model"]},
        grounding={"grounded": False, "ungrounded": [fields["quote"]]},
    )
    text = flat(render(brief, width))
    for value in fields.values():
        assert value in text


def test_the_cli_prints_a_bracketed_title_and_quote_as_written(
    model_env: LoopbackServer, tmp_path: Any
) -> None:
    """Through `summarize brief`: a front-matter title and a quoted condition with
    markup in them are printed, and the batch ends normally."""
    story = tmp_path / "story.txt"
    story.write_text(
        "---\ntitle: Tariffs [/x] and [bold]ultimatums[/bold]\n---\n"
        "The minister said tariffs [link=x]would[/link] follow if talks failed. "
        "Officials said more talks are planned.\n"
    )
    threat = {
        "issuer": "[red]Ruritania",
        "speaker": None,
        "targets": ["Freedonia"],
        "action": "impose tariffs",
        "category": "tariffs",
        "conditions": ["if talks failed"],
        "deadline": None,
        "evidence": ["tariffs [link=x]would[/link] follow if talks failed"],
    }
    model_env.responder = QueueResponder([extraction(threats=[threat], dates=[])])
    result = CliRunner().invoke(app, ["brief", str(story)], env={"COLUMNS": "80"})
    assert result.exit_code == 0, result.stderr
    words = flat(result.stdout)
    assert "Tariffs [/x] and [bold]ultimatums[/bold]" in words
    assert "[red]Ruritania" in words
    assert (  # in its context in the article, the words around it as written too
        "\u2713 The minister said \u201ctariffs [link=x]would[/link] follow if talks "
        "failed\u201d. Officials said more talks are planned."
    ) in words


ARTICLE = (
    "Secretary Miller spoke on Monday in Washington.\n\n"
    f"Asked about the talks, Miller said: {SHORT_QUOTE} He added a warning.\n\n"
    f"{LONG_QUOTE}\n\n"
    f"Officials later repeated it. {SHORT_QUOTE} That was all they said on the record."
)


def located_brief(raw: str = ARTICLE, **changes: Any) -> tuple[Brief, str]:
    """A brief of `raw` whose quotes carry their spans, and the cleaned text they point into."""
    brief = make_brief(**changes)
    text = clean(raw).text
    locate(brief.threats, brief.dates, text, raw)
    return brief, text


def render_with(brief: Brief, text: str | None, width: int, *, styles: bool = False) -> str:
    console = Console(width=width, record=True, force_terminal=styles, color_system="standard")
    print_brief(console, brief, text)
    return console.export_text(styles=styles)


@pytest.mark.parametrize("width", [80, 120])
def test_each_quote_shows_in_context_from_its_span(width: int) -> None:
    """Six words either side of each evidence quote, from its first span in the cleaned
    article, '…' where the text goes on; a quote found twice says so; every line fits."""
    brief, text = located_brief()
    assert [len(item.spans) for item in brief.threats[0].evidence_spans] == [2, 1]
    view = render_with(brief, text, width)
    words = flat(view)
    assert (
        f"\u2713 \u2026 Asked about the talks, Miller said: \u201c{SHORT_QUOTE}\u201d "
        "He added a warning. The United \u2026 (found 2 times)"
    ) in words
    assert (
        f"\u2026 the future. He added a warning. \u201c{shorten(LONG_QUOTE)}\u201d Officials later"
        in words
    )
    assert "found 1 times" not in words
    assert all(len(line) <= width for line in view.splitlines())


def test_the_quote_is_bold_and_its_context_dim() -> None:
    brief, text = located_brief()
    view = render_with(brief, text, 120, styles=True)
    assert "\x1b[1m\u201cWe will not hesitate" in view
    assert "\x1b[2m\u2026 Asked about the talks, Miller said: \x1b[0m" in view


def test_a_quote_not_found_shows_no_context_and_a_suspect_one_shows_where_it_is() -> None:
    """Not found: the quote alone, crossed, and why. From a suspect passage: crossed and
    why, but where it stands, so the analyst can read the passage."""
    missing = "We will strike at dawn."
    brief, text = located_brief(
        grounding={"grounded": False, "ungrounded": [missing], "suspect": [LONG_QUOTE]}
    )
    threat = brief.threats[0]
    threat.evidence = [missing, LONG_QUOTE]
    threat.evidence_spans = [Located(text=missing, found=False), threat.evidence_spans[1]]
    words = flat(render_with(brief, text, 80))
    assert f"evidence \u2717 \u201c{missing}\u201d (not found in the article) \u2717" in words
    assert (
        "\u2717 \u2026 the future. He added a warning. "
        f"\u201c{shorten(LONG_QUOTE)}\u201d Officials later repeated it. We will \u2026 "
        "(from a passage suspected of prompt injection)"
    ) in words


@pytest.mark.parametrize("width", [80, 120])
def test_brackets_in_the_context_print_as_written(width: int) -> None:
    raw = (
        "Before [/x] the [bold]speech[/bold] began, "
        f"{SHORT_QUOTE} After [link=https://example.com]that[/link] [red] nothing [/]."
    )
    brief, text = located_brief(raw)
    words = flat(render_with(brief, text, width))
    assert (
        f"\u2713 Before [/x] the [bold]speech[/bold] began, \u201c{SHORT_QUOTE}\u201d "
        "After [link=https://example.com]that[/link] [red] nothing [/]."
    ) in words


@pytest.mark.parametrize("width", [80, 120])
def test_without_the_article_text_or_with_another_text_each_quote_stands_alone(
    width: int,
) -> None:
    """No text, or a text the spans do not fit (not the one briefed): the quote alone,
    as before spans, and no stranger's words shown as its context."""
    brief, text = located_brief()
    other = text.replace("Asked about", "Questioned on")  # every span after it moves
    for given in (None, other):
        words = flat(render_with(brief, given, width))
        assert (
            f"evidence \u2713 \u201c{SHORT_QUOTE}\u201d \u2713 \u201c{shorten(LONG_QUOTE)}\u201d"
            in (words)
        )
        assert "Miller said:" not in words
        assert "found 2 times" not in words


def test_the_cli_shows_quotes_in_the_text_its_run_cleaned(
    model_env: LoopbackServer, tmp_path: Any
) -> None:
    """A line shared by every article of the run is dropped as chrome before the spans
    are taken; the terminal view cleans the text the same way, so the spans fit and
    each quote shows in its context."""
    paths = []
    for number in range(3):
        story = tmp_path / f"story{number}.txt"
        story.write_text(
            "The Harbour Gazette desk in Lisbon compiled this story.\n\n"
            f"Story {number}: the minister of region {number} said tariffs would follow "
            "if talks failed, and officials said more talks are planned next month.\n"
        )
        paths.append(str(story))
    threat = {
        "issuer": "Ruritania",
        "speaker": None,
        "targets": ["Freedonia"],
        "action": "impose tariffs",
        "category": "tariffs",
        "conditions": [],
        "deadline": None,
        "evidence": ["tariffs would follow if talks failed"],
    }
    answer = extraction(threats=[threat], dates=[])
    model_env.responder = QueueResponder([answer, answer, answer])
    result = CliRunner().invoke(app, ["brief", *paths], env={"COLUMNS": "120"})
    assert result.exit_code == 0, result.stderr
    words = flat(result.stdout)
    for number in range(3):
        assert (
            f"the minister of region {number} said \u201ctariffs would follow if talks "
            "failed\u201d, and officials said more talks are \u2026"
        ) in words
