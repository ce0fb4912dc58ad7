"""What a batch yields for each article: its brief, or a `Failure` saying why not.

One article's failure is a value in its place, never an exception that costs the others
their briefs. These values sit at the bottom of the package beside the brief models
(`summarize.schema`) and the article (`summarize.data`): the briefing (`summarize.pipeline`,
`summarize.batch`) makes them, the writers (`export`, `formats`, `progress`, `review`, the
store) read them, and none of those needs the other.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from summarize.data import Article
from summarize.errors import ArticleFailed, SummarizeError
from summarize.schema import Brief

TRUNCATED = "article truncated"  # how the warning of an article cut short begins


@dataclass(frozen=True)
class Failure:
    """An article that produced no brief, and why, in one line."""

    article_id: str | None
    source: str
    kind: str
    message: str
    attempts: int = 0
    input_tokens: int = 0  # spent on answers that made no brief (not in the JSON line)
    output_tokens: int = 0

    @classmethod
    def from_error(cls, error: SummarizeError, article: Article | None = None) -> Failure:
        source = article.source if article else getattr(error, "source", None) or "?"
        failed = error if isinstance(error, ArticleFailed) else None
        return cls(
            article_id=article.id if article else None,
            source=source,
            kind=error.kind,
            message=str(error),
            attempts=failed.attempts if failed else 0,
            input_tokens=failed.input_tokens if failed else 0,
            output_tokens=failed.output_tokens if failed else 0,
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "article": {"id": self.article_id, "source": self.source},
            "error": {"kind": self.kind, "message": self.message, "attempts": self.attempts},
        }


Result = Brief | Failure


def truncation(brief: Brief) -> str | None:
    """The warning of a brief whose article was cut short, if it was."""
    return next((w for w in brief.warnings if w.startswith(TRUNCATED)), None)
