"""Show briefs in the terminal with `rich`: summary, threats table, dates timeline."""

from __future__ import annotations

from rich.console import Console, Group, RenderableType
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from summarize.schema import Brief, ResolvedDate


def _deadline(date: ResolvedDate | None) -> str:
    if date is None:
        return "-"
    return f"{date.text} ({date.date})" if date.date else date.text


def threats_table(brief: Brief) -> RenderableType:
    if not brief.threats:
        return Text("No threats in this article.", style="dim")
    table = Table(title="Threats", title_justify="left", expand=True, show_lines=True)
    table.add_column("Issuer → targets", ratio=3)
    table.add_column("Action", ratio=3)
    table.add_column("Category", no_wrap=True, min_width=15)
    table.add_column("Conditions", ratio=3)
    table.add_column("Deadline", ratio=2)
    for threat in brief.threats:
        who = Text(threat.issuer, style="bold")
        if threat.speaker:
            who.append(f"\n({threat.speaker})", style="dim")
        who.append("\n→ " + ", ".join(threat.targets))
        conditions = "\n".join(f"- {c}" for c in threat.conditions) or "unconditional"
        table.add_row(who, threat.action, threat.category, conditions, _deadline(threat.deadline))
    return table


def dates_timeline(brief: Brief) -> RenderableType | None:
    if not brief.dates:
        return None
    table = Table(title="Timeline", title_justify="left", show_header=False, box=None)
    table.add_column("date", style="cyan", no_wrap=True)
    table.add_column("text", style="dim")
    table.add_column("event")
    for item in sorted(brief.dates, key=lambda d: (d.date is None, d.date or "")):
        table.add_row(item.date or "unresolved", f"\u201c{item.text}\u201d", item.event)
    return table


def brief_panel(brief: Brief) -> RenderableType:
    meta = brief.article
    heading = meta.title or meta.id
    subtitle = f"{meta.source}  ·  published {meta.published or 'unknown'}"
    parts: list[RenderableType] = [Text(brief.summary), Text(""), threats_table(brief)]
    if (timeline := dates_timeline(brief)) is not None:
        parts += [Text(""), timeline]
    if brief.grounding is not None and not brief.grounding.grounded:
        note = Text("Unverified: not found in the article: ", style="bold yellow")
        note.append("; ".join(f"\u201c{q}\u201d" for q in brief.grounding.ungrounded))
        parts += [Text(""), note]
    for warning in brief.warnings:
        parts.append(Text(f"Warning: {warning}", style="yellow"))
    run = brief.run
    footer = (
        f"{run.model} via {run.provider} · prompt {run.prompt_version} · "
        f"{run.input_tokens}+{run.output_tokens} tokens · {run.attempts} attempt(s) · "
        f"{run.seconds:.1f}s"
    )
    parts += [Text(""), Text(footer, style="dim")]
    return Panel(
        Group(*parts),
        title=heading,
        subtitle=subtitle,
        title_align="left",
        subtitle_align="left",
    )


def print_brief(console: Console, brief: Brief) -> None:
    console.print(brief_panel(brief))
