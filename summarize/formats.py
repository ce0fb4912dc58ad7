"""Reports for people and spreadsheets: a Markdown report, and CSV with one row per threat.

JSON and JSONL (`summarize.export`) carry everything; these carry what an analyst pastes
into a memo or filters in a spreadsheet. CSV cells join lists with "; ", and a deadline is
its resolved date when there is one, else the article's own words.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

from summarize.export import write_atomically
from summarize.pipeline import Failure, Result
from summarize.schema import Brief, ResolvedDate, Threat

CSV_COLUMNS = (
    "article_id",
    "title",
    "published",
    "issuer",
    "speaker",
    "targets",
    "action",
    "category",
    "conditions",
    "deadline",
    "evidence",
)


def _deadline(deadline: ResolvedDate | None) -> str:
    if deadline is None:
        return ""
    return deadline.date or deadline.text


def threat_row(brief: Brief, threat: Threat) -> dict[str, str]:
    return {
        "article_id": brief.article.id,
        "title": brief.article.title or "",
        "published": brief.article.published or "",
        "issuer": threat.issuer,
        "speaker": threat.speaker or "",
        "targets": "; ".join(threat.targets),
        "action": threat.action,
        "category": threat.category,
        "conditions": "; ".join(threat.conditions),
        "deadline": _deadline(threat.deadline),
        "evidence": threat.evidence[0] if threat.evidence else "",
    }


def csv_text(results: Iterable[Result]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for result in results:
        if isinstance(result, Brief):
            writer.writerows(threat_row(result, threat) for threat in result.threats)
    return buffer.getvalue()


def write_csv(path: str, results: Iterable[Result]) -> None:
    """One row per threat, UTF-8 with a header row; written whole or not at all."""
    write_atomically(path, csv_text(results))


def _cell(text: str) -> str:
    """Table-safe Markdown: pipes escaped, line breaks flattened."""
    return " ".join(text.split()).replace("|", "\\|")


def _brief_section(brief: Brief) -> list[str]:
    meta = brief.article
    title = meta.title or meta.id
    heading = f"## [{_cell(title)}]({meta.url})" if meta.url else f"## {_cell(title)}"
    lines = [heading, "", f"*{meta.source} · published {meta.published or 'unknown'}*", ""]
    lines += [brief.summary, ""]
    if brief.threats:
        lines += [
            "| Issuer | Speaker | Targets | Action | Category | Conditions | Deadline |",
            "| --- | --- | --- | --- | --- | --- | --- |",
        ]
        for t in brief.threats:
            cells = (t.issuer, t.speaker or "", ", ".join(t.targets), t.action, t.category,
                     "; ".join(t.conditions), _deadline(t.deadline))  # fmt: skip
            lines.append("| " + " | ".join(_cell(c) for c in cells) + " |")
        lines.append("")
        lines += [f"> {_cell(q)}" for t in brief.threats for q in t.evidence[:1]]
        lines.append("")
    else:
        lines += ["No threats.", ""]
    if dated := [d for d in brief.dates if d.date]:
        lines += [f"- {d.date}: {_cell(d.event)} (\u201c{_cell(d.text)}\u201d)" for d in dated]
        lines.append("")
    if brief.grounding is not None and not brief.grounding.grounded:
        lines += [f"**Unverified**: {'; '.join(_cell(q) for q in brief.grounding.ungrounded)}", ""]
    lines += [f"**Warning**: {_cell(w)}" for w in brief.warnings]
    return lines


def markdown_report(results: Iterable[Result]) -> str:
    """One section per article; failures listed at the end."""
    results = list(results)
    briefs = [r for r in results if isinstance(r, Brief)]
    failures = [r for r in results if isinstance(r, Failure)]
    lines = ["# Threat briefs", ""]
    lines.append(f"{len(briefs)} article(s) briefed, {len(failures)} failed.")
    lines.append("")
    for brief in briefs:
        lines += _brief_section(brief)
        lines.append("")
    if failures:
        lines += ["## Failed", ""]
        lines += [f"- `{f.source}`: {_cell(f.message)}" for f in failures]
    return "\n".join(lines).rstrip() + "\n"
