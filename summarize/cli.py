"""The `summarize` command: parse flags, call the library, render, map errors to exit codes.

Exit codes: 0 every article briefed; 1 some articles failed, were not started, or were cut
short past --max-chunks (the rest are still printed and exported, each failure named on
stderr); 2 usage or configuration error; 130 interrupted with Ctrl-C, 143 stopped by
SIGTERM (either way what finished is still written).
Data goes to stdout; progress and diagnostics go to stderr.
"""

from __future__ import annotations

import os
import sys
from collections import Counter
from collections.abc import Callable
from contextlib import ExitStack
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from summarize import signals
from summarize.commands import cache as cache_commands
from summarize.commands import clean as clean_command
from summarize.commands import eval as eval_command
from summarize.commands import watch as watch_command
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
    stderr,
    stdout,
)
from summarize.commands.base import config_message as _config_message
from summarize.commands.base import fail as _fail
from summarize.commands.base import open_cache as _open_cache
from summarize.commands.base import published_date as _published
from summarize.commands.base import say as _say
from summarize.data import Article
from summarize.errors import ConfigError, InputError, SummarizeError

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence

    from summarize.batch import BatchOutcome, Item
    from summarize.cache import AnswerCache
    from summarize.client import ModelClient
    from summarize.export import JsonlWriter
    from summarize.modelconfig import ModelConfig
    from summarize.options import BriefOptions
    from summarize.progress import BatchProgress
    from summarize.prompts import Prompt
    from summarize.providers.base import Provider
    from summarize.results import Result
    from summarize.schema import Brief
    from summarize.store import Store as BriefStore

