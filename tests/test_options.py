"""How an article is briefed travels apart from the model: `BriefOptions`."""

from __future__ import annotations

import pytest

from summarize.articles import read_file
from summarize.client import ModelClient
from summarize.loopback import LoopbackServer, QueueResponder
from summarize.options import BriefOptions
from summarize.pipeline import brief_article, plan_chunks
from summarize.prompts import load_prompt
from tests.conftest import SEED_000, extraction

PARAGRAPH = "The minister said the army would strike if the talks failed by Friday."


def test_plan_chunks_takes_the_budget_from_the_options_and_counts_with_the_model() -> None:
    """No model config at all: the options say the budget and the chunk limit, and the
    counter passed in (here one token per character) decides what fits."""
    text = "\n\n".join([PARAGRAPH] * 40)
    options = BriefOptions(max_input_tokens=600, max_chunks=3)
    chunks, warning = plan_chunks(text, options, count=len)
    assert len(chunks) == 3
    assert all(len(chunk) <= 600 for chunk in chunks)
    assert warning is not None
    assert "only the first 3 chunks of at most 600 tokens were sent" in warning
    # The same text fits whole under a counter that makes fewer tokens of it.
    assert plan_chunks(text, options, count=lambda t: len(t) // 10) == ([text], None)


def test_a_model_caps_the_budget_without_changing_the_options_asked_for() -> None:
    asked = BriefOptions(max_input_tokens=16_000, max_chunks=4)
    assert asked.within(5_632) == BriefOptions(max_input_tokens=5_632, max_chunks=4)
    assert asked.within(None) is asked
    assert asked.within(20_000) is asked
    assert asked.max_input_tokens == 16_000


@pytest.mark.parametrize("regrounds", [0, 1])
def test_grounding_re_asks_are_bounded_by_the_options(
    client: ModelClient, queue: QueueResponder, server: LoopbackServer, regrounds: int
) -> None:
    """An answer quoting what the article does not say is re-asked `max_regrounds` times."""
    invented = extraction()
    invented["threats"][0]["evidence"] = ["A sentence the article never had."]
    queue.push(*[invented] * 3)
    options = BriefOptions(max_regrounds=regrounds)
    brief = brief_article(read_file(SEED_000), client, load_prompt(), options)
    assert len(server.requests) == 1 + regrounds
    assert brief.grounding is not None
    assert not brief.grounding.grounded
