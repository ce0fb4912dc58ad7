"""Score the cleaner against the labelled pages of evals/cleaning/pages.jsonl.

Each page lists its raw lines, each labelled `story`, `chrome`, `headline` or `blank`.
Per page: chrome lines removed, story lines kept (in the cleaned text, by raw line
number), and whether the chosen title is the labelled headline.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from summarize.clean import Cleaned, clean, normalize

DEFAULT_PAGES = Path("evals/cleaning/pages.jsonl")


@dataclass(frozen=True)
class Page:
    id: str
    split: str
    publisher: str
    headline: str
    lines: tuple[tuple[str, str], ...]  # (text, label)

    @property
    def raw(self) -> str:
        return "\n".join(text for text, _ in self.lines)


@dataclass(frozen=True)
class PageScore:
    page: Page
    cleaned: Cleaned
    chrome: int
    chrome_removed: int
    story: int
    story_kept: int
    lost: tuple[str, ...]  # story lines not in the cleaned text
    left: tuple[str, ...]  # chrome lines still in it

    @property
    def headline_right(self) -> bool:
        return self.cleaned.title == normalize(self.page.headline).strip()


def load_pages(path: Path = DEFAULT_PAGES) -> list[Page]:
    pages = []
    for row in path.read_text(encoding="utf-8").splitlines():
        item = json.loads(row)
        pages.append(
            Page(
                id=item["id"],
                split=item["split"],
                publisher=item["publisher"],
                headline=item["headline"],
                lines=tuple((line["text"], line["label"]) for line in item["lines"]),
            )
        )
    return pages


def score_page(page: Page, cleaned: Cleaned | None = None) -> PageScore:
    cleaned = cleaned or clean(page.raw)
    kept = set(cleaned.lines)
    chrome = [(n, t) for n, (t, label) in enumerate(page.lines, 1) if label == "chrome"]
    story = [(n, t) for n, (t, label) in enumerate(page.lines, 1) if label == "story"]
    lost = tuple(t for n, t in story if n not in kept)
    left = tuple(t for n, t in chrome if n in kept or normalize(t).strip() == cleaned.title)
    return PageScore(
        page=page,
        cleaned=cleaned,
        chrome=len(chrome),
        chrome_removed=len(chrome) - len(left),
        story=len(story),
        story_kept=len(story) - len(lost),
        lost=lost,
        left=left,
    )


@dataclass(frozen=True)
class Totals:
    pages: int
    chrome: int
    chrome_removed: int
    story: int
    story_kept: int
    headlines_right: int
    pages_losing_story: int

    @property
    def chrome_share(self) -> float:
        return self.chrome_removed / self.chrome if self.chrome else 1.0

    @property
    def story_share(self) -> float:
        return self.story_kept / self.story if self.story else 1.0


def totals(scores: Iterable[PageScore]) -> Totals:
    scores = list(scores)
    return Totals(
        pages=len(scores),
        chrome=sum(s.chrome for s in scores),
        chrome_removed=sum(s.chrome_removed for s in scores),
        story=sum(s.story for s in scores),
        story_kept=sum(s.story_kept for s in scores),
        headlines_right=sum(s.headline_right for s in scores),
        pages_losing_story=sum(bool(s.lost) for s in scores),
    )


def score_pages(pages: Iterable[Page]) -> list[PageScore]:
    return [score_page(page) for page in pages]


def print_cleaning_report(console: Console, scores: list[PageScore]) -> None:
    """Per page, then per split and in total: chrome removed, story kept, headline."""
    table = Table(title="cleaning, per page")
    table.add_column("page", overflow="fold")
    table.add_column("split")
    for column in ("chrome removed", "story kept", "headline"):
        table.add_column(column, justify="right")
    for s in scores:
        chosen, labelled = escape(str(s.cleaned.title)), escape(s.page.headline)
        right = "right" if s.headline_right else f"[red]{chosen}[/] (labelled: {labelled})"
        kept = f"{s.story_kept}/{s.story}" + ("" if not s.lost else " [red]LOST[/]")
        table.add_row(s.page.id, s.page.split, f"{s.chrome_removed}/{s.chrome}", kept, right)
    console.print(table)
    summary = Table(title="cleaning, totals (targets: story 100% on every page, chrome >= 95%)")
    for column in ("split", "pages", "chrome removed", "story kept", "headlines right"):
        summary.add_column(column, justify="left" if column == "split" else "right")
    splits = sorted({s.page.split for s in scores})
    for split in [*splits, "all"]:
        t = totals(s for s in scores if split in ("all", s.page.split))
        summary.add_row(
            split,
            str(t.pages),
            f"{t.chrome_removed}/{t.chrome} = {t.chrome_share:.1%}",
            f"{t.story_kept}/{t.story} = {t.story_share:.1%}",
            f"{t.headlines_right}/{t.pages}",
        )
    console.print(summary)
    for s in scores:
        for line in s.lost:
            console.print(f"[red]story lost[/] {s.page.id}: {escape(line[:100])}", soft_wrap=True)
