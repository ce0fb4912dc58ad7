"""Ctrl-C and SIGTERM, handled alike at every stage of a run.

Both raise `KeyboardInterrupt` in the main thread, so a stop is one code path whatever
sent it; `terminated` remembers that SIGTERM was among them, for the exit code (143, not
130). Inside `deferred()` a signal is only recorded: the section (a JSONL line, the
`--json` file, cleanup) finishes whole, and the stop takes effect where it ends, or is
polled with `requested()` by a loop that can stop between steps (rendering briefs).
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

INTERRUPTED = 130  # the shell's convention for Ctrl-C: 128 + SIGINT
TERMINATED = 143  # 128 + SIGTERM


class StopSignals:
    """The process's Ctrl-C / SIGTERM state. `install()` from the main thread."""

    def __init__(self) -> None:
        self.terminated = threading.Event()
        self._depth = 0  # nested deferred() sections
        self._pending = False  # a signal arrived while deferred and has not been acted on

    def install(self) -> None:
        for number in (signal.SIGINT, signal.SIGTERM):
            signal.signal(number, self._handle)

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        if signum == signal.SIGTERM:
            self.terminated.set()
        if self._depth:
            self._pending = True
            return
        raise KeyboardInterrupt

    @contextmanager
    def deferred(self, *, raise_after: bool = True) -> Iterator[None]:
        """Hold Ctrl-C / SIGTERM off until the block ends; then raise KeyboardInterrupt
        for one that arrived (unless `raise_after` is False: poll `requested()`)."""
        self._depth += 1
        try:
            yield
        finally:
            self._depth -= 1
        if raise_after and self._pending and not self._depth:
            self._pending = False
            raise KeyboardInterrupt

    def requested(self) -> bool:
        """Whether a stop arrived during a deferred section and is still to be acted on."""
        return self._pending

    def outcome(self) -> tuple[str, int]:
        """What stopped the run, as the word for messages and the exit code."""
        if self.terminated.is_set():
            return "terminated", TERMINATED
        return "interrupted", INTERRUPTED


stops = StopSignals()  # one per process: signal handlers are process-wide
