"""`summarize eval` finds the shipped gold set and response sets from the installed
package, so it runs from any folder; --gold and --responses still choose others."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from summarize.cli import app
from summarize.evaluation import runner as eval_runner
from tests.conftest import ROOT

runner = CliRunner()


@pytest.mark.parametrize(("flags", "name"), [([], "midsize"), (["--mock", "smollm2"], "smollm2")])
def test_eval_runs_from_a_folder_outside_the_repository(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, flags: list[str], name: str
) -> None:
    """From an empty folder the offline eval scores the shipped set as it does from the
    repository root: its report is the shipped one byte for byte (smollm2's holds failure
    messages that name each article's file)."""
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["eval", *flags, "--report", "report.json"])
    assert result.exit_code == 0, result.stderr
    assert (tmp_path / "report.json").read_text() == (
        ROOT / "evals" / "reports" / f"{name}.json"
    ).read_text()


def test_gold_and_responses_flags_choose_another_set(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A one-article copy of the shipped layout, named by flags from another folder."""
    evals = tmp_path / "mine" / "evals"
    gold_file = ROOT / "evals" / "gold" / "000_5f29edb56438c667.json"
    (evals / "gold").mkdir(parents=True)
    shutil.copy(gold_file, evals / "gold")
    (evals / "responses" / "answers").mkdir(parents=True)
    shutil.copy(
        ROOT / "evals" / "responses" / "gold" / gold_file.name, evals / "responses" / "answers"
    )
    (tmp_path / "mine" / "seeds").mkdir()
    shutil.copy(ROOT / "seeds" / "000_5f29edb56438c667.txt", tmp_path / "mine" / "seeds")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    result = runner.invoke(
        app,
        [
            "eval",
            "--gold",
            str(evals / "gold"),
            "--responses",
            str(evals / "responses"),
            "--mock",
            "answers",
            "--report",
            "r.json",
        ],
    )
    assert result.exit_code == 0, result.stderr
    meta = json.loads((elsewhere / "r.json").read_text())["meta"]
    assert (meta["gold"], meta["responses"], meta["articles"]) == (
        str(evals / "gold"),
        "answers",
        1,
    )


def test_an_installed_wheel_copy_is_preferred_to_the_repository(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A wheel carries evals/ inside the package (summarize/_data); a checkout uses its own."""
    assert eval_runner.shipped_evals() == ROOT / "evals"  # this checkout: no package copy
    (tmp_path / "evals").mkdir()
    monkeypatch.setattr(eval_runner, "PACKAGE_DATA", tmp_path)
    assert eval_runner.shipped_evals() == tmp_path / "evals"


def test_the_wheel_ships_what_the_gold_files_name() -> None:
    """pyproject's force-include maps every folder a shipped gold file's source lives in."""
    import tomllib

    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    included = config["tool"]["hatch"]["build"]["targets"]["wheel"]["force-include"]
    assert included["evals/gold"] == "summarize/_data/evals/gold"
    assert included["evals/responses"] == "summarize/_data/evals/responses"
    sources = {
        json.loads(path.read_text())["article"]["source"].rsplit("/", 1)[0]
        for path in (ROOT / "evals" / "gold").glob("*.json")
    }
    assert sources  # seeds and evals/articles
    for folder in sources:
        assert included[folder] == f"summarize/_data/{folder}"


def test_a_live_eval_names_its_model_and_never_reads_summarize_model(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """--help says SUMMARIZE_MODEL is not read by eval: a gguf: spec there must not be
    opened, and --base-url alone asks for --model."""
    monkeypatch.setenv("SUMMARIZE_MODEL", "gguf:/no/such/model.gguf")
    done = runner.invoke(app, ["eval", "--base-url", "http://127.0.0.1:9/v1"])
    assert done.exit_code == 2
    assert "--model" in done.output
    assert "gguf" not in done.output
