"""Corpora of any size for the benchmarks, made from the shared VOA stories, and the
threat their stand-in model answers with.

Copy n of a story is its edition n // len(stories) + 1: its sentences are grouped three
to a paragraph, each paragraph ending with the edition, so that no paragraph of one copy
is a paragraph of another (the line count of a run must not take them for page chrome).
Nothing here imports summarize: `bench_scale.py` measures the CLI from outside.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CORPUS = ROOT.parent / "shared" / "articles" / "voa.jsonl"
SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z\u201c])")
# The threat the loopback model's brief holds (its evidence and conditions quote the
# article it answers).
THREAT = {
    "issuer": "United States",
    "speaker": "President Donald Trump",
    "targets": ["Canada", "Mexico"],
    "action": "impose tariffs on imports",
    "category": "tariffs",
    "conditions": [],
    "deadline": "next Monday",
    "evidence": [],
}


def load_stories(source: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in source.read_text(encoding="utf-8").splitlines()]


def edition(stories: list[dict[str, Any]], n: int) -> tuple[dict[str, Any], list[str]]:
    """Copy `n` of the stories, in turn: the story and its paragraphs, each distinct."""
    story = stories[n % len(stories)]
    number = n // len(stories) + 1
    sentences = SENTENCE_END.split(story["text"])
    paragraphs = [
        " ".join(sentences[i : i + 3]) + f" (Edition {number}.)"
        for i in range(0, len(sentences), 3)
    ]
    return story, paragraphs
