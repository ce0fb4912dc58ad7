"""Worker processes: a batch's requests in flight spread over processes, one per core.

One Python process spends about 18 ms of CPU per article on the SDK, instructor, cleaning
and grounding, under one GIL: a fast model server leaves it the bottleneck. Here the
parent reads the inputs, hands `(index, item)` to the workers through one task queue and
takes their results off one result queue, in completion order, for its one writer (JSONL,
`--json`, the store). Each worker process builds its own `ModelClient` and answer cache
from a `WorkerSpec`. `-j` counts requests in flight: it is split into one share per
worker, and each worker's client opens at most its share of requests at once. A worker
holds a few articles more than its share (`prefetch`), cleaned and waiting at that gate,
so the moment one request is answered the next is sent: without them a request finished
at 1 s latency waited for its article's grounding, the result queue, the parent and the
task queue before the next one left, and at `-j 200` the server saw 100 to 195 requests
at once, not 200. A worker takes a task only when one of its threads is free, so the
work spreads evenly.

Stops stay the parent's: workers ignore Ctrl-C (a terminal sends it to the whole process
group) and finish what they hold when the parent stops handing out work; a second Ctrl-C
terminates them. A worker whose parent is gone (`kill -9`) notices within a second and
exits. The answer cache is shared through SQLite's WAL mode and busy timeout
(`summarize.cache`); a cache fault in a worker reaches the parent as a note.

Processes start from a fork server that has imported the model stack once
(`summarize.forking`), so each worker starts in a fraction of a second after the first.
"""

from __future__ import annotations

import os
import queue
import signal
import threading
from collections.abc import Callable, Collection, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from summarize import forking, signals
from summarize.batch import BackendLost, Outcome, Worker
from summarize.data import Article, Deferred
from summarize.options import BriefOptions
from summarize.prompts import Prompt
from summarize.results import Failure

if TYPE_CHECKING:
    from summarize.modelconfig import ModelConfig

PARENT_CHECK_SECONDS = 1.0  # how soon a worker notices that its parent is gone


@dataclass(frozen=True)
class WorkerSpec:
    """What a worker process builds its `Worker` from: all of it pickles."""

    config: ModelConfig
    prompt: Prompt
    options: BriefOptions
    repeated: Mapping[str, int]
    cache_path: Path | None  # None: no cache
    cache_read: bool = True  # False with --refresh
    finished: Collection[int] = frozenset()
    keep_text: bool = False


def prefetch(requests: int) -> int:
    """How many articles a worker with `requests` in flight holds beyond them."""
    return max(2, requests // 4)


def shares(requests: int, processes: int) -> list[int]:
    """`requests` in flight split over `processes` workers, as evenly as it goes."""
    return [requests // processes + (n < requests % processes) for n in range(processes)]


def _serve(spec: WorkerSpec, requests: int, tasks: Any, results: Any, parent: int) -> None:
    """A worker process's life: take tasks while a thread is free, put each outcome;
    at most `requests` of its articles are waiting on the model at once."""
    from summarize.cache import AnswerCache
    from summarize.client import ModelClient

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides when to stop
    cache = None
    if spec.cache_path is not None:
        cache = AnswerCache(
            spec.cache_path, read=spec.cache_read, on_fault=lambda m: results.put(("note", m))
        )
    client = ModelClient(spec.config, cache=cache, max_in_flight=requests)
    worker = Worker(
        client,
        spec.prompt,
        spec.options,
        repeated=spec.repeated,
        finished=spec.finished,
        keep_text=spec.keep_text,
    )
    threads = requests + prefetch(requests)
    free = threading.Semaphore(threads)
    pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="brief")

    def run(index: int, item: Article | Deferred) -> None:
        try:
            outcome: Outcome = worker.work(item)
        except Exception as error:  # a bug must cost this article, not the others
            source = item.source
            outcome = Failure(None, source, "failed", f"{source}: {type(error).__name__}: {error}")
        results.put((index, outcome))
        free.release()

    try:
        while True:
            free.acquire()
            task = _next_task(tasks, parent)
            if task is None:
                break
            pool.submit(run, *task)
    finally:
        pool.shutdown(wait=True)
        client.close()
        if cache is not None:
            cache.close()


def _next_task(tasks: Any, parent: int) -> tuple[int, Article | Deferred] | None:
    while True:
        try:
            task: tuple[int, Article | Deferred] | None = tasks.get(timeout=PARENT_CHECK_SECONDS)
            return task
        except queue.Empty:
            if not _alive(parent):
                return None  # the parent was killed: nobody will read the results


def _alive(pid: int) -> bool:
    """Whether the process `pid` still exists (a worker's parent is the fork server, so
    getppid() does not tell)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # it exists, as another user's: not ours, but not gone
        return True
    return True


class ProcessBackend:
    """`processes` worker processes behind a task queue and a result queue, with
    `requests` in flight between them (`-j`)."""

    def __init__(
        self,
        spec: WorkerSpec,
        processes: int,
        *,
        requests: int,
        on_note: Callable[[str], None],
    ) -> None:
        split = shares(requests, min(processes, requests))
        self.capacity = sum(share + prefetch(share) for share in split)
        context = forking.context()
        self.tasks: Any = context.Queue()
        self.results: Any = context.Queue()
        self.on_note = on_note
        self.processes = [
            context.Process(
                target=_serve,
                args=(spec, share, self.tasks, self.results, os.getpid()),
                name=f"summarize-worker-{n}",
                daemon=True,
            )
            for n, share in enumerate(split)
        ]
        for process in self.processes:
            process.start()

    def submit(self, index: int, item: Article | Deferred) -> None:
        self.tasks.put((index, item))

    def next_result(self, timeout: float) -> tuple[int, Outcome] | None:
        try:
            message = self.results.get(timeout=timeout)
        except queue.Empty:
            dead = [p for p in self.processes if p.exitcode is not None]
            if dead:
                raise BackendLost(
                    f"worker process {dead[0].name} ended (exit code {dead[0].exitcode})"
                ) from None
            return None
        if message[0] == "note":
            self.on_note(message[1])
            return None
        index, outcome = message
        return int(index), outcome

    def close(self, *, abandon: bool) -> None:
        """Let the workers finish (or kill them, `abandon`), and drop the queues without
        waiting on their feeder threads: a stop that arrives meanwhile is kept for the
        caller (`signals.stops.requested()`), never left half done, and exit never hangs
        on a queue no one will read."""
        with signals.stops.deferred(raise_after=False):
            if abandon:
                for process in self.processes:
                    process.kill()
            else:
                for _ in self.processes:
                    self.tasks.put(None)
            for process in self.processes:
                process.join(timeout=5 if abandon else None)
            for channel in (self.tasks, self.results):
                channel.cancel_join_thread()
                channel.close()
