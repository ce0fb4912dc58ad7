"""The attempt record: each transition the pipeline names, and the log it writes."""

from __future__ import annotations

from types import SimpleNamespace

from summarize.failures import MalformedResponse
from summarize.transport import Attempt, CallRecord, Outcome

USAGE = SimpleNamespace(prompt_tokens=100, completion_tokens=20)


def test_an_answer_counts_its_tokens_and_reads_ok() -> None:
    record = CallRecord()
    record.answered(USAGE)
    record.answered(None)  # a server that reports no usage
    assert record.outcomes == ["ok", "ok"]
    assert (record.input_tokens, record.output_tokens, record.attempts) == (100, 20, 2)


def test_a_rejected_answer_becomes_invalid_and_keeps_its_tokens() -> None:
    record = CallRecord()
    record.answered(USAGE)
    record.reject_answer()
    record.answered(USAGE)
    assert record.outcomes == ["invalid answer", "ok"]
    assert record.input_tokens == 200


def test_only_an_answer_can_be_rejected_or_found_ungrounded() -> None:
    """After a transport failure or a refusal there is no answer: nothing changes."""
    record = CallRecord()
    record.failed(MalformedResponse("not JSON"))
    record.reject_answer()
    record.ungrounded()
    record.refused()
    record.reject_answer()
    record.ungrounded()
    assert record.outcomes == ["malformed response", "refused"]
    assert record.attempts == 2


def test_an_answer_rejected_twice_stays_invalid_not_ungrounded() -> None:
    record = CallRecord()
    record.answered(USAGE)
    record.reject_answer()
    record.ungrounded()
    assert record.outcomes == ["invalid answer"]


def test_an_ungrounded_answer_then_a_failed_re_ask() -> None:
    record = CallRecord()
    record.answered(USAGE)
    record.ungrounded()
    record.reask_failed("invalid_answer", input_tokens=300, output_tokens=150)
    assert record.outcomes == ["ungrounded answer", "re-ask failed: invalid_answer"]
    assert record.attempts == 2  # the failed re-ask made at least one request
    # what the failed re-ask's answers cost is spent all the same
    assert record.input_tokens == USAGE.prompt_tokens + 300
    assert record.output_tokens == USAGE.completion_tokens + 150


def test_a_cached_answer_made_no_request_and_carries_its_original_cost() -> None:
    record = CallRecord()
    record.from_cache(1234, 56)
    assert record.cached
    assert record.outcomes == ["cached"]
    assert record.attempts == 0
    assert (record.input_tokens, record.output_tokens) == (1234, 56)


def test_absorbing_a_re_ask_adds_its_attempts_and_tokens() -> None:
    first, later = CallRecord(), CallRecord()
    first.from_cache(10, 1)
    later.answered(USAGE)
    first.absorb(later)
    assert first.outcomes == ["cached", "ok"]
    assert not first.cached  # the re-ask was paid for
    assert (first.input_tokens, first.output_tokens, first.attempts) == (110, 21, 1)


def test_transport_failures_are_labelled_by_what_went_wrong() -> None:
    class Status(Exception):
        status_code = 503

    class APITimeoutError(Exception):
        pass

    record = CallRecord()
    record.failed(Status())
    record.failed(APITimeoutError())
    assert record.outcomes == ["http 503", "timeout"]
    assert record.attempt_log[0] == Attempt(Outcome.FAILED, "http 503")
