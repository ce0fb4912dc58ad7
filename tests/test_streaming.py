"""Flat memory: inputs read as the batch goes, results streamed out, not kept."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from summarize.articles import iter_inputs
from summarize.batch import Resumed, run_batch
from summarize.client import ModelClient
from summarize.data import Article
from summarize.errors import InputError
from summarize.loopback import LoopbackServer
from summarize.modelconfig import ModelConfig
from summarize.options import BriefOptions
from summarize.prompts import load_prompt
from summarize.results import Failure
from summarize.schema import Brief
from tests.test_batch import SlowModel, cli_env, start_batch, wait_for_lines, write_stories
from tests.test_bounded_reads import run_measured


@pytest.fixture
def queue_server() -> Iterator[tuple[LoopbackServer, SlowModel]]:
    model = SlowModel()
    with LoopbackServer(model) as server:
        yield server, model


STORY = (
    "Officials from the two ministries met on Monday to discuss the trade dispute. "
    "They said the talks would resume next month if both sides agreed to the terms."
)


def corpus_line(n: int) -> str:
    return json.dumps({"id": f"c{n}", "text": f"Story {n:05d}. {STORY}"})


def test_a_corpus_is_read_as_it_is_asked_for_and_a_bad_line_fails_alone(tmp_path: Path) -> None:
    """The first 999 lines are articles before the 1,000th line exists: the reader has
    not read ahead (an eager reader would have stopped at the end it saw); the bad line
    is an InputError in its place and the lines after it are still read."""
    corpus = tmp_path / "corpus.jsonl"
    corpus.write_text("".join(corpus_line(n) + "\n" for n in range(999)))
    entries = iter_inputs([str(corpus)])
    first = [next(entries) for _ in range(999)]
    assert [e.id for e in first if isinstance(e, Article)] == [f"c{n}" for n in range(999)]
    with corpus.open("a") as stream:  # written only now
        stream.write("{not json\n" + corpus_line(1000) + "\n")
    bad, after = next(entries), next(entries)
    assert isinstance(bad, InputError)
    assert str(bad).startswith(f"{corpus}:1000: not a JSON line")
    assert isinstance(after, Article)
    assert after.id == "c1000"
    assert next(entries, None) is None


def test_a_folder_is_walked_as_it_is_read(tmp_path: Path) -> None:
    """A file added to a later subfolder after the first article was read is still
    found: the walk lists a folder only when it gets there."""
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "one.txt").write_text(STORY)
    (tmp_path / "b").mkdir()
    entries = iter_inputs([str(tmp_path)])
    assert next(entries).id == "one"  # type: ignore[union-attr]
    (tmp_path / "b" / "two.txt").write_text(STORY)
    assert [e.id for e in entries if isinstance(e, Article)] == ["two"]


def test_the_batch_pulls_a_generator_as_room_opens_and_keeps_nothing_unasked(
    queue_server: tuple[LoopbackServer, SlowModel],
) -> None:
    """A generator input is pulled no further than what is in flight; with
    `keep_results=False` the outcome holds counters only; `in_order` sees input order."""
    server, model = queue_server
    model.delay = 0.02
    pulled = 0

    def articles() -> Iterator[Article]:
        nonlocal pulled
        for n in range(40):
            pulled += 1
            yield Article(id=f"s{n}", source=f"s{n}", text=f"Story {n:03d}. {STORY}")

    pulled_at_first_result: list[int] = []
    ordered: list[int] = []
    client = ModelClient(ModelConfig(model="m", base_url=server.url))
    try:
        outcome = run_batch(
            articles(),
            client,
            load_prompt(),
            BriefOptions(),
            concurrency=4,
            keep_results=False,
            on_result=lambda i, r: pulled_at_first_result.append(pulled),
            in_order=lambda i, r: ordered.append(i),
        )
    finally:
        client.close()
    assert pulled_at_first_result[0] <= 5  # four in flight, and at most one waiting
    assert outcome.results == []
    assert (outcome.briefed, outcome.failed, outcome.not_started) == (40, 0, 0)
    assert ordered == list(range(40))


def test_the_reorder_window_bounds_what_waits_for_a_slow_article(
    queue_server: tuple[LoopbackServer, SlowModel],
) -> None:
    """Article 0 is slow: no more than `window` articles past it are started before it
    finishes, so what waits to be put in input order stays bounded."""
    server, model = queue_server
    model.by_number = {0: 1.0}
    started_before_first: list[int] = []
    client = ModelClient(ModelConfig(model="m", base_url=server.url))
    ordered: list[int] = []

    def in_order(index: int, _: object) -> None:
        if index == 0:
            started_before_first.append(model.served + model.in_flight)
        ordered.append(index)

    try:
        items = [
            Article(id=f"s{n}", source=f"s{n}", text=f"Story {n:03d}. {STORY}") for n in range(30)
        ]
        run_batch(
            items, client, load_prompt(), BriefOptions(), concurrency=4, in_order=in_order, window=8
        )
    finally:
        client.close()
    assert started_before_first[0] <= 8
    assert ordered == list(range(30))


def test_json_is_written_as_the_batch_goes_and_is_valid_after_sigterm(
    queue_server: tuple[LoopbackServer, SlowModel], tmp_path: Path
) -> None:
    """Mid-run the array is already on disk beside the target, element by element; a
    SIGTERM closes it, and the target holds every finished brief as valid JSON."""
    server, model = queue_server
    model.delay = 0.3
    write_stories(tmp_path / "in", 20)
    out = tmp_path / "out"
    out.mkdir()
    array, jsonl = out / "briefs.json", tmp_path / "briefs.jsonl"
    process = start_batch(
        [str(tmp_path / "in"), "-j", "2", "-q", "--json", str(array), "--jsonl", str(jsonl)],
        cli_env(server, tmp_path / "cache.db"),
    )
    wait_for_lines(jsonl, 4)
    [partial] = [p for p in out.iterdir() if p.name.startswith(".briefs.json.")]
    assert partial.read_text().startswith('[\n  {\n    "summary"')
    assert not array.exists()
    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=30)
    assert process.returncode == 143, stderr
    briefs = json.loads(array.read_text())
    assert len(briefs) == len(jsonl.read_text().splitlines())
    assert [b["article"]["id"] for b in briefs] == sorted(b["article"]["id"] for b in briefs)
    assert list(out.iterdir()) == [array]


def test_resume_reads_the_finished_briefs_back_into_json(
    queue_server: tuple[LoopbackServer, SlowModel], tmp_path: Path
) -> None:
    """A resumed run's --json holds the briefs it did not make again, from the JSONL."""
    server, model = queue_server
    write_stories(tmp_path / "in", 5)
    jsonl, array = tmp_path / "b.jsonl", tmp_path / "b.json"
    env = cli_env(server, tmp_path / "cache.db")
    first = start_batch([str(tmp_path / "in"), "-q", "--jsonl", str(jsonl)], env)
    assert first.wait(timeout=60) == 0
    served = model.served
    again = start_batch(
        [str(tmp_path / "in"), "-q", "--jsonl", str(jsonl), "--resume", "--json", str(array)], env
    )
    _, stderr = again.communicate(timeout=60)
    assert again.returncode == 0, stderr
    assert model.served == served
    assert [b["article"]["id"] for b in json.loads(array.read_text())] == [
        f"story-{n:03d}" for n in range(5)
    ]
    assert "5 already in the JSONL file" in stderr


