"""Storage faults under the answer cache never cost an article: a damaged cache is a miss,
a cache that cannot be written is turned off, and every brief of the batch is written.

Each case runs a 200-article batch through the CLI against the loopback server, with the
real SQLite file damaged the way disks and users damage it.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import sqlite3
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from summarize.articles import article_from_text
from summarize.batch import run_batch
from summarize.cache import AnswerCache
from summarize.cli import app
from summarize.client import ModelClient
from summarize.data import Article
from summarize.loopback import LoopbackServer, Reply, Request, structured_reply
from summarize.modelconfig import ModelConfig
from summarize.options import BriefOptions
from summarize.prompts import load_prompt
from summarize.schema import Brief
from summarize.transport import REQUEST_LOG
from tests.conftest import extraction

runner = CliRunner()
COUNT = 200
ANSWER = extraction(threats=[], dates=[])


@pytest.fixture(autouse=True)
def no_stale_request_log() -> None:
    """An earlier test's `--verbose` leaves its log handler on the `summarize` logger,
    writing to that test's closed stream; its 'Logging error' would read as ours."""
    logger = logging.getLogger("summarize")
    for handler in [h for h in logger.handlers if h.get_name() == REQUEST_LOG]:
        logger.removeHandler(handler)


def answer(request: Request) -> Reply:
    return structured_reply(request, ANSWER)


def story(number: int) -> str:
    return f"Story {number}. Ministers of two states met on Monday to talk about trade."


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    path = tmp_path / "corpus.jsonl"
    lines = (json.dumps({"id": f"a{n}", "text": story(n)}) for n in range(COUNT))
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.fixture
def model(model_env: LoopbackServer) -> LoopbackServer:
    model_env.responder = answer
    return model_env


def brief_all(corpus: Path, cache: Path, out: Path, *more: str) -> Result:
    """Brief the corpus with `cache`; assert every brief reached --jsonl and --json."""
    out.mkdir(exist_ok=True)
    jsonl, json_file = out / "briefs.jsonl", out / "briefs.json"
    jsonl.unlink(missing_ok=True)
    flags = [
        "-q",
        "-j",
        "8",
        "--cache",
        str(cache),
        "--jsonl",
        str(jsonl),
        "--json",
        str(json_file),
        *more,
    ]
    result = runner.invoke(app, ["brief", str(corpus), *flags])
    assert result.exit_code == 0, result.stderr
    assert "Traceback" not in result.stderr
    lines = [json.loads(line) for line in jsonl.read_text().splitlines()]
    assert sorted(line["article"]["id"] for line in lines) == sorted(f"a{n}" for n in range(COUNT))
    assert all("summary" in line for line in lines)
    records = json.loads(json_file.read_text())
    assert [r["article"]["id"] for r in records] == [f"a{n}" for n in range(COUNT)]
    return result


def warnings(result: Result) -> list[str]:
    return [line for line in result.stderr.splitlines() if line.startswith("warning: cache")]


def totals(result: Result) -> str:
    return next(line for line in result.stderr.splitlines() if " brief(s), " in line)


def filled_cache(corpus: Path, model: LoopbackServer, tmp_path: Path) -> Path:
    """A cache holding the answers for the whole corpus, written by a first run."""
    path = tmp_path / "filled.sqlite3"
    brief_all(corpus, path, tmp_path / "first")
    assert len(model.requests) == COUNT
    assert AnswerCache(path).stats().entries == COUNT
    return path


def test_a_corrupt_page_is_a_miss_with_one_warning(
    corpus: Path, model: LoopbackServer, tmp_path: Path
) -> None:
    """Garbage over the key index's root page: the first lookup finds the damage, the
    cache is off from then on (nothing more is written into a damaged file), every answer
    is fetched again, one warning names the file and the fault, and so does the totals."""
    path = filled_cache(corpus, model, tmp_path)
    with sqlite3.connect(path) as connection:
        page_size = connection.execute("PRAGMA page_size").fetchone()[0]
        index_root = connection.execute(
            "SELECT rootpage FROM sqlite_master WHERE type = 'index' AND tbl_name = 'answers'"
        ).fetchone()[0]
    connection.close()
    with path.open("r+b") as file:
        file.seek((index_root - 1) * page_size + 8)
        file.write(os.urandom(page_size - 16))

    result = brief_all(corpus, path, tmp_path / "second")
    assert len(model.requests) == COUNT + COUNT  # the first run's, then all asked again
    [warning] = warnings(result)
    assert str(path) in warning
    assert "malformed" in warning
    assert "cache off (database disk image is malformed)" in totals(result)


