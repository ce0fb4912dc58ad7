"""`summarize brief`: brief articles, stream the briefs to stdout and the export files,
and end with the totals; stops (Ctrl-C, SIGTERM, a full disk) keep what finished.

Exit codes: 0 every article briefed; 1 some articles failed, were not started, or were cut
short past --max-chunks (the rest are still printed and exported, each failure named on
stderr); 2 usage or configuration error; 130 interrupted with Ctrl-C, 143 stopped by
SIGTERM (either way what finished is still written).
"""

from __future__ import annotations

import itertools
import os
import sys
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from summarize import signals
from summarize.commands.base import (
    CACHE_DEFAULT,
    DEFAULT_OPENAI_MODEL,
    NOT_WRITTEN,
    BaseUrlOption,
    Exit,
    MaxChunksOption,
    MaxInputTokensOption,
    ModeOption,
    PromptOption,
    PublishedOption,
    config_message,
    fail,
    open_cache,
    published_date,
    say,
    stderr,
    stdout,
)
from summarize.data import Article
from summarize.errors import ConfigError, InputError

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Mapping

    from summarize.batch import Backend, BatchOutcome, Item, Resumed
    from summarize.cache import AnswerCache
    from summarize.client import ModelClient
    from summarize.export import JsonlWriter
    from summarize.options import BriefOptions
    from summarize.progress import BatchProgress
    from summarize.prompts import Prompt
    from summarize.providers.base import Provider
    from summarize.results import Result
    from summarize.resume import Finished
    from summarize.store import Store as BriefStore
    from summarize.streams import InOrderOutputs

from summarize.commands.report import cleaned_text, write_review

# Below this many articles a run briefs in this process: starting worker processes costs
# more than they save.
AUTO_WORKERS_FROM = 200


class OutputFormat(StrEnum):
    TERMINAL = "terminal"
    MARKDOWN = "md"