def test_a_resumed_article_is_a_resumed_outcome_not_a_request(
    queue_server: tuple[LoopbackServer, SlowModel],
) -> None:
    from summarize.pipeline import article_key
    from summarize.resume import pair_digest

    server, model = queue_server
    items = [Article(id=f"s{n}", source=f"s{n}", text=f"Story {n:03d}. {STORY}") for n in range(3)]
    client = ModelClient(ModelConfig(model="m", base_url=server.url))
    prompt = load_prompt()
    try:
        done = frozenset({pair_digest("s1", article_key(items[1], client, prompt, BriefOptions()))})
        seen: list[object] = []
        outcome = run_batch(
            items,
            client,
            prompt,
            BriefOptions(),
            finished=done,
            in_order=lambda i, o: seen.append(o),
        )
    finally:
        client.close()
    assert model.served == 2
    assert isinstance(seen[1], Resumed)
    assert [type(o) for o in seen] == [Brief, Resumed, Brief]
    assert (outcome.briefed, outcome.resumed) == (2, 1)
    assert not any(isinstance(r, Failure) for r in outcome.results)


def test_a_resume_cleans_each_article_once(
    queue_server: tuple[LoopbackServer, SlowModel], monkeypatch: pytest.MonkeyPatch
) -> None:
    """An article checked against the --resume file is planned (cleaned, cut into
    chunks) once: briefing reuses the plan its cache key was computed from."""
    from summarize import batch, pipeline
    from summarize.pipeline import article_key
    from summarize.resume import pair_digest

    server, model = queue_server
    items = [Article(id=f"s{n}", source=f"s{n}", text=f"Story {n:03d}. {STORY}") for n in range(3)]
    client = ModelClient(ModelConfig(model="m", base_url=server.url))
    prompt = load_prompt()
    planned: list[str] = []
    real = pipeline.plan_article

    def counted(article: Article, *args: Any, **kwargs: Any) -> Any:
        planned.append(article.id)
        return real(article, *args, **kwargs)

    try:
        done = frozenset({pair_digest("s1", article_key(items[1], client, prompt, BriefOptions()))})
        monkeypatch.setattr(pipeline, "plan_article", counted)
        monkeypatch.setattr(batch, "plan_article", counted)
        outcome = run_batch(items, client, prompt, BriefOptions(), finished=done, concurrency=1)
    finally:
        client.close()
    assert (outcome.briefed, outcome.resumed, model.served) == (2, 1, 2)
    assert sorted(planned) == ["s0", "s1", "s2"]


