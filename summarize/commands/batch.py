"""`summarize batch ...`: brief a corpus as a provider batch job (OpenAI Batch API,
`vllm run-batch`).

Thin: parse flags, call `summarize.batchjobs`, say what happened and what to do next.
Data (the batch id, the status) goes to stdout, diagnostics to stderr.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from summarize.commands.base import (
    DEFAULT_OPENAI_MODEL,
    BaseUrlOption,
    CacheOption,
    Exit,
    MaxChunksOption,
    MaxInputTokensOption,
    ModeOption,
    PromptOption,
    PublishedOption,
    fail,
    open_cache,
    published_date,
    stderr,
)
from summarize.errors import ConfigError, InputError, SummarizeError

if TYPE_CHECKING:
    from collections.abc import Iterable

    from summarize.batchjobs import Job
    from summarize.data import Article
    from summarize.modelconfig import ModelConfig
    from summarize.results import Failure

batch_app = typer.Typer(
    help="Brief a corpus as a provider batch job (OpenAI Batch API, vllm run-batch).",
    no_args_is_help=True,
)
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
    max_requests: Annotated[
        int | None,
        typer.Option(
            "--max-requests",
            min=1,
            show_default="50,000, OpenAI's cap; no cap with --requests-only",
            help="Most requests in one batch; more make more batches of one job.",
        ),
    ] = None,
    max_bytes: Annotated[
        int | None,
        typer.Option(
            "--max-bytes",
            min=1,
            show_default="200,000,000, OpenAI's cap; no cap with --requests-only",
            help="Largest requests file of one batch, in bytes.",
        ),
    ] = None,
) -> None:
    """Write every article's request as a Batch API line, upload them and start the
    batches (as many as the caps make them)."""
    from summarize.batchjobs import MANIFEST, MAX_BYTES, MAX_REQUESTS, upload, write_job
    from summarize.client import ModelClient
    from summarize.options import BriefOptions
    from summarize.prompts import load_prompt
    from summarize.providers import resolve
    from summarize.providers.local import is_local

    if (out / MANIFEST).exists():  # a submit that stopped half-way: finish it
        job = _job_or_fail(out)
        if requests_only or all(batch.batch_id for batch in job.batches):
            raise fail(f"{out} already holds this job; see it with summarize batch status {out}")
        config = job.model_config(api_key=os.environ.get("OPENAI_API_KEY"))
    else:
        if is_local(model):
            raise fail(
                f"--model {model}: a local model answers live; brief it with summarize brief"
            )
        try:
            # The same resolution as `brief` (an unknown prefix is the same one-line error);
            # an endpoint's provider holds nothing open, so its config outlives the block.
            with resolve(model, base_url=base_url, mode=mode, max_tokens=max_tokens) as opened:
                config = opened.config
            options = BriefOptions(max_input_tokens=max_input_tokens, max_chunks=max_chunks)
            template = load_prompt(prompt)
            cache = None if no_cache else open_cache(cache_path, refresh=False)
        except ConfigError as error:
            raise fail(str(error)) from None
        items = _read_inputs(paths, published_date(published))
        client = ModelClient(config, cache=cache)
        try:
            job = write_job(
                out,
                items,
                client,
                template,
                options,
                max_requests=max_requests or (None if requests_only else MAX_REQUESTS),
                max_bytes=max_bytes or (None if requests_only else MAX_BYTES),
            )
        except InputError as error:
            raise fail(str(error)) from None
        finally:
            client.close()
            if cache is not None:
                cache.close()
        files = ", ".join(str(out / batch.requests_file) for batch in job.batches)
        stderr.print(
            f"wrote {job.requests} request(s) for {job.articles} article(s) to "
            f"{files or 'no file'} (answers already cached are not asked again)"
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
            names = [
                "results.jsonl" if len(job.batches) == 1 else f"results-{number}.jsonl"
                for number in range(1, len(job.batches) + 1)
            ]
            runs = "; ".join(
                f"vllm run-batch -i {out / batch.requests_file} -o {name} --model {config.model}"
                for batch, name in zip(job.batches, names, strict=True)
            )
            results = " ".join(f"--results {name}" for name in names)
            stderr.print(
                f"next: {runs}, then summarize batch collect {out} {results} --jsonl briefs.jsonl",
                highlight=False,
                soft_wrap=True,
            )
            return
    with _batch_api(config) as api:
        job = upload(out, job, api)
    if not job.batches:
        sys.stdout.write("no batch: every answer is cached\n")
    for batch in job.batches:
        sys.stdout.write(f"{batch.batch_id}\n")
    stderr.print(
        f"submitted: {len(job.batches)} batch(es), {job.status}; check with summarize batch "
        f"status {out}",
        highlight=False,
        soft_wrap=True,
    )


@batch_app.command("status")
def batch_status(job_dir: JobDir) -> None:
    """The job's batches' status as the provider reports it now."""
    from summarize.batchjobs import load_job, refresh

    job = _job_or_fail(job_dir)
    rounds = []
    if job.uploaded:
        with _batch_api(job.model_config(api_key=_api_key())) as api:
            job = refresh(job_dir, job, api)
            for name in job.followups:
                followup = refresh(job_dir / name, load_job(job_dir / name), api)
                rounds.append(f"follow-up {name}: {followup.status} ({followup.requests})\n")
    status = job.status or (
        "partly submitted: run the same summarize batch submit again to finish"
        if job.uploaded
        else "not submitted (--requests-only)"
    )
    several = len(job.batches) > 1
    lines = [f"status: {status}"]
    for batch in job.batches:
        lines.append(f"batch: {batch.batch_id or '-'}" + (f" {batch.status}" if several else ""))
    lines += [f"articles: {job.articles}", f"requests: {job.requests}"]
    if any(batch.request_counts for batch in job.batches):
        total = {
            name: sum(batch.request_counts.get(name, 0) for batch in job.batches)
            for name in ("completed", "total", "failed")
        }
        lines.append(
            f"answered: {total['completed']} of {total['total']}, {total['failed']} failed"
        )
    for batch in job.batches:
        about = f" (batch {batch.batch_id})" if several else ""
        lines += [f"error: {error}{about}" for error in batch.errors]
    sys.stdout.write("\n".join(lines) + "\n" + "".join(rounds))


@batch_app.command("cancel")
def batch_cancel(job_dir: JobDir) -> None:
    """Ask the provider to stop the job's batches; what they answered can still be collected."""
    from summarize.batchjobs import cancel

    job = _job_or_fail(job_dir)
    try:
        with _batch_api(job.model_config(api_key=_api_key())) as api:
            job = cancel(job_dir, job, api)
    except InputError as error:
        raise fail(str(error)) from None
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
    from summarize.batchcollect import collect
    from summarize.batchjobs import gather, write_followup
    from summarize.batchresults import Answers
    from summarize.client import ModelClient
    from summarize.export import check_output

    job = _job_or_fail(job_dir)
    config = job.model_config(api_key=_api_key())
    with ExitStack() as resources:
        answers = resources.enter_context(Answers())
        try:
            check_output(jsonl_out, flag="--jsonl")
            if results:
                for path in results:
                    answers.read(path)
            elif not job.uploaded and not job.finished:
                raise fail(
                    f"{job_dir} was written with --requests-only: pass --results FILE, the "
                    "output of vllm run-batch -i requests.jsonl -o FILE"
                )
            elif job.uploaded:
                with _batch_api(config) as api:
                    gather(job_dir, job, api, answers)
            cache = None if no_cache else open_cache(cache_path, refresh=False)
        except (InputError, ConfigError) as error:
            raise fail(str(error)) from None
        except SummarizeError as error:  # not finished yet
            raise fail(str(error), Exit.SOME_FAILED) from None
        client = ModelClient(config, cache=cache)
        resources.callback(client.close)
        if cache is not None:
            resources.callback(cache.close)

        def failed(failure: Failure) -> None:
            stderr.print(f"failed: {failure.message}", highlight=False, soft_wrap=True)

        try:
            outcome = collect(
                job_dir,
                job,
                client,
                answers,
                jsonl_out,
                on_failure=failed,
                live_reasks=reask is Reask.LIVE,
                concurrency=concurrency,
            )
        except OSError as error:
            raise fail(
                f"--jsonl {jsonl_out}: writing failed ({error.strerror}); what was written is "
                "kept: collect again once it can be written",
                Exit.SOME_FAILED,
            ) from None
        if outcome.deferred:
            folder, followup = write_followup(job_dir, job, client, outcome.deferred)
    stderr.print(
        f"{outcome.briefs} brief(s), {outcome.failures} failure(s) written to {jsonl_out}"
        + (f"; {outcome.skipped} article(s) already there" if outcome.skipped else ""),
        highlight=False,
        soft_wrap=True,
    )
    if outcome.deferred:
        _submit_followup(job_dir, job, folder, followup, waiting=outcome.waiting)
    if outcome.failures or outcome.deferred:
        raise typer.Exit(int(Exit.SOME_FAILED))