def brief(
    paths: Annotated[
        list[str],
        typer.Argument(
            help="Articles: text or HTML files, folders, .jsonl corpora, http(s) URLs; "
            "- reads stdin."
        ),
    ],
    model: Annotated[
        str | None,
        typer.Option(
            "--model",
            "-m",
            envvar="SUMMARIZE_MODEL",
            show_default=f"{DEFAULT_OPENAI_MODEL} when OPENAI_API_KEY is set",
            help="Model name, or gguf:PATH for a local GGUF file run by llama.cpp "
            "(threads and context from SUMMARIZE_THREADS, SUMMARIZE_CONTEXT; "
            "default all cores and 8192).",
        ),
    ] = None,
    base_url: BaseUrlOption = None,
    mode: ModeOption = None,
    published: PublishedOption = None,
    prompt: PromptOption = None,
    json_out: Annotated[
        Path | None,
        typer.Option(
            "--json",
            show_default=NOT_WRITTEN,
            help="Write all results as a JSON array (- for stdout).",
        ),
    ] = None,
    jsonl_out: Annotated[
        Path | None,
        typer.Option(
            "--jsonl",
            show_default=NOT_WRITTEN,
            help="Append one result per line as each article finishes.",
        ),
    ] = None,
    concurrency: Annotated[
        int, typer.Option("--concurrency", "-j", min=1, max=256, help="Requests in flight.")
    ] = 8,
    workers: Annotated[
        int | None,
        typer.Option(
            "--workers",
            envvar="SUMMARIZE_WORKERS",
            min=1,
            show_default=f"one per core for runs over {AUTO_WORKERS_FROM} articles, else 1",
            help="Processes the -j requests are spread over (1: this process alone).",
        ),
    ] = None,
    timeout: Annotated[
        float | None,
        typer.Option(
            min=1, show_default="60; 600 for a gguf: model", help="Seconds per HTTP request."
        ),
    ] = None,
    max_tokens: Annotated[
        int | None,
        typer.Option(
            min=1,
            show_default="no cap; 2048 for a gguf: model",
            help="Cap on the model's output tokens.",
        ),
    ] = None,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="Print no briefs and no progress bar.")
    ] = False,
    cache_path: Annotated[
        Path | None,
        typer.Option(
            "--cache",
            envvar="SUMMARIZE_CACHE",
            show_default=CACHE_DEFAULT,
            help="Answer cache file.",
        ),
    ] = None,
    no_cache: Annotated[
        bool, typer.Option("--no-cache", help="Neither read nor write the answer cache.")
    ] = False,
    refresh: Annotated[
        bool, typer.Option("--refresh", help="Ask the model again; store the new answers.")
    ] = False,
    resume: Annotated[
        bool,
        typer.Option("--resume", help="Skip articles whose briefs the --jsonl file holds."),
    ] = False,
    max_total_tokens: Annotated[
        int | None,
        typer.Option(
            min=1,
            show_default="no budget",
            help="Stop starting articles once this many tokens are spent.",
        ),
    ] = None,
    max_input_tokens: MaxInputTokensOption = 16_000,
    max_chunks: MaxChunksOption = 8,
    fetch_timeout: Annotated[
        float, typer.Option(min=1, help="Seconds for each URL in all: connect, redirects, body.")
    ] = 30.0,
    max_input_bytes: Annotated[
        int,
        typer.Option(min=1, help="Largest file, stdin, web page or corpus line read, in bytes."),
    ] = 5_000_000,
    verbose: Annotated[
        bool, typer.Option("--verbose", "-v", help="Log each HTTP request to stderr.")
    ] = False,
    output_format: Annotated[
        OutputFormat,
        typer.Option("--format", help="How briefs print on stdout: terminal panels or Markdown."),
    ] = OutputFormat.TERMINAL,
    csv_out: Annotated[
        Path | None,
        typer.Option("--csv", show_default=NOT_WRITTEN, help="Write one CSV row per threat."),
    ] = None,
    html_out: Annotated[
        Path | None,
        typer.Option(
            "--html",
            show_default=NOT_WRITTEN,
            help="Write a review page: quotes highlighted in the articles.",
        ),
    ] = None,
    embed_text: Annotated[
        bool,
        typer.Option(
            "--embed-text", help="Keep each article's text in --json/--jsonl (for report)."
        ),
    ] = False,
    store_path: Annotated[
        Path | None,
        typer.Option(
            "--store",
            show_default="store.sqlite3 in the user data folder, or SUMMARIZE_STORE",
            help="Keep every brief in this store, for summarize threats.",
        ),
    ] = None,
    no_store: Annotated[
        bool, typer.Option("--no-store", help="Do not keep the briefs in the store.")
    ] = False,
) -> None:
    """Brief each article: who threatens whom, with what, on what condition, by when.

    Needs a model: OPENAI_API_KEY for OpenAI, OPENAI_BASE_URL (or --base-url) and a
    --model for any OpenAI-compatible server, or --model gguf:PATH for a local file.
    Without one, `summarize eval` shows the whole pipeline offline.
    """
    if resume and jsonl_out is None:
        raise fail("--resume needs --jsonl FILE: the file whose briefs to skip")
    if not verbose and _looks_large(paths, workers) and not _prefixed(model):
        _warm_up_workers()  # its second of imports overlaps this process's and the reading
    from summarize.batch import BatchOutcome
    from summarize.options import BriefOptions
    from summarize.prompts import load_prompt
    from summarize.providers import resolve
    from summarize.transport import log_requests

    resources = ExitStack()
    try:
        _check_outputs(json_out=json_out, jsonl_out=jsonl_out, csv_out=csv_out, html_out=html_out)
        opened = resolve(
            model, base_url=base_url, mode=mode, timeout=timeout, max_tokens=max_tokens
        )
        provider = resources.enter_context(opened)  # a local model runs until the batch is done
        options = provider.brief_options(
            BriefOptions(max_input_tokens=max_input_tokens, max_chunks=max_chunks)
        )
        template = load_prompt(prompt)
        cache = None if no_cache else open_cache(cache_path, refresh=refresh)
    except ConfigError as error:
        resources.close()
        raise fail(config_message(error)) from None
    if verbose:
        log_requests(sys.stderr, secret=provider.config.api_key)  # the key masked
    to_stdout = json_out is not None and str(json_out) == "-"
    view = not quiet and not to_stdout  # stdout carries the JSON: a view would corrupt it
    run = _Run(
        provider,
        template,
        options,
        cache=cache,
        resources=resources,
        jsonl_out=jsonl_out,
        quiet=quiet,
        embed_text=embed_text,
        spool=view or csv_out is not None or html_out is not None,
    )
    run.on_result = _kept_in_store(run.report, resources, store_path, enabled=not no_store)
    outcome = BatchOutcome()
    inputs = _Inputs(
        paths,
        published_date(published),
        fetch_timeout=fetch_timeout,
        max_bytes=max_input_bytes,
    )
    try:
        outcome = run.brief(
            inputs,
            resume=resume,
            concurrency=concurrency,
            workers=1 if verbose or not _shareable(provider) else workers,
            max_total_tokens=max_total_tokens,
            json_out=None if to_stdout else json_out,
            json_to_stdout=to_stdout,
        )
    except KeyboardInterrupt:
        outcome.stopped = "interrupted"  # before the batch began: nothing was sent
    # From here on a Ctrl-C or SIGTERM is held until the exports are written whole; the
    # terminal view stops between briefs, and the totals line is always printed.
    with signals.stops.deferred(raise_after=False):
        written = True
        if run.stage == "briefing":  # stopped before the batch: nothing to write
            written = run.close_json(json_out)
            written &= _write_results(
                run.spooled,
                csv_out,
                view=view,
                output_format=output_format,
                html=html_out,
                repeated=run.repeated,
            )
        run.close_outputs()
        _finish(outcome, run, written=written, budget=max_total_tokens)


