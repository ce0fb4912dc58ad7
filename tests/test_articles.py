"""Reading inputs: headers, the --published override, folders, stdin-free errors."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from summarize.articles import read_inputs, split_front_matter
from summarize.errors import InputError

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
