"""Many articles at once: bounded concurrency, streamed results, a clean stop.

`run_batch` keeps at most `concurrency` articles in flight and hands each result to
`on_result` as it finishes (completion order), so JSONL lines and progress appear as work
completes. Items are taken from `items` one at a time as room opens: a generator over a
corpus of any size is never read ahead by more than what is in flight. Nothing is kept per
finished article but counters, unless the caller asks for the results (`keep_results`,
input order) or for an input-order stream (`in_order`, through a bounded reorder window:
an article is not started while it is `window` places ahead of the oldest unfinished one,
so what waits to be put in order never exceeds `window` results).

It stops scheduling new articles when

- the token budget (`max_total_tokens`) is spent: articles in flight still finish;
- the `on_result` callback raises `StopBatch` (the CLI's JSONL file cannot be written):
  articles in flight still finish, and their results are still delivered;
- the user presses Ctrl-C (the CLI turns SIGTERM into the same): articles in flight
  finish (each is bounded by the request timeout and retry policy) and their results are
  delivered; a second Ctrl-C abandons them.

Either way the outcome says how many articles were never started.

`finished` (`summarize.resume`) makes the batch a resume: an article whose brief the file
holds under the same cache key is not sent; it comes out as `Resumed`.
"""

from __future__ import annotations

import queue
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal, Protocol

from summarize import signals
from summarize.data import Article, Deferred
from summarize.errors import InputError, SummarizeError
from summarize.linefreq import for_article, repeated_lines
from summarize.options import BriefOptions
from summarize.pipeline import Plan, brief_article, plan_article, plan_key
from summarize.prompts import Prompt
from summarize.results import Failure, Result
from summarize.resume import pair_digest
from summarize.schema import Brief

if TYPE_CHECKING:
    from summarize.client import ModelClient

# An item to brief: an article, an input that could not be read (reported as a failure),
# an input read by the worker that briefs it (a URL), or a brief finished on an earlier
# run, passed through in its place.
Item = Article | InputError | Deferred | Brief
StopReason = Literal["interrupted", "token budget", "output failed", "worker lost"]
POLL_SECONDS = 0.1  # how long the parent waits for a result before looking at signals


class StopBatch(Exception):
    """Raised by an `on_result` callback that can no longer keep results (a full disk
    under the JSONL file): start no more articles; those in flight still finish."""


class BackendLost(Exception):
    """The backend lost the articles in flight (a worker process was killed): they fail,
    named, and no more articles start (`--resume` finishes them)."""


@dataclass(frozen=True)
class Resumed:
    """An article whose brief the `--resume` file already holds: `digest` finds its line
    (`summarize.resume.Finished.line_at`)."""

    article_id: str
    digest: int


Outcome = Result | Resumed


@dataclass
class TokenCount:
    """Tokens this run paid for: answers from the cache and resumed briefs cost nothing."""

    input: int = 0
    output: int = 0
    cached_briefs: int = 0

    @property
    def total(self) -> int:
        return self.input + self.output

    def add(self, result: Result) -> None:
        if isinstance(result, Failure):  # its answers were paid for all the same
            self.input += result.input_tokens
            self.output += result.output_tokens
            return
        if result.run.cached:
            self.cached_briefs += 1
            return
        self.input += result.run.input_tokens
        self.output += result.run.output_tokens


@dataclass
class BatchOutcome:
    results: list[Result] = field(default_factory=list)  # input order; with keep_results
    not_started: int = 0
    stopped: StopReason | None = None
    abandoned: int = 0  # in flight when a second Ctrl-C gave up on them
    tokens: TokenCount = field(default_factory=TokenCount)
    briefed: int = 0  # briefs made (or passed through) this run, resumed ones apart
    failed: int = 0
    resumed: int = 0  # already in the --resume file: not sent

    def count(self, outcome: Outcome) -> None:
        if isinstance(outcome, Resumed):
            self.resumed += 1
        elif isinstance(outcome, Failure):
            self.failed += 1
        else:
            self.briefed += 1