def _submit_followup(job_dir: Path, job: Job, folder: Path, followup: Job, *, waiting: int) -> None:
    """Send the re-asks `collect --reask batch` deferred as their own batch (or, for a
    --requests-only job, say how to run them)."""
    from summarize.batchjobs import upload

    about = f"{waiting} article(s) wait for {followup.requests} re-ask(s) in {folder}"
    if not job.uploaded:
        files = " and ".join(str(folder / batch.requests_file) for batch in followup.batches)
        stderr.print(
            f"{about}: run vllm run-batch -i {files} -o FILE, then collect "
            "again with one --results per round",
            highlight=False,
            soft_wrap=True,
        )
        return
    with _batch_api(job.model_config(api_key=_api_key())) as api:
        followup = upload(folder, followup, api)
    ids = ", ".join(str(batch.batch_id) for batch in followup.batches)
    stderr.print(
        f"{about}: batch {ids} is {followup.status}; collect again when "
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
        raise fail(str(error)) from None


@contextmanager
def _batch_api(config: ModelConfig) -> Iterator[Any]:
    """An `openai` client for the Files and Batch APIs; their failures end the command
    with one line saying what to do (every step can be run again)."""
    import openai

    from summarize.failures import redact
    from summarize.modelconfig import NO_KEY_PLACEHOLDER

    api = openai.OpenAI(
        api_key=config.api_key or NO_KEY_PLACEHOLDER,
        base_url=config.endpoint,
        timeout=config.timeout,
    )
    try:
        yield api
    except openai.APIError as error:
        detail = redact(
            str(error).splitlines()[0] if str(error) else type(error).__name__, config.api_key
        )
        raise fail(
            f"{config.endpoint}: {detail}; nothing is lost, run the same command again",
            Exit.SOME_FAILED,
        ) from None
    finally:
        api.close()


def _read_inputs(paths: list[str], published: date | None) -> Iterable[Article | InputError]:
    """The inputs, read as `write_job` asks for them; what was passed over is said on
    stderr once they are read."""
    from summarize.articles import read_inputs

    notes: list[str] = []
    yield from read_inputs(paths, published=published, notes=notes)
    for note in notes:
        stderr.print(f"note: {note}")
