"""`summarize eval`: score briefs against the hand-labelled gold set, or the cleaner
against labelled pages."""

from __future__ import annotations

from contextlib import ExitStack
from pathlib import Path
from typing import Annotated

import typer

from summarize.commands.base import (
    MODE_DEFAULT,
    NOT_WRITTEN,
    SHIPPED_PROMPT,
    Exit,
    fail,
    stderr,
    stdout,
)
from summarize.errors import ConfigError

DEFAULT_MOCK = "midsize"  # the shipped imperfect response set: `summarize eval` works offline


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
    from summarize.options import BriefOptions
    from summarize.prompts import load_prompt
    from summarize.providers import resolve

    gold = gold or shipped_evals() / "gold"
    responses = responses or shipped_evals() / "responses"

    live = model is not None or base_url is not None
    if live and mock is not None:
        raise fail("--mock replays stored responses and --model runs live: pass one of them")
    if record is not None and not live:
        raise fail("--record stores a live run: pass --model (and --base-url if needed)")
    if live and model is None:
        raise fail("--base-url runs a live eval: name its model with --model")
    resources = ExitStack()
    try:
        template = load_prompt(prompt)
        old = load_report(compare) if compare is not None else None
        if live:
            opened = resolve(model, base_url=base_url, mode=mode)
            provider = resources.enter_context(opened)
            run = run_eval(
                gold,
                template,
                config=provider.config,
                options=provider.brief_options(BriefOptions()),
                count_tokens=provider.count_tokens,
                concurrency=concurrency,
                record=responses / record if record else None,
            )
        else:
            run = run_eval(
                gold, template, mock=responses / (mock or DEFAULT_MOCK), concurrency=concurrency
            )
    except (ConfigError, OSError, ValueError) as error:
        raise fail(str(error)) from None
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
        raise fail(f"{pages}: not a file of labelled pages ({error})") from None
    print_cleaning_report(stdout, scores)
    if any(score.lost for score in scores):
        raise typer.Exit(int(Exit.SOME_FAILED))