class Worker:
    """Briefs one item. Lives where the work is done: the batch's own threads, or a
    worker process (`summarize.workers`), which builds its own from the same parts."""

    def __init__(
        self,
        client: ModelClient,
        prompt: Prompt,
        options: BriefOptions,
        *,
        repeated: Mapping[str, int],
        finished: Collection[int] = frozenset(),
        keep_text: bool = False,
    ) -> None:
        self.client, self.prompt, self.options = client, prompt, options
        self.repeated = repeated
        self.finished = finished
        self.keep_text = keep_text  # the article's text in `brief.article.text`

    def work(self, item: Article | Deferred) -> Outcome:
        article = item.read() if isinstance(item, Deferred) else item
        if isinstance(article, InputError):
            return Failure.from_error(article)
        try:
            repeated = for_article(article.text, self.repeated)
            plan = None
            if self.finished:
                plan, digest = self._finished(article, repeated)
                if digest is not None:
                    return Resumed(article.id, digest)
            brief = brief_article(
                article, self.client, self.prompt, self.options, repeated=repeated, plan=plan
            )
            if self.keep_text:
                brief.article.text = article.text
            return brief
        except SummarizeError as error:
            return Failure.from_error(error, article)

    def _finished(
        self, article: Article, repeated: Mapping[str, int]
    ) -> tuple[Plan | None, int | None]:
        """The article's plan (cleaned, cut into chunks: briefing reuses it rather than
        cleaning twice) and, when the --resume file holds its brief, that brief's digest."""
        try:
            plan = plan_article(
                article, self.options, count=self.client.count_tokens, repeated=repeated
            )
        except InputError:
            return None, None  # no story in it: briefing reports that as usual
        digest = pair_digest(article.id, plan_key(article, plan, self.client, self.prompt))
        return plan, digest if digest in self.finished else None


class Backend(Protocol):
    """Where articles are briefed: `submit` one, `next_result` waits for any. It takes up
    to `capacity` articles at once (and keeps its requests in flight to `-j` itself)."""

    capacity: int

    def submit(self, index: int, item: Article | Deferred) -> None: ...

    def next_result(self, timeout: float) -> tuple[int, Outcome] | None: ...

    def close(self, *, abandon: bool) -> None: ...


class ThreadBackend:
    """Threads of this process; each finished article lands on a completion queue."""

    def __init__(self, worker: Worker, threads: int) -> None:
        self.worker = worker
        self.capacity = max(threads, 1)
        self.pool = ThreadPoolExecutor(max_workers=max(threads, 1), thread_name_prefix="brief")
        self.done: queue.SimpleQueue[tuple[int, Future[Outcome]]] = queue.SimpleQueue()

    def submit(self, index: int, item: Article | Deferred) -> None:
        future = self.pool.submit(self.worker.work, item)
        future.add_done_callback(lambda f: self.done.put((index, f)))

    def next_result(self, timeout: float) -> tuple[int, Outcome] | None:
        try:
            index, future = self.done.get(timeout=timeout)
        except queue.Empty:
            return None
        return index, future.result()

    def close(self, *, abandon: bool) -> None:
        self.pool.shutdown(wait=not abandon, cancel_futures=abandon)


def run_batch(
    items: Iterable[Item],
    client: ModelClient | None,
    prompt: Prompt,
    options: BriefOptions,
    *,
    concurrency: int = 8,
    max_total_tokens: int | None = None,
    on_result: Callable[[int, Result], None] | None = None,
    repeated: Mapping[str, int] | None = None,
    keep_results: bool = True,
    in_order: Callable[[int, Outcome], None] | None = None,
    on_resumed: Callable[[int, Resumed], None] | None = None,
    window: int | None = None,
    finished: Collection[int] = frozenset(),
    backend: Backend | None = None,
    total: int | None = None,
    keep_text: bool = False,
) -> BatchOutcome:
    """Brief every article with at most `concurrency` in flight.

    `on_result(index, result)` is called from this thread as each article finishes (in
    completion order), never for a `Brief` passed through or a `Resumed` article (those
    go to `on_resumed`).
    `in_order(index, outcome)` sees every outcome in input order (see the module's
    docstring; `window` defaults to 4 x `concurrency`, at least 256). `repeated` is the
    run's line frequency (`summarize.linefreq.repeated_lines`); by default it is counted
    over `items` when that is a sequence (pass it for a generator: it is read once).
    `finished` holds `summarize.resume.pair_digest`s of briefs not to make again.
    `backend` runs the work elsewhere (`summarize.workers.ProcessBackend`, which builds
    its own clients: `client` may then be None). `total`, the
    number of items when the caller knows it, spares reading the rest of a stopped input
    to count what was not started. `keep_text` puts each article's text in its brief.
    """
    if repeated is None and isinstance(items, Sequence):
        repeated = repeated_lines(i.text for i in items if isinstance(i, Article))
    if backend is None:
        if client is None:
            raise ValueError("run_batch needs a client, or a backend that builds its own")
        worker = Worker(
            client,
            prompt,
            options,
            repeated=repeated or {},
            finished=finished,
            keep_text=keep_text,
        )
        backend = ThreadBackend(worker, concurrency)
    limit = backend.capacity
    batch = _Batch(
        iter(enumerate(items)),
        backend,
        max_total_tokens=max_total_tokens,
        on_result=on_result,
        in_order=in_order,
        on_resumed=on_resumed,
        keep=keep_results,
        total=total,
    )
    window = window or max(4 * limit, 256)
    abandon = False
    try:
        while True:
            try:
                with signals.stops.deferred():  # an item is handed out whole, or not at all
                    batch.schedule(limit=limit, window=window if in_order else None)
                if not batch.pending:
                    break
                batch.collect()
            except KeyboardInterrupt:
                if batch.outcome.stopped == "interrupted":
                    raise  # the second Ctrl-C: abandon what is in flight
                batch.outcome.stopped = "interrupted"
    except KeyboardInterrupt:
        batch.outcome.abandoned = len(batch.pending)
        abandon = True
    finally:
        backend.close(abandon=abandon)
    batch.flush()
    return batch.outcome


