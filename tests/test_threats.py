"""Threats tracked across articles: linking, history, deadlines, and the CLI over them."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from summarize.cli import app
from summarize.loopback import LoopbackServer, QueueResponder
from summarize.store import Store
from summarize.store import queries as q
from tests.conftest import SEED_000, extraction
from tests.test_store import make_brief, threat

runner = CliRunner()


def coverage(store: Store) -> None:
    """A week of coverage: the Canada steel threat three times, changing; others beside."""
    store.record(
        make_brief(
            "voa-1",
            published="2025-03-10",
            url="https://www.voanews.com/a/1.html",
            threats=[
                threat(
                    action="raise tariffs on Canadian steel and aluminum",
                    evidence=["Trump said he may raise tariffs on Canadian steel"],
                ),
                threat(
                    issuer="United States",
                    targets=["European Union"],
                    action="impose 200% tariffs on wine and champagne",
                    evidence=["a 200% tariff on all wines and champagnes"],
                ),
            ],
        )
    )
    store.record(
        make_brief(
            "reuters-2",
            published="2025-03-11",
            url="https://reuters.com/b/2",
            threats=[
                threat(
                    issuer="U.S.",
                    targets=["Canada", "Ontario"],
                    action="double the tariffs on Canadian steel and aluminum",
                    conditions=["unless Ontario drops its electricity surcharge"],
                    deadline={"text": "Wednesday", "date": "2025-03-12", "event": "deadline"},
                    evidence=["Trump said he will double the tariffs on Canadian steel"],
                )
            ],
        )
    )
    store.record(
        make_brief(
            "ap-3",
            published="2025-03-12",
            url="https://apnews.com/c/3",
            threats=[
                threat(
                    action="double tariffs on steel and aluminum from Canada",
                    deadline={"text": "April 2", "date": "2025-04-02", "event": "deadline"},
                    evidence=["[bold red]The tariffs will double[/] on April 2"],
                ),
                threat(
                    issuer="Ontario",
                    targets=["United States"],
                    action="shut the electricity off completely",
                    category="other",
                    evidence=["Ford threatened to shut the electricity off"],
                ),
            ],
        )
    )


def test_reports_of_one_threat_are_linked_and_others_kept_apart(tmp_path: Path) -> None:
    with Store(tmp_path / "s.sqlite3") as store:
        coverage(store)
        found = q.list_tracked(store.db, q.Filters())
        assert [(t.issuer, t.reports, t.articles) for t in found] == [
            ("Ontario", 1, 1),
            ("United States", 3, 3),
            ("United States", 1, 1),
        ]
        steel = found[1]
        assert steel.targets == ["Canada", "Ontario"]
        assert (steel.first_reported, steel.latest_reported) == ("2025-03-10", "2025-03-12")
        assert (steel.deadline_text, steel.deadline_date) == ("April 2", "2025-04-02")


def test_history_says_how_the_threat_changed_with_the_linkers_score(tmp_path: Path) -> None:
    with Store(tmp_path / "s.sqlite3") as store:
        coverage(store)
        steel = next(t for t in q.list_tracked(store.db, q.Filters()) if t.reports == 3)
        reports = q.history(store.db, steel.id)
    assert [r.outlet for r in reports] == ["voanews.com", "reuters.com", "apnews.com"]
    assert reports[0].changes == ["first report"]
    assert reports[0].likeness is None
    assert "new condition: unless Ontario drops its electricity surcharge" in reports[1].changes
    assert "deadline set: Wednesday" in reports[1].changes
    assert 'escalated: "may" -> "will"' in reports[1].changes
    assert "deadline moved: Wednesday -> April 2" in reports[2].changes
    likeness = reports[1].likeness
    assert likeness is not None
    assert likeness["issuer"] == 1.0  # "U.S." is "United States"
    assert 0.7 <= likeness["score"] <= 1.0


def test_two_threats_of_one_brief_are_never_one(tmp_path: Path) -> None:
    """A brief that lists two like threats says they differ: the linker keeps them apart."""
    with Store(tmp_path / "s.sqlite3") as store:
        store.record(make_brief("x", threats=[threat(), threat(speaker="Howard Lutnick")]))
        assert len(q.list_tracked(store.db, q.Filters())) == 2


def test_link_and_unlink_override_the_linker(tmp_path: Path) -> None:
    with Store(tmp_path / "s.sqlite3") as store:
        coverage(store)
        found = q.list_tracked(store.db, q.Filters())
        steel, wine = found[1], found[2]
        reports = q.history(store.db, steel.id)
        new = store.unlink(reports[1].id)
        assert [r.id for r in q.history(store.db, new)] == [reports[1].id]
        assert q.history(store.db, new)[0].pinned
        assert len(q.history(store.db, steel.id)) == 2
        store.link(steel.id, wine.id)
        assert q.get_tracked(store.db, wine.id) is None
        assert len(q.history(store.db, steel.id)) == 3
        with pytest.raises(KeyError):
            store.link(steel.id, 9999)


def test_filters_narrow_the_list(tmp_path: Path) -> None:
    with Store(tmp_path / "s.sqlite3") as store:
        coverage(store)

        def ids(**filters: Any) -> list[str]:
            return [t.issuer for t in q.list_tracked(store.db, q.Filters(**filters))]

        assert ids(issuer="US") == ["United States", "United States"]
        assert ids(target="EU") == ["United States"]
        assert ids(category="other") == ["Ontario"]
        assert ids(since=q.date(2025, 3, 12)) == ["Ontario", "United States"]
        assert ids(until=q.date(2025, 3, 10)) == ["United States", "United States"]
        assert ids(text="champagnes") == ["United States"]
        assert ids(text='wines" OR "steel') == []  # FTS syntax in user text is literal
        assert ids(issuer="Ontario", category="tariffs") == []


def test_deadlines_due_and_passed_without_follow_up(tmp_path: Path) -> None:
    with Store(tmp_path / "s.sqlite3") as store:
        coverage(store)
        store.record(
            make_brief(
                "old",
                published="2025-02-01",
                threats=[
                    threat(
                        issuer="Hamas",
                        targets=["Israel"],
                        category="other",
                        action="stop releasing hostages",
                        deadline={"text": "Saturday", "date": "2025-02-15", "event": "deadline"},
                    )
                ],
            )
        )
        found = q.deadlines(store.db, q.date(2025, 3, 28), 7)
    assert [(d.threat.issuer, d.status, d.days) for d in found] == [
        ("Hamas", "passed", -41),
        ("United States", "due", 5),
    ]


def write_store(tmp_path: Path) -> Path:
    path = tmp_path / "cli.sqlite3"
    with Store(path) as store:
        coverage(store)
    return path


def test_cli_lists_shows_and_escapes_article_text(tmp_path: Path) -> None:
    path = write_store(tmp_path)
    listed = runner.invoke(app, ["threats", "--store", str(path)], env={"COLUMNS": "200"})
    assert listed.exit_code == 0, listed.stderr
    assert "3 in 3 article(s)" in listed.stdout
    steel = q.list_tracked(Store(path).db, q.Filters(issuer="US", target="Ontario"))[0]
    shown = runner.invoke(
        app, ["threats", "show", str(steel.id), "--store", str(path)], env={"COLUMNS": "200"}
    )
    assert shown.exit_code == 0, shown.stderr
    assert "[bold red]The tariffs will double[/] on April 2" in shown.stdout  # not markup
    assert "deadline moved: Wednesday -> April 2" in shown.stdout
    assert "linked, likeness" in shown.stdout
    missing = runner.invoke(app, ["threats", "show", "999", "--store", str(path)])
    assert missing.exit_code == 1
    assert "no tracked threat 999" in missing.stderr


def test_cli_json_and_csv(tmp_path: Path) -> None:
    path = write_store(tmp_path)
    as_json = runner.invoke(app, ["threats", "--store", str(path), "--json", "--issuer", "US"])
    assert as_json.exit_code == 0, as_json.stderr
    assert [t["reports"] for t in json.loads(as_json.stdout)] == [3, 1]
    as_csv = runner.invoke(app, ["threats", "--store", str(path), "--csv", "--category", "other"])
    rows = list(csv.DictReader(io.StringIO(as_csv.stdout)))
    assert [r["issuer"] for r in rows] == ["Ontario"]
    due = runner.invoke(
        app,
        ["threats", "deadlines", "--as-of", "2025-03-30", "--within", "5", "--store", str(path)],
        env={"COLUMNS": "200"},
    )
    assert due.exit_code == 0, due.stderr
    assert "in 3 day(s)" in due.stdout
    due_json = runner.invoke(
        app, ["threats", "deadlines", "--as-of", "2025-03-30", "--json", "--store", str(path)]
    )
    assert [d["due"] for d in json.loads(due_json.stdout)] == ["2025-04-02"]
    history = runner.invoke(app, ["threats", "show", "1", "--csv", "--store", str(path)])
    rows = list(csv.DictReader(io.StringIO(history.stdout)))
    assert [r["outlet"] for r in rows] == ["voanews.com", "reuters.com", "apnews.com"]
    assert rows[0]["likeness"] == ""  # the first report was linked to nothing
    assert json.loads(rows[1]["likeness"])["issuer"] == 1.0
    bad = runner.invoke(app, ["threats", "--since", "last week", "--store", str(path)])
    assert bad.exit_code == 2
    assert "--since 'last week' is not a date" in bad.stderr


def test_cli_link_and_unlink(tmp_path: Path) -> None:
    path = write_store(tmp_path)
    store = Store(path)
    steel = q.list_tracked(store.db, q.Filters(target="Ontario"))[0]
    report = q.history(store.db, steel.id)[2].id
    store.close()
    unlinked = runner.invoke(app, ["threats", "unlink", str(report), "--store", str(path)])
    assert unlinked.exit_code == 0, unlinked.stderr
    new = int(unlinked.stdout)
    linked = runner.invoke(app, ["threats", "link", str(steel.id), str(new), "--store", str(path)])
    assert linked.exit_code == 0, linked.stderr
    with Store(path) as store:
        assert len(q.history(store.db, steel.id)) == 3
    nothing = runner.invoke(app, ["threats", "unlink", "999", "--store", str(path)])
    assert nothing.exit_code == 1


def test_store_import_names_bad_lines(tmp_path: Path) -> None:
    jsonl = tmp_path / "briefs.jsonl"
    jsonl.write_text(
        json.dumps(make_brief().model_dump(mode="json")) + "\n{oops\n", encoding="utf-8"
    )
    path = tmp_path / "s.sqlite3"
    result = runner.invoke(app, ["store", "import", str(jsonl), "--store", str(path)])
    assert result.exit_code == 1
    assert f"{jsonl}:2: skipped, not JSON" in result.stderr
    assert "1 new" in result.stderr
    again = runner.invoke(app, ["store", "import", str(jsonl), "--store", str(path)])
    assert "0 new, 0 replaced, 1 already stored" in again.stderr


def test_brief_keeps_each_brief_in_the_store(
    model_env: LoopbackServer, private_store: Path
) -> None:
    model_env.responder = QueueResponder([extraction(), extraction()])
    result = runner.invoke(app, ["brief", str(SEED_000), "-q"])
    assert result.exit_code == 0, result.stderr
    again = runner.invoke(app, ["brief", str(SEED_000), "-q", "--no-cache"])
    assert again.exit_code == 0, again.stderr
    with Store(private_store) as store:
        [tracked] = q.list_tracked(store.db, q.Filters())
        assert tracked.issuer == "United States"
        assert store.db.execute("SELECT count(*) FROM briefs").fetchone()[0] == 1


def test_no_store_stores_nothing(model_env: LoopbackServer, private_store: Path) -> None:
    model_env.responder = QueueResponder([extraction()])
    result = runner.invoke(app, ["brief", str(SEED_000), "-q", "--no-store"])
    assert result.exit_code == 0, result.stderr
    assert not private_store.exists()


def test_a_broken_store_costs_one_warning_and_no_brief(
    model_env: LoopbackServer, tmp_path: Path
) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    model_env.responder = QueueResponder([extraction()])
    out = tmp_path / "out.jsonl"
    result = runner.invoke(
        app, ["brief", str(SEED_000), "-q", "--store", str(blocker / "s"), "--jsonl", str(out)]
    )
    assert result.exit_code == 0, result.stderr
    assert result.stderr.count("warning: briefs not stored") == 1
    assert len(out.read_text().splitlines()) == 1


def test_a_store_failing_mid_run_warns_once_and_the_run_goes_on(
    model_env: LoopbackServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another process holds the store's write lock all run: every brief still reaches
    the JSONL, and the store costs one warning."""
    monkeypatch.setattr("summarize.store.db.BUSY_TIMEOUT_MS", 50)
    path = tmp_path / "s.sqlite3"
    Store(path).close()
    with Store(path) as store:
        store.db.execute("BEGIN IMMEDIATE")
        model_env.responder = QueueResponder([extraction()] * 3)
        out = tmp_path / "out.jsonl"
        seeds = [str(SEED_000), str(SEED_000.with_name("001_6257722e1639f71d.txt"))]
        result = runner.invoke(
            app, ["brief", *seeds, "-q", "--store", str(path), "--jsonl", str(out)]
        )
        store.db.execute("ROLLBACK")
    assert result.exit_code == 0, result.stderr
    assert result.stderr.count("warning: the store") == 1
    assert len(out.read_text().splitlines()) == 2


