"""Many articles at once: bounded concurrency, results in input order, a clean stop.

`run_batch` keeps at most `concurrency` articles in flight, hands each result to a
callback as it finishes (so JSONL lines and progress appear as work completes) and
returns every result in input order. It stops scheduling new articles when

- the token budget (`max_total_tokens`) is spent: articles in flight still finish;
- the `on_result` callback raises `StopBatch` (the CLI's JSONL file cannot be written):
  articles in flight still finish, and their results are still returned;
- the user presses Ctrl-C (the CLI turns SIGTERM into the same): articles in flight
  finish (each is bounded by the request timeout and retry policy) and their results are
  kept; a second Ctrl-C abandons them.

Either way the outcome says how many articles were never started.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from summarize.data import Article, Deferred
from summarize.errors import InputError, SummarizeError
from summarize.linefreq import for_article, repeated_lines
from summarize.options import BriefOptions
from summarize.pipeline import brief_article
from summarize.prompts import Prompt
from summarize.results import Failure, Result
from summarize.schema import Brief

if TYPE_CHECKING:
    from summarize.client import ModelClient

# An item to brief: an article, an input that could not be read (reported as a failure),
# an input read by the worker that briefs it (a URL), or a brief finished on an earlier
# run (`--resume`), passed through in its place.
Item = Article | InputError | Deferred | Brief
StopReason = Literal["interrupted", "token budget", "output failed"]


class StopBatch(Exception):
    """Raised by an `on_result` callback that can no longer keep results (a full disk
    under the JSONL file): start no more articles; those in flight still finish."""


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
        if isinstance(result, Failure):
            return
        if result.run.cached:
            self.cached_briefs += 1
            return
        self.input += result.run.input_tokens
        self.output += result.run.output_tokens


@dataclass
class BatchOutcome:
    results: list[Result]  # input order; an article never started has no result
    not_started: int = 0
    stopped: StopReason | None = None
    abandoned: int = 0  # in flight when a second Ctrl-C gave up on them
    tokens: TokenCount = field(default_factory=TokenCount)


def run_batch(
    items: Sequence[Item],
    client: ModelClient,
    prompt: Prompt,
    options: BriefOptions,
    *,
    concurrency: int = 8,
    max_total_tokens: int | None = None,
    on_result: Callable[[int, Result], None] | None = None,
    repeated: Mapping[str, int] | None = None,
) -> BatchOutcome:
    """Brief every article with at most `concurrency` in flight.

    `on_result(index, result)` is called from this thread as each article finishes (in
    completion order), never for a `Brief` passed through from an earlier run.
    `repeated` is the run's line frequency (`summarize.linefreq.repeated_lines`); by
    default it is counted over `items`' articles.
    """
    if repeated is None:
        repeated = repeated_lines(item.text for item in items if isinstance(item, Article))
    batch = _Batch(
        items, client, prompt, options, max_total_tokens=max_total_tokens, on_result=on_result
    )
    batch.repeated = repeated
    pool = ThreadPoolExecutor(max_workers=max(concurrency, 1), thread_name_prefix="brief")
    try:
        while batch.queue or batch.pending:
            batch.schedule(pool, limit=max(concurrency, 1))
            try:
                batch.collect()
            except KeyboardInterrupt:
                if batch.outcome.stopped == "interrupted":
                    raise  # the second Ctrl-C: abandon what is in flight
                batch.outcome.stopped = "interrupted"
    except KeyboardInterrupt:
        batch.outcome.abandoned = len(batch.pending)
        pool.shutdown(wait=False, cancel_futures=True)
    else:
        pool.shutdown(wait=True)
    batch.outcome.results = [result for result in batch.results if result is not None]
    return batch.outcome


class _Batch:
    """The state of one run: what is queued, in flight and finished."""

    def __init__(
        self,
        items: Sequence[Item],
        client: ModelClient,
        prompt: Prompt,
        options: BriefOptions,
        *,
        max_total_tokens: int | None,
        on_result: Callable[[int, Result], None] | None,
    ) -> None:
        self.client, self.prompt, self.options = client, prompt, options
        self.max_total_tokens = max_total_tokens
        self.on_result = on_result
        self.queue = deque(enumerate(items))
        self.pending: dict[Future[Result], int] = {}
        self.results: list[Result | None] = [None] * len(items)
        self.outcome = BatchOutcome(results=[])
        self.repeated: Mapping[str, int] = {}

    def schedule(self, pool: ThreadPoolExecutor, *, limit: int) -> None:
        """Start articles until `limit` are in flight; once stopped, start none."""
        while self.queue and len(self.pending) < limit and self.outcome.stopped is None:
            index, item = self.queue.popleft()
            if isinstance(item, Brief):
                self.results[index] = item
            elif isinstance(item, InputError):
                self.finish(index, Failure.from_error(item))
            else:
                self.pending[pool.submit(self.work, item)] = index
        if self.outcome.stopped is not None:
            self.outcome.not_started += sum(not isinstance(i, Brief) for _, i in self.queue)
            self.queue.clear()

    def collect(self) -> None:
        """Wait for at least one article in flight to finish, and record it."""
        if not self.pending:
            return
        done, _ = wait(self.pending, return_when=FIRST_COMPLETED)
        for future in done:
            self.finish(self.pending.pop(future), future.result())
        budget = self.max_total_tokens
        if budget is not None and self.outcome.tokens.total >= budget:
            self.outcome.stopped = self.outcome.stopped or "token budget"

    def work(self, item: Article | Deferred) -> Result:
        article = item.read() if isinstance(item, Deferred) else item
        if isinstance(article, InputError):
            return Failure.from_error(article)
        try:
            repeated = for_article(article.text, self.repeated)
            return brief_article(article, self.client, self.prompt, self.options, repeated=repeated)
        except SummarizeError as error:
            return Failure.from_error(error, article)

    def finish(self, index: int, result: Result) -> None:
        self.results[index] = result
        self.outcome.tokens.add(result)
        if self.on_result is not None:
            try:
                self.on_result(index, result)
            except StopBatch:
                self.outcome.stopped = self.outcome.stopped or "output failed"
