"""Date expressions resolve against the publication date by code, per the documented rules."""

from __future__ import annotations

from datetime import date

import pytest

from summarize.dates import direction_of, resolve

TUESDAY = date(2023, 8, 1)  # seed 000 was published on Tuesday 1 August 2023


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Monday", "2023-07-31"),
        ("on Monday", "2023-07-31"),
        ("Tuesday", "2023-08-01"),  # the publication day itself
        ("Friday", "2023-07-28"),
        ("Tuesday last week", "2023-07-25"),
        ("last Thursday", "2023-07-27"),
        ("next Monday", "2023-08-07"),
        ("by Friday", "2023-08-04"),  # a deadline looks ahead
    ],
)
def test_weekdays_resolve_relative_to_publication(text: str, expected: str) -> None:
    """A weekday is the latest such day on or before publication unless it looks ahead."""
    assert resolve(text, TUESDAY) == expected


def test_a_weekday_in_a_future_event_resolves_forward() -> None:
    """'Talks will resume on Thursday' means the coming Thursday."""
    assert direction_of("talks will resume") == "future"
    assert resolve("Thursday", TUESDAY, direction="future") == "2023-08-03"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("last week", "2023-07-25"),
        ("yesterday", "2023-07-31"),
        ("today", "2023-08-01"),
        ("last month", "2023-07"),
        ("last year", "2022"),
        ("two days ago", "2023-07-30"),
    ],
)
def test_relative_spans_resolve(text: str, expected: str) -> None:
    """'Last week' is publication minus seven days; months and years keep their precision."""
    assert resolve(text, TUESDAY) == expected


@pytest.mark.parametrize(
    ("text", "published", "expected"),
    [
        ("4 September", date(2023, 9, 12), "2023-09-04"),
        ("July 27", TUESDAY, "2023-07-27"),
        ("December 30", date(2024, 1, 3), "2023-12-30"),  # closest is last year
        ("January 5", date(2023, 12, 20), "2024-01-05"),  # closest is next year
        ("in September", TUESDAY, "2023-09"),
    ],
)
def test_day_and_month_without_year_take_the_closest_year(
    text: str, published: date, expected: str
) -> None:
    """A day-month with no year lands in the year nearest the publication date."""
    assert resolve(text, published) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("July 27, 2023", "2023-07-27"),
        ("27 July 2023", "2023-07-27"),
        ("2024-06-18", "2024-06-18"),
        ("September 2023", "2023-09"),
        ("in 2019", "2019"),
    ],
)
def test_explicit_dates_resolve_with_or_without_publication(text: str, expected: str) -> None:
    """Absolute dates need no publication date."""
    assert resolve(text, TUESDAY) == expected
    assert resolve(text, None) == expected


@pytest.mark.parametrize("text", ["Monday", "last week", "4 September", "yesterday"])
def test_relative_expressions_without_publication_date_are_null(text: str) -> None:
    """Without a publication date, nothing relative can be resolved."""
    assert resolve(text, None) is None


@pytest.mark.parametrize("text", ["soon", "recently", "", "the coming days"])
def test_vague_expressions_are_null(text: str) -> None:
    """Vague time words resolve to null rather than to a guess."""
    assert resolve(text, TUESDAY) is None


def test_an_impossible_date_is_null() -> None:
    """30 February is no date at all."""
    assert resolve("February 30, 2023", TUESDAY) is None


def test_a_past_event_months_ahead_of_publication_is_last_year() -> None:
    """'Met in September' in a June story is last September, not this one."""
    published = date(2024, 6, 18)
    assert resolve("September", published, direction="past") == "2023-09"
    assert resolve("17 September", date(2021, 4, 14), direction="past") == "2020-09-17"


def test_a_future_event_months_behind_publication_is_next_year() -> None:
    """'The election will be held in November' in a February story is this November."""
    assert resolve("November", date(2020, 2, 14), direction="future") == "2020-11"
    assert resolve("3 November", date(2020, 2, 14), direction="future") == "2020-11-03"


def test_near_dates_stay_closest_whatever_the_tense() -> None:
    """Within a month of publication, proximity wins: the tense guess is not trusted."""
    assert resolve("July 2", date(2024, 6, 28), direction="past") == "2024-07-02"
    assert resolve("June 20", date(2024, 7, 5), direction="future") == "2024-06-20"


@pytest.mark.parametrize(
    ("text", "published", "expected"),
    [
        ("last August", date(2025, 3, 13), "2024-08"),
        ("last August", date(2025, 8, 20), "2024-08"),
        ("last August", date(2025, 9, 1), "2025-08"),
        ("next March", date(2025, 3, 13), "2026-03"),
        ("next August", date(2025, 3, 13), "2025-08"),
    ],
)
def test_last_and_next_month_names_skip_the_month_of_publication(
    text: str, published: date, expected: str
) -> None:
    """'Last August' is the nearest August strictly before the month of publication."""
    assert resolve(text, published) == expected