def test_likeness_reads_name_variants_and_the_measure_not_the_parties() -> None:
    from types import SimpleNamespace

    from summarize.similarity import likeness

    def t(issuer: str, targets: list[str], action: str) -> Any:
        return SimpleNamespace(issuer=issuer, targets=targets, category="tariffs", action=action)

    steel = t("The U.S.", ["Canada"], "double tariffs on Canadian steel")
    again = t("United States", ["Canada", "Mexico"], "raise steel tariffs on Canada")
    cars = t("United States", ["Canada"], "raise tariffs on Canadian cars")
    found = likeness(steel, again)
    assert (found.issuer, found.targets) == (1.0, 1.0)
    assert found.action > likeness(steel, cars).action  # steel is the measure, not 'Canada'
    assert 0.0 <= found.score <= 1.0


def test_the_labelled_pairs_are_scored_by_the_linkers_rule() -> None:
    import subprocess
    import sys

    root = Path(__file__).resolve().parent.parent / "evals" / "threat_pairs"
    pairs = (root / "pairs.jsonl").read_text().splitlines()
    assert len(pairs) >= 60
    out = subprocess.run(
        [sys.executable, str(root / "score.py")], capture_output=True, text=True, check=True
    ).stdout
    readme = (root.parent.parent / "README.md").read_text(encoding="utf-8")
    figures = out.split("precision ")[1].split("  (")[0]  # "0.826  recall 0.826"
    assert f"precision {figures}" in readme  # the README states what the script prints
    heldout = subprocess.run(
        [sys.executable, str(root / "score.py"), str(root / "heldout.jsonl")],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "18 pairs (7 same, 11 different)" in heldout
    figures = " ".join(heldout.split("precision ")[1].split("  (")[0].split())
    assert f"precision {figures}" in " ".join(readme.split())  # may wrap in the README


def test_linking_a_report_updates_its_threat_as_a_full_recount_would(tmp_path: Path) -> None:
    """The tracked columns kept up report by report equal those recounted from scratch."""
    from summarize.store import linker

    def snapshot(store: Store) -> list[tuple[Any, ...]]:
        rows = store.db.execute(
            "SELECT id, issuer, category, targets, first_reported, latest_reported, reports,"
            " articles, deadline_text, deadline_date, deadline_reported, target_keys"
            " FROM tracked ORDER BY id"
        )
        return [(*row[:-1], linker.unpack(row[-1])) for row in rows]

    with Store(tmp_path / "s.sqlite3") as store:
        coverage(store)
        store.record(make_brief("voa-1", published="2025-03-10", model="m2"))  # a second model
        kept = snapshot(store)
        with store.transaction() as db:
            linker.refresh(db, [row[0] for row in kept])
        assert snapshot(store) == kept
        assert any(row[6] == 4 and row[7] == 3 for row in kept)  # 4 reports, 3 articles


def test_help_names_the_store_variable() -> None:
    """Help text in square brackets would be eaten as markup: the variable must show."""
    for args in (["brief", "--help"], ["threats", "--help"], ["watch", "--help"]):
        result = runner.invoke(app, args, env={"COLUMNS": "200"})
        assert "SUMMARIZE_STORE" in result.stdout, args


def test_names_in_other_scripts_keep_their_letters() -> None:
    """Two non-Latin issuers are two names, not one empty one; accents stay."""
    from summarize.similarity import canonical_name, normalize_name

    assert normalize_name("Кремль") == "кремль"
    assert normalize_name("Кремль") != normalize_name("Пекин")
    assert normalize_name("Türkiye") == "türkiye"
    assert canonical_name("The U.S.") == canonical_name("United States")


@pytest.mark.parametrize("name", ["[/x]", "[bold]kept[/bold]"])
def test_a_store_path_is_printed_as_written_in_its_error(tmp_path: Path, name: str) -> None:
    """A path is someone else's text: `[/x]` must not crash rich's markup parser, and
    `[bold]` must not vanish from the message."""
    blocker = tmp_path / "afile"
    blocker.write_text("not a folder")
    path = blocker / name / "store.db"
    done = runner.invoke(app, ["threats", "--store", str(path)])
    assert done.exit_code == 2, done.output
    assert isinstance(done.exception, SystemExit)
    assert name in done.output.replace("\n", "")