app = typer.Typer(
    name="summarize",
    help="Turn news articles into structured, evidence-backed threat briefs.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
# Each command in a module of its own (`summarize.commands`); `brief`, `report` and the
# batch commands are still here. Registered in the order --help lists them.
app.command()(clean_command.clean)


class OutputFormat(StrEnum):
    TERMINAL = "terminal"
    MARKDOWN = "md"


@app.command()
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
    from summarize.batch import BatchOutcome
    from summarize.options import BriefOptions
    from summarize.prompts import load_prompt
    from summarize.providers import resolve
    from summarize.transport import log_requests

    if resume and jsonl_out is None:
        raise _fail("--resume needs --jsonl FILE: the file whose briefs to skip")
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
        cache = None if no_cache else _open_cache(cache_path, refresh=refresh)
    except ConfigError as error:
        resources.close()
        raise _fail(_config_message(error)) from None
    if verbose:
        log_requests(sys.stderr, secret=provider.config.api_key)  # the key masked
    run = _Run(
        provider,
        template,
        options,
        cache=cache,
        resources=resources,
        jsonl_out=jsonl_out,
        quiet=quiet,
        embed_text=embed_text,
    )
    run.on_result = _kept_in_store(run.report, resources, store_path, enabled=not no_store)
    outcome = BatchOutcome(results=[])
    try:
        outcome = run.brief(
            lambda: _read_articles(
                paths,
                _published(published),
                {"fetch_timeout": fetch_timeout, "max_bytes": max_input_bytes},
                defer_urls=not resume,
            ),
            resume=resume,
            concurrency=concurrency,
            max_total_tokens=max_total_tokens,
        )
    except KeyboardInterrupt:
        outcome.stopped = "interrupted"  # before the batch began: nothing was sent
    # From here on a Ctrl-C or SIGTERM is held until the exports are written whole; the
    # terminal view stops between briefs, and the totals line is always printed.
    with signals.stops.deferred(raise_after=False):
        written = True
        if run.stage == "briefing":  # stopped before the batch: nothing to write
            written = _write_results(
                outcome.results,
                json_out,
                csv_out,
                quiet=quiet,
                output_format=output_format,
                html=html_out,
                items=run.items,
                repeated=run.repeated,
            )
        _finish(outcome, run, written=written, budget=max_total_tokens)


class _Run:
    """One `brief` run's state: the client, the JSONL file, progress, what was skipped."""

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
    ) -> None:
        self.template, self.cache, self.resources = template, cache, resources
        self.options = options
        self.client = provider.client(cache=cache)
        self.jsonl_out, self.quiet = jsonl_out, quiet
        self.items: list[Item] = []  # as read: the review page and Markdown show their text
        self.repeated: Mapping[str, int] = {}  # the run's shared lines, as cleaning dropped them
        self.texts: dict[str, str] | None = {} if embed_text else None  # --embed-text
        self.jsonl: JsonlWriter | None = None
        self.jsonl_error: str | None = None  # why the JSONL file stopped being written
        self.jsonl_lines = 0
        self.skipped = 0
        self.stage = "reading the inputs"
        self.progress: BatchProgress | None = None
        self.on_result: Callable[[int, Result], None] = self.report  # the store wraps it

    def brief(
        self,
        read_items: Callable[[], list[Item]],
        *,
        resume: bool,
        concurrency: int,
        max_total_tokens: int | None,
    ) -> BatchOutcome:
        from summarize.batch import run_batch
        from summarize.export import JsonlWriter
        from summarize.linefreq import repeated_lines
        from summarize.progress import BatchProgress

        try:
            items = self.items = read_items()
            if self.texts is not None:
                self.texts = _texts(items)
            # Lines shared by many articles of the run are page chrome (counted once, so
            # --resume computes the same cache keys as the run it resumes).
            repeated = repeated_lines(item.text for item in items if isinstance(item, Article))
            self.repeated = repeated
            if resume and self.jsonl_out is not None:
                items, self.skipped = _skip_finished(
                    items, self.jsonl_out, self.client, self.template, self.options, repeated
                )
            if self.jsonl_out is not None:
                try:
                    self.jsonl = JsonlWriter(self.jsonl_out)
                except OSError as error:
                    message = f"--jsonl {self.jsonl_out}: cannot be opened ({error.strerror})"
                    raise _fail(message) from None
            self.stage = "briefing"
            self.progress = BatchProgress(len(items) - self.skipped, stderr, enabled=not self.quiet)
            with self.progress:
                return run_batch(
                    items,
                    self.client,
                    self.template,
                    self.options,
                    concurrency=concurrency,
                    max_total_tokens=max_total_tokens,
                    on_result=self.on_result,
                    repeated=repeated,
                )
        finally:
            with signals.stops.deferred(raise_after=False):
                self.close()

    def report(self, _: int, result: Result) -> None:
        """Each finished article: its JSONL line (whole, Ctrl-C held off while it is
        written), the bar, and its failure line. A JSONL file that cannot be written
        stops the batch: what is in flight finishes and goes to --json."""
        from summarize.batch import StopBatch
        from summarize.results import Failure
        from summarize.schema import Brief

        assert self.progress is not None
        if self.texts is not None and isinstance(result, Brief):
            result.article.text = self.texts.get(result.article.id)
        self.progress.advance(result)
        if isinstance(result, Failure):
            self.progress.report_failure(result)
        if self.jsonl is None:
            return
        with signals.stops.deferred():
            try:
                self.jsonl.write(result)
                self.jsonl_lines += 1
            except OSError as error:
                self.jsonl.close()
                self.jsonl = None
                self.jsonl_error = error.strerror or str(error)
                raise StopBatch from None

    def close(self) -> None:
        self.client.close()
        self.resources.close()
        if self.cache is not None:
            self.cache.close()
        if self.jsonl is not None:
            self.jsonl.close()


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
    from summarize.results import Failure

    note = _cache_note(run.cache)
    stderr.print(totals_line(outcome, skipped=run.skipped, note=note), highlight=False)
    if run.jsonl_error is not None:
        _say(
            f"--jsonl {run.jsonl_out}: writing failed after {run.jsonl_lines} line(s) "
            f"({run.jsonl_error}); the batch stopped there with {outcome.not_started} "
            f"article(s) not started; make room and finish them with --jsonl "
            f"{run.jsonl_out} --resume",
            label="error:",
            style="bold red",
        )
    _report_stop(outcome, run, budget)
    failed = sum(isinstance(r, Failure) for r in outcome.results)
    if failed:
        stderr.print(f"{failed} of {len(outcome.results)} article(s) failed.")
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
    results: list[Result],
    json_out: Path | None,
    csv_out: Path | None,
    *,
    quiet: bool,
    output_format: OutputFormat,
    html: Path | None = None,
    items: Sequence[Item] = (),
    repeated: Mapping[str, int] | None = None,
) -> bool:
    """The data: a JSON array to a file or stdout, the review page, and the rendered
    briefs on stdout; `items` are the articles read, whose text the page, the Markdown
    report and the terminal view show (`repeated`: the run's shared lines, which its
    cleaning dropped). False when an export could not be written (said on stderr;
    the others still are). A stop (Ctrl-C, SIGTERM) during the terminal view ends it
    between two briefs."""
    from summarize.export import json_text, write_json
    from summarize.render import print_brief
    from summarize.results import Failure

    written = True
    briefed = any(not isinstance(r, Failure) for r in results)
    if json_out is not None and str(json_out) == "-":
        sys.stdout.write(json_text(results))
        quiet = True  # stdout carries the JSON; a rendered brief would corrupt it
    elif json_out is not None and json_out.exists() and not briefed:
        stderr.print(f"note: kept the existing {json_out}: this run briefed no article")
    elif json_out is not None:
        written &= _export("--json", json_out, lambda: write_json(json_out, results))
    if csv_out is not None:
        from summarize.formats import write_csv

        written &= _export("--csv", csv_out, lambda: write_csv(str(csv_out), results))
    if html is not None:
        written &= _export("--html", html, lambda: _write_review(results, html, _texts(items)))
    if not quiet and output_format is OutputFormat.MARKDOWN:
        from summarize.formats import markdown_report

        sys.stdout.write(markdown_report(results, _texts(items)))
    elif not quiet:
        texts = _texts(items)
        for result in results:
            if signals.stops.requested():
                break
            if not isinstance(result, Failure):
                cleaned = _cleaned_text(result, texts, repeated or {})
                with stdout.capture() as view:
                    print_brief(stdout, result, cleaned)
                _write_whole(view.get())
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


