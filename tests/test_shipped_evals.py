"""The shipped gold set and response sets: well-formed, in sync, and scoring as recorded."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from summarize.clean import normalize_for_match
from summarize.cli import app
from summarize.evaluation.gold import gold_to_extraction, load_gold
from summarize.pipeline import clean_article
from summarize.schema import Actor, ResolvedDate, Threat
from tests.conftest import ROOT

EVALS = ROOT / "evals"
GOLD_FILES = sorted((EVALS / "gold").glob("*.json"))
runner = CliRunner()


def gold(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def test_the_gold_set_has_the_mix_the_labelling_guide_promises() -> None:
    """Three seeds and at least 25 VOA stories, at least 8 of them without threats."""
    ids = [gold(p)["article"]["id"] for p in GOLD_FILES]
    assert sum(i.startswith("voa-") for i in ids) >= 25
    assert sum(not i.startswith("voa-") for i in ids) == 3
    assert sum(not gold(p)["threats"] for p in GOLD_FILES) >= 8
    assert sum(len(gold(p)["threats"]) >= 2 for p in GOLD_FILES) >= 2


@pytest.mark.parametrize("path", GOLD_FILES, ids=lambda p: p.stem)
def test_each_gold_file_follows_the_brief_contract(path: Path) -> None:
    """Gold threats, actors and dates validate against the brief's own models."""
    data = gold(path)
    assert path.stem == data["article"]["id"]
    assert data["summary"]
    for threat in data["threats"]:
        Threat.model_validate(threat)
    for actor in data["actors"]:
        Actor.model_validate(actor)
    for date in data["dates"]:
        ResolvedDate.model_validate(date)
    if data["article"]["id"].startswith("voa-"):
        assert data["article"]["url"].startswith("https://www.voanews.com/")
        assert data["article"]["credit"] == "Voice of America / voanews.com"


@pytest.mark.parametrize(
    "case", load_gold(EVALS / "gold") if GOLD_FILES else [], ids=lambda c: c.id
)
def test_every_gold_quote_is_in_the_cleaned_article(case: Any) -> None:
    """Evidence quotes are verbatim spans of the article as the pipeline cleans it."""
    text = normalize_for_match(clean_article(case.article).text)
    for threat in case.gold["threats"]:
        for quote in threat["evidence"]:
            assert normalize_for_match(quote) in text, quote


@pytest.mark.parametrize("path", GOLD_FILES, ids=lambda p: p.stem)
def test_the_gold_response_set_is_in_sync_with_the_gold_files(path: Path) -> None:
    """evals/responses/gold holds exactly each gold brief as an answer (make_gold_responses)."""
    stored = json.loads((EVALS / "responses" / "gold" / path.name).read_text(encoding="utf-8"))
    assert stored["exchanges"] == [{"payload": gold_to_extraction(gold(path))}]


def test_replaying_the_gold_set_scores_one_on_every_field(tmp_path: Path) -> None:
    """The gold answers through the whole pipeline score 1.0 everywhere, dates included."""
    report = tmp_path / "gold.json"
    result = runner.invoke(app, ["eval", "--mock", "gold", "--report", str(report), "--verbose"])
    assert result.exit_code == 0, result.stderr
    fields = json.loads(report.read_text())["fields"]
    imperfect = {k: v for k, v in fields.items() if v.get("f1", v.get("accuracy")) != 1.0}
    assert not imperfect, result.stdout


def test_the_default_eval_replays_the_imperfect_set_and_matches_its_stored_report(
    tmp_path: Path,
) -> None:
    """`summarize eval` with no flags reproduces evals/reports/midsize.json exactly."""
    report = tmp_path / "midsize.json"
    result = runner.invoke(app, ["eval", "--report", str(report)])
    assert result.exit_code == 0, result.stderr
    assert report.read_text() == (EVALS / "reports" / "midsize.json").read_text()
    fields = json.loads(report.read_text())["fields"]
    assert fields["threats"]["f1"] < 1.0  # the imperfect set must show real differences


def test_the_readme_shows_the_table_the_default_eval_prints() -> None:
    """The README's eval table is, line for line, the table `summarize eval` prints."""
    result = runner.invoke(app, ["eval"])
    assert result.exit_code == 0, result.stderr
    table = [line for line in result.stdout.splitlines() if line[:1] in set("┏┃┡│└")]
    assert len(table) == 4 + 15  # header rows and borders, and one row per field
    assert "\n".join(table) in (ROOT / "README.md").read_text(encoding="utf-8")


def test_a_real_models_recorded_run_replays_to_its_stored_report(tmp_path: Path) -> None:
    """evals/responses/smollm2 was recorded live from SmolLM2-135M (`--record`): replayed
    offline it reproduces that run's report byte for byte, runaway answers included."""
    report = tmp_path / "smollm2.json"
    result = runner.invoke(app, ["eval", "--mock", "smollm2", "--report", str(report)])
    assert result.exit_code == 0, result.stderr
    assert report.read_text() == (EVALS / "reports" / "smollm2.json").read_text()
    assert "cut off at its token limit" in report.read_text()  # real failures, kept as such
