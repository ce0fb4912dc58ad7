"""The `summarize` command: parse flags, call the library, render, map errors to exit codes.

Exit codes: 0 every article briefed; 1 some articles failed or were not started (the rest
are still printed and exported, each failure named on stderr); 2 usage or configuration
error; 130 interrupted with Ctrl-C, 143 stopped by SIGTERM (either way what finished is
still written).
Data goes to stdout; progress and diagnostics go to stderr.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from collections.abc import Callable
from contextlib import ExitStack
from datetime import date
from enum import IntEnum, StrEnum
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console

from summarize.articles import Article, parse_published, read_file
from summarize.errors import ConfigError, InputError, SummarizeError

if TYPE_CHECKING:
    from summarize.batch import BatchOutcome, Item
    from summarize.cache import AnswerCache
    from summarize.client import ModelClient, ModelConfig
    from summarize.pipeline import Result
    from summarize.prompts import Prompt
    from summarize.store import Store as BriefStore

app = typer.Typer(
    name="summarize",
    help="Turn news articles into structured, evidence-backed threat briefs.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
stdout = Console()
stderr = Console(stderr=True)


class OutputFormat(StrEnum):
    TERMINAL = "terminal"
    MARKDOWN = "md"


class Exit(IntEnum):
    OK = 0
    SOME_FAILED = 1
    USAGE = 2
    INTERRUPTED = 130  # the shell's convention for Ctrl-C: 128 + SIGINT
    TERMINATED = 143  # 128 + SIGTERM


terminated = threading.Event()


def _stop_like_ctrl_c(signum: int, frame: FrameType | None) -> None:
    """SIGTERM (`kill`, a scheduler's stop) stops a batch the way Ctrl-C does: articles
    in flight finish and everything finished is written; a second one abandons them."""
    terminated.set()
    raise KeyboardInterrupt


def _interrupted() -> tuple[str, Exit]:
    """What stopped the run, as the message word and the exit code."""
    if terminated.is_set():
        return "terminated", Exit.TERMINATED
    return "interrupted", Exit.INTERRUPTED


def _fail(message: str, code: Exit = Exit.USAGE) -> typer.Exit:
    stderr.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    return typer.Exit(int(code))


def _published(value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return parse_published(value, source="--published")
    except InputError as error:
        raise _fail(str(error)) from None


@app.command()
def clean(
    path: Annotated[Path, typer.Argument(help="Article file to clean, or - for stdin.")],
    explain: Annotated[
        bool, typer.Option("--explain", help="List every removed line and the rule.")
    ] = False,
) -> None:
    """Print an article's cleaned text (page chrome removed, story kept)."""
    from summarize.articles import article_from_text, decode
    from summarize.pipeline import clean_article

    try:
        if str(path) == "-":
            text, _ = decode(sys.stdin.buffer.read(), source="<stdin>")
            article = article_from_text(text, id="stdin", source="<stdin>")
        else:
            article = read_file(path)
        cleaned = clean_article(article)
    except SummarizeError as error:
        raise _fail(str(error), Exit.SOME_FAILED) from None
    title = article.title or cleaned.title
    if title:
        sys.stdout.write(f"{title}\n\n")
    sys.stdout.write(cleaned.text + "\n")
    if explain:
        stderr.print(f"[bold]{len(cleaned.dropped)} line(s) removed:[/]", highlight=False)
        for dropped in cleaned.dropped:
            stderr.print(
                f"  line {dropped.line:>4}  [cyan]{dropped.rule:<26}[/] {dropped.text[:90]}",
                highlight=False,
                markup=True,
            )


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
            help="Model name, or gguf:PATH for a local GGUF file [env: SUMMARIZE_MODEL].",
        ),
    ] = None,
    base_url: Annotated[
        str | None,
        typer.Option(
            "--base-url",
            help="OpenAI-compatible endpoint, e.g. http://localhost:11434/v1 "
            "[env: OPENAI_BASE_URL].",
        ),
    ] = None,
    mode: Annotated[
        str | None,
        typer.Option(
            help="Structured-output mode: tools, json_schema, json or md_json "
            "(default: tools for OpenAI, json_schema elsewhere)."
        ),
    ] = None,
    published: Annotated[
        str | None,
        typer.Option(help="Publication date YYYY-MM-DD for every article (wins over headers)."),
    ] = None,
    prompt: Annotated[
        Path | None, typer.Option(help="Prompt file to use instead of the shipped one.")
    ] = None,
    json_out: Annotated[
        Path | None,
        typer.Option("--json", help="Write all results as a JSON array (- for stdout)."),
    ] = None,
    jsonl_out: Annotated[
        Path | None,
        typer.Option("--jsonl", help="Append one result per line as each article finishes."),
    ] = None,
    concurrency: Annotated[
        int, typer.Option("--concurrency", "-j", min=1, max=256, help="Requests in flight.")
    ] = 8,
    timeout: Annotated[
        float | None,
        typer.Option(min=1, help="Seconds per HTTP request [default: 60; 600 for a gguf: model]."),
    ] = None,
    max_tokens: Annotated[
        int | None, typer.Option(min=1, help="Cap on the model's output tokens.")
    ] = None,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="Print no briefs and no progress bar.")
    ] = False,
    cache_path: Annotated[
        Path | None,
        typer.Option(
            "--cache",
            help="Answer cache file [env: SUMMARIZE_CACHE; default: the user cache folder].",
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
        typer.Option(min=1, help="Stop starting articles once this many tokens are spent."),
    ] = None,
    max_input_tokens: Annotated[
        int,
        typer.Option(min=500, help="Article budget per request; longer ones are split."),
    ] = 16_000,
    max_chunks: Annotated[
        int, typer.Option(min=1, help="Most chunks per long article; the rest is left out.")
    ] = 8,
    verbose: Annotated[
        bool, typer.Option("--verbose", "-v", help="Log each HTTP request to stderr.")
    ] = False,
    output_format: Annotated[
        OutputFormat,
        typer.Option("--format", help="How briefs print on stdout: terminal panels or Markdown."),
    ] = OutputFormat.TERMINAL,
    csv_out: Annotated[
        Path | None, typer.Option("--csv", help="Write one CSV row per threat.")
    ] = None,
    store_path: Annotated[
        Path | None,
        typer.Option(
            "--store",
            help="Keep every brief in this store (env SUMMARIZE_STORE; default: the user "
            "data folder).",
        ),
    ] = None,
    no_store: Annotated[
        bool, typer.Option("--no-store", help="Do not keep the briefs in the store.")
    ] = False,
) -> None:
    """Brief each article: who threatens whom, with what, on what condition, by when."""
    from summarize.batch import run_batch
    from summarize.client import ModelClient
    from summarize.export import JsonlWriter
    from summarize.pipeline import Failure
    from summarize.progress import BatchProgress, totals_line
    from summarize.prompts import load_prompt

    if resume and jsonl_out is None:
        raise _fail("--resume needs --jsonl FILE: the file whose briefs to skip")
    resources = ExitStack()  # a local model runs until the batch is done
    try:
        config = _model_config(
            resources,
            model=model,
            base_url=base_url,
            mode=mode,
            timeout=timeout,
            max_tokens=max_tokens,
            max_input_tokens=max_input_tokens,
            max_chunks=max_chunks,
        )
        template = load_prompt(prompt)
        cache = None if no_cache else _open_cache(cache_path, refresh=refresh)
    except ConfigError as error:
        raise _fail(str(error)) from None
    _log_requests(config.api_key, enabled=verbose)
    items = _read_articles(paths, _published(published))
    client = ModelClient(config, cache=cache)
    skipped = 0
    if resume and jsonl_out is not None:
        items, skipped = _skip_finished(items, jsonl_out, client, template)
    jsonl = JsonlWriter(jsonl_out) if jsonl_out else None
    progress = BatchProgress(len(items) - skipped, stderr, enabled=not quiet)

    def report(_: int, result: Result) -> None:
        if jsonl is not None:
            jsonl.write(result)
        progress.advance(result)
        if isinstance(result, Failure):
            progress.report_failure(result)

    try:
        with progress:
            outcome = run_batch(
                items,
                client,
                template,
                concurrency=concurrency,
                max_total_tokens=max_total_tokens,
                on_result=_kept_in_store(report, resources, store_path, enabled=not no_store),
            )
    finally:
        client.close()
        resources.close()
        if cache is not None:
            cache.close()
        if jsonl is not None:
            jsonl.close()
    results = outcome.results
    _write_results(results, json_out, csv_out, quiet=quiet, output_format=output_format)
    stderr.print(totals_line(outcome, skipped=skipped), highlight=False)
    _report_stop(outcome, jsonl_out, max_total_tokens)
    failed = sum(isinstance(r, Failure) for r in results)
    if failed:
        stderr.print(f"{failed} of {len(results)} article(s) failed.", highlight=False)
    if failed or outcome.not_started:
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

        from summarize.pipeline import Failure

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
) -> None:
    """The data: a JSON array to a file or stdout, and the rendered briefs on stdout."""
    from summarize.export import json_text, write_json
    from summarize.pipeline import Failure
    from summarize.render import print_brief

    briefed = any(not isinstance(r, Failure) for r in results)
    if json_out is not None and str(json_out) == "-":
        sys.stdout.write(json_text(results))
        quiet = True  # stdout carries the JSON; a rendered brief would corrupt it
    elif json_out is not None and json_out.exists() and not briefed:
        stderr.print(
            f"note: kept the existing {json_out}: this run briefed no article", highlight=False
        )
    elif json_out is not None:
        write_json(json_out, results)
    if csv_out is not None:
        from summarize.formats import write_csv

        write_csv(str(csv_out), results)
    if not quiet and output_format is OutputFormat.MARKDOWN:
        from summarize.formats import markdown_report

        sys.stdout.write(markdown_report(results))
    elif not quiet:
        for result in results:
            if not isinstance(result, Failure):
                print_brief(stdout, result)


