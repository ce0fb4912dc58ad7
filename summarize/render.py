"""Show briefs in the terminal with `rich`: summary, each threat with its evidence, timeline.

Everything a brief holds came from an article or a model, so it is put on screen as
`Text`, never as a string rich would read as markup: a title "[/x]" or a quote with
"[bold]" in it prints as written. The layout is one block per threat (a label column and
a wrapping value column) rather than a wide table, so it reads the same at 80 columns
(a pipe, a narrow terminal) as at 120. Given the cleaned article, each evidence quote is
shown where it stands, a few words either side from its span (`spans.quote_in_context`,
as the Markdown report does); without it, or when the spans do not fit that text, the
quote alone.
"""

from __future__ import annotations

from rich.console import Console, Group, RenderableType
from rich.padding import Padding
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from summarize.schema import Brief, Located, ResolvedDate, Threat
from summarize.spans import quote_in_context

QUOTE_CHARS = 200  # an evidence quote longer than this is shortened with an ellipsis
NOT_FOUND = "(not found in the article)"
SUSPECT = "(from a passage suspected of prompt injection)"


def shorten(text: str, limit: int = QUOTE_CHARS) -> str:
    """`text` whole if it fits, else cut at a word boundary before `limit`, with '…'."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    if " " in cut[limit // 2 :]:
        cut = cut[: cut.rindex(" ")]
    return cut.rstrip(" ,;:") + "\u2026"


def _deadline(date: ResolvedDate | None) -> Text:
    if date is None:
        return Text("none stated", style="dim")
    return Text(f"{date.text} ({date.date})" if date.date else f"{date.text} (unresolved)")


def _unverified(brief: Brief) -> dict[str, str] | None:
    """Each quote or condition the brief cannot rest on, with why; None when unchecked."""
    if brief.grounding is None:
        return None
    notes = dict.fromkeys(brief.grounding.suspect, SUSPECT)
    return notes | dict.fromkeys(brief.grounding.ungrounded, NOT_FOUND)


def _quoted(item: str, located: Located | None, text: str | None) -> Text:
    """A quote, shortened; with the words around it in the article when `text` holds it
    where its span says (the quote in bold, its context dim), and how often it occurs."""
    context = quote_in_context(text, located) if text is not None and located else None
    if context is None:
        return Text(f"\u201c{shorten(item)}\u201d")
    before, quote, after = context
    line = Text.assemble((before, "dim"), (f"\u201c{shorten(quote)}\u201d", "bold"), (after, "dim"))
    if located is not None and len(located.spans) > 1:
        line.append(f" (found {len(located.spans)} times)", style="italic")
    return line


def _checked(
    item: str,
    unverified: dict[str, str] | None,
    located: Located | None = None,
    text: str | None = None,
) -> RenderableType:
    """A quote or condition, shortened (in context when it was located in `text`), with
    its grounding state: a tick when it was found verbatim in the article (and not in a
    suspected prompt injection), a cross and why when not; none when never checked. The
    mark has a column of its own, so a wrapped quote lines up under its first word."""
    why = unverified.get(item) if unverified is not None else None
    # a quote not found has no place to show; one from a suspect passage has, and shows it
    quote = _quoted(item, None if why == NOT_FOUND else located, text)
    if unverified is None:
        return quote
    found = why is None
    if not found:
        quote.append(f" {unverified[item]}", style="bold yellow")
    line = Table.grid(padding=(0, 1))
    line.add_column(no_wrap=True)
    line.add_column(overflow="fold")
    line.add_row(
        Text("\u2713", style="green") if found else Text("\u2717", style="bold yellow"), quote
    )
    return line


def _located(threat: Threat) -> list[Located | None]:
    """Where each evidence quote is, in order; nothing for a brief saved before spans."""
    if len(threat.evidence_spans) == len(threat.evidence):
        return list(threat.evidence_spans)
    return [None] * len(threat.evidence)


def threat_block(
    number: int, threat: Threat, unverified: dict[str, str] | None, text: str | None = None
) -> RenderableType:
    """One threat: who against whom, then a label column and the values under it; each
    evidence quote in its context when `text`, the cleaned article, is given."""
    heading = Text(f"{number}. ")
    heading.append(threat.issuer, style="bold")
    heading.append(" \u2192 " + (", ".join(threat.targets) or "no target named"))
    heading.append(f"  [{threat.category}]", style="cyan")
    rows = Table.grid(padding=(0, 1))
    rows.add_column(style="dim", no_wrap=True, min_width=9)
    rows.add_column(overflow="fold")
    rows.add_row("action", Text(threat.action))
    if threat.speaker:
        rows.add_row("speaker", Text(threat.speaker))
    if threat.conditions:
        for index, condition in enumerate(threat.conditions):
            rows.add_row("condition" if index == 0 else "", _checked(condition, unverified))
    else:
        rows.add_row("condition", Text("none (unconditional)", style="dim"))
    rows.add_row("deadline", _deadline(threat.deadline))
    for index, (quote, located) in enumerate(zip(threat.evidence, _located(threat), strict=True)):
        rows.add_row("evidence" if index == 0 else "", _checked(quote, unverified, located, text))
    return Group(heading, Padding(rows, (0, 0, 0, 3)))


def threats_section(brief: Brief, text: str | None = None) -> RenderableType:
    if not brief.threats:
        return Text("No threats in this article.", style="dim")
    unverified = _unverified(brief)
    blocks: list[RenderableType] = [Text(f"Threats ({len(brief.threats)})", style="bold")]
    for number, threat in enumerate(brief.threats, start=1):
        blocks.append(threat_block(number, threat, unverified, text))
    return Group(*blocks)


def grounding_line(brief: Brief) -> Text:
    """The brief's grounding state: every quote found, or what was not, and what came
    from a passage suspected of prompt injection, a line each."""
    if brief.grounding is None:
        return Text("Grounding: not checked", style="dim")
    if brief.grounding.grounded:
        return Text(
            "\u2713 Grounded: every quote and condition was found in the article.", style="green"
        )
    lines = []
    for why, items in (
        ("not found in the article", brief.grounding.ungrounded),
        ("from a passage suspected of prompt injection", brief.grounding.suspect),
    ):
        if items:
            quoted = "; ".join(f"\u201c{item}\u201d" for item in items)
            lines.append(Text.assemble((f"\u2717 Unverified: {why}: ", "bold yellow"), quoted))
    return Text("\n").join(lines)


def actors_line(brief: Brief) -> Text | None:
    if not brief.actors:
        return None
    names = ", ".join(f"{actor.name} ({actor.role})" for actor in brief.actors)
    return Text.assemble(("Actors: ", "bold"), names)


def dates_timeline(brief: Brief) -> RenderableType | None:
    if not brief.dates:
        return None
    table = Table(show_header=False, box=None, padding=(0, 2, 0, 0))
    table.add_column("date", style="cyan", no_wrap=True)
    table.add_column("text", style="dim", ratio=1)
    table.add_column("event", ratio=2)
    for item in sorted(brief.dates, key=lambda d: (d.date is None, d.date or "")):
        table.add_row(
            Text(item.date or "unresolved"), Text(f"\u201c{item.text}\u201d"), Text(item.event)
        )
    return Group(Text("Timeline", style="bold"), table)


def run_line(brief: Brief) -> Text:
    """Which model answered and what it cost; a cached brief says it made no call."""
    run = brief.run
    line = Text(f"{run.model} via {run.provider} \u00b7 prompt {run.prompt_version} \u00b7 ")
    if run.cached:
        line.append("from the cache: no model call this run", style="bold")
        line.append(f" (asking cost {run.input_tokens:,}+{run.output_tokens:,} tokens)")
    else:
        line.append(
            f"{run.input_tokens:,}+{run.output_tokens:,} tokens \u00b7 "
            f"{run.attempts} attempt(s) \u00b7 {run.seconds:.1f}s"
        )
    line.stylize("dim")
    return line


def brief_panel(brief: Brief, article_text: str | None = None) -> RenderableType:
    """The whole brief in a box. Title and source head the body rather than the border,
    where rich would cut them at the box's width. `article_text` is the cleaned article
    the brief's spans point into: with it, each evidence quote shows in its context."""
    meta = brief.article
    heading = Text(meta.title or meta.id, style="bold")
    where = Text(f"{meta.source} \u00b7 published {meta.published or 'unknown'}", style="dim")
    if brief.run.cached:
        where.append(" \u00b7 cached", style="bold")
    parts: list[RenderableType] = [heading, where, Text("")]
    parts += [Text(brief.summary), Text(""), threats_section(brief, article_text)]
    parts += [Text(""), grounding_line(brief)]
    if (actors := actors_line(brief)) is not None:
        parts += [Text(""), actors]
    if (timeline := dates_timeline(brief)) is not None:
        parts += [Text(""), timeline]
    if brief.warnings:
        parts.append(Text(""))
    for warning in brief.warnings:
        parts.append(Text(f"Warning: {warning}", style="yellow"))
    parts += [Text(""), run_line(brief)]
    return Panel(Group(*parts))


def print_brief(console: Console, brief: Brief, article_text: str | None = None) -> None:
    """Print one brief; `article_text`, the cleaned article, puts quotes in context."""
    console.print(brief_panel(brief, article_text))
