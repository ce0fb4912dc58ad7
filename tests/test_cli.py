"""`summarize brief` and `summarize clean` end to end, against a real loopback server."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from summarize.cli import app
from summarize.loopback import LoopbackServer, QueueResponder, Reply, RoutingResponder
from summarize.schema import Brief
from tests.conftest import SEED_000, SEED_001, SEED_004, SEEDS, extraction

runner = CliRunner()


SEED_001_THREAT = {
    **extraction()["threats"][0],
    "evidence": ["will not hesitate to apply new restrictions if necessary"],
}


def seed_answers(server: LoopbackServer) -> None:
    """Give each seed its own answer, whatever order the concurrent requests arrive in."""
    server.responder = RoutingResponder(
        {
            "Sergei Shoigu": QueueResponder([extraction()]),
            "arms trade restrictions": QueueResponder(
                [
                    extraction(
                        summary="The US threatened new sanctions if arms are supplied.",
                        threats=[SEED_001_THREAT],
                    )
                ]
            ),
            "multipolar world order": QueueResponder(
                [extraction(summary="Putin visited North Korea.", threats=[])]
            ),
        }
    )


def test_brief_prints_one_brief_per_seed(model_env: LoopbackServer) -> None:
    """`summarize brief seeds/` briefs all three seeds and exits 0."""
    seed_answers(model_env)
    result = runner.invoke(app, ["brief", str(SEEDS)], env={"COLUMNS": "160"})
    assert result.exit_code == 0, result.stderr
    assert len(model_env.requests) == 3
    for title in (
        "won't hesitate to do in future",
        "US threatens new sanctions",
        "Putin arrives in North Korea",
    ):
        assert title in result.stdout
    assert "Threats" in result.stdout
    assert "impose sanctions" in result.stdout
    assert "No threats in this article." in result.stdout


def test_the_model_sees_the_cleaned_article_not_the_chrome(model_env: LoopbackServer) -> None:
    """The request carries the story and none of the share buttons or appeals."""
    model_env.responder = QueueResponder([extraction(threats=[])])
    result = runner.invoke(app, ["brief", str(SEED_004)])
    assert result.exit_code == 0, result.stderr
    [request] = model_env.requests
    prompt = request.prompt_text
    assert "Putin thanked North Korean leader Kim Jong Un on Tuesday" in prompt
    assert "Title: Putin arrives in North Korea promising to fight US-led sanctions" in prompt
    for chrome in (
        "Share on facebook",
        "Donate any amount",
        "read the full story",
        "6,013",
        "Don't Miss",
        "Support us just once",
    ):
        assert chrome not in prompt


def test_one_failing_article_does_not_cost_the_other_its_brief(
    model_env: LoopbackServer, tmp_path: Path
) -> None:
    """One article fails alone: exit 1, named on stderr, the other printed and exported."""
    model_env.responder = RoutingResponder(
        {
            "Sergei Shoigu": QueueResponder([extraction()]),
            "arms trade restrictions": QueueResponder(
                [Reply(status=400, body={"error": {"message": "context length exceeded"}})]
            ),
        }
    )
    out = tmp_path / "briefs.json"
    result = runner.invoke(app, ["brief", str(SEED_000), str(SEED_001), "--json", str(out)])
    assert result.exit_code == 1
    assert str(SEED_001) in result.stderr
    assert "HTTP 400" in result.stderr
    assert "1 of 2 article(s) failed" in result.stderr
    assert "Traceback" not in result.stderr
    assert "won't hesitate to do in future" in result.stdout
    records = json.loads(out.read_text())
    assert [r["article"]["id"] for r in records] == [SEED_000.stem, SEED_001.stem]
    assert "error" not in records[0]
    assert records[1]["error"]["kind"] == "provider"


def test_json_export_revalidates_and_dates_resolve_against_published(
    model_env: LoopbackServer, tmp_path: Path
) -> None:
    """--json writes briefs the pydantic model accepts, dates resolved by code."""
    model_env.responder = QueueResponder([extraction()])
    out = tmp_path / "briefs.json"
    result = runner.invoke(
        app, ["brief", str(SEED_000), "--published", "2023-08-01", "--json", str(out), "-q"]
    )
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""
    [record] = json.loads(out.read_text())
    brief = Brief.model_validate(record)
    assert brief.article.published == "2023-08-01"
    assert (
        brief.article.title == "North Korea, Russia sanctions; won't hesitate to do in future: US"
    )
    assert brief.article.chars_clean < brief.article.chars_raw
    assert {d.text: d.date for d in brief.dates} == {
        "Monday": "2023-07-31",
        "Tuesday last week": "2023-07-25",
    }
    assert brief.run.prompt_version == "brief-v2"
    assert brief.run.model == "loopback-model"
    assert brief.run.attempts == 1
    assert brief.run.input_tokens == 100
    assert brief.grounding is not None
    assert brief.grounding.grounded


def test_jsonl_appends_one_line_per_article(model_env: LoopbackServer, tmp_path: Path) -> None:
    """--jsonl adds one JSON object per article to whatever the file already holds."""
    seed_answers(model_env)
    out = tmp_path / "briefs.jsonl"
    out.write_text('{"earlier": true}\n')
    result = runner.invoke(app, ["brief", str(SEEDS), "--jsonl", str(out), "-q"])
    assert result.exit_code == 0, result.stderr
    lines = out.read_text().splitlines()
    assert len(lines) == 4
    assert json.loads(lines[0]) == {"earlier": True}
    ids = {Brief.model_validate_json(line).article.id for line in lines[1:]}
    assert ids == {SEED_000.stem, SEED_001.stem, SEED_004.stem}


def test_without_a_model_brief_exits_2_naming_each_way_to_configure(tmp_path: Path) -> None:
    """No model configured: exit 2 and a message naming every way to set one up."""
    result = runner.invoke(app, ["brief", str(SEED_000)])
    assert result.exit_code == 2
    for way in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "--base-url", "SUMMARIZE_MODEL", "--model"):
        assert way in result.stderr
    assert "Traceback" not in result.stderr


def test_a_bad_published_flag_is_a_usage_error(model_env: LoopbackServer) -> None:
    """--published must be ISO; otherwise exit 2 with the expected format."""
    result = runner.invoke(app, ["brief", str(SEED_000), "--published", "last Tuesday"])
    assert result.exit_code == 2
    assert "YYYY-MM-DD" in result.stderr


def test_a_missing_file_fails_alone(model_env: LoopbackServer, tmp_path: Path) -> None:
    """A path that does not exist is named on stderr; the real article is still briefed."""
    model_env.responder = QueueResponder([extraction()])
    result = runner.invoke(app, ["brief", str(tmp_path / "missing.txt"), str(SEED_000)])
    assert result.exit_code == 1
    assert "missing.txt: no such file or folder" in result.stderr
    assert "won't hesitate" in result.stdout


def test_brief_reads_stdin(model_env: LoopbackServer) -> None:
    """`-` reads one article from stdin, and `--json -` writes the JSON to stdout."""
    model_env.responder = QueueResponder([extraction()])
    result = runner.invoke(app, ["brief", "-", "-q", "--json", "-"], input=SEED_000.read_bytes())
    assert result.exit_code == 0, result.stderr
    assert "Sergei Shoigu" in model_env.requests[0].prompt_text
    [record] = json.loads(result.stdout)
    assert record["article"]["source"] == "<stdin>"


def test_clean_prints_the_story_and_explains_removals() -> None:
    """`summarize clean --explain` prints cleaned text to stdout and the removals to stderr."""
    result = runner.invoke(app, ["clean", str(SEED_004), "--explain"])
    assert result.exit_code == 0
    assert result.stdout.startswith(
        "Putin arrives in North Korea promising to fight US-led sanctions\n"
    )
    assert "Share on" not in result.stdout
    assert "share button" in result.stderr
    assert "Share on facebook" in result.stderr


@pytest.mark.skipif(
    shutil.which("summarize") is None and not Path(sys.executable).with_name("summarize").exists(),
    reason="console script not installed",
)
def test_the_installed_console_script_fails_cleanly_without_a_model() -> None:
    """The real `summarize` executable exits 2 without a traceback when unconfigured."""
    script = Path(sys.executable).with_name("summarize")
    env = {"PATH": "/usr/bin:/bin", "HOME": "/tmp"}
    done = subprocess.run(
        [str(script), "brief", str(SEED_000)],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert "no model configured" in done.stderr
    assert "Traceback" not in done.stderr


def test_program_returns_exit_status_without_raising(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`program(args)` is the CLI as a function: each outcome is a status, never an
    exception or a traceback (what `main` hands to sys.exit)."""
    from summarize.cli import program

    assert program(["--help"]) == 0
    assert "brief" in capsys.readouterr().out

    missing = tmp_path / "missing.txt"
    assert program(["clean", str(missing)]) == 1
    err = capsys.readouterr().err
    assert str(missing.name) in err
    assert "Traceback" not in err

    assert program(["brief", "--no-such-flag"]) == 2
    assert "No such option" in capsys.readouterr().err


def test_the_help_defaults_match_the_library() -> None:
    """--help names the default model without loading the model stack; it must be the one
    the library uses."""
    from summarize.commands import base
    from summarize.modelconfig import DEFAULT_OPENAI_MODEL

    assert base.DEFAULT_OPENAI_MODEL == DEFAULT_OPENAI_MODEL
    assert f"model {DEFAULT_OPENAI_MODEL} unless" in base.NO_MODEL
