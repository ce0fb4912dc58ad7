"""No read is unbounded: files, standard input and corpus lines have a size cap, devices
and pipes named as paths are refused by name, and memory stays near the cap."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from summarize.articles import read_inputs
from summarize.cli import app
from summarize.data import Article
from summarize.errors import InputError
from summarize.loopback import LoopbackServer, Reply, Request, structured_reply
from tests.conftest import ROOT, SEED_000, extraction

runner = CliRunner()
STORY = "Story a. Ministers of two states met on Monday to talk about trade.\n"


def answer(request: Request) -> Reply:
    return structured_reply(request, extraction(threats=[], dates=[]))


@pytest.fixture
def model() -> Iterator[LoopbackServer]:
    with LoopbackServer(answer) as server:
        yield server


def cli_env(server: LoopbackServer) -> dict[str, str]:
    return {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "OPENAI_BASE_URL": server.url,
        "SUMMARIZE_MODEL": "m",
        "OPENAI_API_KEY": "sk-test",
    }


# Runs the command and reports its peak RSS. The measuring parent must be small: a child's
# ru_maxrss starts from the memory of the process it was forked from (here, pytest).
LAUNCHER = """
import os, subprocess, sys
child = subprocess.Popen(sys.argv[1:])
_, status, usage = os.wait4(child.pid, 0)
sys.stderr.write(f"\\npeak-rss-kb {usage.ru_maxrss}\\n")
sys.exit(os.waitstatus_to_exitcode(status))
"""


def run_measured(
    command: list[str], env: dict[str, str], stdin: int | None = None, timeout: float = 60
) -> tuple[int, str, str, float]:
    """Run the CLI in a child process: exit code, stdout, stderr, and its peak RSS in MB."""
    result = subprocess.run(
        [sys.executable, "-c", LAUNCHER, sys.executable, "-m", "summarize", *command],
        env=env,
        stdin=stdin if stdin is not None else subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    stderr, _, peak = result.stderr.rpartition("peak-rss-kb ")
    return result.returncode, result.stdout, stderr, int(peak) / 1024


def test_a_file_over_the_cap_is_refused_by_name_and_the_rest_is_briefed(
    model: LoopbackServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One line names the file, the cap and the flag; the article beside it is briefed."""
    big = tmp_path / "big.txt"
    big.write_text(STORY * 20_000)  # 1.4 MB
    monkeypatch.setenv("OPENAI_BASE_URL", model.url)
    monkeypatch.setenv("SUMMARIZE_MODEL", "m")
    result = runner.invoke(
        app,
        ["brief", str(big), str(SEED_000), "--max-input-bytes", "1000000", "--json", "-"],
    )
    assert result.exit_code == 1
    records = json.loads(result.stdout)
    assert records[0]["error"]["message"] == (
        f"{big}: larger than 1,000,000 bytes (--max-input-bytes); split it, or raise "
        "--max-input-bytes if it really is one article"
    )
    assert "summary" in records[1]
    raised = ["--max-input-bytes", "2000000", "--max-chunks", "40", "-q"]
    again = runner.invoke(app, ["brief", str(big), *raised])
    assert again.exit_code == 0, again.stderr  # under a raised cap it is an article


@pytest.mark.parametrize("kind", ["character device", "fifo"])
def test_devices_and_pipes_named_as_paths_are_refused_at_once(
    model: LoopbackServer, tmp_path: Path, kind: str
) -> None:
    """/dev/zero would be read for ever and a FIFO would block: each is refused by name,
    with the way to read it anyway (as stdin), and the article beside it is briefed."""
    if kind == "fifo":
        path = tmp_path / "pipe"
        os.mkfifo(path)
        name = "a named pipe (FIFO)"
    else:
        path, name = Path("/dev/zero"), "a character device"
    code, out, err, _ = run_measured(
        ["brief", str(path), str(SEED_000), "--json", "-", "--no-cache"], cli_env(model), timeout=30
    )
    assert code == 1, err
    records = json.loads(out)
    assert records[0]["error"]["message"] == (
        f"{path}: is {name}, not a file; to read it anyway, pipe it in as standard input: "
        f"summarize brief - < {path}"
    )
    assert "summary" in records[1]
    assert "Traceback" not in err


