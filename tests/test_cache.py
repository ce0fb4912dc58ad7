"""The answer cache: content-addressed, SQLite, shared safely, never holding a key."""

from __future__ import annotations

import json
import multiprocessing
import random
import sqlite3
from dataclasses import replace
from pathlib import Path

import pytest
from typer.testing import CliRunner

from summarize.articles import read_file
from summarize.cache import MIGRATIONS as CACHE_MIGRATIONS
from summarize.cache import AnswerCache, CachedAnswer, request_key
from summarize.cli import app
from summarize.client import ModelClient
from summarize.errors import InvalidAnswer
from summarize.loopback import LoopbackServer, QueueResponder
from summarize.modelconfig import ModelConfig
from summarize.options import BriefOptions
from summarize.pipeline import article_key, brief_article
from summarize.prompts import load_prompt
from summarize.schema import Brief, Extraction
from tests.conftest import SEED_000, extraction

runner = CliRunner()
SECRET = "sk-cache-test-SECRET-0123456789"


def brief_seed(config: ModelConfig, cache: AnswerCache | None) -> Brief:
    client = ModelClient(config, cache=cache)
    try:
        return brief_article(read_file(SEED_000), client, load_prompt(), BriefOptions())
    finally:
        client.close()


def test_a_cache_hit_makes_no_model_call_and_says_so(
    config: ModelConfig, server: LoopbackServer, queue: QueueResponder, tmp_path: Path
) -> None:
    """The second brief of the same article comes from the cache, marked cached, free."""
    queue.push(extraction())
    cache = AnswerCache(tmp_path / "answers.sqlite3")
    first = brief_seed(config, cache)
    second = brief_seed(config, cache)
    assert len(server.requests) == 1
    assert (first.run.cached, second.run.cached) == (False, True)
    assert second.run.attempts == 0
    assert second.run.input_tokens == first.run.input_tokens == 100  # what it cost once
    assert second.model_dump(exclude={"run"}) == first.model_dump(exclude={"run"})
    assert second.run.cache_key == first.run.cache_key


def test_the_key_covers_what_determines_the_answer_and_not_the_api_key(
    config: ModelConfig,
) -> None:
    """Model, endpoint, mode, parameters and messages change the key; the API key does not."""
    messages = [{"role": "user", "content": "article text"}]

    def key(changed: ModelConfig, msgs: list[dict[str, str]] = messages) -> str:
        return request_key(changed.request_identity(msgs, Extraction))

    base = key(config)
    assert key(replace(config, api_key="sk-other")) == base
    assert key(replace(config, model="other-model")) != base
    assert key(replace(config, base_url="http://127.0.0.1:1/v1")) != base
    assert key(replace(config, mode="tools")) != base
    assert key(replace(config, temperature=0.7)) != base
    assert key(replace(config, max_tokens=500)) != base
    assert key(config, [{"role": "user", "content": "article text!"}]) != base


def test_the_article_key_is_known_before_the_call_and_recorded_in_the_brief(
    config: ModelConfig, queue: QueueResponder
) -> None:
    """`article_key` predicts `run.cache_key`, which is what --resume relies on."""
    queue.push(extraction())
    client = ModelClient(config)
    try:
        predicted = article_key(read_file(SEED_000), client, load_prompt(), BriefOptions())
        brief = brief_article(read_file(SEED_000), client, load_prompt(), BriefOptions())
    finally:
        client.close()
    assert brief.run.cache_key == predicted


def test_refresh_asks_again_and_replaces_the_stored_answer(
    config: ModelConfig, server: LoopbackServer, queue: QueueResponder, tmp_path: Path
) -> None:
    """With read=False (--refresh) the model is called and its new answer is stored."""
    path = tmp_path / "answers.sqlite3"
    queue.push(extraction(), extraction(summary="A fresher summary."))
    brief_seed(config, AnswerCache(path))
    refreshed = brief_seed(config, AnswerCache(path, read=False))
    again = brief_seed(config, AnswerCache(path))
    assert len(server.requests) == 2
    assert refreshed.summary == again.summary == "A fresher summary."
    assert again.run.cached


