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

import contextlib
import os
import pickle
import queue
import signal
import threading
from collections import deque
from collections.abc import Callable, Collection, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from multiprocessing import connection
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
    """A worker process's life: take tasks while a thread is free, send each outcome
    back through its own pipe (`results`); at most `requests` of its articles are
    waiting on the model at once."""
    from summarize.cache import AnswerCache
    from summarize.client import ModelClient

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides when to stop
    sending = threading.Lock()  # one message at a time, whole, whichever thread sends

    def send(message: tuple[Any, Any]) -> None:
        with sending:
            results.send(message)

    cache = None
    if spec.cache_path is not None:
        cache = AnswerCache(
            spec.cache_path, read=spec.cache_read, on_fault=lambda m: send(("note", m))
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
        try:
            send((index, outcome))
        except OSError:
            pass  # the parent is gone (killed): `_next_task` sees it and this worker ends
        finally:
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
            if cache.read_faults or cache.off_because:
                with contextlib.suppress(OSError):  # the run's totals line counts them
                    send(("faults", (cache.read_faults, cache.off_because)))


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


class _Process:
    """One worker process, its own task queue and result pipe, and the articles it holds
    (so that if it dies, exactly those are known)."""

    def __init__(self, context: Any, spec: WorkerSpec, share: int, name: str) -> None:
        self.share = share
        self.capacity = share + prefetch(share)
        self.tasks: Any = context.Queue()
        self.results, writer = context.Pipe(duplex=False)
        self.process = context.Process(
            target=_serve,
            args=(spec, share, self.tasks, writer, os.getpid()),
            name=name,
            daemon=True,
        )
        self.process.start()
        writer.close()  # the worker's end: once it is gone, reading says so
        self.held: dict[int, Article | Deferred] = {}

    @property
    def name(self) -> str:
        return self.process.name or "worker"

    def free(self) -> int:
        return self.capacity - len(self.held)

    def close(self, *, abandon: bool) -> None:
        if abandon:
            self.process.kill()
        else:
            self.tasks.put(None)


class ProcessBackend:
    """`processes` worker processes, each with `requests` / `processes` of the requests in
    flight (`-j`), its own task queue and its own result pipe.

    A worker that dies (the OOM killer, a `kill -9`) is replaced, and the articles it
    held are tried once more, one at a time: any of them may be what killed it (a page
    that exhausts memory), and one at a time a second death names the culprit, which is
    given up as a failure, while the others are briefed. After `max_losses` workers
    died, the batch stops (`BackendLost`): something kills them all.
    """

    def __init__(
        self,
        spec: WorkerSpec,
        processes: int,
        *,
        requests: int,
        on_note: Callable[[str], None],
        max_losses: int | None = None,
    ) -> None:
        self.spec, self.on_note = spec, on_note
        self.context = forking.context()
        self.started = 0
        self.workers = [self._start(share) for share in shares(requests, min(processes, requests))]
        self.capacity = sum(worker.capacity for worker in self.workers)
        self.losses_left = 2 * len(self.workers) if max_losses is None else max_losses
        self.lost_once: set[int] = set()  # articles a dead worker held: another death ends them
        self.suspects: deque[tuple[int, Article | Deferred]] = deque()  # to try again
        self.suspect: int | None = None  # the one being tried again
        self.given_up: list[tuple[int, Outcome]] = []  # failures to hand out
        self.cache_read_faults = 0  # the workers' answer caches, as they said on exit
        self.cache_off: str | None = None

    def _start(self, share: int) -> _Process:
        self.started += 1
        return _Process(self.context, self.spec, share, f"summarize-worker-{self.started - 1}")

    def submit(self, index: int, item: Article | Deferred) -> None:
        worker = max(self.workers, key=_Process.free)  # the one with most room
        worker.held[index] = item
        worker.tasks.put((index, item))

    def next_result(self, timeout: float) -> tuple[int, Outcome] | None:
        if self.given_up:
            return self.given_up.pop()
        ready = connection.wait([worker.results for worker in self.workers], timeout)
        for worker in self.workers:
            if worker.results not in ready:
                continue
            try:
                message = worker.results.recv()
            except (EOFError, OSError, pickle.UnpicklingError):  # the worker died
                self._replace(worker)
                return None
            if self._aside(message):
                return None
            index, outcome = message
            worker.held.pop(index, None)
            if index == self.suspect:
                self.suspect = None
                self._try_suspect()
            return int(index), outcome
        for worker in self.workers:
            if worker.process.exitcode is not None:  # gone without closing its pipe
                self._replace(worker)
        return None

    def _aside(self, message: tuple[Any, Any]) -> bool:
        """Take a message that is not a result (a warning, the cache's faults on exit)."""
        kind, content = message
        if kind == "note":
            self.on_note(content)
        elif kind == "faults":
            self.cache_read_faults += content[0]
            self.cache_off = self.cache_off or content[1]
        else:
            return False
        return True

    def _replace(self, dead: _Process) -> None:
        """Start a worker in place of `dead`, and hand out again what it held."""
        dead.process.join(timeout=5)
        why = f"worker process {dead.name} ended (exit code {dead.process.exitcode})"
        if self.losses_left < 1:
            raise BackendLost(f"{why}; too many worker processes ended to go on")
        self.losses_left -= 1
        _drop(dead)
        self.workers[self.workers.index(dead)] = self._start(dead.share)
        again = 0
        for index, item in sorted(dead.held.items()):
            if index in self.lost_once:
                message = f"{item.source}: lost with two worker processes ({why})"
                self.given_up.append((index, Failure(None, item.source, "failed", message)))
            else:
                self.lost_once.add(index)
                self.suspects.append((index, item))
                again += 1
        if self.suspect in dead.held:
            self.suspect = None
        self._try_suspect()
        self.on_note(
            f"{why}; started another in its place, and the {again} article(s) it held "
            "are briefed again, one at a time"
        )

    def _try_suspect(self) -> None:
        """Send the next article a dead worker held, if none is being tried."""
        if self.suspect is None and self.suspects:
            index, item = self.suspects.popleft()
            self.suspect = index
            self.submit(index, item)

    def close(self, *, abandon: bool) -> None:
        """Let the workers finish (or kill them, `abandon`), and drop the queues without
        waiting on their feeder threads: a stop that arrives meanwhile is kept for the
        caller (`signals.stops.requested()`), never left half done, and exit never hangs
        on a queue no one will read."""
        with signals.stops.deferred(raise_after=False):
            for worker in self.workers:
                worker.close(abandon=abandon)
            for worker in self.workers:
                if abandon:
                    worker.process.join(timeout=5)
                else:
                    self._drain_until_exit(worker)
                _drop(worker)

    def _drain_until_exit(self, worker: _Process) -> None:
        """Wait for a worker told to stop, reading what it still sends (results the
        batch stopped waiting for, warnings, its cache's faults), so that a full pipe
        never keeps it from exiting."""
        while True:
            try:
                if worker.results.poll(0.1):
                    self._aside(worker.results.recv())
                elif worker.process.exitcode is not None:
                    return
            except (EOFError, OSError, pickle.UnpicklingError):  # it has exited
                worker.process.join()
                return


def _drop(worker: _Process) -> None:
    worker.tasks.cancel_join_thread()
    worker.tasks.close()
    worker.results.close()
