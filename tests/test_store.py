"""The store: real SQLite files, migrations, idempotent recording, JSONL import."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from summarize.migrations import MIGRATIONS, migrate
from summarize.schema import Brief
from summarize.store import Store
from summarize.store.db import index_evidence


def make_brief(
    article_id: str = "a1",
    *,
    published: str | None = "2025-03-11",
    threats: list[dict[str, Any]] | None = None,
    model: str = "m1",
    prompt_version: str = "v1",
    summary: str = "Canada and the US trade threats.",
    url: str | None = None,
) -> Brief:
    if threats is None:
        threats = [threat()]
    return Brief.model_validate(
        {
            "summary": summary,
            "threats": threats,
            "actors": [{"name": "United States", "kind": "state", "role": "issuer"}],
            "dates": [{"text": "Tuesday", "date": published, "event": "the threat"}],
            "article": {
                "id": article_id,
                "source": f"{article_id}.txt",
                "title": f"Story {article_id}",
                "published": published,
                "chars_raw": 100,
                "chars_clean": 90,
                "url": url,
            },
            "run": {"provider": "openai", "model": model, "prompt_version": prompt_version},
        }
    )


def threat(**overrides: Any) -> dict[str, Any]:
    value: dict[str, Any] = {
        "issuer": "United States",
        "speaker": "President Donald Trump",
        "targets": ["Canada"],
        "action": "double the tariff on Canadian steel and aluminum",
        "category": "tariffs",
        "conditions": [],
        "deadline": None,
        "evidence": ["Trump said he would double the tariffs on Canadian steel"],
    }
    value.update(overrides)
    return value


def count(store: Store, table: str) -> int:
    return int(store.db.execute(f"SELECT count(*) FROM {table}").fetchone()[0])


def test_a_new_store_is_migrated_once_and_reopens_without_migrating(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "store.sqlite3"
    Store(path).close()
    db = sqlite3.connect(path, isolation_level=None)
    names = [row[0] for row in db.execute("SELECT name FROM _migrations ORDER BY name")]
    assert names == [fn.__name__ for fn in MIGRATIONS]
    assert migrate(db) == []  # nothing left to apply
    db.close()


def test_a_failing_migration_leaves_the_database_as_it_was(tmp_path: Path) -> None:
    db = sqlite3.connect(tmp_path / "s.sqlite3", isolation_level=None)

    def m999_broken(conn: sqlite3.Connection) -> None:
        conn.execute("CREATE TABLE half_done (x)")
        raise sqlite3.OperationalError("boom")

    MIGRATIONS.append(m999_broken)
    try:
        with pytest.raises(sqlite3.OperationalError):
            migrate(db)
    finally:
        MIGRATIONS.remove(m999_broken)
    tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master")}
    assert "half_done" not in tables
    assert "articles" in tables  # the good migrations before it were kept
    applied = {row[0] for row in db.execute("SELECT name FROM _migrations")}
    assert "m999_broken" not in applied


def test_a_migration_that_fills_the_disk_reports_the_full_disk(tmp_path: Path) -> None:
    """SQLite rolls a transaction back by itself when the disk fills: the fault reaches
    the caller as SQLITE_FULL (which the answer cache turns itself off on), not as a
    failed ROLLBACK, and nothing of the migration is kept."""
    db = sqlite3.connect(tmp_path / "s.sqlite3", isolation_level=None)
    db.execute("PRAGMA max_page_count = 4")

    def m001_fill(conn: sqlite3.Connection) -> None:
        conn.execute("CREATE TABLE filler (x)")
        for _ in range(100):
            conn.execute("INSERT INTO filler VALUES (?)", ("x" * 500,))

    with pytest.raises(sqlite3.OperationalError) as raised:
        migrate(db, [m001_fill])
    assert raised.value.sqlite_errorname == "SQLITE_FULL"
    tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master")}
    assert "filler" not in tables
    assert db.execute("SELECT count(*) FROM _migrations").fetchone() == (0,)


def test_a_brief_is_stored_with_its_threats_actors_dates_and_evidence(tmp_path: Path) -> None:
    with Store(tmp_path / "s.sqlite3") as store:
        stored = store.record(make_brief())
        assert stored.status == "new"
        assert [count(store, t) for t in ("articles", "briefs", "threats", "evidence")] == [
            1,
            1,
            1,
            1,
        ]
        assert count(store, "actors") == 1
        assert count(store, "dates") == 1
        record = store.db.execute("SELECT record FROM briefs").fetchone()[0]
        assert Brief.model_validate_json(record) == make_brief()  # nothing lost


def test_the_same_brief_twice_is_one_record(tmp_path: Path) -> None:
    with Store(tmp_path / "s.sqlite3") as store:
        store.record(make_brief())
        again = store.record(make_brief())
        assert again.status == "unchanged"
        assert count(store, "briefs") == 1
        assert count(store, "threats") == 1
        assert count(store, "tracked") == 1


def test_a_new_answer_under_the_same_model_and_prompt_replaces_the_old(tmp_path: Path) -> None:
    with Store(tmp_path / "s.sqlite3") as store:
        store.record(make_brief())
        changed = store.record(make_brief(threats=[threat(), threat(category="sanctions")]))
        assert changed.status == "replaced"
        assert count(store, "briefs") == 1
        assert count(store, "threats") == 2
        assert count(store, "evidence") == 2


def test_a_new_model_or_prompt_version_is_kept_beside_the_old(tmp_path: Path) -> None:
    with Store(tmp_path / "s.sqlite3") as store:
        store.record(make_brief())
        store.record(make_brief(model="m2"))
        store.record(make_brief(prompt_version="v2"))
        assert count(store, "articles") == 1
        assert count(store, "briefs") == 3
        # the three briefs of one article report one threat
        assert count(store, "tracked") == 1


def test_import_skips_failures_and_names_bad_lines(tmp_path: Path) -> None:
    lines = [
        json.dumps(make_brief("a1").model_dump(mode="json")),
        json.dumps({"article": {"id": "x", "source": "x"}, "error": {"kind": "timeout"}}),
        "{not json",
        json.dumps({"summary": "no run"}),
        "",
        json.dumps(make_brief("a2").model_dump(mode="json")),
        json.dumps(make_brief("a1").model_dump(mode="json")),
    ]
    path = tmp_path / "briefs.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with Store(tmp_path / "s.sqlite3") as store:
        report = store.import_jsonl(path)
        assert (report.new, report.unchanged, report.failures) == (2, 1, 1)
        assert [number for number, _ in report.bad_lines] == [3, 4]
        assert "not JSON" in report.bad_lines[0][1]
        assert "not a brief" in report.bad_lines[1][1]
        assert count(store, "briefs") == 2


def test_evidence_is_searchable_with_fts5(tmp_path: Path) -> None:
    """Quotes are indexed in bulk (on close, before a search); replacing a brief removes
    its indexed quotes and never confuses the index with quotes it does not hold."""

    def search(store: Store, word: str) -> list[str]:
        rows = store.db.execute(
            "SELECT quote FROM evidence_fts WHERE evidence_fts MATCH ?", (word,)
        )
        return [row[0] for row in rows]

    path = tmp_path / "s.sqlite3"
    with Store(path) as store:
        store.record(make_brief())
        assert search(store, "steel") == []  # not indexed yet
    with Store(path) as store:  # closing indexed it
        assert search(store, "steel") == [
            "Trump said he would double the tariffs on Canadian steel"
        ]
        store.record(make_brief(threats=[threat(evidence=["aluminum only"])]))
        assert search(store, "steel") == []  # the replaced brief's quote left the index
        store.record(make_brief(threats=[threat(evidence=["zinc only"])]))  # never indexed
        assert index_evidence(store.db) == 1
        assert search(store, "zinc") == ["zinc only"]
        assert search(store, "aluminum") == []
        store.db.execute("INSERT INTO evidence_fts (evidence_fts) VALUES ('integrity-check')")


def test_an_unusable_store_path_is_a_config_error(tmp_path: Path) -> None:
    from summarize.errors import ConfigError

    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(ConfigError, match="cannot open the store"):
        Store(blocker / "store.sqlite3")


def test_the_default_store_lives_in_the_user_data_folder(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from summarize.store import default_path

    monkeypatch.setenv("SUMMARIZE_STORE", str(tmp_path / "mine.sqlite3"))
    assert default_path() == tmp_path / "mine.sqlite3"
    monkeypatch.delenv("SUMMARIZE_STORE")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    assert default_path() == tmp_path / "data" / "summarize" / "store.sqlite3"