def _texts(items: Sequence[Item]) -> dict[str, str]:
    """Each article's text as read, by id (ids are unique within a run)."""
    return {item.id: item.text for item in items if isinstance(item, Article)}


def _cleaned_text(
    brief: Brief, texts: Mapping[str, str], repeated: Mapping[str, int]
) -> str | None:
    """The cleaned article a brief's spans point into, cleaned again as the run cleaned
    it; None when its text is not at hand (read during the batch, not embedded)."""
    from summarize.clean import clean
    from summarize.linefreq import for_article

    raw = texts.get(brief.article.id, brief.article.text)
    if raw is None:
        return None
    return clean(raw, repeated=for_article(raw, repeated)).text


def _write_review(
    results: list[Result], html_out: Path, texts: dict[str, str], *, base: Path | None = None
) -> None:
    from summarize.review import pages_for, write_html

    pages, failures = pages_for(results, texts, base=base)
    for page in pages:
        if page.note:
            stderr.print(f"note: {page.note}", highlight=False, soft_wrap=True)
    write_html(html_out, pages, failures)


@app.command()
def report(
    briefs: Annotated[
        Path, typer.Argument(help="Briefs saved by summarize brief --jsonl or --json.")
    ],
    html_out: Annotated[Path, typer.Option("--html", help="Write the review page to this file.")],
) -> None:
    """Write the review page of saved briefs; each article's text is the one embedded
    with --embed-text, else read again from its source and cleaned again."""
    from summarize.review import read_results

    try:
        results = read_results(briefs)
    except InputError as error:
        raise _fail(str(error)) from None
    try:
        _write_review(results, html_out, {}, base=briefs.resolve().parent)
    except OSError as error:
        raise _fail(f"{html_out}: cannot be written ({error.strerror})") from None
    stderr.print(f"wrote {html_out}: {len(results)} result(s)", highlight=False)


def _export(flag: str, path: Path, write: Callable[[], None]) -> bool:
    """Write one export; a failure (a full disk) is one line, and the others go on."""
    try:
        write()
    except OSError as error:
        _say(f"{flag} {path}: writing failed ({error.strerror})", label="error:", style="bold red")
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
    if outcome.stopped == "token budget":
        stderr.print(
            f"stopped: --max-total-tokens {budget or 0:,} reached "
            f"({outcome.tokens.total:,} spent); {outcome.not_started} article(s) not started",
        )


def _read_articles(
    paths: list[str], published: date | None, limits: dict[str, Any], *, defer_urls: bool
) -> list[Item]:
    """Read the inputs; say on stderr what was passed over and why. URLs are left for the
    batch to fetch as it briefs (`defer_urls`), unless --resume must see their text first."""
    from summarize.articles import gather_inputs, read_inputs

    notes: list[str] = []
    read = gather_inputs if defer_urls else read_inputs
    items: list[Item] = list(read(paths, published=published, notes=notes, **limits))
    for note in notes:
        stderr.print(f"note: {note}")
    return items


def _cache_note(cache: AnswerCache | None) -> str | None:
    """What the cache could not do this run, for the totals line."""
    return cache.fault_note() if cache is not None else None