class _Inputs:
    """The inputs named on the command line, read lazily and as often as iterated (the
    line count reads them once before the batch); standard input is read once and kept.
    What was passed over is said once, after the first reading."""

    def __init__(
        self,
        paths: list[str],
        published: date | None,
        *,
        fetch_timeout: float | None,
        max_bytes: int,
    ) -> None:
        self.paths, self.published = paths, published
        self.fetch_timeout, self.max_bytes = fetch_timeout, max_bytes
        self._stdin: tuple[str, tuple[str, ...]] | InputError | None = None
        self._noted = False

    def _read_stdin(self) -> tuple[str, tuple[str, ...]]:
        from summarize.articles import read_stdin

        if self._stdin is None:
            try:
                self._stdin = read_stdin(max_bytes=self.max_bytes)
            except InputError as error:
                self._stdin = error
        if isinstance(self._stdin, InputError):
            raise self._stdin
        return self._stdin

    def __iter__(self) -> Iterator[Item]:
        from summarize.articles import iter_inputs

        notes: list[str] = []
        yield from iter_inputs(
            self.paths,
            published=self.published,
            notes=notes,
            stdin=self._read_stdin,
            fetch_timeout=self.fetch_timeout,
            max_bytes=self.max_bytes,
        )
        if not self._noted:
            self._noted = True
            for note in notes:
                stderr.print(f"note: {note}")


