"""Publication dates from a `published.json` beside the files: the seeds get theirs
without a byte of their text changing, and relative dates resolve on the first run."""

from __future__ import annotations

import hashlib
import json
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from summarize.articles import read_file, read_inputs
from summarize.cli import app
from summarize.data import Article
from summarize.errors import InputError
from summarize.loopback import LoopbackServer, QueueResponder
from tests.conftest import ROOT, SEED_000, SEEDS, extraction

SHARED_SEEDS = ROOT.parent / "shared" / "seeds"


def test_each_seed_gets_the_date_its_gold_file_gives() -> None:
    notes: list[str] = []
    articles = [a for a in read_inputs([str(SEEDS)], notes=notes) if isinstance(a, Article)]
    assert len(articles) == 3
    for article in articles:
        gold = json.loads((ROOT / "evals" / "gold" / f"{article.id}.json").read_text())
        assert article.published == date.fromisoformat(gold["article"]["published"])
    assert notes == []  # the sidecar is not reported as a skipped non-article


@pytest.mark.skipif(not SHARED_SEEDS.is_dir(), reason="../shared/seeds is not beside the repo")
def test_the_seed_files_are_unchanged_byte_for_byte() -> None:
    for seed in SHARED_SEEDS.glob("*.txt"):
        digest = hashlib.sha256(seed.read_bytes()).hexdigest()
        assert hashlib.sha256((SEEDS / seed.name).read_bytes()).hexdigest() == digest


def test_every_sidecar_entry_says_how_its_date_is_known() -> None:
    entries = json.loads((SEEDS / "published.json").read_text())
    assert set(entries) == {path.name for path in SEEDS.glob("*.txt")}
    for entry in entries.values():
        assert entry["note"].startswith("inferred from the story")


def write_story(folder: Path, name: str, header: str = "") -> Path:
    path = folder / name
    path.write_text(header + "The minister spoke on Monday about tariffs. More followed.\n")
    return path


def test_a_header_or_the_flag_wins_over_the_sidecar(tmp_path: Path) -> None:
    (tmp_path / "published.json").write_text(
        json.dumps({"a.txt": "2020-01-01", "b.txt": {"published": "2020-01-02"}})
    )
    plain = write_story(tmp_path, "a.txt")
    headed = write_story(tmp_path, "b.txt", "---\npublished: 2021-05-05\n---\n")
    unlisted = write_story(tmp_path, "c.txt")
    assert read_file(plain).published == date(2020, 1, 1)
    assert read_file(headed).published == date(2021, 5, 5)
    assert read_file(plain, published=date(2022, 2, 2)).published == date(2022, 2, 2)
    assert read_file(unlisted).published is None


def test_a_broken_sidecar_fails_its_folders_files_by_name(tmp_path: Path) -> None:
    """Not JSON, or a date that is not ISO: the file fails naming the sidecar; a folder
    without one is untouched."""
    (tmp_path / "published.json").write_text("{not json")
    story = write_story(tmp_path, "a.txt")
    with pytest.raises(InputError, match=r"published\.json: cannot read the publication dates"):
        read_file(story)
    (tmp_path / "published.json").write_text(json.dumps({"a.txt": "last Tuesday"}))
    with pytest.raises(InputError, match=r"published\.json \(a\.txt\).*write it as YYYY-MM-DD"):
        read_file(story)


def test_brief_seeds_resolves_relative_dates_on_the_first_run(
    model_env: LoopbackServer,
) -> None:
    """`summarize brief` on a seed: "Monday" resolves against the sidecar's date (Tuesday
    1 August 2023) instead of printing as unresolved."""
    model_env.responder = QueueResponder([extraction()])
    result = CliRunner().invoke(app, ["brief", str(SEED_000), "--json", "-"])
    assert result.exit_code == 0, result.stderr
    [brief] = json.loads(result.stdout)
    assert brief["article"]["published"] == "2023-08-01"
    resolved = {item["text"]: item["date"] for item in brief["dates"]}
    assert resolved["Monday"] == "2023-07-31"
    assert resolved["Tuesday last week"] == "2023-07-25"
