"""Tracked threats on the terminal, as JSON and as CSV.

Article text (quotes, titles, actions) is data: it enters rich only as `Text`, never
as markup, so a quote holding "[bold]" or "[link=...]" prints as written.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import json
from collections.abc import Sequence
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from summarize.store.queries import Deadline, Report, TrackedThreat

TRACKED_FIELDS = [f.name for f in dataclasses.fields(TrackedThreat)]


def to_json(value: Any) -> str:
    return json.dumps(_plain(value), ensure_ascii=False, indent=2) + "\n"


def _plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {k: _plain(v) for k, v in dataclasses.asdict(value).items()}
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def _cell(value: Any) -> str:
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        return "; ".join(str(v) for v in value)
    return "" if value is None else str(value)


def csv_text(rows: Sequence[dict[str, Any]], fields: list[str]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=fields, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: _cell(v) for k, v in row.items()})
    return out.getvalue()


def tracked_csv(threats: Sequence[TrackedThreat]) -> str:
    return csv_text([dataclasses.asdict(t) for t in threats], TRACKED_FIELDS)


def history_csv(reports: Sequence[Report]) -> str:
    rows = [dataclasses.asdict(r) for r in reports]
    fields = [f.name for f in dataclasses.fields(Report)]
    return csv_text(rows, fields)


def deadlines_csv(found: Sequence[Deadline]) -> str:
    rows = [
        {"due": d.due, "status": d.status, "days": d.days, **dataclasses.asdict(d.threat)}
        for d in found
    ]
    return csv_text(rows, ["due", "status", "days", *TRACKED_FIELDS])


def print_tracked(console: Console, threats: Sequence[TrackedThreat]) -> None:
    if not threats:
        console.print("No tracked threats match.", highlight=False)
        return
    table = Table("ID", "Latest", "First", "Issuer", "Targets", "Category", "Reports", "Deadline")
    for t in threats:
        table.add_row(
            str(t.id),
            t.latest_reported,
            t.first_reported,
            Text(t.issuer),
            Text(", ".join(t.targets)),
            t.category,
            f"{t.reports} in {t.articles} article(s)",
            Text(_deadline(t.deadline_text, t.deadline_date)),
        )
    console.print(table)


def _deadline(text: str | None, when: str | None) -> str:
    if not text:
        return ""
    return f"{text} ({when})" if when else text


def print_history(console: Console, threat: TrackedThreat, reports: Sequence[Report]) -> None:
    head = Text(f"Threat {threat.id}: ", style="bold")
    head.append(f"{threat.issuer} -> {', '.join(threat.targets)} [{threat.category}]")
    console.print(head)
    console.print(
        Text(
            f"{threat.reports} report(s) in {threat.articles} article(s), "
            f"{threat.first_reported} to {threat.latest_reported}"
        )
    )
    for report in reports:
        console.print()
        line = Text(f"{report.reported}  report {report.id}  ", style="bold")
        line.append(f"{report.outlet}: {report.title or report.article_id}")
        console.print(line)
        if report.url:
            console.print(Text(f"  {report.url}"))
        console.print(Text(f"  {report.speaker or report.issuer}: {report.action}"))
        if report.deadline_text:
            console.print(
                Text(f"  deadline: {_deadline(report.deadline_text, report.deadline_date)}")
            )
        for quote in report.evidence:
            console.print(Text(f'  "{quote}"', style="italic"))
        for note in report.changes:
            console.print(Text(f"  * {note}", style="yellow"))
        if report.likeness:
            parts = ", ".join(f"{k} {v:.2f}" for k, v in report.likeness.items() if k != "score")
            console.print(Text(f"  linked, likeness {report.likeness['score']:.2f} ({parts})"))
        elif report.pinned:
            console.print(Text("  placed here by hand (threats link/unlink)"))
        console.print(Text(f"  briefed by {report.model}, prompt {report.prompt_version}"))


def print_deadlines(console: Console, found: Sequence[Deadline]) -> None:
    if not found:
        console.print("No deadlines due or passed without a follow-up.", highlight=False)
        return
    table = Table("Due", "Status", "ID", "Issuer", "Targets", "Deadline", "Latest report")
    for d in found:
        status = f"in {d.days} day(s)" if d.status == "due" else f"passed {-d.days} day(s) ago"
        table.add_row(
            d.due,
            status,
            str(d.threat.id),
            Text(d.threat.issuer),
            Text(", ".join(d.threat.targets)),
            Text(d.threat.deadline_text or ""),
            d.threat.latest_reported,
        )
    console.print(table)
