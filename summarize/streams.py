"""Where a run's results go as they come, so that nothing waits in memory for the end.

- `--jsonl`: a line per result in completion order (`record`, then `JsonlWriter`);
- `--json`: an array element per result in input order (`JsonArrayWriter`), fed by the
  batch's bounded reorder window;
- the spool: a temporary JSONL file, in input order, of what the end-of-run views need
  (the terminal view, the Markdown report, `--csv`, `--html`), each brief with its
  article's text; they read it back one result at a time (`spooled`).

A brief resumed from the `--resume` file is read back from its line there, so it is in
`--json` and the views as before. The article text travels with each brief (for the views
and `--embed-text`) and is left out of `--json` and `--jsonl` unless `--embed-text` asks.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from summarize.batch import Outcome, Resumed
from summarize.export import JsonArrayWriter, read_jsonl_results, to_record
from summarize.results import Result
from summarize.resume import Finished

SPOOL_BUFFER = 1 << 20


def record(result: Result, *, embed_text: bool) -> dict[str, Any]:
    """A result as `--json` and `--jsonl` write it: the text only with --embed-text."""
    data = to_record(result)
    if not embed_text and "error" not in data:
        data["article"]["text"] = None
    return data


class InOrderOutputs:
    """The outputs fed in input order: the `--json` array and the spool."""

    def __init__(
        self,
        *,
        json_out: Path | None,
        json_to_stdout: bool,
        spool: bool,
        embed_text: bool,
        finished: Finished | None = None,
    ) -> None:
        self.embed_text = embed_text
        self.finished = finished
        self.json: JsonArrayWriter | None = None
        if json_out is not None or json_to_stdout:
            self.json = JsonArrayWriter(None if json_to_stdout else json_out)
        self.json_error: str | None = None  # why --json stopped being written
        self._spool: IO[bytes] | None = None
        if spool:
            self._spool = tempfile.TemporaryFile(prefix="summarize-spool-")  # noqa: SIM115

    def __call__(self, _: int, outcome: Outcome) -> None:
        if isinstance(outcome, Resumed):
            assert self.finished is not None
            full = self.finished.line_at(outcome.digest)
            shown = full
        else:
            full = to_record(outcome)
            shown = record(outcome, embed_text=self.embed_text)
        if self._spool is not None:
            self._spool.write(_line(full))
        if self.json is not None and self.json_error is None:
            try:
                self.json.write(shown)
            except OSError as error:
                self.json_error = error.strerror or str(error)
                self.json.discard()

    def close_json(self, *, keep: bool) -> bool:
        """Put the `--json` array in place (or leave the old file, `keep=False`); False
        when it could not be written."""
        if self.json is None:
            return True
        if self.json_error is not None:
            return False
        json, self.json = self.json, None
        try:
            json.close(keep=keep)
        except OSError as error:
            self.json_error = error.strerror or str(error)
            return False
        return True

    def spooled(self) -> Iterator[Result]:
        """The results in input order, read back from the spool; again on each call."""
        if self._spool is None:
            return
        self._spool.flush()
        self._spool.seek(0)
        yield from read_jsonl_results(self._spool)

    def close(self) -> None:
        if self._spool is not None:
            self._spool.close()
        if self.json is not None:
            self.json.discard()  # not closed by close_json: the run never got that far


def _line(data: dict[str, Any]) -> bytes:
    import json

    return (json.dumps(data, ensure_ascii=False) + "\n").encode()
