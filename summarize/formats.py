"""Reports for people and spreadsheets: a Markdown report, and CSV with one row per threat.

JSON and JSONL (`summarize.export`) carry everything; these carry what an analyst pastes
into a memo or filters in a spreadsheet. CSV cells join lists with "; ", and a deadline is
its resolved date when there is one, else the article's own words. The Markdown report
shows each evidence quote in its sentence (a few words either side, from its span) when
the article's text is at hand; article and model text is escaped so that a renderer shows
it as text, never as markup.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Mapping

from summarize.clean import clean
from summarize.export import write_atomically
from summarize.results import Failure, Result
from summarize.schema import Brief, Located, ResolvedDate, Threat
from summarize.spans import quote_in_context

# Characters that would make text markup: HTML tags, table cells, emphasis, code, links.
# ('_' inside a word and '#' away from a line's start are text in CommonMark.)
MARKDOWN_ACTIVE = re.compile(r"([\\`*\[\]<>|])")

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
    """Text as Markdown shows it literally, on one line: markup characters (pipes, HTML
    angle brackets, emphasis, links) backslash-escaped, line breaks flattened."""
    return MARKDOWN_ACTIVE.sub(r"\\\1", " ".join(text.split()))


def _evidence_line(item: Located, text: str | None) -> str:
    """One evidence quote: in its context when the text holds it where its span says."""
    if not item.found:
        return f"> \u201c{_cell(item.text)}\u201d *(not found in the article)*"
    context = quote_in_context(text, item) if text is not None else None
    if context is None:
        return f"> \u201c{_cell(item.text)}\u201d"
    before, quote, after = context
    lead = _cell(before) + (" " if before.endswith(" ") else "")
    trail = (" " if after.startswith(" ") else "") + _cell(after)
    more = f" *(found {len(item.spans)} times)*" if len(item.spans) > 1 else ""
    return f"> {lead}**{_cell(quote)}**{trail}{more}"


def _evidence(threat: Threat) -> list[Located]:
    """The threat's located evidence; unlocated (a brief from before spans) as found."""
    if len(threat.evidence_spans) == len(threat.evidence):
        return threat.evidence_spans
    return [Located(text=quote, found=True) for quote in threat.evidence]


def _brief_section(brief: Brief, raw: str | None) -> list[str]:
    meta = brief.article
    title = meta.title or meta.id
    linked = meta.url and meta.url.startswith(("http://", "https://")) and ")" not in meta.url
    heading = f"## [{_cell(title)}]({meta.url})" if linked else f"## {_cell(title)}"
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
        text = clean(raw).text if raw is not None else None
        for number, threat in enumerate(brief.threats, start=1):
            lines.append(f"Evidence {number} ({_cell(threat.issuer)}: {_cell(threat.action)}):")
            lines.append("")
            lines += [_evidence_line(item, text) for item in _evidence(threat)]
            lines.append("")
    else:
        lines += ["No threats.", ""]
    if dated := [d for d in brief.dates if d.date]:
        lines += [f"- {d.date}: {_cell(d.event)} (\u201c{_cell(d.text)}\u201d)" for d in dated]
        lines.append("")
    if brief.grounding is not None and brief.grounding.ungrounded:
        lines += [f"**Unverified**: {'; '.join(_cell(q) for q in brief.grounding.ungrounded)}", ""]
    if brief.grounding is not None and brief.grounding.suspect:
        suspect = "; ".join(_cell(q) for q in brief.grounding.suspect)
        lines += [f"**Unverified** (from a passage suspected of prompt injection): {suspect}", ""]
    lines += [f"**Warning**: {_cell(w)}" for w in brief.warnings]
    return lines


def markdown_report(results: Iterable[Result], texts: Mapping[str, str] | None = None) -> str:
    """One section per article; failures listed at the end. `texts` holds articles'
    text as read, by id, for quotes in context (else a brief's embedded `article.text`)."""
    texts = texts or {}
    results = list(results)
    briefs = [r for r in results if isinstance(r, Brief)]
    failures = [r for r in results if isinstance(r, Failure)]
    lines = ["# Threat briefs", ""]
    lines.append(f"{len(briefs)} article(s) briefed, {len(failures)} failed.")
    lines.append("")
    for brief in briefs:
        lines += _brief_section(brief, texts.get(brief.article.id, brief.article.text))
        lines.append("")
    if failures:
        lines += ["## Failed", ""]
        lines += [f"- `{f.source}`: {_cell(f.message)}" for f in failures]
    return "\n".join(lines).rstrip() + "\n"
