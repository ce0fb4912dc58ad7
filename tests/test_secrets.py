"""The API key never leaves the HTTP request: not in output, logs, cache, exports or errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from summarize.cli import app
from summarize.failures import redact
from summarize.loopback import LoopbackServer, QueueResponder, Reply, Request, RoutingResponder
from tests.conftest import extraction

runner = CliRunner()
SECRET = "sk-proj-SECRETkey0123456789abcdefWXYZ"
NO_THREATS = extraction(threats=[], dates=[])


def leaky_500(request: Request) -> Reply:
    """A broken proxy that echoes the request's headers, key included, in its error body."""
    echoed = request.headers.get("authorization", "")
    return Reply(status=500, body={"error": {"message": f"upstream failed for {echoed}"}})


def abbreviated_401(request: Request) -> Reply:
    """OpenAI's own style: the key abbreviated in the message."""
    shown = f"{SECRET[:12]}...{SECRET[-4:]}"
    return Reply(status=401, body={"error": {"message": f"Incorrect API key provided: {shown}"}})


def test_a_batch_with_failures_leaves_the_key_in_no_artefact(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Success, an echoing 500 and a 401, with every output on: the key appears nowhere."""
    for name in ("ok", "leaky", "denied"):
        (tmp_path / f"{name}.txt").write_text(f"Story {name}. Ministers met on Monday.\n")
    routes = {
        "Story ok.": QueueResponder([NO_THREATS]),
        "Story leaky.": QueueResponder([leaky_500] * 10),
        "Story denied.": QueueResponder([abbreviated_401]),
    }
    cache = tmp_path / "cache.sqlite3"
    with LoopbackServer(RoutingResponder(routes)) as server:
        monkeypatch.setenv("OPENAI_API_KEY", SECRET)
        monkeypatch.setenv("OPENAI_BASE_URL", server.url)
        monkeypatch.setenv("SUMMARIZE_MODEL", "loopback-model")
        result = runner.invoke(
            app,
            [
                "brief",
                *(str(tmp_path / f"{n}.txt") for n in ("ok", "leaky", "denied")),
                "--json",
                str(tmp_path / "out.json"),
                "--jsonl",
                str(tmp_path / "out.jsonl"),
                "--cache",
                str(cache),
                "--verbose",
            ],
        )
        sent = [r.headers.get("authorization") for r in server.requests]
    assert result.exit_code == 1
    assert f"Bearer {SECRET}" in sent  # the key did reach the provider, where it belongs
    assert "POST " in result.stderr  # --verbose logged the requests
    assert "upstream failed for Bearer [redacted]" in json.dumps(
        json.loads((tmp_path / "out.json").read_text())
    )
    artefacts = {"stdout": result.stdout, "stderr": result.stderr}
    for path in tmp_path.rglob("*"):
        if path.is_file():
            artefacts[str(path)] = path.read_bytes().decode("utf-8", errors="replace")
    for where, text in artefacts.items():
        assert SECRET not in text, where
        assert SECRET[:12] not in text, where  # nor the abbreviated form providers echo


def test_redact_masks_the_key_and_its_long_fragments() -> None:
    """Whole keys and 12-character runs of them are masked; short or no keys change nothing."""
    assert redact(f"key={SECRET};", SECRET) == "key=[redacted];"
    assert SECRET[5:20] not in redact(f"shown: {SECRET[5:20]}", SECRET)
    assert redact("nothing secret here", SECRET) == "nothing secret here"
    assert redact("abc", None) == "abc"


def test_the_librarys_request_log_masks_the_key(
    server: LoopbackServer, queue: QueueResponder
) -> None:
    """`log_requests` (what --verbose turns on) is the library's: every request is logged,
    a key in any log line is masked, and a second call replaces the first handler."""
    import io
    import logging

    from summarize.client import ModelClient
    from summarize.modelconfig import ModelConfig
    from summarize.schema import Extraction
    from summarize.transport import REQUEST_LOG, log_requests

    earlier, stream = io.StringIO(), io.StringIO()
    log_requests(earlier, secret=SECRET)
    log_requests(stream, secret=SECRET)
    logger = logging.getLogger("summarize")
    try:
        queue.push(NO_THREATS)
        client = ModelClient(ModelConfig(model="m", base_url=server.url, api_key=SECRET))
        client.extract([{"role": "user", "content": "story"}], Extraction, label="a.txt")
        client.close()
        logging.getLogger("summarize.transport").info("echoed: %s", f"Bearer {SECRET}")
    finally:
        for handler in [h for h in logger.handlers if h.get_name() == REQUEST_LOG]:
            logger.removeHandler(handler)
    log = stream.getvalue()
    assert "POST " in log
    assert "answered: 100 in + 50 out tokens" in log
    assert "echoed: Bearer [redacted]" in log
    assert SECRET not in log
    assert earlier.getvalue() == ""
