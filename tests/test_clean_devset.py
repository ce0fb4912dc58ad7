"""The cleaner against the labelled dev set in evals/cleaning/: every story line kept on
every page, at least 95% of the chrome removed (on the held-out publishers too), and the
labelled headline chosen as the title on every page."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from summarize.cli import app
from summarize.evaluation.cleaning import load_pages, score_page, totals
from tests.conftest import ROOT

PAGES = load_pages(ROOT / "evals" / "cleaning" / "pages.jsonl")
SCORES = {page.id: score_page(page) for page in PAGES}
VOA = ROOT.parent / "shared" / "articles" / "voa.jsonl"


def test_the_dev_set_is_as_large_and_varied_as_promised() -> None:
    """At least 40 generated pages from at least 8 publishers and 15 chrome families, a
    held-out split with publishers of its own, and the three seeds."""
    raw = [json.loads(line) for line in (ROOT / "evals/cleaning/pages.jsonl").open()]
    generated = [p for p in raw if p["split"] != "seed"]
    assert len(generated) >= 40
    assert len({p["publisher"] for p in generated}) >= 8
    assert len({f for p in generated for f in p["families"]}) >= 15
    tune = {p["publisher"] for p in generated if p["split"] == "tune"}
    heldout = {p["publisher"] for p in generated if p["split"] == "heldout"}
    assert heldout
    assert not tune & heldout
    assert sum(p["split"] == "seed" for p in raw) == 3
    labels = {line["label"] for p in raw for line in p["lines"]}
    assert labels == {"story", "chrome", "headline", "blank"}


@pytest.mark.parametrize("page_id", list(SCORES))
def test_no_page_loses_a_line_of_its_story(page_id: str) -> None:
    """Story kept: 100% on every page."""
    assert SCORES[page_id].lost == ()


@pytest.mark.parametrize("page_id", list(SCORES))
def test_the_labelled_headline_becomes_the_title(page_id: str) -> None:
    score = SCORES[page_id]
    assert score.headline_right, (score.cleaned.title, score.page.headline)


@pytest.mark.parametrize("split", ["tune", "heldout", "seed"])
def test_at_least_95_percent_of_the_chrome_is_removed(split: str) -> None:
    result = totals(s for s in SCORES.values() if s.page.split == split)
    assert result.chrome_share >= 0.95, f"{result.chrome_removed}/{result.chrome}"


def test_eval_cleaning_prints_per_page_and_totals() -> None:
    result = CliRunner().invoke(
        app, ["eval", "--cleaning", "--pages", str(ROOT / "evals/cleaning/pages.jsonl")]
    )
    assert result.exit_code == 0, result.output
    assert "heldout-" in result.stdout
    assert "seed-004" in result.stdout
    story = sum(s.story for s in SCORES.values())
    assert f"{story}/{story} = 100.0%" in result.stdout  # story lines kept, all pages


def test_eval_cleaning_exits_1_when_a_page_loses_story(tmp_path: Path) -> None:
    """A page whose only story line reads as chrome to any cleaner fails the run."""
    page = {
        "id": "bad",
        "split": "tune",
        "publisher": "x",
        "families": [],
        "headline": "A headline about talks",
        "lines": [{"text": "Share on Threads", "label": "story"}],
    }
    path = tmp_path / "pages.jsonl"
    path.write_text(json.dumps(page) + "\n")
    result = CliRunner().invoke(app, ["eval", "--cleaning", "--pages", str(path)])
    assert result.exit_code == 1
    assert "story lost" in result.stdout


@pytest.mark.skipif(not VOA.exists(), reason="needs ../shared/articles/voa.jsonl")
def test_the_dev_set_regenerates_byte_for_byte(tmp_path: Path) -> None:
    """The committed pages are what the seeded generator writes."""
    committed = (ROOT / "evals/cleaning/pages.jsonl").read_bytes()
    subprocess.run(
        [sys.executable, str(ROOT / "evals/cleaning/make_pages.py")], check=True, cwd=tmp_path
    )
    assert (ROOT / "evals/cleaning/pages.jsonl").read_bytes() == committed