def test_dev_zero_on_stdin_is_refused_from_its_first_piece(model: LoopbackServer) -> None:
    """Zeros on stdin are binary: refused after the first 1 MiB, not after reading
    gigabytes; the process stays small."""
    with open("/dev/zero", "rb") as zeros:
        code, out, _, peak = run_measured(
            ["brief", "-", "--json", "-", "--no-cache"], cli_env(model), stdin=zeros.fileno()
        )
    assert code == 1
    [record] = json.loads(out)
    assert "looks like a binary file" in record["error"]["message"]
    assert peak < 150, peak


def test_endless_text_on_stdin_stops_at_the_cap_with_memory_near_it(
    model: LoopbackServer,
) -> None:
    """`yes` never ends: reading stops at the cap, and memory grows with the cap (at most
    twice the difference between two caps), not with what the writer could send."""

    def endless(cap: int) -> tuple[str, float]:
        writer = subprocess.Popen(["yes", STORY.strip()], stdout=subprocess.PIPE)
        assert writer.stdout is not None
        try:
            command = ["brief", "-", "--json", "-", "--no-cache", "--max-input-bytes", str(cap)]
            code, out, _, peak = run_measured(command, cli_env(model), writer.stdout.fileno())
        finally:
            writer.kill()
            writer.wait()
        assert code == 1
        [record] = json.loads(out)
        return record["error"]["message"], peak

    message, large = endless(40_000_000)
    assert message.startswith("<stdin>: larger than 40,000,000 bytes (--max-input-bytes)")
    _, small = endless(1_000_000)
    assert large - small < 2 * 39, (small, large)


def test_a_corpus_line_over_the_cap_fails_alone(tmp_path: Path) -> None:
    """A corpus is read a line at a time: the huge line and the binary line each fail,
    named by line; the lines around them are articles."""
    path = tmp_path / "corpus.jsonl"
    lines = [
        json.dumps({"id": "a", "text": STORY}),
        json.dumps({"id": "huge", "text": STORY * 2_000}),
        '{"id": "nul", "text": "\x00\x00"}',
        json.dumps({"id": "b", "text": STORY}),
    ]
    path.write_text("\n".join(lines) + "\n")
    entries = read_inputs([str(path)], max_bytes=100_000)
    assert [e.id if isinstance(e, Article) else type(e).__name__ for e in entries] == [
        "a",
        "InputError",
        "InputError",
        "b",
    ]
    assert isinstance(entries[1], InputError)
    assert str(entries[1]).startswith(f"{path}:2: larger than 100,000 bytes")
    assert str(entries[2]).startswith(f"{path}:3: looks like a binary file")


def news_prose(size: int) -> str:
    """`size` characters of news prose with curly quotes, as a long file would hold."""
    paragraph = SEED_000.read_text(encoding="utf-8").strip() + "\n\n"
    return (paragraph * (size // len(paragraph) + 1))[:size]


def test_a_large_file_costs_memory_near_its_size_and_exits_1_as_truncated(
    model: LoopbackServer, tmp_path: Path
) -> None:
    """A 20 MB article: peak memory over a 100 kB article's run stays under 3x the file
    (it was 17x: every character was cleaned, tokenized and split though past --max-chunks
    nothing is sent); the brief of its head is kept, named on stderr, and the exit is 1."""
    env = cli_env(model)
    small, big = tmp_path / "small.txt", tmp_path / "big.txt"
    small.write_text(news_prose(100_000), encoding="utf-8")
    big.write_text(news_prose(20_000_000), encoding="utf-8")
    flags = ["--json", "-", "--no-cache", "--max-input-bytes", "30000000"]
    code, _, _, baseline = run_measured(["brief", str(small), *flags], env)
    assert code == 0
    code, out, err, peak = run_measured(["brief", str(big), *flags], env)
    size_mb = big.stat().st_size / 2**20
    # 2.7x measured: the file read once, and the line-shape cleaner's signals for every
    # line of the 2-million-character head that could be sent (2.67x once a line's words
    # were no longer kept, 2.68x before, one sitting).
    assert peak - baseline < 3 * size_mb, (baseline, peak, size_mb)
    assert code == 1
    [record] = json.loads(out)
    [warning] = [w for w in record["warnings"] if w.startswith("article truncated")]
    assert "only the first 8 chunks of at most 16,000 tokens were sent" in warning
    left_out = re.search(r"characters \((\d+\.\d)%\) were left out", warning)
    assert left_out is not None
    assert float(left_out[1]) > 95
    assert f"warning: {big}: article truncated" in err
