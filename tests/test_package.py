"""The library's top-level names: every one in `__all__` loads, and each word means one thing."""

from __future__ import annotations

import datetime

import pytest

import summarize


def test_every_exported_name_loads() -> None:
    for name in summarize.__all__:
        assert getattr(summarize, name) is not None, name


def test_resolve_date_is_the_date_resolver_and_the_old_name_warns() -> None:
    from summarize.dates import resolve as dates_resolve

    assert summarize.resolve_date is dates_resolve
    with pytest.warns(DeprecationWarning, match=r"providers\.resolve"):
        old = summarize.resolve
    assert old is dates_resolve
    assert "resolve" not in summarize.__all__


def test_an_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no_such_name"):
        _ = summarize.no_such_name  # type: ignore[attr-defined]


def test_resolve_date_works_from_the_top_level() -> None:
    resolved = summarize.resolve_date("March 18", datetime.date(2025, 3, 13), direction="future")
    assert resolved == "2025-03-18"