class _Run:
    """One `brief` run's state: the client, the outputs, progress, what was resumed."""

    def __init__(
        self,
        provider: Provider,
        template: Prompt,
        options: BriefOptions,
        *,
        cache: AnswerCache | None,
        resources: ExitStack,
        jsonl_out: Path | None,
        quiet: bool,
        embed_text: bool = False,
        spool: bool = False,
    ) -> None:
        self.template, self.cache, self.resources = template, cache, resources
        self.options = options
        self.provider, self.config = provider, provider.config
        self._client: ModelClient | None = None  # built only to brief in this process
        self.jsonl_out, self.quiet = jsonl_out, quiet
        self.embed_text, self.spool = embed_text, spool
        self.repeated: Mapping[str, int] = {}  # the run's shared lines, as cleaning dropped them
        self.jsonl: JsonlWriter | None = None
        self.jsonl_error: str | None = None  # why the JSONL file stopped being written
        self.jsonl_lines = 0
        self.finished: Finished | None = None  # --resume: the briefs the JSONL file holds
        self.unmatched: Counter[str] = Counter()  # --resume: why earlier briefs did not match
        self.outputs: InOrderOutputs | None = None
        self.stage = "reading the inputs"
        self.progress: BatchProgress | None = None
        self.on_result: Callable[[int, Result], None] = self.report  # the store wraps it
        self.backend: Backend | None = None  # worker processes, when the run has them

    @property
    def client(self) -> ModelClient:
        """The model client, built when first needed: with worker processes the parent
        never calls the model, and skips importing the SDK."""
        if self._client is None:
            self._client = self.provider.client(cache=self.cache)
        return self._client

    def brief(
        self,
        inputs: Iterable[Item],
        *,
        resume: bool,
        concurrency: int,
        workers: int | None,
        max_total_tokens: int | None,
        json_out: Path | None,
        json_to_stdout: bool,
    ) -> BatchOutcome:
        from summarize.batch import run_batch
        from summarize.export import JsonlWriter
        from summarize.progress import BatchProgress
        from summarize.streams import InOrderOutputs

        try:
            # Lines shared by many articles of the run are page chrome, counted in a first
            # reading of the inputs (so --resume computes the same cache keys as the run it
            # resumes), which also counts the articles for the progress bar.
            large = _warm_up_workers if workers is None else None
            total, self.repeated, inputs = _count_lines(inputs, on_large=large)
            if resume and self.jsonl_out is not None:
                self.finished = _read_finished(self.jsonl_out)
            if self.jsonl_out is not None:
                try:
                    self.jsonl = JsonlWriter(self.jsonl_out)
                except OSError as error:
                    message = f"--jsonl {self.jsonl_out}: cannot be opened ({error.strerror})"
                    raise fail(message) from None
            self.outputs = InOrderOutputs(
                json_out=json_out,
                json_to_stdout=json_to_stdout,
                spool=self.spool,
                embed_text=self.embed_text,
                finished=self.finished,
            )
            in_order = self.outputs if self.outputs.json or self.spool else None
            backend = self.backend = self._backend(workers, concurrency, total)
            self.stage = "briefing"
            self.progress = BatchProgress(total, stderr, enabled=not self.quiet)
            with self.progress:
                return run_batch(
                    inputs,
                    self.client if backend is None else None,
                    self.template,
                    self.options,
                    concurrency=concurrency,
                    max_total_tokens=max_total_tokens,
                    on_result=self.on_result,
                    repeated=self.repeated,
                    keep_results=False,
                    in_order=in_order,
                    on_resumed=self.resumed,
                    finished=self.finished.keys if self.finished else frozenset(),
                    total=total,
                    keep_text=self.embed_text or self.spool,
                    backend=backend,
                )
        finally:
            with signals.stops.deferred(raise_after=False):
                self.close()

    def _backend(self, workers: int | None, concurrency: int, total: int) -> Backend | None:
        """Worker processes for the batch, or None to brief in this process's threads."""
        from summarize.workers import ProcessBackend, WorkerSpec

        if workers is None:
            workers = _cores() if total > AUTO_WORKERS_FROM else 1
        processes = min(workers, concurrency)
        if processes <= 1:
            return None
        cache = self.cache
        spec = WorkerSpec(
            config=self.config,
            prompt=self.template,
            options=self.options,
            repeated=self.repeated,
            cache_path=None if cache is None or cache.off_because else cache.path,
            cache_read=cache.read if cache is not None else True,
            finished=self.finished.keys if self.finished else frozenset(),
            keep_text=self.embed_text or self.spool,
        )

        def note(message: str) -> None:
            stderr.print(f"warning: {message}", highlight=False, markup=False, soft_wrap=True)

        return ProcessBackend(spec, processes, requests=concurrency, on_note=note)

    def report(self, _: int, result: Result) -> None:
        """Each finished article: its JSONL line (whole, Ctrl-C held off while it is
        written), the bar, and its failure line. A JSONL file that cannot be written
        stops the batch: what is in flight finishes and goes to --json."""
        from summarize.batch import StopBatch
        from summarize.results import Failure
        from summarize.streams import record

        assert self.progress is not None
        self.progress.advance(result)
        if isinstance(result, Failure):
            self.progress.report_failure(result)
        self._note_mismatch(result)
        if self.jsonl is None:
            return
        with signals.stops.deferred():
            try:
                self.jsonl.write_record(record(result, embed_text=self.embed_text))
                self.jsonl_lines += 1
            except OSError as error:
                self.jsonl.close()
                self.jsonl = None
                self.jsonl_error = error.strerror or str(error)
                raise StopBatch from None

    def resumed(self, _: int, __: Resumed) -> None:
        assert self.progress is not None
        self.progress.advance_resumed()

    def _note_mismatch(self, result: Result) -> None:
        """With --resume, a fresh result of an article the file has a brief of: why that
        brief was not this run's (so a changed model or endpoint is never silent)."""
        from summarize.results import Failure
        from summarize.resume import Earlier, mismatch

        if self.finished is None:
            return
        article_id = result.article_id if isinstance(result, Failure) else result.article.id
        earlier = self.finished.earlier(article_id) if article_id is not None else None
        if earlier is None or (isinstance(result, Failure) and result.kind == "input"):
            return
        config = self.config
        now = Earlier(
            config.model, self.template.version, config.endpoint_key, config.resolved_mode
        )
        self.unmatched[mismatch(earlier, now)] += 1

    def spooled(self) -> Iterator[Result]:
        return iter(()) if self.outputs is None else self.outputs.spooled()

    def close_json(self, json_out: Path | None) -> bool:
        """Put the --json array in place; an existing file is kept when nothing was
        briefed. False when it could not be written (said on stderr)."""
        if self.outputs is None or self.outputs.json is None:
            return True
        keep = not (
            json_out is not None
            and str(json_out) != "-"
            and json_out.exists()
            and not self.outputs.json.briefs
        )
        if not keep:
            stderr.print(f"note: kept the existing {json_out}: this run briefed no article")
        if self.outputs.close_json(keep=keep):
            return True
        error = self.outputs.json_error
        say(f"--json {json_out}: writing failed ({error})", label="error:", style="bold red")
        return False

    def close_outputs(self) -> None:
        if self.outputs is not None:
            self.outputs.close()

    def close(self) -> None:
        from summarize.workers import ProcessBackend

        if isinstance(self.backend, ProcessBackend) and self.cache is not None:
            self.cache.add_faults(self.backend.cache_read_faults, self.backend.cache_off)
        if self._client is not None:
            self._client.close()
        self.resources.close()
        if self.cache is not None:
            self.cache.close()
        if self.jsonl is not None:
            self.jsonl.close()


