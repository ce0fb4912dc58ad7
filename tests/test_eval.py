"""`summarize eval` end to end: replay, live with recording, gates, comparisons."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from summarize.cli import app
from summarize.evaluation.gold import gold_to_extraction
from summarize.loopback import LoopbackServer, QueueResponder, RoutingResponder
from tests.conftest import SEED_000, SEED_004

runner = CliRunner()

GOLD_000: dict[str, Any] = {
    "article": {"id": "seed-000", "source": "seeds/000.txt", "published": "2023-08-01"},
    "summary": "The US said it would not hesitate to sanction North Korea and Russia.",
    "threats": [
        {
            "issuer": "United States",
            "speaker": "US State Department spokesman Matthew Miller",
            "targets": ["North Korea", "Russia"],
            "action": "impose sanctions",
            "category": "sanctions",
            "conditions": ["if necessary"],
            "deadline": None,
            "evidence": ["We will not hesitate to do so in the future."],
        }
    ],
    "actors": [
        {"name": "United States", "kind": "state", "role": "issuer"},
        {"name": "Matthew Miller", "kind": "person", "role": "speaker"},
        {"name": "North Korea", "kind": "state", "role": "target"},
        {"name": "Russia", "kind": "state", "role": "target"},
    ],
    "dates": [
        {"text": "Monday", "date": "2023-07-31", "event": "Miller spoke"},
        {"text": "Tuesday last week", "date": "2023-07-25", "event": "Shoigu arrived"},
    ],
    "aliases": {"Matthew Miller": ["Miller"]},
}
GOLD_004: dict[str, Any] = {
    "article": {"id": "seed-004", "source": "seeds/004.txt", "published": "2024-06-18"},
    "summary": "Putin visited North Korea and promised to fight US-led sanctions.",
    "threats": [],
    "actors": [{"name": "Russia", "kind": "state", "role": "other"}],
    "dates": [{"text": "Tuesday", "date": "2024-06-18", "event": "Putin arrived"}],
}


@pytest.fixture
def gold_set(tmp_path: Path) -> Path:
    """A two-article gold set laid out like evals/: gold/, responses/, and the articles."""
    (tmp_path / "seeds").mkdir()
    shutil.copy(SEED_000, tmp_path / "seeds" / "000.txt")
    shutil.copy(SEED_004, tmp_path / "seeds" / "004.txt")
    gold = tmp_path / "evals" / "gold"
    gold.mkdir(parents=True)
    for case in (GOLD_000, GOLD_004):
        (gold / f"{case['article']['id']}.json").write_text(json.dumps(case))
    perfect = tmp_path / "evals" / "responses" / "perfect"
    perfect.mkdir(parents=True)
    for case in (GOLD_000, GOLD_004):
        record = {
            "article_id": case["article"]["id"],
            "exchanges": [{"payload": gold_to_extraction(case)}],
        }
        (perfect / f"{case['article']['id']}.json").write_text(json.dumps(record))
    return tmp_path / "evals"


def run_eval(evals: Path, *args: str) -> Any:
    return runner.invoke(
        app,
        ["eval", "--gold", str(evals / "gold"), "--responses", str(evals / "responses"), *args],
        env={"COLUMNS": "160"},
    )


def test_replaying_gold_answers_scores_one_everywhere(gold_set: Path, tmp_path: Path) -> None:
    """Gold briefs served as the model's answers score 1.0 on every field."""
    report = tmp_path / "report.json"
    result = run_eval(gold_set, "--mock", "perfect", "--report", str(report))
    assert result.exit_code == 0, result.stderr + result.stdout
    fields = json.loads(report.read_text())["fields"]
    for name, row in fields.items():
        assert row.get("f1", row.get("accuracy")) == 1.0, name
    assert "threats" in result.stdout
    assert "1.000" in result.stdout


def test_min_f1_gates_on_threat_f1(gold_set: Path) -> None:
    """--min-f1 exits 1 when threat F1 falls below it, and 0 when it does not."""
    bad = gold_set / "responses" / "bad"
    bad.mkdir()
    for case in (GOLD_000, GOLD_004):
        answer = gold_to_extraction(case)
        answer["threats"] = []  # misses the one real threat
        (bad / f"{case['article']['id']}.json").write_text(
            json.dumps({"exchanges": [{"payload": answer}]})
        )
    assert run_eval(gold_set, "--mock", "bad", "--min-f1", "0.5").exit_code == 1
    assert run_eval(gold_set, "--mock", "perfect", "--min-f1", "0.99").exit_code == 0


def test_min_f1_passes_a_gold_set_without_threats_answered_without_threats(
    gold_set: Path,
) -> None:
    """Threat F1 is undefined (nothing to find, nothing found): the gate has nothing to fail."""
    (gold_set / "gold" / "seed-000.json").unlink()
    result = run_eval(gold_set, "--mock", "perfect", "--min-f1", "0.9")
    assert result.exit_code == 0, result.stderr
    [threats] = [line for line in result.stdout.splitlines() if line.startswith("│ threats")]
    assert threats.replace(" ", "") == "│threats│-│-│-│0│"


