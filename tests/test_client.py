"""The model client against a real HTTP server: transport retries, re-asks, classification."""

from __future__ import annotations

import time

import pytest

from summarize.client import ModelClient
from summarize.errors import ConfigError, InvalidAnswer, ProviderError
from summarize.loopback import LoopbackServer, QueueResponder, Reply, Request
from summarize.modelconfig import ModelConfig, RetryPolicy
from summarize.schema import Extraction
from tests.conftest import extraction

MESSAGES = [{"role": "system", "content": "brief it"}, {"role": "user", "content": "story"}]
SLOW_DOWN = {"error": {"message": "rate limited", "type": "rate_limit"}}


def test_a_429_with_retry_after_is_waited_out_then_succeeds(
    client: ModelClient, queue: QueueResponder
) -> None:
    """A 429 carrying Retry-After: 1 is retried after about one second, not sooner."""
    queue.push(Reply(status=429, headers={"Retry-After": "1"}, body=SLOW_DOWN), extraction())
    started = time.monotonic()
    result, record = client.extract(MESSAGES, Extraction, label="a.txt")
    assert time.monotonic() - started >= 0.95
    assert result.threats[0].issuer == "United States"
    assert record.outcomes == ["http 429", "ok"]
    assert record.attempts == 2


def test_a_schema_invalid_answer_is_re_asked_with_the_error(
    client: ModelClient, queue: QueueResponder, server: LoopbackServer
) -> None:
    """An answer missing a required field is re-asked, and the re-ask names the error."""
    broken = extraction()
    del broken["threats"][0]["evidence"]
    queue.push(broken, extraction())
    result, record = client.extract(MESSAGES, Extraction, label="a.txt")
    assert result.threats[0].evidence
    assert record.outcomes == ["invalid answer", "ok"]
    reask = server.requests[1].prompt_text
    assert "evidence" in reask
    assert "Field required" in reask


@pytest.mark.parametrize("status", [500, 502, 503])
def test_server_errors_are_retried(client: ModelClient, queue: QueueResponder, status: int) -> None:
    """5xx answers are transient: retried with backoff until one succeeds."""
    queue.push(Reply(status=status, body={"error": {"message": "boom"}}), extraction())
    _, record = client.extract(MESSAGES, Extraction, label="a.txt")
    assert record.outcomes == [f"http {status}", "ok"]


def test_a_dropped_connection_is_retried(client: ModelClient, queue: QueueResponder) -> None:
    """A connection closed without an answer is retried."""
    queue.push(Reply(drop=True), extraction())
    _, record = client.extract(MESSAGES, Extraction, label="a.txt")
    assert record.outcomes == ["connection error", "ok"]


def test_a_body_that_is_not_json_is_retried(client: ModelClient, queue: QueueResponder) -> None:
    """A 200 whose body is not JSON is treated as a transient glitch."""
    queue.push(Reply(body=b"<html>gateway</html>"), extraction())
    _, record = client.extract(MESSAGES, Extraction, label="a.txt")
    assert record.outcomes == ["malformed response", "ok"]


def test_transport_retries_are_bounded_and_end_in_a_named_provider_error(
    client: ModelClient, queue: QueueResponder, server: LoopbackServer
) -> None:
    """Endless 503s stop after max_attempts with a one-line error naming the input."""
    queue.push(*[Reply(status=503, body={"error": {"message": "down"}})] * 10)
    with pytest.raises(ProviderError) as caught:
        client.extract(MESSAGES, Extraction, label="a.txt")
    assert len(server.requests) == 4  # FAST_RETRIES.max_attempts
    assert caught.value.attempts == 4
    assert str(caught.value).startswith("a.txt: ")
    assert "HTTP 503" in str(caught.value)


def test_re_asks_are_bounded_and_end_in_invalid_answer(
    client: ModelClient, queue: QueueResponder, server: LoopbackServer
) -> None:
    """An answer that never validates fails after 1 + max_reasks attempts."""
    queue.push(*[{"summary": "only this"}] * 5)
    with pytest.raises(InvalidAnswer) as caught:
        client.extract(MESSAGES, Extraction, label="a.txt")
    assert len(server.requests) == 3
    assert "did not match the brief schema after 3 attempt(s)" in str(caught.value)