def _report_stop(outcome: BatchOutcome, jsonl_out: Path | None, budget: int | None) -> None:
    """Say why a batch stopped early; exit 130 (143) at once if Ctrl-C (SIGTERM) stopped it."""
    if outcome.stopped == "interrupted":
        how, code = _interrupted()
        stderr.print(
            f"{how}: {outcome.not_started} article(s) not started"
            + (f", {outcome.abandoned} abandoned in flight" if outcome.abandoned else "")
            + (f"; finish them with --jsonl {jsonl_out} --resume" if jsonl_out else ""),
            highlight=False,
        )
        _exit_now(code, abandoned=outcome.abandoned)
    if outcome.stopped == "token budget":
        stderr.print(
            f"stopped: --max-total-tokens {budget or 0:,} reached "
            f"({outcome.tokens.total:,} spent); {outcome.not_started} article(s) not started",
            highlight=False,
        )


def _model_config(resources: ExitStack, *, model: str | None, **options: Any) -> ModelConfig:
    """The model to call: `gguf:PATH` starts llama.cpp in-process (closed with
    `resources`); anything else comes from flags and the environment. Options left
    unset (None) keep the model's own defaults."""
    from summarize.client import ModelConfig
    from summarize.providers.local import LocalModel, is_local

    options = {name: value for name, value in options.items() if value is not None}

    if is_local(model):
        threads = int(os.environ.get("SUMMARIZE_THREADS") or 0) or None
        context = int(os.environ.get("SUMMARIZE_CONTEXT") or 8192)
        local = resources.enter_context(
            LocalModel.start(str(model), threads=threads, context=context)
        )
        options = {k: v for k, v in options.items() if k != "base_url"}
        return local.config(**options)
    return ModelConfig.from_env(model=model, **options)


