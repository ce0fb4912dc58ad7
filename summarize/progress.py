"""All progress output of a batch, on stderr: a live bar while it runs, totals at the end.

The bar appears only for more than one article, on a terminal, and not with --quiet:
piped or logged stderr gets the one-line failures and the totals, never a redraw.
"""

from __future__ import annotations

from types import TracebackType

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TaskID,
    TextColumn,
    TimeRemainingColumn,
)
from rich.text import Text

from summarize.batch import BatchOutcome, TokenCount
from summarize.results import Failure, Result, truncation


def _rate(seconds: float | None) -> str:
    return f"{seconds:.1f}/s" if seconds else "-/s"


class BatchProgress:
    """A context manager fed each result as it finishes."""

    def __init__(self, total: int, console: Console, *, enabled: bool = True) -> None:
        self.console = console
        self.total = total
        self.failed = 0
        self.truncated = 0  # briefs of articles cut short past --max-chunks
        self.tokens = TokenCount()
        self._progress: Progress | None = None
        self._task: TaskID | None = None
        if enabled and total > 1 and console.is_terminal:
            self._progress = Progress(
                SpinnerColumn(),
                TextColumn("briefing"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("[red]{task.fields[failed]} failed"),
                TextColumn("{task.fields[tokens]:,} tokens"),
                TextColumn("{task.fields[rate]}"),
                TimeRemainingColumn(),
                console=console,
                transient=True,
            )
            self._task = self._progress.add_task("", total=total, failed=0, tokens=0, rate="")

    def __enter__(self) -> BatchProgress:
        if self._progress is not None:
            self._progress.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._progress is not None:
            self._progress.stop()

    def advance(self, result: Result) -> None:
        self.failed += isinstance(result, Failure)
        self.tokens.add(result)
        if not isinstance(result, Failure) and (note := truncation(result)) is not None:
            self.truncated += 1
            self.console.print(
                f"warning: {result.article.source}: {note}",
                highlight=False,
                markup=False,
                soft_wrap=True,
            )
        if self._progress is not None and self._task is not None:
            self._progress.update(
                self._task,
                advance=1,
                failed=self.failed,
                tokens=self.tokens.total,
                rate=_rate(self._progress.tasks[0].speed),
            )

    def advance_resumed(self) -> None:
        """An article whose brief an earlier run left in the JSONL file: done, free."""
        if self._progress is not None and self._task is not None:
            self._progress.update(self._task, advance=1)

    def report_failure(self, failure: Failure) -> None:
        """One line per failed article, printed above the bar. The message quotes file
        names and provider answers, so it is printed as text, never read as markup."""
        line = Text.assemble(("failed:", "bold red"), " ", failure.message)
        self.console.print(line, highlight=False, soft_wrap=True)


def totals_line(outcome: BatchOutcome, *, skipped: int = 0, note: str | None = None) -> str:
    """The batch's last word on stderr: what was done and what it cost."""
    briefs = outcome.briefed
    failed = outcome.failed
    skipped = skipped or outcome.resumed
    tokens = outcome.tokens
    parts = [f"{briefs} brief(s)", f"{failed} failed"]
    if tokens.cached_briefs:
        parts.append(f"{tokens.cached_briefs} from cache")
    if skipped:
        parts.append(f"{skipped} already in the JSONL file")
    if note:
        parts.append(note)  # e.g. the cache's faults: what this run could not do as usual
    spent = f"tokens: {tokens.input:,} input + {tokens.output:,} output = {tokens.total:,}"
    return f"{', '.join(parts)}; {spent}"