def test_an_unknown_model_is_not_retried(
    client: ModelClient, queue: QueueResponder, server: LoopbackServer
) -> None:
    """A 404 for the model fails at once and says to check --model."""
    queue.push(Reply(status=404, body={"error": {"message": "model not found"}}))
    with pytest.raises(ProviderError, match="check --model"):
        client.extract(MESSAGES, Extraction, label="a.txt")
    assert len(server.requests) == 1


def test_retries_stop_when_the_time_budget_is_spent(
    server: LoopbackServer, queue: QueueResponder
) -> None:
    """A Retry-After longer than the remaining budget ends the retries early."""
    policy = RetryPolicy(max_attempts=10, max_seconds=1.0, initial_wait=0.01, max_wait=5)
    config = ModelConfig(model="m", base_url=server.url, api_key="k", retry=policy)
    queue.push(*[Reply(status=429, headers={"Retry-After": "3"}, body=SLOW_DOWN)] * 10)
    client = ModelClient(config)
    started = time.monotonic()
    with pytest.raises(ProviderError):
        client.extract(MESSAGES, Extraction, label="a.txt")
    assert time.monotonic() - started < 2
    assert len(server.requests) == 1


@pytest.mark.parametrize(
    ("mode", "expect_tools", "expect_format"),
    [("tools", True, None), ("json_schema", False, "json_schema"), ("json", False, "json_object")],
)
def test_each_structured_output_mode_sends_its_own_request_shape(
    server: LoopbackServer,
    queue: QueueResponder,
    mode: str,
    expect_tools: bool,
    expect_format: str | None,
) -> None:
    """The mode decides whether the schema travels as a tool or as a response_format."""
    queue.push(extraction())
    client = ModelClient(ModelConfig(model="m", base_url=server.url, api_key="k", mode=mode))
    result, _ = client.extract(MESSAGES, Extraction, label="a.txt")
    body = server.requests[0].json()
    assert ("tools" in body) is expect_tools
    assert (body.get("response_format") or {}).get("type") == expect_format
    assert result.summary


def test_the_default_mode_is_tools_for_openai_and_json_schema_elsewhere() -> None:
    """OpenAI gets tool calls; compatible servers get schema-constrained JSON."""
    assert ModelConfig(model="gpt-4o-mini", api_key="k").resolved_mode == "tools"
    local = ModelConfig(model="llama3", base_url="http://localhost:11434/v1")
    assert local.provider == "ollama"
    assert local.resolved_mode == "json_schema"


def test_configuration_comes_from_flags_then_environment() -> None:
    """Flags win over SUMMARIZE_MODEL / OPENAI_BASE_URL / OPENAI_API_KEY."""
    env = {"SUMMARIZE_MODEL": "env-model", "OPENAI_BASE_URL": "http://h:1/v1"}
    assert ModelConfig.from_env(environ=env).model == "env-model"
    assert ModelConfig.from_env(model="flag-model", environ=env).model == "flag-model"
    assert ModelConfig.from_env(environ={"OPENAI_API_KEY": "k"}).model == "gpt-4o-mini"


def test_no_model_configured_names_every_way_to_configure_one() -> None:
    """The error lists OPENAI_API_KEY, OPENAI_BASE_URL/--base-url and SUMMARIZE_MODEL/--model."""
    with pytest.raises(ConfigError) as caught:
        ModelConfig.from_env(environ={})
    for way in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "--base-url", "SUMMARIZE_MODEL", "--model"):
        assert way in str(caught.value)


def test_a_malformed_base_url_is_a_config_error() -> None:
    """A base URL without scheme or host is refused with an example of a good one."""
    with pytest.raises(ConfigError, match="http://localhost:11434/v1"):
        ModelConfig(model="m", base_url="localhost:11434")


def test_the_api_key_is_not_in_the_config_repr() -> None:
    """Printing a config never shows its key."""
    assert "sk-secret" not in repr(ModelConfig(model="m", api_key="sk-secret"))


