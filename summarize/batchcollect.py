"""Turn a batch job's answers into briefs, appended to a JSONL file as they are made.

Each article is briefed by `brief_article` with its plan from submit (no cleaning, key
or injection scan again) and `ModelClient.accept` in place of a live call: the same
schema checks, re-asks, grounding, date resolution and cache as a live run.

Nothing grows with the batch but an index of where each answer is (`Answers`) and the
ids already in the output: the articles and the answers are read a line at a time, and
`concurrency` articles are in hand at once.

Output is written in checkpoints (`_Output`): every `CHECKPOINT_RESULTS` results or
`CHECKPOINT_SECONDS` seconds, the answer cache commits the answers they rest on, then the
lines are appended, flushed and fsynced. A killed `collect` loses at most the results
since the last checkpoint, and the next one (articles already in the output are not
written again) briefs them again from the same answers.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from summarize.batchjobs import (
    Batch,
    Entry,
    Job,
    followup_batches,
    read_entries,
    single_batch_keys,
)
from summarize.client import Pending
from summarize.errors import InputError, ProviderError, SummarizeError
from summarize.export import to_record
from summarize.pipeline import Ask, brief_article
from summarize.results import Failure, Result
from summarize.schema import Extraction

if TYPE_CHECKING:
    from summarize.batchresults import Answers
    from summarize.cache import AnswerCache
    from summarize.client import ModelClient
    from summarize.transport import CallRecord

CHECKPOINT_RESULTS = 500
CHECKPOINT_SECONDS = 1.0


@dataclass
class Collected:
    briefs: int = 0
    failures: int = 0
    skipped: int = 0  # already in the output JSONL
    deferred: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # key: messages
    waiting: int = 0  # articles waiting for those re-asks


def collect(
    folder: Path,
    job: Job,
    client: ModelClient,
    answers: Answers,
    jsonl: Path,
    *,
    on_failure: Callable[[Failure], None] | None = None,
    live_reasks: bool = True,
    concurrency: int = 8,
) -> Collected:
    """Brief every article of the job not already in `jsonl` from `answers`, appending
    a line for each, up to `concurrency` at a time (what overlaps is the live re-asks).

    Re-asks (invalid or ungrounded answers) are sent live; with `live_reasks=False` they
    are looked up in `answers` (earlier follow-up rounds), and the articles still waiting
    for one are left out of the output, their re-asks returned in `deferred`. Raises
    OSError when the output cannot be written (what was written stays whole)."""
    brief = _Briefer(folder, job, client, answers, live_reasks=live_reasks)
    outcome = Collected()
    done = done_ids(jsonl)
    with _Output(jsonl, client.cache) as output:

        def record(result: Result | Pending) -> None:
            if isinstance(result, Pending):
                outcome.deferred[result.key] = result.messages
                outcome.waiting += 1
                return
            output.add(result)
            if isinstance(result, Failure):
                outcome.failures += 1
                if on_failure is not None:
                    on_failure(result)
            else:
                outcome.briefs += 1

        width = max(concurrency, 1)
        in_flight: set[Future[Result | Pending | None]] = set()

        def take(finished: set[Future[Result | Pending | None]]) -> None:
            for future in finished:
                in_flight.discard(future)
                result = future.result()
                assert result is not None  # briefed live: never needs live again
                record(result)

        with ThreadPoolExecutor(max_workers=width, thread_name_prefix="collect") as pool:
            try:
                for entry in read_entries(folder):
                    if in_flight:
                        take({future for future in in_flight if future.done()})
                    if entry.name in done:
                        outcome.skipped += 1
                        continue
                    if isinstance(entry.item, InputError):
                        record(Failure.from_error(entry.item))
                        continue
                    result = brief(entry, live=False)
                    if result is not None:
                        record(result)
                        continue
                    while len(in_flight) >= width:
                        take(wait(in_flight, return_when=FIRST_COMPLETED).done)
                    in_flight.add(pool.submit(brief, entry, live=True))
                while in_flight:
                    take(wait(in_flight, return_when=FIRST_COMPLETED).done)
            finally:
                for future in in_flight:
                    future.cancel()
    return outcome


class _NeedsLive(Exception):
    """Raised in place of a live call by an article briefed in the collecting thread."""


class _Briefer:
    """Briefs one article of the job from the answers: what each collecting thread runs."""

    def __init__(
        self, folder: Path, job: Job, client: ModelClient, answers: Answers, *, live_reasks: bool
    ) -> None:
        self.folder = folder
        self.job = job
        self.client = client
        self.answers = answers
        self.live_reasks = live_reasks
        self.prompt, self.options = job.prompt_template(), job.brief_options()
        self.in_followups = followup_batches(folder, job)
        self._legacy: set[str] | None = None  # sent by a job written before plans were kept

    def __call__(self, entry: Entry, *, live: bool) -> Result | Pending | None:
        """The article's brief, or failure; its `Pending` re-ask with `live_reasks=False`.
        Unless `live`, None when it needs a live call (a re-ask): nothing it did is
        kept but held cache rows, which `get` does not read, so briefing it again (live,
        in a worker thread) goes exactly as the first time would have."""
        assert not isinstance(entry.item, Exception)
        try:
            return brief_article(
                entry.item,
                self.client,
                self.prompt,
                self.options,
                ask=self._ask_for(entry, live),
                plan=entry.plan,
            )
        except Pending as pending:
            return pending
        except _NeedsLive:
            return None
        except SummarizeError as error:
            return Failure.from_error(error, entry.item)

    def _ask_for(self, entry: Entry, live: bool) -> Ask:
        client, answers = self.client, self.answers

        def ask(
            messages: list[dict[str, str]], label: str, /, key: str | None = None
        ) -> tuple[Extraction, CallRecord]:
            try:
                return client.accept(
                    messages,
                    Extraction,
                    answers.completion,
                    label=label,
                    key=key,
                    live_reasks=self.live_reasks and live,
                )
            except Pending as pending:
                found = answers.lookup(pending.key)
                if found is not None and found.error:
                    raise ProviderError(f"{label}: {found.error}") from None
                if (batch := self._sent_in(entry, pending.key)) is not None:
                    raise ProviderError(f"{label}: {_why_missing(batch)}") from None
                if not self.live_reasks:
                    raise  # a re-ask for the next follow-up batch
                if not live:
                    raise _NeedsLive from None
                return client.extract(messages, Extraction, label=label)

        return ask

    def _sent_in(self, entry: Entry, key: str) -> Batch | None:
        """The batch that was asked for `key`, if any."""
        if key in self.in_followups:
            return self.in_followups[key]
        if entry.plan is not None and entry.plan.keys:
            for known, index in zip(entry.plan.keys, entry.batches, strict=True):
                if known == key and index is not None:
                    return self.job.batches[index]
            return None
        if self._legacy is None:
            self._legacy = single_batch_keys(self.folder, self.job)
        return self.job.batches[0] if key in self._legacy and self.job.batches else None


def _why_missing(batch: Batch) -> str:
    if batch.status == "failed":
        reasons = "; ".join(batch.errors) or "no reason given"
        return (
            f"batch {batch.batch_id} failed as a whole ({reasons}); fix the cause and submit again"
        )
    return (
        f"the batch returned no answer for this request (batch {batch.batch_id or '-'} "
        f"{batch.status or 'not submitted'}); brief it live with summarize brief ... "
        "--jsonl FILE --resume"
    )


class _Output:
    """The output JSONL, appended a checkpoint at a time: lines are held until
    `CHECKPOINT_RESULTS` of them or `CHECKPOINT_SECONDS` have gathered, then the answer
    cache commits (so every brief in the file has its answer stored), and they are
    written, flushed and fsynced together. A failed write is cut off again, so the file
    holds whole lines only, and raises OSError."""

    def __init__(self, path: Path, cache: AnswerCache | None) -> None:
        self.path = path
        self.cache = cache
        self._lines: list[str] = []
        self._last = time.monotonic()
        self._stream = path.open("a+", encoding="utf-8")

    def add(self, result: Result) -> None:
        self._lines.append(json.dumps(to_record(result), ensure_ascii=False) + "\n")
        if (
            len(self._lines) >= CHECKPOINT_RESULTS
            or time.monotonic() - self._last >= CHECKPOINT_SECONDS
        ):
            self.checkpoint()

    def checkpoint(self) -> None:
        if self.cache is not None:
            self.cache.commit()
        self._last = time.monotonic()
        if not self._lines:
            return
        self._stream.seek(0, os.SEEK_END)
        start = self._stream.tell()
        try:
            self._stream.write("".join(self._lines))
            self._stream.flush()
            os.fsync(self._stream.fileno())
        except OSError:
            with suppress(OSError):
                self._stream.close()
            with suppress(OSError):
                os.truncate(self.path, start)
            self._stream = open(os.devnull, "a+", encoding="utf-8")  # noqa: SIM115
            raise
        finally:
            self._lines.clear()

    def __enter__(self) -> _Output:
        if self.cache is not None:
            self._holding = self.cache.holding()
            self._holding.__enter__()
        return self

    def __exit__(self, *exc: Any) -> None:
        try:
            self.checkpoint()  # what finished is written, whatever stopped the run
        finally:
            if self.cache is not None:
                self._holding.__exit__(*exc)
            self._stream.close()


def done_ids(path: Path) -> set[str]:
    """The article ids (or, for unreadable inputs, sources) an output JSONL holds.

    A last line cut off by a killed `collect` is removed from the file (as `--resume`
    does), so that appending continues a valid JSONL file; its article runs again."""
    if not path.exists():
        return set()
    with path.open("r+b") as stream:
        size = stream.seek(0, os.SEEK_END)
        if size:
            stream.seek(size - 1)
            if stream.read(1) != b"\n":
                stream.seek(0)
                data = stream.read()
                stream.truncate(data.rfind(b"\n") + 1)
    ids: set[str] = set()
    with path.open(encoding="utf-8", errors="replace") as lines:
        for line in lines:
            try:
                article = json.loads(line).get("article") or {}
            except (ValueError, AttributeError):
                continue  # not one of ours: ignored, never rewritten
            ids.add(article.get("id") or article.get("source") or "")
    return ids
