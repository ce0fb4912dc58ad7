"""Token counts for the input budget: the real cl100k_base tokenizer, loaded only when needed."""

from __future__ import annotations

import pytest

from summarize import tokens
from summarize.errors import ConfigError
from summarize.options import BriefOptions
from summarize.pipeline import plan_chunks
from summarize.tokens import count_tokens, fits
from tests.test_chunking import long_article


def test_counts_are_cl100k_base_counts() -> None:
    """The bundled table is cl100k_base: known strings count as OpenAI's tokenizer counts them."""
    assert count_tokens("hello world") == 2
    assert count_tokens("tiktoken is great!") == 6
    assert count_tokens("") == 0


def test_special_token_markup_in_an_article_counts_as_text() -> None:
    """An article that contains '<|endoftext|>' is counted, not rejected."""
    assert count_tokens("before <|endoftext|> after") > 3


def test_short_text_fits_without_loading_the_tokenizer() -> None:
    """Text of at most `budget` bytes fits by its length alone; the table is never loaded."""
    tokens._encoding.cache_clear()
    assert fits("word " * 200, 1000)
    assert tokens._encoding.cache_info().currsize == 0
    assert not fits("word " * 2000, 1000)
    assert tokens._encoding.cache_info().currsize == 1


def test_every_chunk_of_a_long_article_counts_within_the_budget() -> None:
    """Four real stories at a 1,000-token budget: every chunk sent is at most 1,000 tokens."""
    chunks, warning = plan_chunks(long_article(), BriefOptions(max_input_tokens=1000))
    assert len(chunks) > 3
    assert all(count_tokens(chunk) <= 1000 for chunk in chunks)
    assert max(count_tokens(chunk) for chunk in chunks) > 800  # the budget is used, not wasted
    assert warning == f"article split into {len(chunks)} chunks of at most 1,000 tokens, merged"


def test_dense_text_is_cut_into_more_chunks_than_prose_of_the_same_length() -> None:
    """Digits pack fewer characters into a token, so the same length needs more chunks."""
    config = BriefOptions(max_input_tokens=1000, max_chunks=100)
    prose = long_article()
    figures = "\n\n".join(
        " ".join(f"{n * 7919 % 100000:05d}" for n in range(start, start + 60))
        for start in range(0, len(prose) // 6, 60)
    )[: len(prose)]
    prose_chunks, _ = plan_chunks(prose, config)
    figure_chunks, _ = plan_chunks(figures, config)
    assert len(figure_chunks) > len(prose_chunks)
    assert all(count_tokens(chunk) <= 1000 for chunk in figure_chunks)


def test_a_table_that_is_not_cl100k_base_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    """A table whose SHA-256 is not tiktoken's for cl100k_base is a ConfigError, not a count."""
    monkeypatch.setattr(tokens, "TABLE_SHA256", "0" * 64)
    tokens._encoding.cache_clear()
    with pytest.raises(ConfigError, match="is not tiktoken's cl100k_base table; reinstall"):
        count_tokens("hello world")
    monkeypatch.undo()
    tokens._encoding.cache_clear()
    assert count_tokens("hello world") == 2
