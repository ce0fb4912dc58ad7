"""Prompt templates: versioned files, rendered with the article fenced as data.

A prompt file is Markdown with a front-matter `version` and two sections, `## system` and
`## user`, plus an optional `## reground`: the message that re-asks the model when quotes
in its answer are not in the article. Placeholders are `{{article}}`, `{{title}}` and
`{{published}}` (and `{{items}}` in `reground`); nothing else in the text is interpreted,
so braces in an article are harmless. Every brief records the
version it was made with, so an eval report can say which prompt it measured.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from summarize.data import split_front_matter
from summarize.errors import ConfigError

PACKAGE_PROMPTS = Path(__file__).parent / "_prompts"  # where a wheel install puts them
SOURCE_PROMPTS = Path(__file__).parent.parent / "prompts"  # a checkout / editable install
DEFAULT_PROMPT = "brief.md"
SECTION = re.compile(r"^## (system|user|reground)\s*$", re.MULTILINE)
DEFAULT_REGROUND = (
    "These items in your brief are not found word for word in the article:\n{{items}}\n\n"
    "Copy every evidence quote and condition exactly from the article, or remove it, and "
    "answer with the whole brief again."
)
FENCE_CLOSE = re.compile(r"</\s*article\s*>", re.IGNORECASE)


@dataclass(frozen=True)
class Prompt:
    version: str
    system: str
    user: str
    reground: str = DEFAULT_REGROUND

    def render(
        self, *, article: str, title: str | None, published: str | None
    ) -> list[dict[str, str]]:
        """Chat messages for one article. A closing fence inside the article is defused."""
        fenced = FENCE_CLOSE.sub("&lt;/article&gt;", article)
        user = (
            self.user.replace("{{title}}", title or "(none)")
            .replace("{{published}}", published or "(unknown)")
            .replace("{{article}}", fenced)
        )
        return [{"role": "system", "content": self.system}, {"role": "user", "content": user}]

    def reground_message(self, items: list[str]) -> str:
        """The re-ask naming each quote or condition that is not in the article."""
        listed = "\n".join(f"- {item!r}" for item in items)
        return self.reground.replace("{{items}}", listed)


def parse_prompt(text: str, *, source: str) -> Prompt:
    header, body = split_front_matter(text)
    version = header.get("version")
    if not version:
        raise ConfigError(f"{source}: prompt file needs a front-matter 'version: ...' line")
    parts = SECTION.split(body)
    sections = dict(zip(parts[1::2], (p.strip() for p in parts[2::2]), strict=True))
    if not {"system", "user"} <= set(sections) or "{{article}}" not in sections["user"]:
        raise ConfigError(
            f"{source}: prompt file needs '## system' and '## user' sections, "
            "and the user section must contain {{article}}"
        )
    return Prompt(
        version=version,
        system=sections["system"],
        user=sections["user"],
        reground=sections.get("reground") or DEFAULT_REGROUND,
    )


def load_prompt(path: str | Path | None = None) -> Prompt:
    """The prompt at `path`, or the shipped default."""
    if path is None:
        folder = PACKAGE_PROMPTS if PACKAGE_PROMPTS.is_dir() else SOURCE_PROMPTS
        path = folder / DEFAULT_PROMPT
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise ConfigError(f"{path}: cannot read prompt file ({error.strerror})") from None
    return parse_prompt(text, source=str(path))