def make_corpus(path: Path, count: int) -> Path:
    path.write_text("".join(corpus_line(n) + "\n" for n in range(count)))
    return path


def test_memory_stays_flat_from_a_small_run_to_one_ten_times_larger(
    queue_server: tuple[LoopbackServer, SlowModel], tmp_path: Path
) -> None:
    """Peak RSS of the CLI over 300 and 3,000 articles: within 12 MB (measured once: 115
    and 116 MB; before results were streamed, 119 and 143 MB, every result kept)."""
    server, _ = queue_server
    env = {**cli_env(server, tmp_path / "cache.db"), "SUMMARIZE_WORKERS": "1"}
    peaks = []
    for count in (300, 3000):
        corpus = make_corpus(tmp_path / f"c{count}.jsonl", count)
        jsonl = tmp_path / f"out{count}.jsonl"
        code, _, stderr, peak = run_measured(
            ["brief", str(corpus), "-q", "-j", "16", "--no-cache", "--jsonl", str(jsonl)],
            env,
            timeout=300,
        )
        assert code == 0, stderr
        assert len(jsonl.read_text().splitlines()) == count
        peaks.append(peak)
    assert peaks[1] - peaks[0] < 12, peaks


def test_kill_9_loses_no_line_written_a_second_before(
    queue_server: tuple[LoopbackServer, SlowModel], tmp_path: Path
) -> None:
    """fsync is batched, but every line is handed to the system as it is written: a
    `kill -9` leaves every line that was there a moment before, whole."""
    server, model = queue_server
    model.delay = 0.05
    write_stories(tmp_path / "in", 60)
    jsonl = tmp_path / "out.jsonl"
    process = start_batch(
        [str(tmp_path / "in"), "-j", "4", "-q", "--no-cache", "--jsonl", str(jsonl)],
        cli_env(server, tmp_path / "cache.db"),
    )
    wait_for_lines(jsonl, 10)
    time.sleep(1.0)
    before = jsonl.read_bytes()
    os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=10)
    after = jsonl.read_bytes()
    assert after.startswith(before.rsplit(b"\n", 1)[0])
    assert all(json.loads(line) for line in after.splitlines())
    assert process.returncode == -signal.SIGKILL


def test_csv_and_the_view_read_the_briefs_back_in_input_order(
    queue_server: tuple[LoopbackServer, SlowModel], tmp_path: Path
) -> None:
    server, model = queue_server
    model.by_number = {n: 0.03 * (6 - n) for n in range(6)}
    write_stories(tmp_path / "in", 6)
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "summarize",
            "brief",
            str(tmp_path / "in"),
            "-j",
            "6",
            "--format",
            "md",
            "--csv",
            str(tmp_path / "t.csv"),
        ],
        env=cli_env(server, tmp_path / "cache.db"),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    positions = [result.stdout.index(f"story-{n:03d}") for n in range(6)]
    assert positions == sorted(positions)
    assert (tmp_path / "t.csv").exists()


def test_the_line_count_past_its_cap_only_forgets_never_invents() -> None:
    """A corpus with far more distinct lines than the cap: a footer in every article is
    still found (with its full count), and every count is at most the exact one: a
    story line is never taken for chrome because lines were forgotten."""
    from summarize.linefreq import repeated_lines

    footer = "Sign up for our newsletter to get the day's news in your inbox."
    texts = []
    for n in range(200):
        story = [f"Story {n} paragraph {p} says something of its own today." for p in range(6)]
        shared = [f"A background sentence number {n % 7} shared by a few of the stories."]
        texts.append("\n".join([*story, *shared, footer]))
    exact = repeated_lines(texts)
    capped = repeated_lines(iter(texts), max_distinct=40)
    assert capped[footer] == exact[footer] == 200
    assert set(capped) <= set(exact)
    assert all(capped[line] <= exact[line] for line in capped)
    assert not any("paragraph" in line for line in capped)
