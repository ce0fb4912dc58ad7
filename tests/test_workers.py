"""Worker processes: the same briefs as one process, stops and kills, a shared cache."""

from __future__ import annotations

import json
import multiprocessing
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from summarize.cache import AnswerCache, CachedAnswer
from summarize.loopback import LoopbackServer
from tests.test_batch import SlowModel, cli_env, start_batch, wait_for_lines, write_stories


@pytest.fixture
def server() -> Iterator[tuple[LoopbackServer, SlowModel]]:
    model = SlowModel()
    with LoopbackServer(model) as running:
        yield running, model


def brief(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "summarize", "brief", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def without_timing(records: list[dict[str, object]]) -> list[dict[str, object]]:
    for record in records:
        run = record.get("run")
        if isinstance(run, dict):
            run.pop("seconds", None)
    return records


def test_worker_processes_brief_exactly_what_one_process_does(
    server: tuple[LoopbackServer, SlowModel], tmp_path: Path
) -> None:
    """The same 24 articles through 1 and 3 processes: the same --json (input order, all
    fields but the seconds taken), and the requests really came from 3 other processes."""
    running, model = server
    write_stories(tmp_path / "in", 24)
    env = cli_env(running, tmp_path / "cache.db")
    outputs = []
    for workers in ("1", "3"):
        out = tmp_path / f"w{workers}.json"
        args = [str(tmp_path / "in"), "-q", "-j", "6", "--no-cache", "--json", str(out)]
        result = brief([*args, "--workers", workers], env)
        assert result.returncode == 0, result.stderr
        outputs.append(without_timing(json.loads(out.read_text())))
    assert outputs[0] == outputs[1]
    assert len(outputs[0]) == 24
    assert model.served == 48


def test_workers_spread_requests_over_processes(
    server: tuple[LoopbackServer, SlowModel], tmp_path: Path
) -> None:
    """Two processes with two requests in flight each: the server sees four at once."""
    running, model = server
    model.delay = 0.1
    write_stories(tmp_path / "in", 12)
    result = brief(
        [str(tmp_path / "in"), "-q", "-j", "4", "--workers", "2", "--no-cache"],
        cli_env(running, tmp_path / "cache.db"),
    )
    assert result.returncode == 0, result.stderr
    assert model.peak == 4  # -j stays exact across processes
    assert model.served == 12


def test_requests_stay_at_j_while_workers_hold_articles_ahead(
    server: tuple[LoopbackServer, SlowModel], tmp_path: Path
) -> None:
    """-j 5 over two workers (shares of 3 and 2): each holds articles beyond its share,
    ready to send, yet the server never sees more than 5 requests at once, and sees 5."""
    from summarize.workers import prefetch, shares

    assert shares(5, 2) == [3, 2]
    assert shares(200, 2) == [100, 100]
    assert prefetch(3) >= 1  # more articles than requests: the gate is what holds -j
    running, model = server
    model.delay = 0.2
    write_stories(tmp_path / "in", 30)
    result = brief(
        [str(tmp_path / "in"), "-q", "-j", "5", "--workers", "2", "--no-cache"],
        cli_env(running, tmp_path / "cache.db"),
    )
    assert result.returncode == 0, result.stderr
    assert model.peak == 5
    assert model.served == 30


def parents() -> dict[int, int]:
    """Each running process's parent, read from /proc."""
    found = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            found[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    return found


def descendants_of(pid: int, tree: dict[int, int] | None = None) -> list[int]:
    """Every process below `pid` (workers are the fork server's children)."""
    children: dict[int, list[int]] = {}
    for child, parent in (tree or parents()).items():
        children.setdefault(parent, []).append(child)
    found, stack = [], [pid]
    while stack:
        for child in children.get(stack.pop(), []):
            found.append(child)
            stack.append(child)
    return found


def alive(pid: int) -> bool:
    try:
        return ") Z" not in Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False


def test_kill_9_of_the_parent_loses_nothing_finished_and_the_workers_go(
    server: tuple[LoopbackServer, SlowModel], tmp_path: Path
) -> None:
    """A real `kill -9` of a CLI running two worker processes: every line is whole, the
    workers exit on their own, and --resume asks only for the articles not written."""
    running, model = server
    model.delay = 0.2
    write_stories(tmp_path / "in", 16)
    jsonl = tmp_path / "out.jsonl"
    env = cli_env(running, tmp_path / "cache.db")
    args = [str(tmp_path / "in"), "-j", "4", "--workers", "2", "-q", "--no-cache"]
    args += ["--jsonl", str(jsonl)]
    process = start_batch(args, env)
    wait_for_lines(jsonl, 4)
    workers = descendants_of(process.pid)
    assert len(workers) >= 3  # the fork server and two workers (and its resource tracker)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=10)
    finished = [json.loads(line) for line in jsonl.read_text().splitlines()]  # all whole
    assert 4 <= len(finished) < 16
    deadline = time.monotonic() + 15
    while any(alive(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not [pid for pid in workers if alive(pid)], "a worker outlived its parent"

    time.sleep(0.5)  # what the dead workers had sent reaches the server
    model.delay = 0.0
    asked_before = model.served
    resumed = start_batch([*args, "--resume"], env)
    _, stderr = resumed.communicate(timeout=60)
    assert resumed.returncode == 0, stderr
    assert model.served - asked_before == 16 - len(finished)
    ids = [json.loads(line)["article"]["id"] for line in jsonl.read_text().splitlines()]
    assert sorted(ids) == [f"story-{n:03d}" for n in range(16)]


def test_ctrl_c_to_the_process_group_stops_the_batch_as_one_process_does(
    server: tuple[LoopbackServer, SlowModel], tmp_path: Path
) -> None:
    """A terminal's Ctrl-C reaches the workers too: they ignore it, finish what they
    hold, and the parent writes everything finished and exits 130."""
    running, model = server
    model.delay = 0.4
    write_stories(tmp_path / "in", 16)
    jsonl, array = tmp_path / "out.jsonl", tmp_path / "out.json"
    args = [str(tmp_path / "in"), "-j", "4", "--workers", "2", "-q", "--jsonl", str(jsonl)]
    process = subprocess.Popen(
        [sys.executable, "-m", "summarize", "brief", *args, "--json", str(array)],
        env=cli_env(running, tmp_path / "cache.db"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    wait_for_lines(jsonl, 2)
    os.killpg(process.pid, signal.SIGINT)
    _, stderr = process.communicate(timeout=30)
    assert process.returncode == 130, stderr
    lines = jsonl.read_text().splitlines()
    assert 2 <= len(lines) < 16
    assert len(json.loads(array.read_text())) == len(lines)
    assert "interrupted:" in stderr
    assert "Traceback" not in stderr


def _fill(path: str, start: int, count: int) -> None:
    cache = AnswerCache(path)
    for n in range(start, start + count):
        cache.put(
            f"k{n}", CachedAnswer(answer={"n": n}, model="m", input_tokens=1, output_tokens=1)
        )
        assert cache.get(f"k{n}") is not None
    cache.close()
    if cache.off_because is not None or cache.read_faults:
        raise SystemExit(f"cache fault: {cache.off_because} {cache.read_faults}")


def test_the_answer_cache_takes_writers_in_four_processes_at_once(tmp_path: Path) -> None:
    """Four real processes writing 300 answers each into one file: no fault, no loss."""
    path = str(tmp_path / "shared.sqlite3")
    AnswerCache(path).close()
    context = multiprocessing.get_context("spawn")
    processes = [context.Process(target=_fill, args=(path, n * 300, 300)) for n in range(4)]
    for process in processes:
        process.start()
    for process in processes:
        process.join(timeout=120)
    assert [p.exitcode for p in processes] == [0, 0, 0, 0]
    cache = AnswerCache(path)
    assert cache.stats().entries == 1200
    assert cache.get("k1199") is not None
    cache.close()


def test_a_killed_worker_is_named_and_resume_finishes_what_it_held(
    server: tuple[LoopbackServer, SlowModel], tmp_path: Path
) -> None:
    """A worker process killed mid-run (the OOM killer, say): the run ends with a
    one-line reason, not a traceback or a hang; every line written is whole; and
    --resume briefs exactly what has no brief yet."""
    running, model = server
    model.delay = 0.3
    write_stories(tmp_path / "in", 24)
    jsonl = tmp_path / "out.jsonl"
    env = cli_env(running, tmp_path / "cache.db")
    args = [str(tmp_path / "in"), "-j", "4", "--workers", "2", "-q", "--no-cache"]
    args += ["--jsonl", str(jsonl)]
    process = start_batch(args, env)
    wait_for_lines(jsonl, 2)
    tree = parents()
    # Workers are the fork server's children: the CLI's grandchildren.
    workers = [pid for pid in descendants_of(process.pid, tree) if tree[pid] != process.pid]
    assert len(workers) == 2, workers
    os.kill(workers[0], signal.SIGKILL)
    _, stderr = process.communicate(timeout=90)
    assert process.returncode == 1, stderr
    assert "Traceback" not in stderr
    assert "worker process summarize-worker-" in stderr  # each lost article names why
    assert "article(s) not started; finish them with --jsonl" in stderr
    records = [json.loads(line) for line in jsonl.read_text().splitlines()]  # all whole
    briefed = {r["article"]["id"] for r in records if "error" not in r}
    assert len(briefed) < 24

    model.delay = 0.0
    resumed = start_batch([*args, "--resume"], env)
    _, stderr = resumed.communicate(timeout=90)
    assert resumed.returncode == 0, stderr
    records = [json.loads(line) for line in jsonl.read_text().splitlines()]
    briefed = {r["article"]["id"] for r in records if "error" not in r}
    assert briefed == {f"story-{n:03d}" for n in range(24)}


def test_with_workers_the_parent_never_imports_the_model_sdk(
    server: tuple[LoopbackServer, SlowModel], tmp_path: Path
) -> None:
    """The parent of worker processes calls no model: it builds no client and leaves the
    SDK (half a second of imports) to the workers; one process imports it as before."""
    running, _ = server
    write_stories(tmp_path / "in", 6)
    probe = (
        "import sys; from summarize.cli import program; "
        "code = program(sys.argv[1:]); "
        "print('openai' in sys.modules, 'instructor' in sys.modules); sys.exit(code)"
    )
    seen = []
    for workers in ("2", "1"):
        args = [str(tmp_path / "in"), "-q", "--no-cache", "-j", "2", "--workers", workers]
        result = subprocess.run(
            [sys.executable, "-c", probe, "brief", *args],
            env=cli_env(running, tmp_path / "cache.db"),
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert result.returncode == 0, result.stderr
        seen.append(result.stdout.split()[-2:])
    assert seen == [["False", "False"], ["True", "True"]]


def test_the_fork_server_is_started_early_only_for_runs_that_look_large(tmp_path: Path) -> None:
    """Worker processes start from a fork server whose imports take a second: it is
    started before the inputs are read when they will most likely be needed."""
    from summarize.commands.brief import AUTO_WORKERS_FROM, LARGE_INPUT_BYTES, _looks_large

    small, large, folder = tmp_path / "one.txt", tmp_path / "big.jsonl", tmp_path / "many"
    small.write_text("A story.\n")
    large.write_bytes(b"{}\n" * (LARGE_INPUT_BYTES // 3 + 1))
    folder.mkdir()
    for n in range(AUTO_WORKERS_FROM - 1):
        (folder / f"{n}.txt").write_text("A story.\n")
    assert not _looks_large([str(small)], None)
    assert not _looks_large([str(folder), str(tmp_path / "missing")], None)
    assert _looks_large([str(small), str(large)], None)
    assert _looks_large([str(small)], 2)
    assert not _looks_large([str(large)], 1)
    (folder / "last.txt").write_text("A story.\n")
    assert _looks_large([str(folder)], None)