@pytest.mark.parametrize("mode", ["tools", "json_schema"])
def test_the_schema_the_server_sees_is_the_models_own_on_every_request(
    server: LoopbackServer, queue: QueueResponder, mode: str
) -> None:
    """Building instructor's wrapper once changes nothing on the wire: same name, same
    schema, request after request, and the answer is still an Extraction."""
    queue.push(extraction(), extraction())
    client = ModelClient(ModelConfig(model="m", base_url=server.url, api_key="k", mode=mode))
    results = [client.extract(MESSAGES, Extraction, label="a.txt")[0] for _ in range(2)]
    assert all(isinstance(result, Extraction) for result in results)
    own = Extraction.model_json_schema()
    for request in server.requests:
        body = request.json()
        if mode == "tools":
            [tool] = body["tools"]
            assert tool["function"]["name"] == "Extraction"
            sent = tool["function"]["parameters"]
            assert sent["properties"] == own["properties"]
            assert sorted(sent["required"]) == sorted(own["required"])
            assert sent["$defs"] == own["$defs"]
        else:
            assert body["response_format"]["json_schema"]["schema"] == own


def test_instructor_hooks_record_each_answer_as_it_arrives(
    client: ModelClient, queue: QueueResponder, server: LoopbackServer
) -> None:
    """instructor's `completion:response` and `parse:error` hooks fire on the real path:
    when the re-ask reaches the server, the first answer is already logged as invalid
    (not marked after the call), and every answer's tokens are counted."""
    from summarize.loopback import structured_reply
    from summarize.transport import CallRecord

    record = CallRecord()
    seen_at_reask: list[str] = []

    def valid_reply(request: Request) -> Reply:
        seen_at_reask.extend(record.outcomes)
        return structured_reply(request, extraction(), prompt_tokens=7, completion_tokens=3)

    queue.push({"summary": "only this"}, valid_reply)
    client._ask(MESSAGES, Extraction, record, label="a.txt")
    assert seen_at_reask == ["invalid answer"]
    assert record.outcomes == ["invalid answer", "ok"]
    assert (record.input_tokens, record.output_tokens) == (100 + 7, 50 + 3)


def test_answers_that_never_validate_are_each_logged_invalid_and_paid_for(
    client: ModelClient, queue: QueueResponder
) -> None:
    from summarize.transport import CallRecord

    queue.push(*[{"summary": "only this"}] * 3)
    record = CallRecord()
    with pytest.raises(InvalidAnswer):
        client._ask(MESSAGES, Extraction, record, label="a.txt")
    assert record.outcomes == ["invalid answer"] * 3
    assert (record.input_tokens, record.output_tokens) == (300, 150)


def test_an_answer_cut_off_at_the_token_limit_is_logged_invalid(
    client: ModelClient, queue: QueueResponder
) -> None:
    """instructor raises on finish_reason=length without a parse error: the answer was
    recorded as it arrived and is rejected when the call fails."""
    from summarize.loopback import structured_reply
    from summarize.transport import CallRecord

    queue.push(lambda request: structured_reply(request, extraction(), finish_reason="length"))
    record = CallRecord()
    with pytest.raises(InvalidAnswer, match="cut off"):
        client._ask(MESSAGES, Extraction, record, label="a.txt")
    assert record.outcomes == ["invalid answer"]
    assert record.input_tokens == 100


def test_the_response_model_is_prepared_once() -> None:
    """instructor would rebuild its wrapper class and JSON schema on every call (about
    half the client's CPU per call); `_prepared` builds it once per response model."""
    from summarize.client import _prepared
    from summarize.schema import Extraction

    assert _prepared(Extraction) is _prepared(Extraction)