def _shareable(provider: Provider) -> bool:
    """Whether worker processes can each open this model themselves: an endpoint can,
    a local model running in this process cannot."""
    from summarize.providers.base import Provider

    return type(provider) is Provider


def _cores() -> int:
    """The cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


# A run this small is read once and kept while it is briefed; a larger one is read twice
# (the line count, then the batch), never held.
HEAD_ITEMS = 1_000
HEAD_CHARS = 50_000_000


def _warm_up_workers() -> None:
    from summarize import forking

    forking.start()


# An input file this large holds more articles than AUTO_WORKERS_FROM, most likely (a
# news story is 3 to 6 KB as JSONL): enough to start the worker processes' fork server
# before reading it. Past HEAD_ITEMS the count starts it anyway.
LARGE_INPUT_BYTES = 1_000_000


def _prefixed(model: str | None) -> bool:
    """Whether `model` names a provider by its prefix (a `gguf:` model runs in this
    process: no workers), rather than a model of an OpenAI-compatible endpoint."""
    from summarize.providers import known_prefixes

    return model is not None and model.startswith(tuple(known_prefixes()))


def _looks_large(paths: list[str], workers: int | None) -> bool:
    """Whether the run will most likely use worker processes: they were asked for, an
    input file is large, or a folder holds many entries (its top level, not walked)."""
    if workers is not None:
        return workers > 1
    for name in paths:
        path = Path(name)
        try:
            if path.is_dir():
                with os.scandir(path) as entries:
                    first = list(itertools.islice(entries, AUTO_WORKERS_FROM))
                if len(first) == AUTO_WORKERS_FROM:
                    return True
            elif path.is_file() and path.stat().st_size >= LARGE_INPUT_BYTES:
                return True
        except OSError:
            continue  # reading it will say what is wrong
    return False


def _count_lines(
    inputs: Iterable[Item], *, on_large: Callable[[], None] | None = None
) -> tuple[int, dict[str, int], Iterable[Item]]:
    """How many inputs there are, the lines repeated across their articles
    (`summarize.linefreq`), and the inputs to brief. Up to HEAD_ITEMS articles and
    HEAD_CHARS characters are read once and kept; past that the count reads the inputs
    through, one article at a time, and the batch reads them again; `on_large` is called
    once the inputs are known to be that many."""
    from summarize.linefreq import repeated_lines

    reading = iter(inputs)
    head: list[Item] = []
    chars = 0
    for item in reading:
        head.append(item)
        chars += len(item.text) if isinstance(item, Article) else 0
        if len(head) >= HEAD_ITEMS or chars >= HEAD_CHARS:
            break
    else:
        texts = (item.text for item in head if isinstance(item, Article))
        return len(head), repeated_lines(texts), head
    if on_large is not None:
        on_large()
    total = 0

    def texts_of_all() -> Iterator[str]:
        nonlocal total
        for item in itertools.chain(head, reading):
            total += 1
            if isinstance(item, Article):
                yield item.text

    repeated = repeated_lines(texts_of_all())
    head.clear()
    return total, repeated, inputs


def _read_finished(jsonl_out: Path) -> Finished:
    """The briefs the --resume file holds; its lines that are not briefs, said."""
    from summarize.resume import read_finished

    warnings: list[str] = []
    try:
        finished = read_finished(jsonl_out, warnings=warnings)
    except InputError as error:
        raise fail(str(error)) from None
    for warning in warnings[:WARNINGS_SHOWN]:
        say(warning, label="warning:", style="yellow")
    if len(warnings) > WARNINGS_SHOWN:
        say(f"{jsonl_out}: {len(warnings) - WARNINGS_SHOWN} more line(s) not briefs")
    return finished


def _check_outputs(
    *,
    json_out: Path | None,
    jsonl_out: Path | None,
    csv_out: Path | None,
    html_out: Path | None,
) -> None:
    """Every output file writable, and each a different file, before anything is paid for."""
    from summarize.export import check_output

    outputs = (
        ("--json", json_out),
        ("--jsonl", jsonl_out),
        ("--csv", csv_out),
        ("--html", html_out),
    )
    named = {
        flag: path
        for flag, path in outputs
        if path is not None and not (flag == "--json" and str(path) == "-")
    }
    seen: dict[Path, str] = {}
    for flag, path in named.items():
        check_output(path, flag=flag)
        if (same := seen.get(path.resolve())) is not None:
            raise ConfigError(f"{same} and {flag} both name {path}; give each its own file")
        seen[path.resolve()] = flag


def _finish(outcome: BatchOutcome, run: _Run, *, written: bool, budget: int | None) -> None:
    """The run's last words on stderr, the totals line always among them, and its exit."""
    from summarize.progress import totals_line

    if run.unmatched:
        why = "; ".join(f"{count} {reason}" for reason, count in run.unmatched.most_common())
        say(
            f"--resume: {run.unmatched.total()} brief(s) in {run.jsonl_out} did not match this "
            f"run and will be briefed again: {why}",
            label="note:",
        )
    note = _cache_note(run.cache)
    stderr.print(totals_line(outcome, note=note), highlight=False)
    if run.jsonl_error is not None:
        say(
            f"--jsonl {run.jsonl_out}: writing failed after {run.jsonl_lines} line(s) "
            f"({run.jsonl_error}); the batch stopped there with {outcome.not_started} "
            f"article(s) not started; make room and finish them with --jsonl "
            f"{run.jsonl_out} --resume",
            label="error:",
            style="bold red",
        )
    _report_stop(outcome, run, budget)
    failed = outcome.failed
    if failed:
        done = outcome.failed + outcome.briefed + outcome.resumed
        stderr.print(f"{failed} of {done} article(s) failed.")
    truncated = run.progress is not None and run.progress.truncated  # a part is not the whole
    if failed or outcome.not_started or not written or run.jsonl_error is not None or truncated:
        raise typer.Exit(int(Exit.SOME_FAILED))


