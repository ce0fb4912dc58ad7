"""`batch collect` on answers a provider can return that are not usable briefs: each is
a one-line failure for its article, never a traceback, and costs the others nothing."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from summarize.loopback import LoopbackServer, Request
from tests.test_batch_jobs import chat_requests, grounded_answer, read_jsonl, submit

SPOILED = "arms trade restrictions"  # a phrase of one seed article only


def cut_off(body: dict[str, Any]) -> None:
    body["choices"][0]["finish_reason"] = "length"


def refused(body: dict[str, Any]) -> None:
    body["choices"][0]["message"]["refusal"] = "I can't help with that."


def no_choices(body: dict[str, Any]) -> None:
    body["choices"] = []


@pytest.mark.parametrize(
    ("spoil", "said"),
    [
        (cut_off, "cut off at its token limit"),
        (refused, "refused to answer"),
        (no_choices, "no choices"),
    ],
    ids=["cut-off", "refusal", "no-choices"],
)
def test_an_unusable_batch_answer_is_one_failure_line(
    model_env: LoopbackServer, tmp_path: Path, spoil: Any, said: str
) -> None:
    job = tmp_path / "job"
    submit(job, "--requests-only")
    lines = []
    for number, line in enumerate(read_jsonl(job / "requests.jsonl")):
        request = Request("POST", line["url"], {}, json.dumps(line["body"]).encode())
        body = json.loads(grounded_answer(request).encoded())
        if SPOILED in request.article:
            spoil(body)
        response = {"status_code": 200, "request_id": f"r-{number}", "body": body}
        lines.append({"id": f"r-{number}", "custom_id": line["custom_id"], "response": response})
    results = tmp_path / "results.jsonl"
    results.write_text("".join(json.dumps(x) + "\n" for x in lines))
    out = tmp_path / "briefs.jsonl"
    # A fresh process: what a module imports for itself is not there by luck of the
    # other tests' imports.
    command = ["batch", "collect", str(job), "--results", str(results), "--jsonl", str(out)]
    done = subprocess.run(
        [sys.executable, "-m", "summarize", *command],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr
    records = read_jsonl(out)
    assert sum("error" not in r for r in records) == 2
    failure = next(r for r in records if "error" in r)
    assert said in failure["error"]["message"]
    assert not chat_requests(model_env)  # such an answer is not re-asked live