def _read_articles(paths: list[str], published: date | None) -> list[Item]:
    """Read the inputs; say on stderr what was passed over and why."""
    from summarize.articles import read_inputs

    notes: list[str] = []
    items: list[Item] = list(read_inputs(paths, published=published, notes=notes))
    for note in notes:
        stderr.print(f"note: {note}", highlight=False, soft_wrap=True)
    return items


def _log_requests(api_key: str | None, *, enabled: bool) -> None:
    """Send the library's request log to stderr, the API key masked should it ever appear."""
    if not enabled:
        return
    import logging

    from summarize.client import redact

    class Redact(logging.Filter):
        def filter(self, record: logging.LogRecord) -> bool:
            record.msg, record.args = redact(record.getMessage(), api_key), None
            return True

    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(threadName)s %(message)s"))
    handler.addFilter(Redact())
    handler.set_name("summarize-cli")
    logger = logging.getLogger("summarize")
    for old in [h for h in logger.handlers if h.get_name() == "summarize-cli"]:
        logger.removeHandler(old)  # a second run in one process (tests, notebooks)
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)


def _open_cache(path: Path | None, *, refresh: bool) -> AnswerCache:
    from summarize.cache import AnswerCache

    return AnswerCache(path, read=not refresh)


def _skip_finished(
    items: list[Item], jsonl_out: Path, client: ModelClient, template: Prompt
) -> tuple[list[Item], int]:
    """Replace each article whose brief the JSONL file already holds by that brief."""
    from summarize.export import finished_briefs
    from summarize.pipeline import article_key

    try:
        finished = finished_briefs(jsonl_out)
    except InputError as error:
        raise _fail(str(error)) from None
    kept: list[Item] = []
    skipped = 0
    for item in items:
        if isinstance(item, Article):
            try:
                key = article_key(item, client, template)
            except InputError:
                key = ""  # no story in it: let the batch report that as usual
            if (done := finished.get((item.id, key))) is not None:
                kept.append(done)
                skipped += 1
                continue
        kept.append(item)
    return kept, skipped


