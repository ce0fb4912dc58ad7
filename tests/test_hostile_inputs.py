"""Hostile inputs, paths, answers and signals, each run through the CLI against the real
loopback server: no traceback, the failure named in one line, and every other article's
brief still written.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import Result
from typer.testing import CliRunner

from summarize.cli import app
from summarize.endpoints import endpoint_identity
from summarize.loopback import LoopbackServer, Reply, Request, structured_reply
from summarize.signals import StopSignals
from tests.conftest import ROOT, extraction
from tests.test_batch import SlowModel, cli_env, start_batch, wait_for_lines, write_stories

runner = CliRunner()
BRACKETS = "[/x] [bold]B[/bold] [link=https://example.com]L[/link] [redacted] :bomb:"


def no_traceback(result: Result) -> None:
    assert "Traceback" not in result.stderr
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(
        result.exception
    )


@dataclass
class Model:
    """The loopback server and what it answered."""

    server: LoopbackServer
    answers: SlowModel

    @property
    def url(self) -> str:
        return self.server.url

    @property
    def served(self) -> int:
        return self.answers.served


@pytest.fixture
def model() -> Iterator[Model]:
    """A model answering every article with a no-threat brief, counting what it served."""
    answers = SlowModel()
    with LoopbackServer(answers) as server:
        yield Model(server, answers)


def run(model: Model, *args: str) -> Result:
    env = {"SUMMARIZE_MODEL": "m", "OPENAI_BASE_URL": model.url}
    return runner.invoke(app, ["brief", *args], env=env)


# 1. Text we did not write is printed as text.


def bracketed_answer(request: Request) -> Reply:
    """A brief whose every printed field carries rich markup, quoting the article."""
    return structured_reply(
        request,
        extraction(
            summary=f"Summary {BRACKETS}",
            threats=[
                {
                    "issuer": f"Issuer {BRACKETS}",
                    "speaker": f"Speaker {BRACKETS}",
                    "targets": [f"Target {BRACKETS}"],
                    "action": f"impose sanctions {BRACKETS}",
                    "category": "sanctions",
                    "conditions": [f"if the talks {BRACKETS} fail"],
                    "deadline": None,
                    "evidence": [f"We will act {BRACKETS} soon."],
                }
            ],
            actors=[{"name": f"Actor {BRACKETS}", "kind": "state", "role": "issuer"}],
            dates=[{"text": "Monday", "event": f"Event {BRACKETS}"}],
        ),
    )


STORY = (
    "Officials of the ministry met reporters on Monday in the capital city.\n\n"
    f'The minister said: "We will act {BRACKETS} soon." She added that sanctions would '
    f"follow if the talks {BRACKETS} fail, and that partners had been told.\n\n"
    "Diplomats from several countries said they expected further meetings this month.\n"
)


EXPORTED = {  # the fields each export carries
    "--json": ("Title", "Summary", "Issuer", "impose sanctions", "if the talks", "We will act"),
    "--csv": ("Title", "Issuer", "Speaker", "Target", "impose sanctions", "if the talks"),
    "--format": ("Title", "Summary", "Issuer", "impose sanctions"),
}


@pytest.mark.parametrize("flag", list(EXPORTED))
def test_markup_in_every_field_of_a_brief_is_exported_as_written(tmp_path: Path, flag: str) -> None:
    """Brackets in a folder and file name, a title and every field of the answer reach
    the JSON, the CSV and the Markdown report as written: no MarkupError, nothing eaten."""
    folder = tmp_path / "in ["  # with the file name below, the path holds "[/x]"
    folder.mkdir()
    (folder / "x] [bold]story.txt").write_text(f"---\ntitle: Title {BRACKETS}\n---\n{STORY}")
    (tmp_path / "out [").mkdir()
    target = tmp_path / "out [" / "x]"
    output = ["--format", "md"] if flag == "--format" else [flag, str(target), "-q"]
    with LoopbackServer(bracketed_answer) as server:
        result = runner.invoke(
            app,
            ["brief", str(folder), *output],
            env={"SUMMARIZE_MODEL": "m", "OPENAI_BASE_URL": server.url},
        )
    no_traceback(result)
    assert result.exit_code == 0, result.stderr
    text = result.stdout if flag == "--format" else target.read_text()
    if flag == "--json":
        text = json.dumps(json.loads(text), ensure_ascii=False)  # undo JSON's escaping
    if flag == "--format":
        text = re.sub(r"\\(.)", r"\1", text)  # undo Markdown's backslash escapes
    for field in EXPORTED[flag]:
        assert f"{field} {BRACKETS}" in text, field


def test_markup_in_every_field_prints_literally_in_the_terminal_view(tmp_path: Path) -> None:
    """The rich terminal view shows each bracketed field as written."""
    story = tmp_path / "story.txt"
    story.write_text(f"---\ntitle: Title {BRACKETS}\n---\n{STORY}")
    with LoopbackServer(bracketed_answer) as server:
        result = runner.invoke(
            app,
            ["brief", str(story)],
            env={"SUMMARIZE_MODEL": "m", "OPENAI_BASE_URL": server.url, "COLUMNS": "400"},
        )
    no_traceback(result)
    assert result.exit_code == 0, result.stderr
    for field in ("Title", "Summary", "Issuer", "impose sanctions", "Event"):
        assert f"{field} {BRACKETS}" in result.stdout, field


def test_a_provider_error_with_markup_and_the_key_prints_as_one_literal_line(
    tmp_path: Path,
) -> None:
    """A provider error quoting markup and the API key: the failure line keeps the
    brackets, shows `[redacted]` where the key was, and the other article is briefed."""
    key = "sk-test-0123456789abcdefghij"

    def answer(request: Request) -> Reply:
        if "Story 001." in request.prompt_text:
            message = f"bad request {BRACKETS} for key {key}"
            return Reply(status=400, body={"error": {"message": message, "type": "invalid"}})
        return structured_reply(request, extraction(threats=[], dates=[]))

    write_stories(tmp_path / "in", 2)
    with LoopbackServer(answer) as server:
        result = runner.invoke(
            app,
            ["brief", str(tmp_path / "in"), "--json", str(tmp_path / "o.json")],
            env={"SUMMARIZE_MODEL": "m", "OPENAI_BASE_URL": server.url, "OPENAI_API_KEY": key},
        )
    no_traceback(result)
    assert result.exit_code == 1
    failed = [line for line in result.stderr.splitlines() if line.startswith("failed:")]
    assert len(failed) == 1
    assert "story-001.txt" in failed[0]
    assert "[/x] [bold]B[/bold] [link=https://example.com]L[/link]" in failed[0]
    assert "for key [redacted]" in failed[0]
    assert key not in result.stderr
    briefs = json.loads((tmp_path / "o.json").read_text())
    assert [b.get("summary") is not None for b in briefs] == [True, False]


def test_markup_in_notes_and_usage_errors_prints_as_written(model: Model, tmp_path: Path) -> None:
    """A folder note and an output-path error about bracketed names keep the brackets."""
    folder = tmp_path / "in [bold]x[" / "bold]"
    folder.parent.mkdir()
    write_stories(folder, 1)
    (folder / "photo [b].png").write_bytes(b"\x89PNG")
    result = run(model, str(folder), "-q")
    no_traceback(result)
    assert result.exit_code == 0
    assert f"note: {folder}: skipped 1 file(s)" in result.stderr
    bad = run(model, str(folder), "--json", str(tmp_path / "no [/x] dir" / "o.json"))
    no_traceback(bad)
    assert bad.exit_code == 2
    assert f"there is no folder {tmp_path / 'no [/x] dir'}" in bad.stderr


def story(number: int) -> str:
    """A distinct short story, so that no two lines share a cache entry."""
    return (
        f"Officials from two ministries met on Monday about trade, meeting {number}. Talks go on."
    )


# 2. Every JSONL field's type is checked when read; a bad line fails alone, before paying.


def test_wrong_field_types_fail_their_line_alone_before_any_model_call(
    model: Model, tmp_path: Path
) -> None:
    """Ten lines, six with a wrong type or value: six named input failures, four briefs,
    and exactly four requests (nothing was paid for a bad line)."""
    lines = [
        {"id": "good-1", "text": story(1)},
        {"id": "title", "text": story(2), "title": 123},
        {"id": "url", "text": story(3), "url": ["https://example.com"]},
        {"id": "published", "text": story(4), "published": "[/x]"},
        {"id": "good-2", "text": story(5), "title": "[bold]T[/bold]", "published": "2024-05-01"},
        {"id": True, "text": story(6)},
        {"id": "text", "text": {"body": story(7)}},
        [1, 2, 3],
        {"id": 7, "text": story(9), "extra": {"nested": 1}},
        {"id": "good-4", "text": story(10), "url": "https://example.com/a"},
    ]
    corpus = tmp_path / "c.jsonl"
    corpus.write_text("".join(json.dumps(line) + "\n" for line in lines))
    out = tmp_path / "o.json"
    result = run(model, str(corpus), "--json", str(out), "-q")
    no_traceback(result)
    assert result.exit_code == 1
    for number, named in [
        (2, "'title' must be a string, not a number (123)"),
        (3, "'url' must be a string, not an array"),
        (4, "published date '[/x]' is not ISO 8601"),
        (6, "'id' must be a string or integer, not a boolean"),
        (7, "'text' must be a string, not an object"),
        (8, "needs a JSON object with a string 'text', not an array"),
    ]:
        assert f"failed: {corpus}:{number}: {named}" in result.stderr
    records = json.loads(out.read_text())
    briefed = [r["article"]["id"] for r in records if "error" not in r]
    assert briefed == ["good-1", "good-2", "7", "good-4"]
    assert [r["error"]["kind"] for r in records if "error" in r] == ["input"] * 6
    assert model.served == 4


# 3. Output paths are checked before the first model call; a failed JSONL write stops
# the batch cleanly.


@pytest.mark.parametrize(
    ("flag", "path", "said"),
    [
        ("--json", "nodir/o.json", "there is no folder"),
        ("--csv", "nodir/o.csv", "there is no folder"),
        ("--jsonl", "nodir/o.jsonl", "there is no folder"),
        ("--json", ".", "is a folder; name a file in it"),
        ("--jsonl", ".", "is a folder; name a file in it"),
        ("--csv", "in/story-000.txt/o.csv", "is a file, not a folder"),
        ("--json", "/proc/o.json", "cannot be written"),
    ],
)
def test_a_bad_output_path_is_a_usage_error_before_any_model_call(
    model: Model,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    flag: str,
    path: str,
    said: str,
) -> None:
    monkeypatch.chdir(tmp_path)
    write_stories(tmp_path / "in", 2)
    result = run(model, "in", flag, path)
    no_traceback(result)
    assert result.exit_code == 2
    [line] = result.stderr.splitlines()
    assert line.startswith(f"error: {flag} {path}: ")
    assert said in line
    assert model.served == 0


@pytest.fixture
def read_only_folder(tmp_path: Path) -> Iterator[tuple[Path, str]]:
    """A folder no file can be created in, and the reason the OS gives: a read-only
    tmpfs for root (who writes through permissions), else a folder without write bits."""
    locked = tmp_path / "locked"
    locked.mkdir()
    if os.geteuid() != 0:
        locked.chmod(0o500)
        yield locked, "Permission denied"
        return
    mounted = mount_tmpfs(locked, "ro,size=64k")
    try:
        yield locked, "Read-only file system"
    finally:
        unmount(mounted)


def test_a_read_only_folder_is_a_usage_error_before_any_model_call(
    model: Model, tmp_path: Path, read_only_folder: tuple[Path, str]
) -> None:
    write_stories(tmp_path / "in", 1)
    locked, reason = read_only_folder
    result = run(model, str(tmp_path / "in"), "--json", str(locked / "o.json"))
    assert result.exit_code == 2
    said = f"cannot be written ({reason}); pick a writable path"
    assert result.stderr == f"error: --json {locked / 'o.json'}: {said}\n"
    assert model.served == 0


def test_two_outputs_naming_one_file_are_a_usage_error(model: Model, tmp_path: Path) -> None:
    write_stories(tmp_path / "in", 1)
    same = str(tmp_path / "o.json")
    result = run(model, str(tmp_path / "in"), "--json", same, "--jsonl", same)
    assert result.exit_code == 2
    assert "--json and --jsonl both name" in result.stderr
    assert model.served == 0


def test_a_jsonl_file_that_cannot_be_written_stops_the_batch_and_json_still_gets_it(
    model: Model, tmp_path: Path
) -> None:
    """/dev/full answers every write with ENOSPC, as a full disk does: the batch stops
    after the article in flight, the --json file on another disk holds it, exit 1."""
    write_stories(tmp_path / "in", 5)
    out = tmp_path / "o.json"
    result = run(
        model, str(tmp_path / "in"), "-j", "1", "-q", "--jsonl", "/dev/full", "--json", str(out)
    )
    no_traceback(result)
    assert result.exit_code == 1
    assert (
        "error: --jsonl /dev/full: writing failed after 0 line(s) (No space left on device); "
        "the batch stopped there with 4 article(s) not started" in result.stderr
    )
    assert "1 brief(s), 0 failed" in result.stderr
    assert [b["article"]["id"] for b in json.loads(out.read_text())] == ["story-000"]
    assert model.served == 1


def mount_tmpfs(where: Path, options: str) -> Path:
    """Mount a real tmpfs at `where` (needs root); skip the test where that is refused."""
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(where)],
        capture_output=True,
        check=False,
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode().strip()}")
    return where


def unmount(where: Path) -> None:
    subprocess.run(["umount", str(where)], check=True)


@pytest.fixture
def tiny_disk(tmp_path: Path) -> Iterator[Path]:
    """A real 8 KiB disk that fills up."""
    mount = tmp_path / "disk"
    mount.mkdir()
    mount_tmpfs(mount, "size=8k")
    try:
        yield mount
    finally:
        unmount(mount)


def test_a_disk_filling_up_under_the_jsonl_file_mid_batch_keeps_whole_lines(
    model: Model, tmp_path: Path, tiny_disk: Path
) -> None:
    """The JSONL file fills its 8 KiB disk after a few lines: whole lines only, the batch
    stops, --json elsewhere holds every finished brief, and --resume finishes the rest."""
    write_stories(tmp_path / "in", 30)
    jsonl, out = tiny_disk / "o.jsonl", tmp_path / "o.json"
    result = run(
        model, str(tmp_path / "in"), "-j", "2", "-q", "--jsonl", str(jsonl), "--json", str(out)
    )
    no_traceback(result)
    assert result.exit_code == 1
    data = jsonl.read_text()
    assert data.endswith("\n")
    lines = [json.loads(line) for line in data.splitlines()]  # every line whole
    assert 1 <= len(lines) < 30
    assert f"writing failed after {len(lines)} line(s) (No space left on device)" in result.stderr
    exported = json.loads(out.read_text())
    assert len(lines) < len(exported) < 30
    written = {b["article"]["id"] for b in lines}  # in the order they finished
    assert written < {b["article"]["id"] for b in exported}
    moved = tmp_path / "o.jsonl"
    moved.write_text(data)
    resumed = run(model, str(tmp_path / "in"), "-q", "--jsonl", str(moved), "--resume")
    assert resumed.exit_code == 0, resumed.stderr
    ids = {json.loads(line)["article"]["id"] for line in moved.read_text().splitlines()}
    assert ids == {f"story-{n:03d}" for n in range(30)}


def test_a_full_disk_under_the_json_file_is_one_line_and_the_jsonl_is_whole(
    model: Model, tmp_path: Path, tiny_disk: Path
) -> None:
    write_stories(tmp_path / "in", 20)
    jsonl, out = tmp_path / "o.jsonl", tiny_disk / "o.json"
    result = run(model, str(tmp_path / "in"), "-q", "--jsonl", str(jsonl), "--json", str(out))
    no_traceback(result)
    assert result.exit_code == 1
    assert f"error: --json {out}: writing failed (No space left on device)" in result.stderr
    assert len(jsonl.read_text().splitlines()) == 20
    assert list(tiny_disk.iterdir()) == []  # no half-written temporary file left behind


# 5. Resume keys survive cosmetic changes to the base URL, and say why when they do not.


def test_the_endpoint_has_one_spelling_in_cache_keys() -> None:
    same = [
        "http://127.0.0.1:8080/v1",
        "http://localhost:8080/v1/",
        "HTTP://LocalHost:8080/v1",
        "http://[::1]:8080//v1/",
        "http://user:secret@localhost:8080/v1",
    ]
    assert {endpoint_identity(url) for url in same} == {"http://localhost:8080/v1"}
    assert endpoint_identity("https://API.openai.com:443/v1/") == "https://api.openai.com/v1"
    assert endpoint_identity("http://example.com:80/v1") == "http://example.com/v1"
    different = [
        "http://localhost:8081/v1",
        "https://localhost:8080/v1",
        "http://127.0.0.2:8080/v1",
        "http://localhost:8080/v2",
        "http://localhost:8080/v1?api-version=2",
    ]
    assert len({endpoint_identity(url) for url in different}) == len(different)
    assert "http://localhost:8080/v1" not in {endpoint_identity(url) for url in different}


def test_resume_matches_another_spelling_of_the_same_endpoint_and_says_why_not_another(
    tmp_path: Path,
) -> None:
    write_stories(tmp_path / "in", 4)
    jsonl = tmp_path / "o.jsonl"
    first, second = SlowModel(), SlowModel()
    with LoopbackServer(first) as server, LoopbackServer(second) as moved:
        port = server.url.split(":")[2].split("/")[0]

        def brief(base_url: str, *flags: str) -> Result:
            args = ["brief", str(tmp_path / "in"), "-q", "--jsonl", str(jsonl), *flags]
            return runner.invoke(app, [*args, "--base-url", base_url], env={"SUMMARIZE_MODEL": "m"})

        assert brief(f"http://127.0.0.1:{port}/v1").exit_code == 0
        again = brief(f"http://LOCALHOST:{port}/v1/", "--resume", "--no-cache")
        assert again.exit_code == 0, again.stderr
        assert "4 already in the JSONL file" in again.stderr
        assert "did not match" not in again.stderr
        assert first.served == 4

        elsewhere = brief(moved.url, "--resume")
        no_traceback(elsewhere)
        moved_port = moved.url.split(":")[2].split("/")[0]
        assert (
            f"note: --resume: 4 brief(s) in {jsonl} did not match this run and will be briefed "
            f"again: 4 with another endpoint (http://localhost:{port}/v1, now "
            f"http://localhost:{moved_port}/v1)" in elsewhere.stderr
        )
        assert second.served == 4

        other_model = runner.invoke(
            app,
            ["brief", str(tmp_path / "in"), "-q", "--jsonl", str(jsonl), "--resume"],
            env={"SUMMARIZE_MODEL": "other", "OPENAI_BASE_URL": moved.url},
        )
        assert "4 with another model (m, now other)" in other_model.stderr


# 7. Ctrl-C and SIGTERM alike at every stage, with the totals line and 130 / 143.

STOPS = pytest.mark.parametrize(
    ("stop", "code", "how"),
    [(signal.SIGINT, 130, "interrupted"), (signal.SIGTERM, 143, "terminated")],
    ids=["ctrl-c", "sigterm"],
)


@pytest.fixture
def server() -> Iterator[tuple[LoopbackServer, SlowModel]]:
    answers = SlowModel()
    with LoopbackServer(answers) as running:
        yield running, answers


def wait_until_blocked_in(pid: int, call: str, timeout: float = 60) -> None:
    """Until a thread of the process sleeps in the kernel's `call`, such as a pipe read
    (Linux's /proc/PID/task/TID/wchan says where each thread sleeps)."""
    tasks = Path(f"/proc/{pid}/task")
    if not (tasks / str(pid) / "wchan").exists():
        pytest.skip("needs Linux's /proc/PID/task/TID/wchan to see the process block")
    deadline = time.monotonic() + timeout
    while not any(call in read_wchan(task) for task in tasks.iterdir()):
        assert time.monotonic() < deadline, f"the process never blocked in {call}"
        time.sleep(0.02)


def read_wchan(task: Path) -> str:
    try:
        return (task / "wchan").read_text()
    except OSError:  # the thread has ended
        return ""


@STOPS
def test_a_stop_while_inputs_are_read_ends_with_totals_and_its_code(
    server: tuple[LoopbackServer, SlowModel],
    tmp_path: Path,
    stop: signal.Signals,
    code: int,
    how: str,
) -> None:
    """Standard input never closes: the stop arrives while reading it."""
    running, answers = server
    process = subprocess.Popen(
        [sys.executable, "-m", "summarize", "brief", "-", "--json", str(tmp_path / "o.json")],
        env=cli_env(running, tmp_path / "cache.db"),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    wait_until_blocked_in(process.pid, "pipe_read")
    process.send_signal(stop)
    _, stderr = process.communicate(timeout=30)
    assert process.returncode == code, stderr
    assert stderr.splitlines() == [
        "0 brief(s), 0 failed; tokens: 0 input + 0 output = 0",
        f"{how} while reading the inputs; no article was sent",
    ]
    assert answers.served == 0
    assert not (tmp_path / "o.json").exists()


@STOPS
def test_a_stop_while_briefing_ends_with_totals_and_its_code(
    server: tuple[LoopbackServer, SlowModel],
    tmp_path: Path,
    stop: signal.Signals,
    code: int,
    how: str,
) -> None:
    running, answers = server
    answers.delay = 0.3
    write_stories(tmp_path / "in", 12)
    jsonl = tmp_path / "o.jsonl"
    args = [str(tmp_path / "in"), "-j", "2", "-q", "--jsonl", str(jsonl)]
    process = start_batch(args, cli_env(running, tmp_path / "cache.db"))
    wait_for_lines(jsonl, 2)
    process.send_signal(stop)
    _, stderr = process.communicate(timeout=30)
    assert process.returncode == code, stderr
    lines = stderr.splitlines()
    done = len(jsonl.read_text().splitlines())
    assert lines[0].startswith(f"{done} brief(s), 0 failed; tokens:")
    assert lines[1].startswith(f"{how}: {12 - done} article(s) not started")
    assert "Traceback" not in stderr


@STOPS
def test_a_stop_while_rendering_ends_the_view_between_briefs_with_totals_and_its_code(
    server: tuple[LoopbackServer, SlowModel],
    tmp_path: Path,
    stop: signal.Signals,
    code: int,
    how: str,
) -> None:
    """Stdout is a pipe nobody reads, so rendering blocks once it is full; the stop
    arrives then. The view ends after a whole brief, the totals line follows."""
    running, _ = server
    write_stories(tmp_path / "in", 60)
    out = tmp_path / "o.json"
    env = {**cli_env(running, tmp_path / "cache.db"), "COLUMNS": "300"}
    process = start_batch([str(tmp_path / "in"), "--json", str(out)], env)
    deadline = time.monotonic() + 60
    while not out.exists() and time.monotonic() < deadline:  # the batch is written
        time.sleep(0.05)
    wait_until_blocked_in(process.pid, "pipe_write")  # rendering filled the pipe
    process.send_signal(stop)
    stdout, stderr = process.communicate(timeout=30)
    assert process.returncode == code, stderr
    assert len(json.loads(out.read_text())) == 60
    shown = stdout.count("╭")
    assert 0 < shown < 60
    assert stdout.rstrip().endswith("╯"), stdout[-300:]  # the last brief shown is whole
    assert stderr.splitlines() == [
        "60 brief(s), 0 failed; tokens: 6,000 input + 3,000 output = 9,000",
        f"{how} after the batch: every result was written; the view was cut short",
    ]


def signal_self(stop: signal.Signals) -> None:
    """Send `stop` to this process and give its handler time to run (it runs here)."""
    os.kill(os.getpid(), stop)
    time.sleep(0.05)


def signal_self_inside(
    stops: StopSignals, stop: signal.Signals, reached: list[str], *, raise_after: bool
) -> None:
    """Signal this process inside a deferred section, noting that its end was reached."""
    with stops.deferred(raise_after=raise_after):
        signal_self(stop)
        reached.append("end of section")


@STOPS
def test_a_stop_during_a_deferred_section_takes_effect_where_it_ends(
    stop: signal.Signals, code: int, how: str
) -> None:
    """What holds a signal off while a JSONL line or an export is written: a real signal
    sent to this process inside `deferred()` raises nothing there, and KeyboardInterrupt
    as the section ends; without `raise_after` it is only polled."""
    stops = StopSignals()
    before = {number: signal.getsignal(number) for number in (signal.SIGINT, signal.SIGTERM)}
    stops.install()
    reached: list[str] = []
    try:
        with pytest.raises(KeyboardInterrupt):
            signal_self_inside(stops, stop, reached, raise_after=True)
        assert reached == ["end of section"]  # raised after the section, not inside it
        assert stops.outcome() == (how, code)
        assert not stops.requested()  # acted on
        signal_self_inside(stops, stop, reached, raise_after=False)
        assert len(reached) == 2
        assert stops.requested()
        with pytest.raises(KeyboardInterrupt):
            signal_self(stop)  # outside a deferred section: at once
    finally:
        for number, handler in before.items():
            signal.signal(number, handler)


# 9. --resume with a line that is not a brief, bad numbers in the environment, symlinks.


def test_resume_passes_over_a_json_line_that_is_not_a_brief_with_one_warning(
    model: Model, tmp_path: Path
) -> None:
    write_stories(tmp_path / "in", 3)
    jsonl = tmp_path / "o.jsonl"
    assert run(model, str(tmp_path / "in"), "-q", "--jsonl", str(jsonl)).exit_code == 0
    lines = jsonl.read_text().splitlines()
    broken = json.loads(lines[1])
    broken["summary"] = ["not", "a", "string"]
    lines[1] = json.dumps(broken)
    jsonl.write_text("\n".join([*lines, '{"hello": "world"}', "42"]) + "\n")
    result = run(model, str(tmp_path / "in"), "-q", "--jsonl", str(jsonl), "--resume")
    no_traceback(result)
    assert result.exit_code == 0
    warnings = [line for line in result.stderr.splitlines() if line.startswith("warning:")]
    assert warnings == [
        f"warning: {jsonl}:2: not a brief (summary: Input should be a valid string); passed over",
        f"warning: {jsonl}:4: not a brief (no run.cache_key); passed over",
        f"warning: {jsonl}:5: not a brief (not a JSON object); passed over",
    ]
    assert "1 brief(s), 0 failed, 1 from cache, 2 already in the JSONL file" in result.stderr
    last = json.loads(jsonl.read_text().splitlines()[-1])
    assert last["article"]["id"] == broken["article"]["id"]  # briefed again


@pytest.mark.parametrize("name", ["SUMMARIZE_THREADS", "SUMMARIZE_CONTEXT"])
def test_a_bad_number_in_the_environment_is_a_one_line_usage_error(
    tmp_path: Path, name: str
) -> None:
    """Read for a gguf: model before it is loaded; the model file need not exist."""
    write_stories(tmp_path / "in", 1)
    process = subprocess.run(
        [sys.executable, "-m", "summarize", "brief", str(tmp_path / "in")],
        env={**os.environ, name: "abc", "SUMMARIZE_MODEL": f"gguf:{tmp_path / 'm.gguf'}"},
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert process.returncode == 2
    assert process.stderr.splitlines() == [
        f"error: {name}='abc' is not a whole number of at least "
        f"{0 if name == 'SUMMARIZE_THREADS' else 512}; set it like "
        f"{name}={4 if name == 'SUMMARIZE_THREADS' else 8192} or unset it"
    ]


def test_looping_symlinks_in_a_folder_are_skipped_with_a_note(model: Model, tmp_path: Path) -> None:
    folder = tmp_path / "in"
    write_stories(folder, 2)
    (folder / "self").symlink_to("self")
    (folder / "ping").symlink_to("pong")
    (folder / "pong").symlink_to("ping")
    (folder / "gone.txt").symlink_to("nowhere.txt")
    (folder / "sub").mkdir()
    (folder / "sub" / "up").symlink_to("..")
    out = tmp_path / "o.json"
    result = run(model, str(folder), "-q", "--json", str(out))
    no_traceback(result)
    assert result.exit_code == 0, result.stderr
    assert (
        f"note: {folder}: skipped 4 symbolic link(s) that loop or lead nowhere "
        "(gone.txt, ping, pong and 1 more)" in result.stderr
    )
    assert f"note: {folder}: did not follow 1 linked folder(s) (sub/up)" in result.stderr
    assert len(json.loads(out.read_text())) == 2