@pytest.mark.parametrize("workers", ["1", "2"])
def test_rows_that_are_not_answers_are_asked_again_and_the_rest_still_hit(
    corpus: Path, model: LoopbackServer, tmp_path: Path, workers: str
) -> None:
    """Rows whose answer is not JSON, not an object, or whose token counts are text are
    misses; the intact rows are still answered from the cache. With worker processes
    each meets its share, and the totals line counts them all."""
    path = filled_cache(corpus, model, tmp_path)
    with sqlite3.connect(path) as connection:
        connection.execute("UPDATE answers SET answer = '{not json' WHERE rowid % 4 = 0")
        connection.execute("UPDATE answers SET answer = '[1, 2]' WHERE rowid % 4 = 1")
        connection.execute("UPDATE answers SET input_tokens = 'many' WHERE rowid % 4 = 2")
    connection.close()

    result = brief_all(corpus, path, tmp_path / "second", "--workers", workers)
    assert len(model.requests) == COUNT + COUNT * 3 // 4  # the damaged rows, and only those
    assert 1 <= len(warnings(result)) <= int(workers)  # the first fault of each process
    line = totals(result)
    assert f"{COUNT // 4} from cache" in line
    assert f"{COUNT * 3 // 4} cache read(s) failed" in line


def test_a_table_of_another_schema_is_left_alone_and_the_cache_is_off(
    corpus: Path, model: LoopbackServer, tmp_path: Path
) -> None:
    """--cache pointed at another program's database holding an `answers` table: one
    warning, nothing read from or written into it, every article briefed."""
    path = tmp_path / "other.sqlite3"
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE answers (id INTEGER PRIMARY KEY, reply BLOB)")
        connection.execute("INSERT INTO answers (reply) VALUES ('theirs')")
    connection.close()

    result = brief_all(corpus, path, tmp_path / "out")
    [warning] = warnings(result)
    assert "another schema" in warning
    assert "cache off" in totals(result)
    rows = sqlite3.connect(path).execute("SELECT * FROM answers").fetchall()
    assert rows == [(1, "theirs")]
    cleared = runner.invoke(app, ["cache", "clear", "--cache", str(path)])
    assert cleared.exit_code == 1
    assert "not clearing it" in cleared.stderr
    assert sqlite3.connect(path).execute("SELECT count(*) FROM answers").fetchone() == (1,)


def test_a_file_that_is_not_sqlite_is_never_written_nor_cleared(
    corpus: Path, model: LoopbackServer, tmp_path: Path
) -> None:
    """--cache naming a text file by mistake: the batch runs uncached, the file is kept
    byte for byte, and `cache clear` / `cache stats` refuse with one line."""
    path = tmp_path / "notes.txt"
    path.write_text("my notes, not a database\n" * 200)
    before = path.read_bytes()

    result = brief_all(corpus, path, tmp_path / "out")
    [warning] = warnings(result)
    assert "not a database" in warning
    for command in ("clear", "stats"):
        refused = runner.invoke(app, ["cache", command, "--cache", str(path)])
        assert refused.exit_code == 1, command
        assert "Traceback" not in refused.stderr
        assert len(refused.stderr.strip().splitlines()) == 1, refused.stderr
    assert path.read_bytes() == before


