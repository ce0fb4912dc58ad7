"""The review page: one self-contained HTML file an analyst opens to check briefs.

For every article: the threats as cards, and the cleaned text with each threat's evidence,
conditions and deadline highlighted in its colour (clicking a card scrolls to them); what
was not found in the article and any warning, shown loudly; the lines cleaning removed,
collapsed. Across articles: an index and a timeline of every resolved date by issuer.

The page loads nothing: styles and script are inline and a Content-Security-Policy forbids
every fetch, so it works from a file:// URL and offline. All article and model text goes
through jinja2's autoescaping; none of it is placed inside the script.

Spans are located here again, against the text the page shows: a brief read back from a
file may come from an older cleaner, and a highlight must fall on the text beside it.
"""

from __future__ import annotations

import functools
import itertools
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import jinja2

from summarize.articles import read_corpus, read_file
from summarize.clean import Cleaned, clean
from summarize.data import Article
from summarize.errors import InputError
from summarize.export import write_atomically
from summarize.results import Failure, Result
from summarize.schema import Brief, ResolvedDate, Span
from summarize.spans import locate

# One colour per threat, in order; distinguishable and dark enough for black text on a tint.
PALETTE = ("#e6194b", "#3cb44b", "#4363d8", "#f58231", "#911eb4", "#0a9396", "#f032e6",
           "#9a6324", "#808000", "#000075")  # fmt: skip
DATE_COLOUR = "#6c757d"  # dates that belong to no threat


@dataclass(frozen=True)
class Mark:
    """One highlighted item: which threat (None for a plain date), what kind, which one."""

    threat: int | None
    kind: str  # "evidence", "condition", "deadline" or "date"
    index: int

    @property
    def token(self) -> str:
        owner = f"t{self.threat}" if self.threat is not None else "d"
        return f"{owner}-{self.kind}-{self.index}"

    @property
    def colour(self) -> str:
        return DATE_COLOUR if self.threat is None else PALETTE[self.threat % len(PALETTE)]


PRIORITY = {"evidence": 0, "condition": 1, "deadline": 2, "date": 3}


@dataclass(frozen=True)
class Segment:
    """A run of text under the same set of marks (none: plain text)."""

    text: str
    marks: tuple[Mark, ...] = ()

    @property
    def top(self) -> Mark:
        return min(self.marks, key=lambda m: PRIORITY[m.kind])

    @property
    def tokens(self) -> str:
        return " ".join(mark.token for mark in self.marks)


@dataclass
class ArticlePage:
    """What the page shows of one article."""

    anchor: str
    brief: Brief
    cleaned: Cleaned | None  # None when the text could not be had again
    note: str | None = None  # why there is no text
    segments: list[Segment] = field(default_factory=list)


@dataclass(frozen=True)
class TimelinePoint:
    start: date
    end: date  # inclusive: a month or a year is a stretch of days
    label: str
    text: str
    event: str
    anchor: str  # the article's
    token: str | None  # the mark to flash, if the date was found in the text
    deadline: bool


def page_for(brief: Brief, raw: str | None, anchor: str, *, note: str | None = None) -> ArticlePage:
    """An article's part of the page; `raw` is its text as read (None: not available)."""
    brief = brief.model_copy(deep=True)
    if raw is None:
        return ArticlePage(anchor, brief, None, note or "the article text is not available")
    cleaned = clean(raw)
    locate(brief.threats, brief.dates, cleaned.text, raw)
    return ArticlePage(anchor, brief, cleaned, segments=segments(cleaned.text, _marks(brief)))


def _marks(brief: Brief) -> list[tuple[Span, Mark]]:
    marked: list[tuple[Span, Mark]] = []
    for number, threat in enumerate(brief.threats):
        for index, item in enumerate(threat.evidence_spans):
            marked += [(span, Mark(number, "evidence", index)) for span in item.spans]
        for index, item in enumerate(threat.condition_spans):
            marked += [(span, Mark(number, "condition", index)) for span in item.spans]
        if threat.deadline is not None:
            marked += [(span, Mark(number, "deadline", 0)) for span in threat.deadline.spans]
    for index, when in enumerate(brief.dates):
        marked += [(span, Mark(None, "date", index)) for span in when.spans]
    return marked


def segments(text: str, marked: Iterable[tuple[Span, Mark]]) -> list[Segment]:
    """`text` cut at every span boundary, each piece with the marks that cover it, so
    overlapping highlights (a date inside a quote) each keep their own element."""
    marked = list(marked)
    cuts = sorted({0, len(text), *(end for span, _ in marked for end in span)})
    pieces: list[Segment] = []
    for start, end in itertools.pairwise(cuts):
        covering = tuple(mark for (s, e), mark in marked if s <= start and end <= e)
        pieces.append(Segment(text[start:end], covering))
    return pieces