def _kept_in_store(
    report: Callable[[int, Result], None],
    resources: ExitStack,
    path: Path | None,
    *,
    enabled: bool,
) -> Callable[[int, Result], None]:
    """`report`, and before it each brief kept in the store (closed with `resources`)."""
    hook = _StoreHook.open(path) if enabled else None
    if hook is None:
        return report
    resources.callback(hook.close)

    def keep_and_report(index: int, result: Result) -> None:
        hook.record(result)
        report(index, result)

    return keep_and_report


class _StoreHook:
    """Keeps each brief in the store as it is reported. The store is a convenience, never
    a gate: if it cannot be opened or written, one warning, and the run goes on (the
    briefs still reach stdout and the export files)."""

    def __init__(self, store: BriefStore) -> None:
        self.store: BriefStore | None = store

    @classmethod
    def open(cls, path: Path | None) -> _StoreHook | None:
        from summarize.store import Store

        try:
            return cls(Store(path))
        except ConfigError as error:
            stderr.print(f"warning: briefs not stored: {error}", highlight=False, soft_wrap=True)
            return None

    def record(self, result: Result) -> None:
        import sqlite3

        from summarize.results import Failure

        if self.store is None or isinstance(result, Failure):
            return
        try:
            self.store.record(result)
        except (sqlite3.Error, OSError) as error:
            stderr.print(
                f"warning: the store {self.store.path} failed ({error}); the rest of this run "
                "is not stored: import the briefs later with `summarize store import FILE`",
                highlight=False,
                soft_wrap=True,
            )
            self.close()

    def close(self) -> None:
        if self.store is not None:
            self.store.close()
            self.store = None