def _exit_now(code: Exit, *, abandoned: int) -> None:
    """Exit; with requests abandoned in flight, without waiting for their threads."""
    if abandoned:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(int(code))
    raise typer.Exit(int(code))


cache_app = typer.Typer(help="Inspect or empty the answer cache.", no_args_is_help=True)
app.add_typer(cache_app, name="cache")
CacheOption = Annotated[
    Path | None, typer.Option("--cache", help="Cache file [env: SUMMARIZE_CACHE].")
]


def _existing_cache(path: Path | None) -> AnswerCache:
    try:
        return _open_cache(path, refresh=False)
    except ConfigError as error:
        raise _fail(str(error)) from None


@cache_app.command("stats")
def cache_stats(cache_path: CacheOption = None) -> None:
    """How many answers the cache holds, where, and the tokens they cost."""
    stats = _existing_cache(cache_path).stats()
    sys.stdout.write(
        f"path: {stats.path}\nanswers: {stats.entries}\nsize: {stats.size_bytes:,} bytes\n"
        f"tokens they cost: {stats.input_tokens:,} input + {stats.output_tokens:,} output\n"
    )


@cache_app.command("clear")
def cache_clear(cache_path: CacheOption = None) -> None:
    """Delete every stored answer."""
    removed = _existing_cache(cache_path).clear()
    stderr.print(f"removed {removed} answer(s)", highlight=False)


def _add_store_commands() -> None:
    """`summarize store ...` and `summarize threats ...` live in their own module."""
    from summarize.threats_cli import store_app, threats_app

    app.add_typer(store_app, name="store")
    app.add_typer(threats_app, name="threats")


_add_store_commands()


def _interval(value: str) -> float:
    """'15m' -> 900.0 seconds; '30s', '2h', or bare seconds."""
    import re

    found = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smh]?)\s*", value)
    if found is None or float(found[1]) <= 0:
        raise _fail(f"--every {value!r}: write a duration such as 30s, 15m or 2h")
    return float(found[1]) * {"": 1, "s": 1, "m": 60, "h": 3600}[found[2]]


@app.command()
def watch(
    feeds: Annotated[list[str], typer.Argument(help="RSS or Atom feed URLs.")],
    every: Annotated[str, typer.Option(help="Time between passes: 30s, 15m, 2h.")] = "15m",
    once: Annotated[
        bool, typer.Option("--once", help="One pass, then exit (for cron): 1 if any failed.")
    ] = False,
    store_path: Annotated[
        Path | None, typer.Option("--store", help="Store file (env SUMMARIZE_STORE).")
    ] = None,
    model: Annotated[str | None, typer.Option("--model", "-m", help="Model name.")] = None,
    base_url: Annotated[
        str | None, typer.Option("--base-url", help="OpenAI-compatible endpoint.")
    ] = None,
    mode: Annotated[str | None, typer.Option(help="Structured-output mode.")] = None,
    timeout: Annotated[float | None, typer.Option(min=1, help="Seconds per model request.")] = None,
    feed_timeout: Annotated[
        float, typer.Option(min=0.1, help="Seconds to wait for a feed.")
    ] = 20.0,
    concurrency: Annotated[int, typer.Option("--concurrency", "-j", min=1, max=64)] = 4,
) -> None:
    """Brief the new items of feeds, pass after pass; print new threats, threats reported
    again, and deadlines set or moved."""
    import time

    from summarize.client import ModelClient
    from summarize.prompts import load_prompt
    from summarize.store import Store

    pause = _interval(every)
    resources = ExitStack()
    try:
        config = _model_config(
            resources, model=model, base_url=base_url, mode=mode, timeout=timeout
        )
        template = load_prompt(None)
        store = resources.enter_context(Store(store_path))
        cache = _open_cache(None, refresh=False)  # a page tried again costs no second answer
    except ConfigError as error:
        resources.close()
        raise _fail(str(error)) from None
    resources.callback(cache.close)
    client = ModelClient(config, cache=cache)
    resources.callback(client.close)
    with resources:
        try:
            while True:
                failed = _watch_once(feeds, store, client, template, feed_timeout, concurrency)
                if once:
                    raise typer.Exit(int(Exit.SOME_FAILED if failed else Exit.OK))
                time.sleep(pause)
        except KeyboardInterrupt:
            how, code = _interrupted()
            stderr.print(f"{how}: watch stopped", highlight=False)
            raise typer.Exit(int(code)) from None