def test_compare_prints_per_field_deltas(gold_set: Path, tmp_path: Path) -> None:
    """--compare shows old, new and the change for every field."""
    old = tmp_path / "old.json"
    run_eval(gold_set, "--mock", "perfect", "--report", str(old))
    data = json.loads(old.read_text())
    data["fields"]["threats"]["f1"] = 0.5
    old.write_text(json.dumps(data))
    result = run_eval(gold_set, "--mock", "perfect", "--compare", str(old))
    assert result.exit_code == 0
    assert "+0.500" in result.stdout


def test_compare_shows_no_delta_for_a_field_that_had_nothing_to_judge(
    gold_set: Path, tmp_path: Path
) -> None:
    """An undefined score (null) in the old report compares as '-', not as a crash or 0."""
    old = tmp_path / "old.json"
    run_eval(gold_set, "--mock", "perfect", "--report", str(old))
    data = json.loads(old.read_text())
    data["fields"]["issuer"]["accuracy"] = None
    old.write_text(json.dumps(data))
    result = run_eval(gold_set, "--mock", "perfect", "--compare", str(old))
    assert result.exit_code == 0, result.stderr
    *_, compared = [line for line in result.stdout.splitlines() if line.startswith("│ issuer")]
    assert compared.replace(" ", "") == "│issuer│-│1.000│-│"  # old, new, delta


def test_verbose_names_missed_and_extra_items(gold_set: Path) -> None:
    """--verbose lists, per article, the threats and dates that were missed or invented."""
    extra = gold_set / "responses" / "extra"
    extra.mkdir()
    answer = gold_to_extraction(GOLD_004)
    answer["threats"] = [
        {
            "issuer": "Russia",
            "targets": ["United States"],
            "action": "retaliate",
            "category": "other",
            "evidence": ["invented quote"],
        }
    ]
    (extra / "seed-004.json").write_text(json.dumps({"exchanges": [{"payload": answer}]}))
    shutil.copy(gold_set / "responses" / "perfect" / "seed-000.json", extra / "seed-000.json")
    result = run_eval(gold_set, "--mock", "extra", "--verbose")
    assert result.exit_code == 0
    assert "extra threats: Russia -> United States: retaliate (other)" in result.stdout
    assert "ungrounded quotes: invented quote" in result.stdout


def test_a_response_set_missing_an_article_is_a_usage_error(gold_set: Path) -> None:
    """Replaying a set without an article's responses exits 2 and says how to record them."""
    partial = gold_set / "responses" / "partial"
    partial.mkdir()
    shutil.copy(gold_set / "responses" / "perfect" / "seed-000.json", partial / "seed-000.json")
    result = run_eval(gold_set, "--mock", "partial")
    assert result.exit_code == 2
    assert "seed-004" in result.stderr
    assert "--record" in result.stderr


def test_a_recorded_live_run_replays_byte_for_byte(gold_set: Path, tmp_path: Path) -> None:
    """--record stores the live answers; --mock of that set reproduces the live report."""
    upstream = RoutingResponder(
        {
            "Sergei Shoigu": QueueResponder([gold_to_extraction(GOLD_000)]),
            "multipolar world order": QueueResponder([gold_to_extraction(GOLD_004)]),
        }
    )
    live_report, replay_report = tmp_path / "live.json", tmp_path / "replay.json"
    with LoopbackServer(upstream) as provider:
        live = run_eval(
            gold_set,
            "--model",
            "upstream-model",
            "--base-url",
            provider.url,
            "--record",
            "recorded",
            "--report",
            str(live_report),
        )
        assert live.exit_code == 0, live.stderr
        assert len(provider.requests) == 2
    stored = json.loads((gold_set / "responses" / "recorded" / "seed-000.json").read_text())
    assert stored["exchanges"][0]["status"] == 200
    assert "Authorization" not in json.dumps(stored)
    assert "no-key" not in json.dumps(stored)
    replay = run_eval(gold_set, "--mock", "recorded", "--report", str(replay_report))
    assert replay.exit_code == 0, replay.stderr
    live_data, replay_data = (
        json.loads(live_report.read_text()),
        json.loads(replay_report.read_text()),
    )
    assert live_data["fields"] == replay_data["fields"]
    assert live_data["articles"] == replay_data["articles"]
    assert replay_data["meta"]["model"] == "upstream-model"


def test_mock_and_model_together_are_refused(gold_set: Path) -> None:
    """--mock and --model contradict each other: exit 2, saying so, before anything runs."""
    result = run_eval(gold_set, "--mock", "perfect", "--model", "m")
    assert result.exit_code == 2
    assert "--mock replays stored responses and --model runs live: pass one of them" in (
        result.stderr
    )
    assert result.stdout == ""