def _skip_finished(
    items: list[Item],
    jsonl_out: Path,
    client: ModelClient,
    template: Prompt,
    options: BriefOptions,
    repeated: Mapping[str, int],
) -> tuple[list[Item], int]:
    """Replace each article whose brief the JSONL file already holds by that brief, and
    say why the file's other briefs of these articles did not match (so a changed model,
    prompt or endpoint is never a silent full re-run)."""
    from summarize.export import finished_briefs
    from summarize.linefreq import for_article
    from summarize.pipeline import article_key

    warnings: list[str] = []
    try:
        finished = finished_briefs(jsonl_out, warnings=warnings)
    except InputError as error:
        raise _fail(str(error)) from None
    for warning in warnings[:WARNINGS_SHOWN]:
        _say(warning, label="warning:", style="yellow")
    if len(warnings) > WARNINGS_SHOWN:
        _say(f"{jsonl_out}: {len(warnings) - WARNINGS_SHOWN} more line(s) not briefs")
    by_id: dict[str, Brief] = {brief.article.id: brief for brief in finished.values()}
    kept: list[Item] = []
    skipped = 0
    unmatched: Counter[str] = Counter()
    for item in items:
        if isinstance(item, Article):
            try:
                key = article_key(
                    item, client, template, options, repeated=for_article(item.text, repeated)
                )
            except InputError:
                key = ""  # no story in it: let the batch report that as usual
            if (done := finished.get((item.id, key))) is not None:
                kept.append(done)
                skipped += 1
                continue
            if key and (other := by_id.get(item.id)) is not None:
                unmatched[_mismatch(other, client.config, template)] += 1
        kept.append(item)
    if unmatched:
        why = "; ".join(f"{count} {reason}" for reason, count in unmatched.most_common())
        _say(
            f"--resume: {unmatched.total()} brief(s) in {jsonl_out} did not match this "
            f"run and will be briefed again: {why}",
            label="note:",
        )
    return kept, skipped


WARNINGS_SHOWN = 5  # per kind of problem; the rest are counted


def _mismatch(brief: Brief, config: ModelConfig, template: Prompt) -> str:
    """Why an earlier brief of an article is not this run's: what changed, old -> new."""
    run = brief.run
    for what, old, new in (
        ("model", run.model, config.model),
        ("prompt version", run.prompt_version, template.version),
        ("endpoint", run.endpoint, config.endpoint_key),
        ("mode", run.mode, config.resolved_mode),
    ):
        if old is not None and old != new:
            return f"with another {what} ({old}, now {new})"
    unknown = ", endpoint" if run.endpoint is None else ""  # briefs before run.endpoint
    return f"with other article text or generation parameters (--max-tokens{unknown})"


def _exit_now(code: Exit, *, abandoned: int) -> None:
    """Exit; with requests abandoned in flight, without waiting for their threads."""
    if abandoned:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(int(code))
    raise typer.Exit(int(code))


app.add_typer(cache_commands.cache_app, name="cache")


def _add_store_commands() -> None:
    """`summarize store ...` and `summarize threats ...` live in their own module."""
    from summarize.commands.threats import store_app, threats_app

    app.add_typer(store_app, name="store")
    app.add_typer(threats_app, name="threats")


_add_store_commands()
app.command()(watch_command.watch)
app.command("eval")(eval_command.evaluate)


def program(args: Sequence[str]) -> int:
    """Run one command line and return its exit status: the one place where errors the
    commands did not handle become exit codes, so no traceback reaches a user for an
    expected error."""
    try:
        app(args=list(args), prog_name="summarize")
    except SummarizeError as error:
        _say(str(error), label="error:", style="bold red")
        return int(Exit.USAGE if isinstance(error, ConfigError) else Exit.SOME_FAILED)
    except SystemExit as done:
        # typer turns a stray KeyboardInterrupt into a silent exit 130; say it, and make
        # it 143 when SIGTERM sent it. (`brief` handles its own stops and says more.)
        if isinstance(getattr(done.__context__, "__cause__", None), KeyboardInterrupt):
            how, code = signals.stops.outcome()
            _say(how)
            return code
        return done.code if isinstance(done.code, int) else int(done.code is not None)
    return int(Exit.OK)


def main() -> None:
    """Console-script entry point."""
    signals.stops.install()  # Ctrl-C and SIGTERM: one path, 130 or 143
    sys.exit(program(sys.argv[1:]))


def _add_batch_commands() -> None:
    """`summarize batch ...` lives in its own module."""
    from summarize.commands.batch import batch_app

    app.add_typer(batch_app, name="batch")


_add_batch_commands()
