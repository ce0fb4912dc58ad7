"""`summarize store ...` and `summarize threats ...`: the store from the terminal.

Thin: parse flags, call `summarize.store`, render with `summarize.threats_view`.
Data goes to stdout (a table, or --json / --csv), diagnostics to stderr.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Annotated

import typer

from summarize.commands.base import Exit, fail, stderr, stdout
from summarize.errors import ConfigError
from summarize.store import Store
from summarize.store import queries as q

store_app = typer.Typer(help="Import briefs into the store.", no_args_is_help=True)
threats_app = typer.Typer(
    help="Threats tracked across articles: list, history, deadlines, links.",
    invoke_without_command=True,
)

StoreOption = Annotated[
    Path | None,
    typer.Option(
        "--store", help="Store file (env SUMMARIZE_STORE; default: the user data folder)."
    ),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]
CsvOption = Annotated[bool, typer.Option("--csv", help="Print CSV instead of a table.")]


def _open(path: Path | None) -> Store:
    try:
        return Store(path)
    except ConfigError as error:
        raise fail(str(error)) from None


def _date(value: str | None, flag: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise fail(f"{flag} {value!r} is not a date: write YYYY-MM-DD") from None


def _emit(
    json_text: Callable[[], str], csv_text: Callable[[], str], *, as_json: bool, as_csv: bool
) -> bool:
    """Write JSON or CSV to stdout if asked; False: print the table instead."""
    if as_json and as_csv:
        raise fail("pass --json or --csv, not both")
    if as_json:
        sys.stdout.write(json_text())
    elif as_csv:
        sys.stdout.write(csv_text())
    return as_json or as_csv


@store_app.command("import")
def store_import(
    paths: Annotated[list[Path], typer.Argument(help="JSONL files written by brief --jsonl.")],
    store_path: StoreOption = None,
) -> None:
    """Store the briefs of JSONL files (failure records skipped, bad lines named)."""
    bad = 0
    with _open(store_path) as store:
        for path in paths:
            try:
                report = store.import_jsonl(path)
            except OSError as error:
                stderr.print(
                    f"error: cannot read {path}: {error.strerror}", highlight=False, soft_wrap=True
                )
                bad += 1
                continue
            for number, problem in report.bad_lines:
                stderr.print(
                    f"{path}:{number}: skipped, {problem}", highlight=False, soft_wrap=True
                )
            bad += len(report.bad_lines)
            stderr.print(
                f"{path}: {report.new} new, {report.replaced} replaced, {report.unchanged} "
                f"already stored, {report.failures} failure record(s) skipped",
                highlight=False,
                soft_wrap=True,
            )
    if bad:
        raise typer.Exit(int(Exit.SOME_FAILED))


@threats_app.callback()
def threats_list(
    ctx: typer.Context,
    issuer: Annotated[str | None, typer.Option(help="Issued by (any known name variant).")] = None,
    target: Annotated[str | None, typer.Option(help="Aimed at.")] = None,
    category: Annotated[str | None, typer.Option(help="sanctions, tariffs, ...")] = None,
    since: Annotated[str | None, typer.Option(help="Reported on or after YYYY-MM-DD.")] = None,
    until: Annotated[str | None, typer.Option(help="Reported on or before YYYY-MM-DD.")] = None,
    text: Annotated[str | None, typer.Option(help="Words in the evidence quotes.")] = None,
    limit: Annotated[int, typer.Option(min=0, help="Most threats to list (0: all).")] = 50,
    store_path: StoreOption = None,
    as_json: JsonOption = False,
    as_csv: CsvOption = False,
) -> None:
    """Tracked threats, the latest reported first."""
    if ctx.invoked_subcommand is not None:
        ctx.obj = store_path
        return
    filters = q.Filters(
        issuer=issuer,
        target=target,
        category=category,
        since=_date(since, "--since"),
        until=_date(until, "--until"),
        text=text,
        limit=limit or None,
    )
    from summarize import threats_view as view

    with _open(store_path) as store:
        found = q.list_tracked(store.db, filters)
    if not _emit(
        lambda: view.to_json(found), lambda: view.tracked_csv(found), as_json=as_json, as_csv=as_csv
    ):
        view.print_tracked(stdout, found)


def _store_of(ctx: typer.Context, path: Path | None) -> Path | None:
    return path if path is not None else ctx.obj


@threats_app.command("show")
def threats_show(
    ctx: typer.Context,
    tracked_id: Annotated[int, typer.Argument(help="Tracked threat ID (from `threats`).")],
    store_path: StoreOption = None,
    as_json: JsonOption = False,
    as_csv: CsvOption = False,
) -> None:
    """One tracked threat's history: every report, its quotes, what changed."""
    from summarize import threats_view as view

    with _open(_store_of(ctx, store_path)) as store:
        tracked = q.get_tracked(store.db, tracked_id)
        if tracked is None:
            raise fail(
                f"no tracked threat {tracked_id}: list them with `summarize threats`",
                Exit.SOME_FAILED,
            )
        reports = q.history(store.db, tracked_id)
    as_dict = {"threat": tracked, "reports": reports}
    if not _emit(
        lambda: view.to_json(as_dict),
        lambda: view.history_csv(reports),
        as_json=as_json,
        as_csv=as_csv,
    ):
        view.print_history(stdout, tracked, reports)


@threats_app.command("deadlines")
def threats_deadlines(
    ctx: typer.Context,
    as_of: Annotated[str | None, typer.Option(help="Today, or this YYYY-MM-DD.")] = None,
    within: Annotated[int, typer.Option(min=0, help="Days ahead to look.")] = 7,
    store_path: StoreOption = None,
    as_json: JsonOption = False,
    as_csv: CsvOption = False,
) -> None:
    """Deadlines coming due within N days, and those passed with no report since."""
    from summarize import threats_view as view

    day = _date(as_of, "--as-of") or date.today()
    with _open(_store_of(ctx, store_path)) as store:
        found = q.deadlines(store.db, day, within)
    if not _emit(
        lambda: view.to_json(found),
        lambda: view.deadlines_csv(found),
        as_json=as_json,
        as_csv=as_csv,
    ):
        view.print_deadlines(stdout, found)


@threats_app.command("link")
def threats_link(
    ctx: typer.Context,
    keep: Annotated[int, typer.Argument(help="Tracked threat to keep.")],
    merge: Annotated[int, typer.Argument(help="Tracked threat whose reports move into it.")],
    store_path: StoreOption = None,
) -> None:
    """Say two tracked threats are one: the reports of the second join the first."""
    with _open(_store_of(ctx, store_path)) as store:
        try:
            store.link(keep, merge)
        except KeyError as error:
            raise fail(
                f"{error.args[0]}: list them with `summarize threats`", Exit.SOME_FAILED
            ) from None
    stderr.print(f"threat {merge} merged into {keep}", highlight=False, soft_wrap=True)


@threats_app.command("unlink")
def threats_unlink(
    ctx: typer.Context,
    report: Annotated[int, typer.Argument(help="Report ID (from `threats show`).")],
    store_path: StoreOption = None,
) -> None:
    """Say one report is not of its threat: it becomes a tracked threat of its own."""
    with _open(_store_of(ctx, store_path)) as store:
        try:
            new = store.unlink(report)
        except KeyError as error:
            raise fail(
                f"{error.args[0]}: see report IDs with `summarize threats show`", Exit.SOME_FAILED
            ) from None
    sys.stdout.write(f"{new}\n")
    stderr.print(f"report {report} is now threat {new}", highlight=False, soft_wrap=True)