def _watch_once(
    feeds: list[str],
    store: BriefStore,
    client: ModelClient,
    template: Prompt,
    feed_timeout: float,
    concurrency: int,
) -> bool:
    """One pass: news on stdout, failures and a tally on stderr; True if anything failed."""
    from summarize.watch import watch_pass

    found = watch_pass(
        feeds, store, client, template, feed_timeout=feed_timeout, concurrency=concurrency
    )
    for line in found.news:
        sys.stdout.write(line + "\n")
    sys.stdout.flush()
    for failure in found.failures:
        stderr.print(failure, highlight=False, soft_wrap=True, markup=False)
    stderr.print(
        f"pass done: {found.items_seen} item(s) in the feeds, {found.briefed} new "
        f"briefed, {len(found.failures)} failure(s)",
        highlight=False,
    )
    return bool(found.failures)


DEFAULT_MOCK = "midsize"  # the shipped imperfect response set: `summarize eval` works offline


@app.command("eval")
def evaluate(
    mock: Annotated[
        str | None,
        typer.Option(help="Replay the stored response set NAME (offline). Default: midsize."),
    ] = None,
    model: Annotated[
        str | None, typer.Option("--model", "-m", help="Run live against this model.")
    ] = None,
    base_url: Annotated[
        str | None, typer.Option("--base-url", help="OpenAI-compatible endpoint for --model.")
    ] = None,
    mode: Annotated[str | None, typer.Option(help="Structured-output mode for --model.")] = None,
    record: Annotated[
        str | None, typer.Option(help="With --model: store raw responses as set NAME.")
    ] = None,
    gold: Annotated[Path, typer.Option(help="Folder of gold briefs.")] = Path("evals/gold"),
    responses: Annotated[Path, typer.Option(help="Folder holding response sets.")] = Path(
        "evals/responses"
    ),
    prompt: Annotated[Path | None, typer.Option(help="Prompt file to evaluate.")] = None,
    report: Annotated[Path | None, typer.Option(help="Write the full report as JSON.")] = None,
    compare: Annotated[
        Path | None, typer.Option(help="Print per-field deltas against an old JSON report.")
    ] = None,
    min_f1: Annotated[
        float | None, typer.Option(min=0, max=1, help="Exit 1 if threat F1 is below this.")
    ] = None,
    verbose: Annotated[
        bool, typer.Option("--verbose", "-v", help="Per-article misses and extras.")
    ] = False,
    concurrency: Annotated[int, typer.Option("--concurrency", "-j", min=1, max=64)] = 4,
) -> None:
    """Score briefs against the hand-labelled gold set, per field."""
    from summarize.evaluation.report import (
        compare_table,
        load_report,
        print_report,
        report_json,
        write_report,
    )
    from summarize.evaluation.runner import run_eval
    from summarize.prompts import load_prompt

    live = model is not None or base_url is not None
    if live and mock is not None:
        raise _fail("--mock replays stored responses and --model runs live: pass one of them")
    if record is not None and not live:
        raise _fail("--record stores a live run: pass --model (and --base-url if needed)")
    resources = ExitStack()
    try:
        template = load_prompt(prompt)
        old = load_report(compare) if compare is not None else None
        if live:
            config = _model_config(resources, model=model, base_url=base_url, mode=mode)
            run = run_eval(
                gold,
                template,
                config=config,
                concurrency=concurrency,
                record=responses / record if record else None,
            )
        else:
            run = run_eval(
                gold, template, mock=responses / (mock or DEFAULT_MOCK), concurrency=concurrency
            )
    except (ConfigError, OSError, ValueError) as error:
        raise _fail(str(error)) from None
    finally:
        resources.close()
    result = report_json(run)
    print_report(stdout, result, verbose=verbose)
    if old is not None:
        stdout.print(compare_table(result, old))
    if report is not None:
        write_report(report, result)
    threat_f1 = result["fields"]["threats"]["f1"]  # None: no threat in gold nor predicted
    if min_f1 is not None and threat_f1 is not None and threat_f1 < min_f1:
        stderr.print(f"threat F1 {threat_f1:.3f} is below --min-f1 {min_f1}", highlight=False)
        raise typer.Exit(int(Exit.SOME_FAILED))


def main() -> None:
    """Console-script entry point: no traceback ever reaches a user for an expected error."""
    signal.signal(signal.SIGTERM, _stop_like_ctrl_c)
    try:
        app()
    except SummarizeError as error:
        stderr.print(f"[bold red]error:[/] {error}", highlight=False, soft_wrap=True)
        sys.exit(int(Exit.USAGE if isinstance(error, ConfigError) else Exit.SOME_FAILED))
    except KeyboardInterrupt:
        how, code = _interrupted()
        stderr.print(how, highlight=False)
        sys.exit(int(code))