def _dates_of(point: ResolvedDate) -> tuple[date, date] | None:
    """The stretch of days a resolved date names: a day, a month or a year."""
    if point.date is None:
        return None
    parts = [int(part) for part in point.date.split("-")]
    try:
        if len(parts) == 3:
            day = date(*parts)
            return day, day
        if len(parts) == 2:
            first = date(parts[0], parts[1], 1)
            following = date(parts[0] + parts[1] // 12, parts[1] % 12 + 1, 1)
            return first, following - timedelta(days=1)
        return date(parts[0], 1, 1), date(parts[0], 12, 31)
    except ValueError:
        return None


def timeline(pages: list[ArticlePage]) -> dict[str, list[TimelinePoint]]:
    """Every resolved date and deadline, by issuer. A threat's deadline goes on its
    issuer's row; an article's other dates on the row of each issuer threatening in it,
    or under '(no threat)'."""
    rows: dict[str, list[TimelinePoint]] = {}
    for page in pages:
        brief = page.brief
        issuers = list(dict.fromkeys(t.issuer for t in brief.threats)) or ["(no threat)"]
        for number, threat in enumerate(brief.threats):
            if threat.deadline and (days := _dates_of(threat.deadline)):
                token = f"t{number}-deadline-0" if threat.deadline.spans else None
                rows.setdefault(threat.issuer, []).append(
                    _point(days, threat.deadline, page.anchor, token, deadline=True)
                )
        for index, when in enumerate(brief.dates):
            if days := _dates_of(when):
                token = f"d-date-{index}" if when.spans else None
                for issuer in issuers:
                    rows.setdefault(issuer, []).append(
                        _point(days, when, page.anchor, token, deadline=False)
                    )
    return dict(sorted(rows.items(), key=lambda row: (row[0] == "(no threat)", row[0])))


def _point(
    days: tuple[date, date], when: ResolvedDate, anchor: str, token: str | None, *, deadline: bool
) -> TimelinePoint:
    label = when.date or ""
    return TimelinePoint(days[0], days[1], label, when.text, when.event, anchor, token, deadline)


NEWS_WINDOW = timedelta(days=2 * 365)  # how far from the publication dates the axis reaches


@dataclass(frozen=True)
class Axis:
    """The timeline's axis: its first and last day, and where a point sits on it (in
    percent of the width). History a story recalls (an armistice of 1953) would squeeze
    the news into a sliver, so the axis covers the dates within two years of the
    articles' publication; a point beyond is pinned to the edge and says so."""

    first: date
    last: date
    ticks: list[tuple[float, str]]

    @classmethod
    def fit(cls, points: list[TimelinePoint], published: list[date]) -> Axis:
        if not points:
            today = date.today()
            return cls(today, today, [])
        first = min(p.start for p in points)
        last = max(p.end for p in points)
        if published:
            first = max(first, min(published) - NEWS_WINDOW)
            last = min(last, max(published) + NEWS_WINDOW)
        if last <= first:
            first, last = first - timedelta(days=1), first + timedelta(days=1)
        span = (last - first).days
        ticks = [
            (100.0 * k / 5, (first + timedelta(days=span * k // 5)).isoformat()) for k in range(6)
        ]
        return cls(first, last, ticks)

    def place(self, point: TimelinePoint) -> dict[str, Any]:
        days = max((self.last - self.first).days, 1)
        start = min(max(point.start, self.first), self.last)
        end = min(max(point.end, self.first), self.last)
        left = 100.0 * (start - self.first).days / days
        width = 100.0 * ((end - start).days + 1) / days
        beyond = "before" if point.end < self.first else "after" if point.start > self.last else ""
        return {
            "left": round(left, 3),
            "width": round(min(width, 100.0 - left), 3),
            "beyond": beyond,
        }


def render(pages: list[ArticlePage], failures: Iterable[Failure] = ()) -> str:
    """The whole page as one HTML string."""
    rows = timeline(pages)
    published = [
        date.fromisoformat(page.brief.article.published[:10])
        for page in pages
        if page.brief.article.published
    ]
    axis = Axis.fit([p for row in rows.values() for p in row], published)
    placed: dict[str, list[tuple[TimelinePoint, dict[str, Any]]]] = {}
    pinned: dict[str, dict[str, list[TimelinePoint]]] = {}
    for issuer, points in rows.items():
        placed[issuer] = []
        pinned[issuer] = {"before": [], "after": []}
        for point in points:
            at = axis.place(point)
            if at["beyond"]:
                pinned[issuer][at["beyond"]].append(point)
            else:
                placed[issuer].append((point, at))
    return (
        _environment()
        .get_template("review.html.j2")
        .render(
            pages=pages,
            failures=list(failures),
            rows=placed,
            pinned=pinned,
            ticks=axis.ticks,
            palette=PALETTE,
        )
    )


@functools.cache
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("summarize", "templates"),
        autoescape=True,  # every piece of text is escaped unless a template says otherwise
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def pages_for(
    results: Iterable[Result], texts: dict[str, str], *, base: Path | None = None
) -> tuple[list[ArticlePage], list[Failure]]:
    """The pages of a run's results. An article's text comes from `texts` (by id: read in
    this run, or embedded in a saved brief), else it is read again from its source."""
    pages: list[ArticlePage] = []
    failures: list[Failure] = []
    anchors: set[str] = set()
    for result in results:
        if isinstance(result, Failure):
            failures.append(result)
            continue
        anchor = _anchor(result.article.id, anchors)
        raw = texts.get(result.article.id)
        if raw is None and result.article.text is not None:
            raw = result.article.text
        note = None
        if raw is None:
            try:
                raw = reread(result.article.source, result.article.id, base=base).text
            except InputError as error:
                note = str(error)
        pages.append(page_for(result, raw, anchor, note=note))
    return pages, failures


def _anchor(article_id: str, taken: set[str]) -> str:
    """A unique HTML id for an article (ids are unique in a run, not across files)."""
    stem = "a-" + "".join(c if c.isalnum() or c in "-_" else "-" for c in article_id)
    anchor, number = stem, 1
    while anchor in taken:
        number += 1
        anchor = f"{stem}-{number}"
    taken.add(anchor)
    return anchor


def reread(source: str, article_id: str, *, base: Path | None = None) -> Article:
    """An article read again from the source a brief names: a file, a line of a JSONL
    corpus (`corpus.jsonl:12`) or a URL; a relative path is also tried beside `base`
    (the saved briefs' folder). Raises InputError naming the source and the way out."""
    if source.startswith(("http://", "https://")):
        from summarize.web import read_url

        return read_url(source, id=article_id, published=None)
    if source == "<stdin>":
        raise InputError(
            "<stdin>: an article read from standard input cannot be read again; brief it "
            "with --embed-text to keep its text in the JSONL",
            source=source,
        )
    path, _, line = source.rpartition(":") if _is_corpus_line(source) else (source, "", "")
    candidates = [Path(path)]
    if base is not None and not Path(path).is_absolute():
        candidates.append(base / path)
    found = next((c for c in candidates if c.exists()), None)
    if found is None:
        raise InputError(
            f"{source}: not found to show the article's text; run the report where the "
            "brief was made, or brief with --embed-text",
            source=source,
        )
    if not line:
        return read_file(found, id=article_id)
    for entry in read_corpus(found):
        if isinstance(entry, Article) and entry.source.rpartition(":")[2] == line:
            return entry
    raise InputError(f"{source}: line {line} of {found} holds no article", source=source)


def _is_corpus_line(source: str) -> bool:
    path, colon, line = source.rpartition(":")
    return bool(colon) and line.isdigit() and path.lower().endswith(".jsonl")


def read_results(path: Path) -> list[Result]:
    """Briefs and failures saved by `--jsonl` (one per line) or `--json` (an array)."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise InputError(f"{path}: cannot be read ({error.strerror})", source=str(path)) from None
    records: list[Any]
    stripped = text.lstrip()
    try:
        if stripped.startswith("["):
            records = json.loads(text)
        else:
            records = [json.loads(line) for line in text.splitlines() if line.strip()]
    except json.JSONDecodeError as error:
        raise InputError(
            f"{path}: not a JSON array or JSON lines ({error.msg}, line {error.lineno}); "
            "pass the file summarize brief --jsonl or --json wrote",
            source=str(path),
        ) from None
    return list(_results(records, path))


def _results(records: list[Any], path: Path) -> Iterator[Result]:
    from pydantic import ValidationError

    from summarize.export import result_from_record

    for number, record in enumerate(records, start=1):
        if not isinstance(record, dict):
            raise InputError(f"{path}: record {number} is not a JSON object", source=str(path))
        try:
            yield result_from_record(record)
        except ValidationError as error:
            raise InputError(
                f"{path}: record {number} is not a brief ({error.error_count()} problem(s), "
                f"first: {error.errors()[0]['msg']})",
                source=str(path),
            ) from None


def write_html(path: Path, pages: list[ArticlePage], failures: Iterable[Failure] = ()) -> None:
    """Write the page whole or not at all."""
    write_atomically(path, render(pages, failures))