def _write_results(
    results: Callable[[], Iterator[Result]],
    csv_out: Path | None,
    *,
    view: bool,
    output_format: OutputFormat,
    html: Path | None = None,
    repeated: Mapping[str, int] | None = None,
) -> bool:
    """What needs every brief at the end of a run: the CSV, the review page and the
    rendered briefs on stdout, each reading the run's results again (`results()`, input
    order, each brief with its article's text) rather than holding them (`repeated`: the
    run's shared lines, which its cleaning dropped). False when an export could not be
    written (said on stderr; the others still are). A stop (Ctrl-C, SIGTERM) during the
    terminal view ends it between two briefs."""
    from summarize.render import print_brief
    from summarize.results import Failure

    written = True
    if csv_out is not None:
        from summarize.formats import write_csv

        written &= _export("--csv", csv_out, lambda: write_csv(str(csv_out), results()))
    if html is not None:
        written &= _export("--html", html, lambda: write_review(list(results()), html, {}))
    if view and output_format is OutputFormat.MARKDOWN:
        from summarize.formats import markdown_report

        sys.stdout.write(markdown_report(results()))
    elif view:
        for result in results():
            if signals.stops.requested():
                break
            if not isinstance(result, Failure):
                cleaned = cleaned_text(result, {}, repeated or {})
                with stdout.capture() as view_text:
                    print_brief(stdout, result, cleaned)
                _write_whole(view_text.get())
        # A stop that interrupts a write to a full pipe leaves the rest of that brief in
        # the buffer; write it now, while the stop is still held off.
    return written


def _write_whole(text: str) -> None:
    """Write `text` to stdout whole. A stop that arrives while stdout is a full pipe cuts
    the write short (seen losing the tail of a brief through Python's buffered stdout);
    os.write reports how much went, and the rest follows."""
    sys.stdout.flush()
    try:
        fd = sys.stdout.fileno()
    except (OSError, ValueError):  # not a file (a test runner's capture): no pipe to fill
        sys.stdout.write(text)
        return
    data = text.encode(sys.stdout.encoding or "utf-8", errors="replace")
    while data:
        data = data[os.write(fd, data) :]


def _export(flag: str, path: Path, write: Callable[[], None]) -> bool:
    """Write one export; a failure (a full disk) is one line, and the others go on."""
    try:
        write()
    except OSError as error:
        say(f"{flag} {path}: writing failed ({error.strerror})", label="error:", style="bold red")
        return False
    return True


def _report_stop(outcome: BatchOutcome, run: _Run, budget: int | None) -> None:
    """Say why a batch stopped early; exit 130 (143) at once if Ctrl-C (SIGTERM) stopped it."""
    if outcome.stopped == "interrupted" or signals.stops.requested():
        how, code = signals.stops.outcome()
        if run.stage != "briefing":
            stderr.print(f"{how} while {run.stage}; no article was sent")
        elif outcome.stopped != "interrupted":
            stderr.print(f"{how} after the batch: every result was written; the view was cut short")
        else:
            stderr.print(
                f"{how}: {outcome.not_started} article(s) not started"
                + (f", {outcome.abandoned} abandoned in flight" if outcome.abandoned else "")
                + (f"; finish them with --jsonl {run.jsonl_out} --resume" if run.jsonl_out else "")
            )
        _exit_now(Exit(code), abandoned=outcome.abandoned)
    if outcome.stopped == "worker lost":
        stderr.print(
            f"stopped: a worker process ended (killed, or out of memory); "
            f"{outcome.not_started} article(s) not started"
            + (f"; finish them with --jsonl {run.jsonl_out} --resume" if run.jsonl_out else "")
        )
    if outcome.stopped == "token budget":
        stderr.print(
            f"stopped: --max-total-tokens {budget or 0:,} reached "
            f"({outcome.tokens.total:,} spent); {outcome.not_started} article(s) not started",
        )


def _cache_note(cache: AnswerCache | None) -> str | None:
    """What the cache could not do this run, for the totals line."""
    return cache.fault_note() if cache is not None else None


WARNINGS_SHOWN = 5  # per kind of problem; the rest are counted


def _exit_now(code: Exit, *, abandoned: int) -> None:
    """Exit; with requests abandoned in flight, without waiting for their threads."""
    if abandoned:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(int(code))
    raise typer.Exit(int(code))
