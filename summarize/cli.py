"""The `summarize` command: parse flags, call the library, render, map errors to exit codes.

Exit codes: 0 every article briefed; 1 some articles failed, were not started, or were cut
short past --max-chunks (the rest are still printed and exported, each failure named on
stderr); 2 usage or configuration error; 130 interrupted with Ctrl-C, 143 stopped by
SIGTERM (either way what finished is still written).
Data goes to stdout; progress and diagnostics go to stderr.
"""

from __future__ import annotations

import itertools
import os
import sys
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from datetime import date
from enum import IntEnum, StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.text import Text

from summarize import signals
from summarize.articles import read_file
from summarize.data import Article, parse_published
from summarize.errors import ConfigError, InputError, NoModelConfigured, SummarizeError

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Mapping

    from summarize.batch import Backend, BatchOutcome, Item, Resumed
    from summarize.batchjobs import Job
    from summarize.cache import AnswerCache
    from summarize.client import ModelClient, ModelConfig
    from summarize.export import JsonlWriter
    from summarize.progress import BatchProgress
    from summarize.prompts import Prompt
    from summarize.results import Result
    from summarize.resume import Finished
    from summarize.schema import Brief
    from summarize.store import Store as BriefStore
    from summarize.streams import InOrderOutputs

app = typer.Typer(
    name="summarize",
    help="Turn news articles into structured, evidence-backed threat briefs.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
stdout = Console()
# Every diagnostic goes through this console, and most of what it prints came from
# someone else: file names, JSONL values, provider errors. Markup and emoji codes are
# off so `[/x]` or `:bomb:` print as written (never a MarkupError, never a vanished
# `[redacted]`); our own styling is applied with Text spans (`_say`), not markup.
stderr = Console(stderr=True, markup=False, emoji=False, highlight=False, soft_wrap=True)

# What --help shows for options whose default is decided at run time.
DEFAULT_OPENAI_MODEL = "gpt-4o-mini"  # client.DEFAULT_OPENAI_MODEL; client loads openai
MODE_DEFAULT = "tools for OpenAI, json_schema elsewhere"
SHIPPED_PROMPT = "the shipped prompt"
NOT_WRITTEN = "not written"
NO_MODEL = """no model configured. Three ways on, easiest first:
  1. summarize eval
     see it work offline: the whole pipeline on recorded answers, scored against gold
  2. summarize brief --model gguf:PATH seeds/
     a local GGUF model file run by llama.cpp on this machine (pip install 'summarize[local]')
  3. OPENAI_API_KEY=... summarize brief seeds/
     OpenAI (model gpt-4o-mini unless --model or SUMMARIZE_MODEL says otherwise); or
     OPENAI_BASE_URL=http://localhost:11434/v1 (or --base-url) with --model NAME for an
     OpenAI-compatible server (Ollama, vLLM, llama-server)"""
AUTO_WORKERS_FROM = 200  # below this many articles, starting processes costs more than it saves
CACHE_DEFAULT = "answers.sqlite3 in the user cache folder; summarize cache stats shows it"


# Options `brief` and `batch submit` share: one definition each.
BaseUrlOption = Annotated[
    str | None,
    typer.Option(
        "--base-url",
        envvar="OPENAI_BASE_URL",
        show_default="OpenAI's API, with OPENAI_API_KEY",
        help="OpenAI-compatible endpoint, e.g. http://localhost:11434/v1.",
    ),
]
ModeOption = Annotated[
    str | None,
    typer.Option(
        show_default=MODE_DEFAULT,
        help="Structured-output mode: tools, json_schema, json or md_json.",
    ),
]
PublishedOption = Annotated[
    str | None,
    typer.Option(
        show_default="each file's front-matter header, or its folder's published.json",
        help="Publication date YYYY-MM-DD for every article (wins over headers).",
    ),
]
PromptOption = Annotated[
    Path | None,
    typer.Option(show_default=SHIPPED_PROMPT, help="Prompt file to use instead."),
]
MaxInputTokensOption = Annotated[
    int,
    typer.Option(
        min=500,
        help="Article budget per request, in tokens (for a gguf: model, at most what its "
        "context holds); longer articles are split.",
    ),
]
MaxChunksOption = Annotated[
    int, typer.Option(min=1, help="Most chunks per long article; the rest is left out.")
]


class OutputFormat(StrEnum):
    TERMINAL = "terminal"
    MARKDOWN = "md"


class Exit(IntEnum):
    OK = 0
    SOME_FAILED = 1
    USAGE = 2
    INTERRUPTED = signals.INTERRUPTED  # Ctrl-C: 128 + SIGINT
    TERMINATED = signals.TERMINATED  # 128 + SIGTERM


def _say(message: str, *, label: str = "", style: str = "") -> None:
    """One diagnostic line on stderr: our `label` styled, `message` printed as text."""
    line = Text.assemble((label, style), " " if label else "", message)
    stderr.print(line)


def _fail(message: str, code: Exit = Exit.USAGE) -> typer.Exit:
    _say(message, label="error:", style="bold red")
    return typer.Exit(int(code))


def _config_message(error: ConfigError) -> str:
    """What to tell the user: with no model at all, the ways to get started."""
    return NO_MODEL if isinstance(error, NoModelConfigured) else str(error)


def _published(value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return parse_published(value, source="--published")
    except InputError as error:
        raise _fail(str(error)) from None


@app.command()
def clean(
    path: Annotated[
        Path, typer.Argument(help="Article file or JSONL corpus to clean, or - for stdin.")
    ],
    explain: Annotated[
        bool,
        typer.Option("--explain", help="List every removed line, its rule and its signals."),
    ] = False,
) -> None:
    """Print an article's cleaned text (page chrome removed, story kept)."""
    from summarize.articles import article_from_text, read_corpus, read_stdin

    items: list[Article | InputError]
    if str(path) == "-":
        try:
            text, _ = read_stdin()
        except SummarizeError as error:
            raise _fail(str(error), Exit.SOME_FAILED) from None
        items = [article_from_text(text, id="stdin", source="<stdin>")]
    elif path.suffix.lower() == ".jsonl":
        items = list(read_corpus(path))
    else:
        try:
            items = [read_file(path)]
        except SummarizeError as error:
            raise _fail(str(error), Exit.SOME_FAILED) from None
    failed = 0
    for item in items:
        if isinstance(item, InputError):
            _say(str(item), label="error:", style="bold red")
            failed += 1
        elif not _print_cleaned(item, explain=explain, header=len(items) > 1):
            failed += 1
    if failed:
        raise typer.Exit(int(Exit.SOME_FAILED))


def _print_cleaned(article: Article, *, explain: bool, header: bool) -> bool:
    """Print one article's cleaned text, and with `explain` every removed line; False when
    nothing of it is left (the explanation still says why)."""
    from summarize.clean import clean as clean_text
    from summarize.clean import cleaning_warning

    cleaned = clean_text(article.text)
    if header:
        sys.stdout.write(f"=== {article.id} ({article.source})\n")
    title = article.title or cleaned.title
    if title:
        sys.stdout.write(f"{title}\n\n")
    if cleaned.text:
        sys.stdout.write(cleaned.text + "\n")
    if explain:
        _say(f"{article.id}: {len(cleaned.dropped)} line(s) removed:")
        for dropped in cleaned.dropped:
            why = f"{dropped.rule} ({dropped.detail})" if dropped.detail else dropped.rule
            line = Text.assemble(
                f"  line {dropped.line:>4}  ", (why, "cyan"), "\n             ", dropped.text[:100]
            )
            stderr.print(line)
    if not cleaned.text.strip():
        hint = "the lines above say why" if explain else "add --explain to see why"
        stderr.print(
            f"{article.source}: nothing is left after removing page chrome ({hint})",
            highlight=False,
            markup=False,
            soft_wrap=True,
        )
        return False
    if warning := cleaning_warning(cleaned, article.source):
        stderr.print(f"warning: {warning}", highlight=False, markup=False, soft_wrap=True)
    return True


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
    from summarize.batch import BatchOutcome
    from summarize.prompts import load_prompt

    if resume and jsonl_out is None:
        raise _fail("--resume needs --jsonl FILE: the file whose briefs to skip")
    resources = ExitStack()  # a local model runs until the batch is done
    try:
        _check_outputs(json_out=json_out, jsonl_out=jsonl_out, csv_out=csv_out, html_out=html_out)
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
        resources.close()
        raise _fail(_config_message(error)) from None
    _log_requests(config.api_key, enabled=verbose)
    to_stdout = json_out is not None and str(json_out) == "-"
    view = not quiet and not to_stdout  # stdout carries the JSON: a view would corrupt it
    run = _Run(
        config,
        template,
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
        _published(published),
        {"fetch_timeout": fetch_timeout, "max_bytes": max_input_bytes},
    )
    try:
        outcome = run.brief(
            inputs,
            resume=resume,
            concurrency=concurrency,
            workers=1 if verbose or config.count_tokens is not None else workers,
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

    def __init__(self, paths: list[str], published: date | None, limits: dict[str, Any]) -> None:
        self.paths, self.published, self.limits = paths, published, limits
        self._stdin: tuple[str, tuple[str, ...]] | InputError | None = None
        self._noted = False

    def _read_stdin(self) -> tuple[str, tuple[str, ...]]:
        from summarize.articles import read_stdin

        if self._stdin is None:
            try:
                self._stdin = read_stdin(max_bytes=self.limits["max_bytes"])
            except InputError as error:
                self._stdin = error
        if isinstance(self._stdin, InputError):
            raise self._stdin
        return self._stdin

    def __iter__(self) -> Iterator[Item]:
        from summarize.articles import iter_inputs

        notes: list[str] = []
        yield from iter_inputs(
            self.paths, published=self.published, notes=notes, stdin=self._read_stdin, **self.limits
        )
        if not self._noted:
            self._noted = True
            for note in notes:
                stderr.print(f"note: {note}")


class _Run:
    """One `brief` run's state: the client, the outputs, progress, what was resumed."""

    def __init__(
        self,
        config: ModelConfig,
        template: Prompt,
        *,
        cache: AnswerCache | None,
        resources: ExitStack,
        jsonl_out: Path | None,
        quiet: bool,
        embed_text: bool = False,
        spool: bool = False,
    ) -> None:
        from summarize.client import ModelClient

        self.template, self.cache, self.resources = template, cache, resources
        self.client = ModelClient(config, cache=cache)
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
            total, self.repeated, inputs = _count_lines(inputs)
            if resume and self.jsonl_out is not None:
                self.finished = _read_finished(self.jsonl_out)
            if self.jsonl_out is not None:
                try:
                    self.jsonl = JsonlWriter(self.jsonl_out)
                except OSError as error:
                    message = f"--jsonl {self.jsonl_out}: cannot be opened ({error.strerror})"
                    raise _fail(message) from None
            self.outputs = InOrderOutputs(
                json_out=json_out,
                json_to_stdout=json_to_stdout,
                spool=self.spool,
                embed_text=self.embed_text,
                finished=self.finished,
            )
            in_order = self.outputs if self.outputs.json or self.spool else None
            backend = self._backend(workers, concurrency, total)
            self.stage = "briefing"
            self.progress = BatchProgress(total, stderr, enabled=not self.quiet)
            with self.progress:
                return run_batch(
                    inputs,
                    self.client,
                    self.template,
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
            config=self.client.config,
            prompt=self.template,
            repeated=self.repeated,
            cache_path=None if cache is None or cache.off_because else cache.path,
            cache_read=cache.read if cache is not None else True,
            finished=self.finished.keys if self.finished else frozenset(),
            keep_text=self.embed_text or self.spool,
            threads=-(-concurrency // processes),
        )

        def note(message: str) -> None:
            stderr.print(f"warning: {message}", highlight=False, markup=False, soft_wrap=True)

        return ProcessBackend(spec, processes, on_note=note)

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
        config = self.client.config
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
        _say(f"--json {json_out}: writing failed ({error})", label="error:", style="bold red")
        return False

    def close_outputs(self) -> None:
        if self.outputs is not None:
            self.outputs.close()

    def close(self) -> None:
        self.client.close()
        self.resources.close()
        if self.cache is not None:
            self.cache.close()
        if self.jsonl is not None:
            self.jsonl.close()


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


def _count_lines(inputs: Iterable[Item]) -> tuple[int, dict[str, int], Iterable[Item]]:
    """How many inputs there are, the lines repeated across their articles
    (`summarize.linefreq`), and the inputs to brief. Up to HEAD_ITEMS articles and
    HEAD_CHARS characters are read once and kept; past that the count reads the inputs
    through, one article at a time, and the batch reads them again."""
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
        raise _fail(str(error)) from None
    for warning in warnings[:WARNINGS_SHOWN]:
        _say(warning, label="warning:", style="yellow")
    if len(warnings) > WARNINGS_SHOWN:
        _say(f"{jsonl_out}: {len(warnings) - WARNINGS_SHOWN} more line(s) not briefs")
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
        _say(
            f"--resume: {run.unmatched.total()} brief(s) in {run.jsonl_out} did not match this "
            f"run and will be briefed again: {why}",
            label="note:",
        )
    note = _cache_note(run.cache)
    stderr.print(totals_line(outcome, note=note), highlight=False)
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
        written &= _export("--html", html, lambda: _write_review(list(results()), html, {}))
    if view and output_format is OutputFormat.MARKDOWN:
        from summarize.formats import markdown_report

        sys.stdout.write(markdown_report(results()))
    elif view:
        for result in results():
            if signals.stops.requested():
                break
            if not isinstance(result, Failure):
                cleaned = _cleaned_text(result, {}, repeated or {})
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


def _model_config(resources: ExitStack, *, model: str | None, **options: Any) -> ModelConfig:
    """The model to call: `gguf:PATH` starts llama.cpp in-process (closed with
    `resources`); anything else comes from flags and the environment. Options left
    unset (None) keep the model's own defaults."""
    from summarize.client import ModelConfig
    from summarize.providers.local import LocalModel, is_local

    options = {name: value for name, value in options.items() if value is not None}
    model = model or os.environ.get("SUMMARIZE_MODEL") or None  # gguf: from the env too
    if is_local(model):
        threads = _env_count("SUMMARIZE_THREADS", default=0, least=0, example=4) or None
        context = _env_count("SUMMARIZE_CONTEXT", default=8192, least=512, example=8192)
        local = resources.enter_context(
            LocalModel.start(str(model), threads=threads, context=context)
        )
        options = {k: v for k, v in options.items() if k != "base_url"}
        return local.config(**options)
    return ModelConfig.from_env(model=model, **options)


def _env_count(name: str, *, default: int, least: int, example: int) -> int:
    """A whole number from the environment; anything else is a usage error naming it."""
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    try:
        number = int(value)
    except ValueError:
        number = least - 1
    if number < least:
        raise ConfigError(
            f"{name}={value!r} is not a whole number of at least {least}; "
            f"set it like {name}={example} or unset it"
        )
    return number


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


def _cache_note(cache: AnswerCache | None) -> str | None:
    """What the cache could not do this run, for the totals line."""
    return cache.fault_note() if cache is not None else None


def _open_cache(path: Path | None, *, refresh: bool, quiet: bool = False) -> AnswerCache:
    """The answer cache; its faults are one `warning:` line each (or none, when `quiet`)."""
    from summarize.cache import AnswerCache

    def warn(message: str) -> None:
        if not quiet:
            stderr.print(f"warning: {message}", highlight=False, markup=False, soft_wrap=True)

    return AnswerCache(path, read=not refresh, on_fault=warn)


WARNINGS_SHOWN = 5  # per kind of problem; the rest are counted


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
    Path | None,
    typer.Option(
        "--cache", envvar="SUMMARIZE_CACHE", show_default=CACHE_DEFAULT, help="Cache file."
    ),
]


def _existing_cache(path: Path | None) -> AnswerCache:
    try:
        return _open_cache(path, refresh=False, quiet=True)  # stats and clear say it all
    except ConfigError as error:
        raise _fail(str(error)) from None


@cache_app.command("stats")
def cache_stats(cache_path: CacheOption = None) -> None:
    """How many answers the cache holds, where, and the tokens they cost."""
    try:
        stats = _existing_cache(cache_path).stats()
    except SummarizeError as error:
        raise _fail(str(error), Exit.SOME_FAILED) from None
    sys.stdout.write(
        f"path: {stats.path}\nanswers: {stats.entries}\nsize: {stats.size_bytes:,} bytes\n"
        f"tokens they cost: {stats.input_tokens:,} input + {stats.output_tokens:,} output\n"
    )


@cache_app.command("clear")
def cache_clear(cache_path: CacheOption = None) -> None:
    """Delete every stored answer (a damaged cache file is deleted whole)."""
    cache = _existing_cache(cache_path)
    try:
        removed = cache.clear()
    except SummarizeError as error:
        raise _fail(str(error), Exit.SOME_FAILED) from None
    if removed is None:
        message = f"removed the damaged cache file {cache.path}; the next run starts afresh"
        stderr.print(message, highlight=False, markup=False)
    else:
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
            how, code = signals.stops.outcome()
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
        typer.Option(
            show_default=f"{DEFAULT_MOCK}, unless --model is given",
            help="Replay the stored response set NAME (offline).",
        ),
    ] = None,
    model: Annotated[
        str | None,
        typer.Option(
            "--model",
            "-m",
            show_default="none: replay offline",
            help="Run live against this model (a name, or gguf:PATH); the environment's "
            "SUMMARIZE_MODEL is not read here, so an eval is never live by accident.",
        ),
    ] = None,
    base_url: Annotated[
        str | None,
        typer.Option(
            "--base-url",
            show_default="OPENAI_BASE_URL, else OpenAI's API",
            help="OpenAI-compatible endpoint for --model.",
        ),
    ] = None,
    mode: Annotated[
        str | None,
        typer.Option(show_default=MODE_DEFAULT, help="Structured-output mode for --model."),
    ] = None,
    record: Annotated[
        str | None,
        typer.Option(
            show_default="not recorded", help="With --model: store raw responses as set NAME."
        ),
    ] = None,
    gold: Annotated[
        Path | None,
        typer.Option(show_default="the shipped evals/gold", help="Folder of gold briefs."),
    ] = None,
    responses: Annotated[
        Path | None,
        typer.Option(
            show_default="the shipped evals/responses",
            help="Folder holding response sets (--record writes there too).",
        ),
    ] = None,
    prompt: Annotated[
        Path | None, typer.Option(show_default=SHIPPED_PROMPT, help="Prompt file to evaluate.")
    ] = None,
    report: Annotated[
        Path | None,
        typer.Option(show_default=NOT_WRITTEN, help="Write the full report as JSON."),
    ] = None,
    compare: Annotated[
        Path | None,
        typer.Option(
            show_default="no comparison", help="Print per-field deltas against an old JSON report."
        ),
    ] = None,
    min_f1: Annotated[
        float | None,
        typer.Option(
            min=0, max=1, show_default="no threshold", help="Exit 1 if threat F1 is below this."
        ),
    ] = None,
    verbose: Annotated[
        bool, typer.Option("--verbose", "-v", help="Per-article misses and extras.")
    ] = False,
    concurrency: Annotated[
        int,
        typer.Option("--concurrency", "-j", min=1, max=64, help="Articles briefed at once."),
    ] = 4,
    cleaning: Annotated[
        bool,
        typer.Option("--cleaning", help="Score the cleaner on labelled pages instead (no model)."),
    ] = False,
    pages: Annotated[
        Path | None,
        typer.Option(
            show_default="the shipped evals/cleaning/pages.jsonl",
            help="With --cleaning: the labelled pages (JSONL).",
        ),
    ] = None,
) -> None:
    """Score briefs against the hand-labelled gold set, per field."""
    if cleaning:
        from summarize.evaluation.runner import shipped_evals

        _evaluate_cleaning(pages or shipped_evals() / "cleaning" / "pages.jsonl")
        return
    from summarize.evaluation.report import (
        compare_table,
        load_report,
        print_report,
        report_json,
        write_report,
    )
    from summarize.evaluation.runner import run_eval, shipped_evals
    from summarize.prompts import load_prompt

    gold = gold or shipped_evals() / "gold"
    responses = responses or shipped_evals() / "responses"

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
        stderr.print(f"threat F1 {threat_f1:.3f} is below --min-f1 {min_f1}")
        raise typer.Exit(int(Exit.SOME_FAILED))


def _evaluate_cleaning(pages: Path) -> None:
    """`summarize eval --cleaning`: exit 1 if any page lost a line of its story."""
    from summarize.evaluation.cleaning import load_pages, print_cleaning_report, score_pages

    try:
        scores = score_pages(load_pages(pages))
    except (OSError, ValueError, KeyError) as error:
        raise _fail(f"{pages}: not a file of labelled pages ({error})") from None
    print_cleaning_report(stdout, scores)
    if any(score.lost for score in scores):
        raise typer.Exit(int(Exit.SOME_FAILED))


def main() -> None:
    """Console-script entry point: no traceback ever reaches a user for an expected error."""
    signals.stops.install()  # Ctrl-C and SIGTERM: one path, 130 or 143
    try:
        app()
    except SummarizeError as error:
        _say(str(error), label="error:", style="bold red")
        sys.exit(int(Exit.USAGE if isinstance(error, ConfigError) else Exit.SOME_FAILED))
    except SystemExit as done:
        # typer turns a stray KeyboardInterrupt into a silent exit 130; say it, and make
        # it 143 when SIGTERM sent it. (`brief` handles its own stops and says more.)
        if isinstance(getattr(done.__context__, "__cause__", None), KeyboardInterrupt):
            how, code = signals.stops.outcome()
            _say(how)
            sys.exit(code)
        raise


batch_app = typer.Typer(
    help="Brief a corpus as a provider batch job (OpenAI Batch API, vllm run-batch).",
    no_args_is_help=True,
)
app.add_typer(batch_app, name="batch")
JobDir = Annotated[Path, typer.Argument(help="The job folder `batch submit --out` wrote.")]


@batch_app.command("submit")
def batch_submit(
    paths: Annotated[
        list[str], typer.Argument(help="Articles: files, folders, .jsonl corpora, URLs.")
    ],
    out: Annotated[Path, typer.Option("--out", help="Job folder to write (or to resume).")],
    requests_only: Annotated[
        bool,
        typer.Option(
            "--requests-only",
            help="Write OUT/requests.jsonl and stop (for vllm run-batch); upload nothing.",
        ),
    ] = False,
    model: Annotated[
        str | None,
        typer.Option(
            "--model",
            "-m",
            envvar="SUMMARIZE_MODEL",
            show_default=f"{DEFAULT_OPENAI_MODEL} when OPENAI_API_KEY is set",
            help="Model name.",
        ),
    ] = None,
    base_url: BaseUrlOption = None,
    mode: ModeOption = None,
    published: PublishedOption = None,
    prompt: PromptOption = None,
    max_tokens: Annotated[
        int | None, typer.Option(min=1, show_default="no cap", help="Cap on output tokens.")
    ] = None,
    max_input_tokens: MaxInputTokensOption = 16_000,
    max_chunks: MaxChunksOption = 8,
    cache_path: CacheOption = None,
    no_cache: Annotated[
        bool, typer.Option("--no-cache", help="Send every request, cached or not.")
    ] = False,
) -> None:
    """Write every article's request as a Batch API line, upload it and start the batch."""
    from summarize.batchjobs import MANIFEST, REQUESTS, upload, write_job
    from summarize.client import ModelClient, ModelConfig
    from summarize.prompts import load_prompt
    from summarize.providers.local import is_local

    if (out / MANIFEST).exists():  # a submit that stopped half-way: finish it
        job = _job_or_fail(out)
        if requests_only or job.batch_id is not None:
            raise _fail(f"{out} already holds this job; see it with summarize batch status {out}")
        config = job.model_config(api_key=os.environ.get("OPENAI_API_KEY"))
    else:
        if is_local(model):
            raise _fail(
                f"--model {model}: a local model answers live; brief it with summarize brief"
            )
        try:
            config = ModelConfig.from_env(
                model=model,
                base_url=base_url,
                mode=mode,
                max_tokens=max_tokens,
                max_input_tokens=max_input_tokens,
                max_chunks=max_chunks,
            )
            template = load_prompt(prompt)
            cache = None if no_cache else _open_cache(cache_path, refresh=False)
        except ConfigError as error:
            raise _fail(str(error)) from None
        items = _read_articles(paths, _published(published), {}, defer_urls=False)
        client = ModelClient(config, cache=cache)
        try:
            job = write_job(out, items, client, template)  # type: ignore[arg-type]
        except InputError as error:
            raise _fail(str(error)) from None
        finally:
            client.close()
            if cache is not None:
                cache.close()
        stderr.print(
            f"wrote {job.requests} request(s) for {job.articles} article(s) to "
            f"{out / REQUESTS} (answers already cached are not asked again)"
            + (
                f"; {job.unreadable} input(s) could not be read and will be reported as "
                "failures by collect"
                if job.unreadable
                else ""
            ),
            highlight=False,
            soft_wrap=True,
        )
        if requests_only:
            stderr.print(
                f"next: vllm run-batch -i {out / REQUESTS} -o results.jsonl --model "
                f"{config.model}, then summarize batch collect {out} --results results.jsonl "
                "--jsonl briefs.jsonl",
                highlight=False,
                soft_wrap=True,
            )
            return
    with _batch_provider(config) as provider:
        job = upload(out, job, provider)
    sys.stdout.write(f"{job.batch_id or 'no batch: every answer is cached'}\n")
    stderr.print(
        f"submitted: batch {job.batch_id} is {job.status}; check with summarize batch status {out}",
        highlight=False,
        soft_wrap=True,
    )


@batch_app.command("status")
def batch_status(job_dir: JobDir) -> None:
    """The batch's status as the provider reports it now."""
    from summarize.batchjobs import load_job, refresh

    job = _job_or_fail(job_dir)
    rounds = []
    if job.batch_id is not None:
        with _batch_provider(job.model_config(api_key=_api_key())) as provider:
            job = refresh(job_dir, job, provider)
            for name in job.followups:
                followup = refresh(job_dir / name, load_job(job_dir / name), provider)
                rounds.append(f"follow-up {name}: {followup.status} ({followup.requests})\n")
    counts = job.request_counts
    sys.stdout.write(
        f"status: {job.status or 'not submitted (--requests-only)'}\n"
        f"batch: {job.batch_id or '-'}\n"
        f"articles: {job.articles}\nrequests: {job.requests}\n"
        + (
            f"answered: {counts.get('completed', 0)} of {counts.get('total', 0)}, "
            f"{counts.get('failed', 0)} failed\n"
            if counts
            else ""
        )
        + "".join(f"error: {error}\n" for error in job.errors)
        + "".join(rounds)
    )


@batch_app.command("cancel")
def batch_cancel(job_dir: JobDir) -> None:
    """Ask the provider to stop the batch; what it answered already can still be collected."""
    from summarize.batchjobs import cancel

    job = _job_or_fail(job_dir)
    try:
        with _batch_provider(job.model_config(api_key=_api_key())) as provider:
            job = cancel(job_dir, job, provider)
    except InputError as error:
        raise _fail(str(error)) from None
    sys.stdout.write(f"status: {job.status}\n")


class Reask(StrEnum):
    LIVE = "live"
    BATCH = "batch"


@batch_app.command("collect")
def batch_collect(
    job_dir: JobDir,
    jsonl_out: Annotated[
        Path, typer.Option("--jsonl", help="Append one result per article to this file.")
    ],
    results: Annotated[
        list[Path] | None,
        typer.Option(
            "--results",
            show_default="downloaded from the provider",
            help="Read answers from this file (vllm run-batch -o, or a downloaded output "
            "file) instead of downloading them; repeat it for follow-up rounds.",
        ),
    ] = None,
    reask: Annotated[
        Reask,
        typer.Option(
            help="Re-ask invalid or ungrounded answers live, or as a follow-up batch "
            "(collect again when it is done)."
        ),
    ] = Reask.LIVE,
    concurrency: Annotated[
        int,
        typer.Option("--concurrency", "-j", min=1, max=256, help="Live re-asks in flight."),
    ] = 8,
    cache_path: CacheOption = None,
    no_cache: Annotated[bool, typer.Option("--no-cache", help="No answer cache.")] = False,
) -> None:
    """Turn the batch's answers into briefs: validated, grounded, dated, cached as live."""
    from summarize.batchjobs import Answers, collect, done_ids, gather, write_followup
    from summarize.client import ModelClient
    from summarize.export import JsonlWriter
    from summarize.results import Failure

    job = _job_or_fail(job_dir)
    config = job.model_config(api_key=_api_key())
    answers = Answers()
    try:
        if results:
            for path in results:
                answers.read(path)
        elif job.batch_id is None and not job.finished:
            raise _fail(
                f"{job_dir} was written with --requests-only: pass --results FILE, the "
                "output of vllm run-batch -i requests.jsonl -o FILE"
            )
        elif job.batch_id is not None:
            with _batch_provider(config) as provider:
                answers = gather(job_dir, job, provider)
        cache = None if no_cache else _open_cache(cache_path, refresh=False)
    except (InputError, ConfigError) as error:
        raise _fail(str(error)) from None
    except SummarizeError as error:  # not finished yet
        raise _fail(str(error), Exit.SOME_FAILED) from None
    client = ModelClient(config, cache=cache)
    counts = {"briefs": 0, "failures": 0}

    def write(result: Result) -> None:
        writer.write(result)
        if isinstance(result, Failure):
            counts["failures"] += 1
            stderr.print(f"failed: {result.message}", highlight=False, soft_wrap=True)
        else:
            counts["briefs"] += 1

    try:
        with JsonlWriter(jsonl_out) as writer:
            outcome = collect(
                job_dir,
                job,
                client,
                answers,
                done=done_ids(jsonl_out),
                on_result=write,
                live_reasks=reask is Reask.LIVE,
                concurrency=concurrency,
            )
        if outcome.deferred:
            folder, followup = write_followup(job_dir, job, client, outcome.deferred)
    finally:
        client.close()
        if cache is not None:
            cache.close()
    stderr.print(
        f"{counts['briefs']} brief(s), {counts['failures']} failure(s) written to {jsonl_out}"
        + (f"; {outcome.skipped} article(s) already there" if outcome.skipped else ""),
        highlight=False,
        soft_wrap=True,
    )
    if outcome.deferred:
        _submit_followup(job_dir, job, folder, followup, waiting=outcome.waiting)
    if counts["failures"] or outcome.deferred:
        raise typer.Exit(int(Exit.SOME_FAILED))


def _submit_followup(job_dir: Path, job: Job, folder: Path, followup: Job, *, waiting: int) -> None:
    """Send the re-asks `collect --reask batch` deferred as their own batch (or, for a
    --requests-only job, say how to run them)."""
    from summarize.batchjobs import REQUESTS, upload

    about = f"{waiting} article(s) wait for {followup.requests} re-ask(s) in {folder}"
    if job.batch_id is None:
        stderr.print(
            f"{about}: run vllm run-batch -i {folder / REQUESTS} -o FILE, then collect "
            "again with one --results per round",
            highlight=False,
            soft_wrap=True,
        )
        return
    with _batch_provider(job.model_config(api_key=_api_key())) as provider:
        followup = upload(folder, followup, provider)
    stderr.print(
        f"{about}: batch {followup.batch_id} is {followup.status}; collect again when "
        f"summarize batch status {job_dir} says completed",
        highlight=False,
        soft_wrap=True,
    )


def _api_key() -> str | None:
    return os.environ.get("OPENAI_API_KEY") or None


def _job_or_fail(folder: Path) -> Job:
    from summarize.batchjobs import load_job

    try:
        return load_job(folder)
    except InputError as error:
        raise _fail(str(error)) from None


@contextmanager
def _batch_provider(config: ModelConfig) -> Iterator[Any]:
    """An `openai` client for the Files and Batch APIs; their failures end the command
    with one line saying what to do (every step can be run again)."""
    import openai

    from summarize.client import NO_KEY_PLACEHOLDER, redact

    provider = openai.OpenAI(
        api_key=config.api_key or NO_KEY_PLACEHOLDER,
        base_url=config.endpoint,
        timeout=config.timeout,
    )
    try:
        yield provider
    except openai.APIError as error:
        detail = redact(
            str(error).splitlines()[0] if str(error) else type(error).__name__, config.api_key
        )
        raise _fail(
            f"{config.endpoint}: {detail}; nothing is lost, run the same command again",
            Exit.SOME_FAILED,
        ) from None
    finally:
        provider.close()