def test_an_invalid_answer_is_never_cached(
    config: ModelConfig, queue: QueueResponder, tmp_path: Path
) -> None:
    """Only answers that validated are stored; a failed article asks again next time."""
    bad = {"summary": "x", "threats": [{"category": "threat"}]}
    queue.push(bad, bad, bad)
    cache = AnswerCache(tmp_path / "answers.sqlite3")
    client = ModelClient(config, cache=cache)
    with pytest.raises(InvalidAnswer):
        brief_article(read_file(SEED_000), client, load_prompt(), BriefOptions())
    client.close()
    assert cache.stats().entries == 0


def _write_entries(path: str, worker: int) -> None:
    cache = AnswerCache(path)
    for n in range(40):
        cache.put(f"{worker}-{n}", CachedAnswer({"n": n}, "m", 1, 1))
    cache.close()


def test_several_processes_can_write_one_cache_at_once(tmp_path: Path) -> None:
    """Four processes writing 40 answers each into one file lose none of the 160."""
    path = str(tmp_path / "shared.sqlite3")
    AnswerCache(path).close()
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=_write_entries, args=(path, w)) for w in range(4)]
    for process in workers:
        process.start()
    for process in workers:
        process.join(60)
    assert [p.exitcode for p in workers] == [0, 0, 0, 0]
    assert AnswerCache(path).stats().entries == 160