def test_a_failed_call_carries_what_its_answers_cost(
    client: ModelClient, queue: QueueResponder, server: LoopbackServer
) -> None:
    """Three answers that never validate were paid for: the failure says how much, and a
    batch's token count (what --max-total-tokens spends against) includes them."""
    from summarize.batch import TokenCount
    from summarize.results import Failure

    queue.push(*[{"summary": "only this"}] * 3)
    with pytest.raises(InvalidAnswer) as caught:
        client.extract(MESSAGES, Extraction, label="a.txt")
    assert len(server.requests) == 3
    assert caught.value.input_tokens == 3 * 100  # the loopback's usage per answer
    assert caught.value.output_tokens > 0
    count = TokenCount()
    count.add(Failure.from_error(caught.value))
    assert (count.input, count.output) == (300, caught.value.output_tokens)


@pytest.mark.parametrize("mode", ["tools", "json_schema"])
def test_the_response_model_is_not_walked_or_prepared_again_per_call(
    server: LoopbackServer, queue: QueueResponder, monkeypatch: pytest.MonkeyPatch, mode: str
) -> None:
    """instructor's patched create walked the response model for async validators four
    times a call and prepared it again (a third of the client's CPU per call), and its
    retry loop walked it once more; now it is walked once, when it is first prepared.
    Spies wrap the real functions and count."""
    import instructor
    from instructor.v2.core import response_model
    from instructor.v2.validation import async_validators

    calls: list[str] = []

    def spy(module: object, name: str) -> None:
        real = getattr(module, name)

        def counted(*args: object, **kwargs: object) -> object:
            calls.append(name)
            return real(*args, **kwargs)

        monkeypatch.setattr(module, name, counted)

    spy(async_validators, "reject_async_validators")
    spy(response_model, "prepare_response_model")
    spy(instructor, "patch")
    client = ModelClient(ModelConfig(model="m", base_url=server.url, api_key="k", mode=mode))
    queue.push(extraction(), extraction(), extraction())
    client.extract(MESSAGES, Extraction, label="a.txt")  # the first call builds what it may
    calls.clear()
    for _ in range(2):
        result, _ = client.extract(MESSAGES, Extraction, label="a.txt")
        assert isinstance(result, Extraction)
    client.close()
    assert len(server.requests) == 3
    assert calls.count("reject_async_validators") == 0
    assert calls.count("prepare_response_model") == 0
    assert calls.count("patch") == 0


@pytest.mark.parametrize("mode", ["tools", "json_schema", "json", "md_json"])
def test_the_request_sent_is_the_one_instructors_patched_create_builds(
    server: LoopbackServer, queue: QueueResponder, mode: str
) -> None:
    """Calling instructor's retry loop with a request built from templates sends what
    instructor's patched create builds (`request_body` captures that): same fields, same
    values, the schema in the messages where the mode puts it there."""
    queue.push(extraction())
    config = ModelConfig(model="m", base_url=server.url, api_key="k", mode=mode, max_tokens=900)
    client = ModelClient(config)
    client.extract(MESSAGES, Extraction, label="a.txt")
    [sent] = server.requests
    built = client.request_body(MESSAGES, Extraction)
    client.close()
    assert sent.json() == built
    assert sent.headers["authorization"] == "Bearer k"  # as create sends the key


@pytest.mark.parametrize("mode", ["tools", "json_schema", "json", "md_json"])
def test_the_bytes_posted_are_the_ones_chat_completions_create_posts(
    server: LoopbackServer, queue: QueueResponder, mode: str
) -> None:
    """The transport posts the request without `create`'s parameter transform: the body
    must still be what `create` sends (the same JSON; only the order of its top-level
    keys differs), with the same headers."""
    import openai

    queue.push(extraction(), extraction())
    config = ModelConfig(model="m", base_url=server.url, api_key="k", mode=mode, max_tokens=900)
    client = ModelClient(config)
    client.extract(MESSAGES, Extraction, label="a.txt")
    built = client.request_body(MESSAGES, Extraction)
    client.close()
    plain = openai.OpenAI(api_key="k", base_url=server.url, max_retries=0)
    plain.chat.completions.create(**built)
    plain.close()
    ours, theirs = server.requests
    assert ours.json() == theirs.json()
    assert len(ours.body) == len(theirs.body)
    for header in ("authorization", "content-type", "accept", "content-length"):
        assert ours.headers[header] == theirs.headers[header]