def test_cache_stats_and_clear_on_a_corrupt_cache_do_not_traceback(
    corpus: Path, model: LoopbackServer, tmp_path: Path
) -> None:
    """`stats` says the file is damaged and how to fix it; `clear` deletes it; the next
    run starts a fresh cache."""
    path = filled_cache(corpus, model, tmp_path)
    with path.open("r+b") as file:
        file.seek(100)  # past the file header, into the schema page: nothing can be read
        file.write(os.urandom(3000))

    stats = runner.invoke(app, ["cache", "stats", "--cache", str(path)])
    assert stats.exit_code == 1
    assert "Traceback" not in stats.stderr
    assert "summarize cache clear" in stats.stderr
    cleared = runner.invoke(app, ["cache", "clear", "--cache", str(path)])
    assert cleared.exit_code == 0, cleared.stderr
    assert "removed the damaged cache file" in cleared.stderr
    assert not path.exists()
    brief_all(corpus, path, tmp_path / "again")
    assert AnswerCache(path).stats().entries == COUNT


class PageLimitedCache(AnswerCache):
    """A cache whose database may not grow past a few pages: SQLite answers SQLITE_FULL,
    exactly as it does for a full disk."""

    def _connect(self) -> sqlite3.Connection:
        connection = super()._connect()
        connection.execute("PRAGMA max_page_count = 12")
        return connection


def test_a_full_cache_turns_the_cache_off_with_one_warning(
    model: LoopbackServer, tmp_path: Path
) -> None:
    """Writes fail once the database is full: the cache is turned off, once, the batch
    briefs every article, and the answers stored before the fault are still readable."""
    faults: list[str] = []
    path = tmp_path / "small.sqlite3"
    cache = PageLimitedCache(path, on_fault=faults.append)
    config = ModelConfig(model="m", base_url=model.url, api_key="sk-test")
    client = ModelClient(config, cache=cache)
    articles: list[Article] = [
        article_from_text(story(n), id=f"a{n}", source=f"a{n}.txt") for n in range(COUNT)
    ]
    try:
        outcome = run_batch(articles, client, load_prompt(), BriefOptions(), concurrency=8)
    finally:
        client.close()
        cache.close()
    assert [r.article.id for r in outcome.results if isinstance(r, Brief)] == [
        a.id for a in articles
    ]
    assert len(faults) == 1
    assert "full" in faults[0]
    assert cache.off_because is not None
    stored = AnswerCache(path).stats().entries
    assert 0 < stored < COUNT


@pytest.fixture
def tiny_disk() -> Iterator[Path]:
    """A 256 KiB tmpfs: a real full disk. Needs root (mount); skipped elsewhere."""
    mountpoint = Path(f"/tmp/summarize-full-{uuid.uuid4().hex[:8]}")
    mountpoint.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(mountpoint)],
        capture_output=True,
        check=False,
    )
    if mounted.returncode != 0:
        mountpoint.rmdir()
        pytest.skip("cannot mount a tmpfs here (needs root)")
    try:
        yield mountpoint
    finally:
        subprocess.run(["umount", "--lazy", str(mountpoint)], check=False)  # even if busy
        mountpoint.rmdir()


def test_a_full_disk_under_the_cache_costs_no_brief(
    corpus: Path, model: LoopbackServer, tmp_path: Path, tiny_disk: Path
) -> None:
    """The cache fills a 256 KiB disk part-way through 200 articles: one warning, the
    cache is off, and every brief reaches --jsonl and --json on another disk."""
    result = brief_all(corpus, tiny_disk / "answers.sqlite3", tmp_path / "out")
    [warning] = warnings(result)
    assert "full" in warning
    assert "cache off" in totals(result)


def test_a_disk_already_full_when_the_run_starts_runs_it_uncached(
    corpus: Path, model: LoopbackServer, tmp_path: Path, tiny_disk: Path
) -> None:
    """No room even to create the cache: one warning, and the batch is briefed uncached
    rather than refused."""
    filler = tiny_disk / "filler"
    with contextlib.suppress(OSError), filler.open("wb") as file:  # close may fail too
        while True:
            file.write(b"\0" * 4096)
            file.flush()
    result = brief_all(corpus, tiny_disk / "answers.sqlite3", tmp_path / "out")
    [warning] = warnings(result)
    assert "full" in warning
    assert len(model.requests) == COUNT