def test_the_cli_caches_by_default_and_never_stores_the_key(
    model_env: LoopbackServer, private_cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two `brief` runs cost one model call; the cache file holds no trace of the API key."""
    monkeypatch.setenv("OPENAI_API_KEY", SECRET)
    model_env.responder = QueueResponder([extraction()])
    first = runner.invoke(app, ["brief", str(SEED_000), "--json", "-"])
    second = runner.invoke(app, ["brief", str(SEED_000), "--json", "-"])
    assert first.exit_code == second.exit_code == 0, second.stderr
    assert len(model_env.requests) == 1
    assert json.loads(second.stdout)[0]["run"]["cached"] is True
    assert "1 from cache" in second.stderr
    for path in private_cache.parent.iterdir():
        assert SECRET.encode() not in path.read_bytes(), path
    rows = sqlite3.connect(private_cache).execute("SELECT answer FROM answers").fetchall()
    assert "sk-" not in rows[0][0]


def test_no_cache_neither_reads_nor_writes(model_env: LoopbackServer, private_cache: Path) -> None:
    """--no-cache calls the model every time and leaves no cache file behind."""
    model_env.responder = QueueResponder([extraction(), extraction()])
    for _ in range(2):
        result = runner.invoke(app, ["brief", str(SEED_000), "-q", "--no-cache"])
        assert result.exit_code == 0, result.stderr
    assert len(model_env.requests) == 2
    assert not private_cache.exists()


def test_cache_stats_and_clear(model_env: LoopbackServer, tmp_path: Path) -> None:
    """`cache stats` counts the stored answers at --cache PATH; `cache clear` empties it."""
    path = tmp_path / "elsewhere.sqlite3"
    model_env.responder = QueueResponder([extraction()])
    assert runner.invoke(app, ["brief", str(SEED_000), "-q", "--cache", str(path)]).exit_code == 0
    stats = runner.invoke(app, ["cache", "stats", "--cache", str(path)])
    assert stats.exit_code == 0
    assert "answers: 1" in stats.stdout
    assert "100 input + 50 output" in stats.stdout
    cleared = runner.invoke(app, ["cache", "clear", "--cache", str(path)])
    assert "removed 1 answer(s)" in cleared.stderr
    assert "answers: 0" in runner.invoke(app, ["cache", "stats", "--cache", str(path)]).stdout


def test_an_unusable_cache_path_is_a_one_line_usage_error(
    model_env: LoopbackServer, tmp_path: Path
) -> None:
    """A cache under a regular file cannot be opened: exit 2 naming it and the way out."""
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    result = runner.invoke(app, ["brief", str(SEED_000), "--cache", str(blocker / "c.db")])
    assert result.exit_code == 2
    assert "--no-cache" in result.stderr
    assert "Traceback" not in result.stderr


# The pre-migration cache, exactly as the code before versioned schemas created it.
OLD_SCHEMA = """
CREATE TABLE IF NOT EXISTS answers (
    key           TEXT PRIMARY KEY,
    answer        TEXT    NOT NULL,
    model         TEXT    NOT NULL,
    input_tokens  INTEGER NOT NULL,
    output_tokens INTEGER NOT NULL,
    created       REAL    NOT NULL
)
"""


def migrations_of(path: Path) -> list[tuple[str, str]]:
    with sqlite3.connect(path) as connection:
        rows = connection.execute("SELECT name, applied_at FROM _migrations ORDER BY name")
        return [(str(name), str(at)) for name, at in rows]


def test_a_fresh_cache_runs_its_migrations_once_and_a_reopened_one_runs_none(
    tmp_path: Path,
) -> None:
    path = tmp_path / "answers.sqlite3"
    first = AnswerCache(path)
    assert first.migrated == [fn.__name__ for fn in CACHE_MIGRATIONS] == ["m001_answers"]
    first.put("k", CachedAnswer({"summary": "s"}, "m", 3, 4))
    first.close()
    recorded = migrations_of(path)
    assert [name for name, _ in recorded] == ["m001_answers"]

    again = AnswerCache(path)
    assert again.migrated == []
    assert again.get("k") == CachedAnswer({"summary": "s"}, "m", 3, 4)
    again.close()
    assert migrations_of(path) == recorded  # not applied again, not re-stamped


def test_a_cache_written_before_schema_versions_opens_with_its_rows(tmp_path: Path) -> None:
    """A file from the pre-migration code keeps every row and gains the migrations table."""
    path = tmp_path / "old.sqlite3"
    with sqlite3.connect(path) as connection:
        connection.execute("PRAGMA journal_mode = WAL")
        connection.execute(OLD_SCHEMA)
        connection.executemany(
            "INSERT INTO answers VALUES (?, ?, ?, ?, ?, ?)",
            [
                (f"k{n}", json.dumps({"n": n}), "old-model", n, 2 * n, 1700000000.0)
                for n in range(5)
            ],
        )
    connection.close()

    cache = AnswerCache(path)
    try:
        assert cache.off_because is None
        assert cache.migrated == ["m001_answers"]
        assert [cache.get(f"k{n}") for n in range(5)] == [
            CachedAnswer({"n": n}, "old-model", n, 2 * n) for n in range(5)
        ]
        assert cache.stats().entries == 5
    finally:
        cache.close()
    assert [name for name, _ in migrations_of(path)] == ["m001_answers"]
    assert AnswerCache(path).migrated == []


@pytest.mark.parametrize(
    "foreign",
    [
        "CREATE TABLE answers (id INTEGER PRIMARY KEY, reply BLOB)",
        "CREATE TABLE _migrations (version INTEGER, script TEXT)",
    ],
)
def test_another_programs_tables_are_not_migrated(tmp_path: Path, foreign: str) -> None:
    """A database holding an `answers` or `_migrations` table of another shape gets no
    table of ours: the cache is off and the file's schema is as it was."""
    path = tmp_path / "theirs.sqlite3"
    with sqlite3.connect(path) as connection:
        connection.execute(foreign)
    connection.close()
    faults: list[str] = []
    cache = AnswerCache(path, on_fault=faults.append)
    cache.close()
    assert cache.off_because is not None
    assert "another schema" in cache.off_because
    assert len(faults) == 1
    with sqlite3.connect(path) as connection:
        tables = [row[0] for row in connection.execute("SELECT sql FROM sqlite_master")]
    assert tables == [foreign]


def test_a_migrations_table_garbled_past_reading_is_a_damaged_cache(tmp_path: Path) -> None:
    """A `_migrations` row that is not text SQLite can give back: the cache is off with
    one warning (not a usage error before the batch), `cache stats` says how to fix it,
    and `cache clear` removes the damaged file."""
    path = tmp_path / "answers.sqlite3"
    AnswerCache(path).close()
    with sqlite3.connect(path) as connection:
        connection.execute("UPDATE _migrations SET name = CAST(x'ff00fe41' AS TEXT)")
    connection.close()
    faults: list[str] = []
    cache = AnswerCache(path, on_fault=faults.append)
    assert cache.off_because is not None
    assert "schema tables are damaged (a row is not UTF-8 text)" in cache.off_because
    assert len(faults) == 1
    assert "summarize cache clear" in faults[0]
    assert cache.get("k") is None
    cache.close()
    stats = runner.invoke(app, ["cache", "stats", "--cache", str(path)])
    assert stats.exit_code == 1
    assert "summarize cache clear" in stats.stderr
    assert AnswerCache(path).clear() is None
    assert not path.exists()


def test_garbage_over_the_schema_pages_never_makes_the_cache_a_usage_error(
    tmp_path: Path,
) -> None:
    """Seeded garbage over each page of the migrations table and its index, as a failing
    disk writes it: every open either works or turns the cache off; none raises."""
    base = tmp_path / "base.sqlite3"
    cache = AnswerCache(base)
    for n in range(50):
        cache.put(f"k{n}", CachedAnswer({"n": n}, "m", 1, 2))
    cache.close()
    with sqlite3.connect(base) as connection:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        page_size = connection.execute("PRAGMA page_size").fetchone()[0]
        roots = [
            row[0]
            for row in connection.execute(
                "SELECT rootpage FROM sqlite_master WHERE tbl_name = '_migrations'"
            )
        ]
    connection.close()
    assert len(roots) == 2  # the table and its key's index
    outcomes = set()
    for seed in range(80):
        path = tmp_path / f"garbled{seed}.sqlite3"
        damaged = bytearray(base.read_bytes())
        start = (roots[seed % 2] - 1) * page_size + 8
        damaged[start : start + page_size - 16] = random.Random(seed).randbytes(page_size - 16)
        path.write_bytes(bytes(damaged))
        opened = AnswerCache(path, on_fault=lambda message: None)
        outcomes.add(opened.off_because is None)
        opened.close()
    assert False in outcomes  # some garbage is found, and turns the cache off


def test_held_answers_reach_the_file_together_at_commit(tmp_path: Path) -> None:
    """`holding()` batches writes: nothing held is in the file (or read back) before the
    commit, everything is after it, and the end of the block commits what is left."""
    path = tmp_path / "answers.sqlite3"
    writer, reader = AnswerCache(path), AnswerCache(path)
    answer = CachedAnswer({"summary": "s"}, "m", 1, 2)
    with writer.holding():
        for number in range(50):
            writer.put(f"k{number}", answer)
        assert reader.get("k0") is None
        assert writer.get("k0") is None  # what is held is not read back: not stored yet
        writer.commit()
        assert reader.get("k0") == answer
        assert reader.get("k49") == answer
        writer.put("last", answer)
        assert reader.get("last") is None
    assert reader.get("last") == answer
    writer.put("after", answer)  # no longer holding: written at once
    assert reader.get("after") == answer
    assert reader.stats().entries == 52
    writer.close()
    reader.close()


def test_held_answers_are_committed_when_the_block_raises(tmp_path: Path) -> None:
    path = tmp_path / "answers.sqlite3"
    cache = AnswerCache(path)

    def interrupted() -> None:
        with cache.holding():
            cache.put("k", CachedAnswer({"summary": "s"}, "m", 1, 2))
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        interrupted()
    cache.close()
    assert AnswerCache(path).get("k") is not None
