"""Reading inputs: headers, the --published override, folders, stdin-free errors."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from summarize.articles import read_inputs
from summarize.data import Article, split_front_matter
from summarize.errors import InputError
from tests.conftest import ROOT

HEADED = """---
title: Trump threatens tariffs
published: 2025-03-13 20:30:26Z
url: https://example.org/a
credit: Voice of America
---
President Trump threatened tariffs on Thursday.
"""


def test_front_matter_supplies_title_date_and_url(tmp_path: Path) -> None:
    """A `---` header's keys become article metadata and leave the body alone."""
    path = tmp_path / "story.txt"
    path.write_text(HEADED)
    [article] = read_inputs([str(path)])
    assert not isinstance(article, InputError)
    assert article.title == "Trump threatens tariffs"
    assert article.published == date(2025, 3, 13)
    assert article.url == "https://example.org/a"
    assert article.meta == {"credit": "Voice of America"}
    assert article.text == "President Trump threatened tariffs on Thursday.\n"


def test_the_published_flag_wins_over_the_header(tmp_path: Path) -> None:
    """--published overrides a header date."""
    path = tmp_path / "story.txt"
    path.write_text(HEADED)
    [article] = read_inputs([str(path)], published=date(2020, 1, 1))
    assert not isinstance(article, InputError)
    assert article.published == date(2020, 1, 1)


def test_a_file_without_header_is_all_story() -> None:
    """Text that merely starts with a rule is not mistaken for a header."""
    text = "---\nNot: a header because\nthis line has no key\n---\nBody"
    assert split_front_matter(text) == ({}, text)


def test_a_malformed_header_date_fails_that_file_only(tmp_path: Path) -> None:
    """A bad header date is a one-line error naming the file; other files still load."""
    bad = tmp_path / "bad.txt"
    bad.write_text("---\npublished: last Tuesday\n---\nBody text.\n")
    good = tmp_path / "good.txt"
    good.write_text("Body text.\n")
    results = read_inputs([str(bad), str(good)])
    assert isinstance(results[0], InputError)
    assert str(bad) in str(results[0])
    assert "YYYY-MM-DD" in str(results[0])
    assert not isinstance(results[1], InputError)


def test_a_folder_is_read_in_name_order_and_a_file_named_twice_once(tmp_path: Path) -> None:
    """Folders expand to their article files; duplicates are read once."""
    (tmp_path / "b.txt").write_text("Second story.")
    (tmp_path / "a.txt").write_text("First story.")
    (tmp_path / ".hidden.txt").write_text("Not an article.")
    results = read_inputs([str(tmp_path), str(tmp_path / "a.txt")])
    assert [r.id for r in results if not isinstance(r, InputError)] == ["a", "b"]


def test_same_stem_in_two_folders_gets_distinct_ids(tmp_path: Path) -> None:
    """Ids key exports, so two 'story.txt' files must not collide."""
    for folder in ("one", "two"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "story.txt").write_text(f"Story from {folder}.")
    results = read_inputs([str(tmp_path / "one"), str(tmp_path / "two")])
    assert [r.id for r in results if not isinstance(r, InputError)] == ["story", "story-2"]


def test_a_missing_path_is_a_one_line_error(tmp_path: Path) -> None:
    """A path that does not exist says so and what to check."""
    [result] = read_inputs([str(tmp_path / "nope.txt")])
    assert isinstance(result, InputError)
    assert "no such file or folder" in str(result)
    assert "\n" not in str(result)


def test_a_jsonl_corpus_is_one_article_per_line_in_the_voa_format(tmp_path: Path) -> None:
    """id, text, title, published and url come from each line; other keys go to meta."""
    corpus = tmp_path / "voa.jsonl"
    lines = [
        {
            "id": "8009495",
            "url": "https://www.voanews.com/a/8009495.html",
            "section": "USA",
            "title": "Trump threatens tariffs",
            "published": "2025-03-13 15:18:14Z",
            "text": "Trump threatened tariffs on Thursday.",
        },
        {"id": "2", "text": "A second story."},
    ]
    corpus.write_text("\n".join(json.dumps(line) for line in lines) + "\n")
    first, second = read_inputs([str(corpus)])
    assert isinstance(first, Article)
    assert (first.id, first.title, first.published) == (
        "8009495",
        "Trump threatens tariffs",
        date(2025, 3, 13),
    )
    assert first.url == "https://www.voanews.com/a/8009495.html"
    assert first.meta == {"section": "USA"}
    assert first.source == f"{corpus}:1"
    assert isinstance(second, Article)
    assert second.published is None


def test_a_bad_corpus_line_fails_alone_named_by_file_and_line(tmp_path: Path) -> None:
    """Not JSON, no text, an empty text or a bad date: each line fails on its own."""
    corpus = tmp_path / "c.jsonl"
    corpus.write_text(
        '{"id": "ok", "text": "Fine."}\n'
        "not json\n"
        '{"id": "no-text"}\n'
        '{"id": "empty", "text": "  "}\n'
        '{"id": "date", "text": "x", "published": "yesterday"}\n'
    )
    ok, *bad = read_inputs([str(corpus)])
    assert isinstance(ok, Article)
    assert all(isinstance(b, InputError) for b in bad)
    messages = [str(b) for b in bad]
    assert messages[0].startswith(f"{corpus}:2: not a JSON line")
    assert messages[1] == f"{corpus}:3: needs a JSON object with a string 'text'"
    assert messages[2] == f"{corpus}:4: the article is empty; nothing to brief"
    assert messages[3].startswith(f"{corpus}:5: published date 'yesterday' is not ISO 8601")


def test_the_published_flag_wins_over_a_corpus_date(tmp_path: Path) -> None:
    """--published applies to every article, corpus lines included."""
    corpus = tmp_path / "c.jsonl"
    corpus.write_text('{"id": "a", "text": "x", "published": "2025-03-13"}\n')
    [article] = read_inputs([str(corpus)], published=date(2024, 1, 2))
    assert isinstance(article, Article)
    assert article.published == date(2024, 1, 2)


def test_the_shared_voa_corpus_reads_whole(tmp_path: Path) -> None:
    """All 75 stories of the VOA corpus format read as articles with dates and URLs."""
    corpus = ROOT.parent / "shared" / "articles" / "voa.jsonl"
    if not corpus.exists():
        pytest.skip("../shared is not beside the repository")
    articles = read_inputs([str(corpus)])
    assert len(articles) == 75
    assert all(isinstance(a, Article) and a.published and a.url for a in articles)