class _Batch:
    """The state of one run: what is in flight, what waits to be put in order."""

    def __init__(
        self,
        items: Iterator[tuple[int, Item]],
        backend: Backend,
        *,
        max_total_tokens: int | None,
        on_result: Callable[[int, Result], None] | None,
        in_order: Callable[[int, Outcome], None] | None,
        on_resumed: Callable[[int, Resumed], None] | None,
        keep: bool,
        total: int | None,
    ) -> None:
        self.items = items
        self.total = total
        self.backend = backend
        self.max_total_tokens = max_total_tokens
        self.on_result = on_result
        self.in_order = in_order
        self.on_resumed = on_resumed
        self.keep = keep
        self.pending: dict[int, str] = {}  # index -> source, of the articles in flight
        self.held: dict[int, Outcome | None] = {}  # finished, waiting for earlier ones
        self.next_out = 0  # the index input order delivers next
        self.read = 0  # items taken from the input so far
        self.outcome = BatchOutcome()
        self.exhausted = False

    def schedule(self, *, limit: int, window: int | None) -> None:
        """Start articles until `limit` are in flight (or the reorder window is full);
        once stopped, start none and count the rest of the input as not started."""
        while not self.exhausted and len(self.pending) < limit and self.outcome.stopped is None:
            if window is not None and self.read - self.next_out >= window:
                return  # the oldest unfinished article holds the window: wait for it
            entry = next(self.items, None)
            if entry is None:
                self.exhausted = True
                return
            index, item = entry
            self.read += 1
            if isinstance(item, Brief):
                self.deliver(index, item)
            elif isinstance(item, InputError):
                self.finish(index, Failure.from_error(item))
            else:
                self.backend.submit(index, item)
                self.pending[index] = item.source
        if self.outcome.stopped is not None and not self.exhausted:
            self.exhausted = True
            if self.total is not None:
                self.outcome.not_started += max(self.total - self.read, 0)
                return
            for index, item in self.items:
                self.outcome.not_started += not isinstance(item, Brief)
                if isinstance(item, Brief):
                    self.deliver(index, item)
                else:
                    self.skip(index)

    def collect(self) -> None:
        """Wait for an article in flight to finish, and record it; Ctrl-C is looked at
        between waits, never while a result is being taken off the queue."""
        with signals.stops.deferred():
            try:
                got = self.backend.next_result(POLL_SECONDS)
            except BackendLost as error:
                self.lose_pending(str(error))
                return
            if got is None:
                return
            index, outcome = got
            if self.pending.pop(index, None) is None:
                return  # already given up as lost
            self.finish(index, outcome)
        budget = self.max_total_tokens
        if budget is not None and self.outcome.tokens.total >= budget:
            self.outcome.stopped = self.outcome.stopped or "token budget"

    def lose_pending(self, why: str) -> None:
        self.outcome.stopped = self.outcome.stopped or "worker lost"
        for index, source in sorted(self.pending.items()):
            self.finish(index, Failure(None, source, "failed", f"{source}: {why}"))
        self.pending.clear()

    def finish(self, index: int, outcome: Outcome) -> None:
        if isinstance(outcome, Resumed):
            if self.on_resumed is not None:
                self.on_resumed(index, outcome)
            self.deliver(index, outcome)
            return
        self.outcome.tokens.add(outcome)
        if self.on_result is not None:
            try:
                self.on_result(index, outcome)
            except StopBatch:
                self.outcome.stopped = self.outcome.stopped or "output failed"
        self.deliver(index, outcome)

    def deliver(self, index: int, outcome: Outcome) -> None:
        """Count it, and pass it on in input order to whoever asked for that."""
        self.outcome.count(outcome)
        if not (self.in_order or self.keep):
            return
        self.held[index] = outcome
        self._release()

    def skip(self, index: int) -> None:
        """An article never started: a gap input order passes over."""
        if self.in_order or self.keep:
            self.held[index] = None
            self._release()

    def _release(self) -> None:
        while self.next_out in self.held:
            self._emit(self.next_out, self.held.pop(self.next_out))
            self.next_out += 1

    def _emit(self, index: int, outcome: Outcome | None) -> None:
        if outcome is None:
            return
        if self.keep and not isinstance(outcome, Resumed):
            self.outcome.results.append(outcome)
        if self.in_order is not None:
            self.in_order(index, outcome)

    def flush(self) -> None:
        """After a stop: what finished out of order still goes out, in order, gaps left."""
        for index in sorted(self.held):
            self._emit(index, self.held[index])
        self.held.clear()
