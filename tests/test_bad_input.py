"""Bad input: each gets one clear line naming it and what to do; the batch goes on."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from summarize.cli import app
from summarize.loopback import LoopbackServer, QueueResponder, Reply, Request, structured_reply
from summarize.tokens import count_tokens
from tests.conftest import ROOT, SEED_000, extraction

runner = CliRunner()
NO_THREATS = extraction(threats=[], dates=[])
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01"
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n"


def answer_all(request: Request) -> Reply:
    return structured_reply(request, NO_THREATS)


@pytest.fixture
def model(monkeypatch: pytest.MonkeyPatch) -> LoopbackServer:
    server = LoopbackServer(answer_all).start()
    monkeypatch.setenv("OPENAI_BASE_URL", server.url)
    monkeypatch.setenv("SUMMARIZE_MODEL", "loopback-model")
    yield server  # type: ignore[misc]
    server.stop()


def brief(*args: str) -> tuple[int, list[dict[str, object]], str]:
    result = runner.invoke(app, ["brief", *args, "--json", "-", "--no-cache"])
    records = json.loads(result.stdout) if result.stdout.strip() else []
    return result.exit_code, records, result.stderr


def errors_by_source(records: list[dict[str, object]]) -> dict[str, str]:
    return {
        str(r["article"]["source"]): str(r["error"]["message"])  # type: ignore[index]
        for r in records
        if "error" in r
    }


def test_a_batch_of_bad_files_fails_each_alone_and_briefs_the_good_one(
    model: LoopbackServer, tmp_path: Path
) -> None:
    """Empty, blank, PDF, PNG, ZIP and missing inputs each fail with their own reason."""
    (tmp_path / "empty.txt").write_bytes(b"")
    (tmp_path / "blank.txt").write_text("  \n\t\n   \n")
    (tmp_path / "report.pdf").write_bytes(PDF)
    (tmp_path / "photo.png").write_bytes(PNG)
    with zipfile.ZipFile(tmp_path / "bundle.zip", "w") as bundle:
        bundle.writestr("story.txt", "text")
    named = ["empty.txt", "blank.txt", "report.pdf", "photo.png", "bundle.zip", "gone.txt"]
    code, records, stderr = brief(str(SEED_000), *(str(tmp_path / n) for n in named))
    assert code == 1
    assert "error" not in records[0]  # the seed is briefed
    reasons = errors_by_source(records)
    assert "the article is empty" in reasons[str(tmp_path / "empty.txt")]
    assert "the article is empty" in reasons[str(tmp_path / "blank.txt")]
    assert "is a PDF, not text; extract its text first" in reasons[str(tmp_path / "report.pdf")]
    assert "is a PNG image, not text" in reasons[str(tmp_path / "photo.png")]
    assert "is a ZIP archive" in reasons[str(tmp_path / "bundle.zip")]
    assert "no such file or folder; check the path" in reasons[str(tmp_path / "gone.txt")]
    assert stderr.count("failed:") == 6
    assert "Traceback" not in stderr
    assert len(model.requests) == 1  # nothing unreadable reached the model


def test_invalid_utf8_is_decoded_with_replacement_and_says_so(
    model: LoopbackServer, tmp_path: Path
) -> None:
    """Bad bytes become U+FFFD; the brief carries a warning naming the offset."""
    path = tmp_path / "latin1.txt"
    path.write_bytes("The minister said the talks in Montr\xe9al would continue.".encode("latin-1"))
    code, [record], _ = brief(str(path))
    assert code == 0
    assert any("not valid UTF-8 (first bad byte at offset 36)" in w for w in record["warnings"])  # type: ignore[union-attr]
    assert "Montr\ufffdal" in model.requests[0].prompt_text


def test_a_5_mb_article_is_cut_to_the_chunk_budget_and_says_which(
    model: LoopbackServer, tmp_path: Path
) -> None:
    """A 5 MB text sends --max-chunks requests within budget and says what was left out."""
    paragraph = SEED_000.read_text(encoding="utf-8").strip()
    path = tmp_path / "huge.txt"
    path.write_text("\n\n".join([paragraph] * (5_000_000 // len(paragraph) + 1)))
    assert path.stat().st_size >= 5_000_000
    code, [record], stderr = brief(
        str(path), "--max-input-tokens", "4000", "--max-chunks", "3", "--max-input-bytes", "6000000"
    )
    assert code == 1  # a brief of the first 3 chunks is kept, but it is not the whole article
    assert f"warning: {path}: article truncated: only the first 3 chunks" in stderr
    assert len(model.requests) == 3
    prompt_alone = 400  # the prompt's own instructions, around the article, in tokens
    assert all(count_tokens(r.prompt_text) <= 4000 + prompt_alone for r in model.requests)
    [warning] = [w for w in record["warnings"] if "truncated" in w]  # type: ignore[union-attr]
    assert "only the first 3 chunks of at most 4,000 tokens were sent" in warning
    assert "--max-chunks" in warning


def test_a_folder_with_other_files_briefs_the_articles_and_notes_the_rest(
    model: LoopbackServer, tmp_path: Path
) -> None:
    """Non-article files in a folder are skipped with one note; hidden files silently."""
    (tmp_path / "story.txt").write_text(SEED_000.read_text(encoding="utf-8"))
    (tmp_path / "data.csv").write_text("a,b\n")
    (tmp_path / "scan.pdf").write_bytes(PDF)
    (tmp_path / ".DS_Store").write_bytes(b"\x00\x01")
    code, records, stderr = brief(str(tmp_path))
    assert code == 0
    assert [r["article"]["id"] for r in records] == ["story"]  # type: ignore[index]
    assert "skipped 2 file(s) that are not plain-text articles (.csv, .pdf)" in stderr


def test_the_same_file_twice_is_briefed_once_with_a_note(model: LoopbackServer) -> None:
    """Naming a file twice costs one request and says so."""
    code, records, stderr = brief(str(SEED_000), str(SEED_000))
    assert code == 0
    assert len(records) == 1
    assert len(model.requests) == 1
    assert "named more than once; read once" in stderr


def test_a_file_that_cannot_be_read_fails_alone(model: LoopbackServer) -> None:
    """A read error (here /proc/self/mem, unreadable even for root) names the file."""
    code, records, _ = brief(str(SEED_000), "/proc/self/mem")
    assert code == 1
    assert "cannot be read" in errors_by_source(records)["/proc/self/mem"]


def without_root_file_powers() -> list[str]:
    """A command prefix under which a mode-000 file is unreadable, as for any user: root
    reads every file through CAP_DAC_OVERRIDE, so as root the command runs without it."""
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")  # util-linux, on every Debian machine
    if setpriv is None:
        pytest.skip("running as root and setpriv is missing: root reads every file")
    return [setpriv, "--bounding-set=-dac_override,-dac_read_search"]


def test_a_file_without_read_permission_says_how_to_fix_it(
    model: LoopbackServer, tmp_path: Path
) -> None:
    """Permission denied names the file and says to make it readable; the seed is briefed."""
    path = tmp_path / "locked.txt"
    path.write_text("text")
    path.chmod(0)
    command = [sys.executable, "-m", "summarize", "brief", str(path), str(SEED_000)]
    result = subprocess.run(
        [*without_root_file_powers(), *command, "--json", "-", "--no-cache"],
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 1, result.stderr
    records = json.loads(result.stdout)
    assert "permission denied; make the file readable" in errors_by_source(records)[str(path)]
    assert sum("error" not in r for r in records) == 1  # the seed beside it is still briefed


def test_an_unknown_model_fails_each_article_naming_the_flag() -> None:
    """The provider's 404 for a model becomes a line that points at --model."""
    missing = Reply(status=404, body={"error": {"message": "model 'nope' not found"}})
    with LoopbackServer(QueueResponder([missing])) as server:
        result = runner.invoke(
            app, ["brief", str(SEED_000), "-q", "--base-url", server.url, "--model", "nope"]
        )
    assert result.exit_code == 1
    assert "has no model 'nope' (HTTP 404); check --model / SUMMARIZE_MODEL" in result.stderr


@pytest.mark.parametrize("url", ["localhost:11434", "ftp://example.com/v1", "http://"])
def test_a_malformed_base_url_is_a_usage_error_before_any_work(url: str) -> None:
    """A base URL that is not http(s) exits 2 with an example of the right form."""
    result = runner.invoke(app, ["brief", str(SEED_000), "--base-url", url, "--model", "m"])
    assert result.exit_code == 2
    assert "is not an http(s) URL; write it like http://localhost:11434/v1" in result.stderr
