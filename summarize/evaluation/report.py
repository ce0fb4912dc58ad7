"""Eval reports: a rich table for people, JSON for machines, deltas between two runs.

The JSON report holds no timings, so two runs over the same responses produce the same
file byte for byte; that is what lets CI compare a replay with its stored report.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from summarize.evaluation.runner import EvalRun
from summarize.evaluation.scoring import MATCH_THRESHOLD, TEXT_THRESHOLD, aggregate


def headline(row: dict[str, Any]) -> float | None:
    """The single number a field is judged by: F1, or accuracy (None: nothing to judge)."""
    value = row["f1"] if "f1" in row else row["accuracy"]
    return None if value is None else float(value)


def report_json(run: EvalRun) -> dict[str, Any]:
    articles = {}
    for score in run.scores:
        articles[score.article_id] = {
            "fields": aggregate([score]).fields(),
            "details": score.details,
            "error": score.error,
        }
    return {
        "meta": run.meta
        | {
            "articles": len(run.scores),
            "failed": run.totals.failed,
            "thresholds": {"threat_match": MATCH_THRESHOLD, "text_similarity": TEXT_THRESHOLD},
        },
        "fields": run.totals.fields(),
        "articles": articles,
    }


def write_report(path: Path, report: dict[str, Any]) -> None:
    path.write_text(
        json.dumps(report, indent=2, ensure_ascii=False, sort_keys=True) + "\n", encoding="utf-8"
    )


def load_report(path: Path) -> dict[str, Any]:
    report: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return report


def _percent(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def fields_table(report: dict[str, Any], title: str) -> Table:
    table = Table(title=title, title_justify="left")
    for column in ("field", "P", "R", "F1 / acc", "n"):
        table.add_column(column, justify="left" if column == "field" else "right")
    for name, row in report["fields"].items():
        if "f1" in row:
            n = row["tp"] + row["fn"]
            cells = (_percent(row["precision"]), _percent(row["recall"]), _percent(row["f1"]))
        else:
            n = row["n"]
            cells = ("", "", _percent(row["accuracy"]))
        table.add_row(name, *cells, str(n))
    return table


def print_report(console: Console, report: dict[str, Any], *, verbose: bool = False) -> None:
    meta = report["meta"]
    source = f"responses '{meta['responses']}'" if meta.get("responses") else "live"
    title = (
        f"{meta['articles']} articles · {source} · model {meta.get('model')} · "
        f"prompt {meta['prompt_version']}"
    )
    console.print(fields_table(report, title))
    thresholds = meta["thresholds"]
    console.print(
        f"Threats match when similarity >= {thresholds['threat_match']}; action and conditions "
        f"count as correct at token F1 >= {thresholds['text_similarity']}. "
        f"n counts gold items (P/R rows) or matched threats (accuracy rows).",
        style="dim",
        highlight=False,
    )
    if meta["failed"]:
        console.print(f"{meta['failed']} article(s) produced no brief.", style="yellow")
    if verbose:
        for article_id, article in report["articles"].items():
            threats = article["fields"]["threats"]
            counts = f"tp={threats['tp']} fp={threats['fp']} fn={threats['fn']}"
            line = f"[bold]{article_id}[/]  threats {counts}"
            console.print(line, highlight=False)
            if article["error"]:
                console.print(f"    error: {article['error']}", highlight=False, markup=False)
            for kind, items in article["details"].items():
                for item in items:
                    console.print(f"    {kind}: {item}", highlight=False, markup=False)


def compare_table(new: dict[str, Any], old: dict[str, Any]) -> Table:
    table = Table(title="Change against the old report", title_justify="left")
    for column in ("field", "old", "new", "delta"):
        table.add_column(column, justify="left" if column == "field" else "right")
    for name, row in new["fields"].items():
        if name not in old["fields"]:
            table.add_row(name, "-", _percent(headline(row)), "new")
            continue
        before, after = headline(old["fields"][name]), headline(row)
        if before is None or after is None:
            table.add_row(name, _percent(before), _percent(after), "-")
            continue
        delta = after - before
        style = "green" if delta > 0 else "red" if delta < 0 else "dim"
        table.add_row(name, _percent(before), _percent(after), f"[{style}]{delta:+.3f}[/]")
    return table
