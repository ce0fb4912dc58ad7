"""Grounding: quotes and conditions not in the article are re-asked, then flagged, never hidden."""

from __future__ import annotations

import json
from typing import Any

from rich.console import Console

from summarize.articles import read_file
from summarize.client import ModelClient
from summarize.loopback import LoopbackServer, QueueResponder, Reply
from summarize.options import BriefOptions
from summarize.pipeline import brief_article
from summarize.prompts import load_prompt
from summarize.render import print_brief
from tests.conftest import SEED_000, extraction

INVENTED = "The United States will sanction Pyongyang next week."


def with_evidence(*quotes: str, conditions: tuple[str, ...] = ()) -> dict[str, Any]:
    threat = {
        **extraction()["threats"][0],
        "evidence": list(quotes),
        "conditions": list(conditions),
    }
    return extraction(threats=[threat])


def last_message(server: LoopbackServer) -> str:
    messages = server.requests[-1].json()["messages"]
    return str(messages[-1]["content"])


def test_an_invented_quote_is_re_asked_by_name_and_the_fixed_answer_is_grounded(
    client: ModelClient, server: LoopbackServer, queue: QueueResponder
) -> None:
    """The re-ask names the quote that is not in the article; the corrected brief is grounded."""
    queue.push(
        with_evidence(INVENTED), with_evidence("We will not hesitate to do so in the future.")
    )
    brief = brief_article(read_file(SEED_000), client, load_prompt(), BriefOptions())
    assert len(server.requests) == 2
    assert INVENTED in last_message(server)
    assert "word for word" in last_message(server)
    assert brief.grounding is not None
    assert brief.grounding.grounded
    assert brief.run.attempt_log == ["ungrounded answer", "ok"]  # type: ignore[attr-defined]
    assert brief.run.input_tokens == 200  # both calls are paid for


def test_an_answer_that_stays_ungrounded_is_kept_and_flagged_after_the_bound(
    client: ModelClient, server: LoopbackServer, queue: QueueResponder
) -> None:
    """After max_regrounds re-asks the brief is kept, marked ungrounded, the item listed."""
    queue.push(*[with_evidence(INVENTED)] * 3)
    brief = brief_article(read_file(SEED_000), client, load_prompt(), BriefOptions())
    assert len(server.requests) == 1 + BriefOptions().max_regrounds
    assert brief.grounding is not None
    assert not brief.grounding.grounded
    assert brief.grounding.ungrounded == [INVENTED]
    assert brief.threats[0].evidence == [INVENTED]  # not silently dropped either


def test_a_condition_must_be_a_span_of_the_article_but_its_case_may_differ(
    client: ModelClient, server: LoopbackServer, queue: QueueResponder
) -> None:
    """'If necessary' passes as a condition; a paraphrased trigger is re-asked."""
    quote = "We will not hesitate to do so in the future."
    queue.push(
        with_evidence(quote, conditions=("should Russia buy more arms",)),
        with_evidence(quote, conditions=("If necessary",)),
    )
    brief = brief_article(read_file(SEED_000), client, load_prompt(), BriefOptions())
    assert "should Russia buy more arms" in last_message(server)
    assert brief.grounding is not None
    assert brief.grounding.grounded
    assert brief.threats[0].conditions == ["If necessary"]


def test_a_failed_re_ask_keeps_the_answer_in_hand_flagged(
    client: ModelClient, server: LoopbackServer, queue: QueueResponder
) -> None:
    """If the re-ask itself fails (the provider is down), the first answer stands, flagged."""
    down = Reply(status=503, body={"error": {"message": "down"}})
    queue.push(with_evidence(INVENTED), *[down] * client.config.retry.max_attempts)
    brief = brief_article(read_file(SEED_000), client, load_prompt(), BriefOptions())
    assert brief.grounding is not None
    assert not brief.grounding.grounded
    assert brief.run.attempt_log[-1] == "re-ask failed: provider"  # type: ignore[attr-defined]


def test_an_ungrounded_brief_is_shown_as_unverified_in_the_terminal(
    client: ModelClient, queue: QueueResponder
) -> None:
    """The terminal view names the quotes it could not find in the article."""
    queue.push(*[with_evidence(INVENTED)] * 3)
    brief = brief_article(read_file(SEED_000), client, load_prompt(), BriefOptions())
    console = Console(record=True, width=200)
    print_brief(console, brief)
    text = console.export_text()
    assert "unverified" in text.lower()
    assert INVENTED in text
    assert json.loads(brief.model_dump_json())["grounding"]["grounded"] is False
