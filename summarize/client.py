"""Talk to the model: `openai` for transport, `instructor` for structured output.

One retry layer per kind of failure, never stacked:

- transport failures (429, 408/409, 5xx, timeouts, dropped connections) are retried here
  with tenacity, per HTTP request, honouring `Retry-After`, with jittered exponential
  backoff bounded in attempts and in total time; the `openai` SDK's own retries are off;
- answers that fail the schema are re-asked by instructor, with the validation error fed
  back, a bounded number of times.

Every request passes one `AdaptiveLimit` gate, which learns from 429s how many requests
the provider admits at once, so a batch with more workers than that queues here rather
than burning its retries at the provider.

`openai` and `instructor` are imported when a `ModelClient` is built, not when this module
is, so `summarize --help` and `summarize clean` start without them.
"""

from __future__ import annotations

import functools
import json
import logging
import os
import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import urlsplit

from pydantic import BaseModel

from summarize.cache import CachedAnswer
from summarize.errors import ConfigError, InvalidAnswer, NoModelConfigured, ProviderError
from summarize.ratelimit import AdaptiveLimit

if TYPE_CHECKING:
    from tenacity import RetryCallState

    from summarize.cache import AnswerCache

ModelT = TypeVar("ModelT", bound=BaseModel)
log = logging.getLogger(__name__)  # request-level detail for --verbose; never a header

MODES = ("tools", "json_schema", "json", "md_json")
DEFAULT_OPENAI_MODEL = "gpt-4o-mini"
NO_KEY_PLACEHOLDER = "no-key"  # local servers need no key, but the SDK insists on one
TRANSIENT_STATUS = frozenset({408, 409, 429, 500, 502, 503, 504, 520, 522, 524, 529})

HOW_TO_CONFIGURE = (
    "no model configured. Set one of: OPENAI_API_KEY (uses OpenAI, model "
    f"{DEFAULT_OPENAI_MODEL} unless SUMMARIZE_MODEL or --model says otherwise); "
    "OPENAI_BASE_URL or --base-url for any OpenAI-compatible server (Ollama, vLLM, "
    "llama.cpp) together with SUMMARIZE_MODEL or --model"
)


@dataclass(frozen=True)
class RetryPolicy:
    """How hard to try. Transport retries are per HTTP request; re-asks per article."""

    max_attempts: int = 5
    max_seconds: float = 120.0
    initial_wait: float = 0.5
    max_wait: float = 30.0
    max_reasks: int = 2
    max_regrounds: int = 2  # re-asks naming quotes not in the article, per article


@dataclass(frozen=True)
class ModelConfig:
    """Which model to call, where, and how. `api_key` never appears in repr or exports."""

    model: str
    base_url: str | None = None
    api_key: str | None = field(default=None, repr=False)
    mode: str | None = None
    timeout: float = 60.0
    temperature: float = 0.0
    max_tokens: int | None = None
    max_input_tokens: int = 16_000  # longer articles are split into chunks (summarize.chunking)
    max_chunks: int = 8  # past this many chunks the rest is left out, with a warning
    # For providers started in-process (summarize.providers): their name, and the stable
    # identity that stands for their ever-changing loopback port in cache keys.
    provider_name: str | None = None
    endpoint_id: str | None = None
    # The provider's own token count where it has one (llama.cpp's /tokenize); without
    # it the input budget is counted with cl100k_base (summarize.tokens).
    count_tokens: Callable[[str], int] | None = field(default=None, repr=False, compare=False)
    retry: RetryPolicy = field(default_factory=RetryPolicy)

    def __post_init__(self) -> None:
        if self.mode is not None and self.mode not in MODES:
            raise ConfigError(f"--mode {self.mode!r} is not one of: {', '.join(MODES)}")
        if self.base_url is not None:
            parts = urlsplit(self.base_url)
            if parts.scheme not in ("http", "https") or not parts.netloc:
                raise ConfigError(
                    f"base URL {self.base_url!r} is not an http(s) URL; "
                    "write it like http://localhost:11434/v1"
                )

    @classmethod
    def from_env(
        cls,
        *,
        model: str | None = None,
        base_url: str | None = None,
        api_key: str | None = None,
        environ: Mapping[str, str] | None = None,
        **options: Any,
    ) -> ModelConfig:
        """Flags win over the environment: SUMMARIZE_MODEL, OPENAI_BASE_URL, OPENAI_API_KEY."""
        env = os.environ if environ is None else environ
        model = model or env.get("SUMMARIZE_MODEL") or None
        base_url = base_url or env.get("OPENAI_BASE_URL") or None
        api_key = api_key or env.get("OPENAI_API_KEY") or None
        if model is None and base_url is None and api_key is not None:
            model = DEFAULT_OPENAI_MODEL
        if model is None:
            if base_url is not None:
                raise ConfigError(
                    f"a base URL is set ({base_url}) but no model; "
                    "name one with --model or SUMMARIZE_MODEL"
                )
            raise NoModelConfigured(HOW_TO_CONFIGURE)
        if base_url is None and api_key is None:
            raise ConfigError(
                f"model {model!r} is set but there is no endpoint: set OPENAI_API_KEY for "
                "OpenAI, or OPENAI_BASE_URL / --base-url for an OpenAI-compatible server"
            )
        return cls(model=model, base_url=base_url, api_key=api_key, **options)

    @property
    def provider(self) -> str:
        if self.provider_name:
            return self.provider_name
        host = urlsplit(self.base_url).hostname or "" if self.base_url else "api.openai.com"
        if host.endswith("openai.com"):
            return "openai"
        if "ollama" in host or (self.base_url or "").rstrip("/").endswith(":11434/v1"):
            return "ollama"
        return "openai-compatible"

    @property
    def endpoint(self) -> str:
        return self.base_url or "https://api.openai.com/v1"

    @property
    def endpoint_key(self) -> str:
        """The endpoint as cache keys and `run.endpoint` name it: an in-process
        provider's stable identity, else the base URL in its one normalised spelling."""
        from summarize.endpoints import endpoint_identity

        return self.endpoint_id or endpoint_identity(self.endpoint)

    def request_identity(
        self, messages: list[dict[str, Any]], response_model: type[BaseModel]
    ) -> dict[str, Any]:
        """Everything that determines the answer to a request: the cache key's ingredients.
        Never the API key: it changes who pays, not what the model says."""
        return {
            "endpoint": self.endpoint_key,
            "model": self.model,
            "mode": self.resolved_mode,
            "temperature": self.temperature,
            "max_tokens": self.max_tokens,
            "schema": _schema_of(response_model),
            "messages": messages,
        }

    @property
    def resolved_mode(self) -> str:
        """Tool calls for OpenAI itself; JSON-schema output for compatible servers, which
        (vLLM, llama.cpp, Ollama) constrain decoding to a schema but vary in tool support."""
        if self.mode is not None:
            return self.mode
        return "tools" if self.provider == "openai" else "json_schema"


@dataclass
class CallRecord:
    """What one structured call cost and how it went, attempt by attempt."""

    outcomes: list[str] = field(default_factory=list)
    input_tokens: int = 0
    output_tokens: int = 0
    cache_key: str | None = None
    cached: bool = False  # answered from the cache: the tokens were spent on an earlier run

    def absorb(self, later: CallRecord) -> None:
        """Add a follow-up call of the same article (a re-ask) to this record."""
        self.outcomes += later.outcomes
        self.input_tokens += later.input_tokens
        self.output_tokens += later.output_tokens
        self.cached = self.cached and later.cached

    @property
    def attempts(self) -> int:
        """HTTP requests made; an answer from the cache made none."""
        return sum(outcome != "cached" for outcome in self.outcomes)


class MalformedResponse(Exception):
    """A 200 answer that is not a usable chat completion: not JSON, or no choices.

    Internal: treated as transient (a proxy glitch more often than not) and, once retries
    are spent, reported as a ProviderError.
    """


def retry_after_seconds(error: BaseException) -> float | None:
    """The server's requested wait (Retry-After / retry-after-ms), if it gave one."""
    response = getattr(error, "response", None)
    headers = getattr(response, "headers", None)
    if headers is None:
        return None
    if (ms := headers.get("retry-after-ms")) is not None:
        try:
            return max(float(ms) / 1000, 0.0)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if value is None:
        return None
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        from datetime import UTC, datetime

        return max((parsedate_to_datetime(value) - datetime.now(UTC)).total_seconds(), 0.0)
    except (TypeError, ValueError):
        return None


def _usage_line(response: Any) -> str:
    usage = getattr(response, "usage", None)
    if usage is None:
        return "unknown"
    return f"{usage.prompt_tokens or 0} in + {usage.completion_tokens or 0} out"


class Pending(Exception):
    """A request whose answer is not in hand yet: it waits for a (follow-up) batch."""

    def __init__(self, messages: list[dict[str, Any]], key: str) -> None:
        super().__init__(key)
        self.messages = messages
        self.key = key


class _Captured(Exception):
    """Raised in place of sending, once `request_body` holds the request."""


class Refused(Exception):
    """The model declined to answer (the API's `refusal` field). Not retried: asking the
    same thing again gets the same refusal."""


def _refusal(response: Any) -> str | None:
    message = getattr(response.choices[0], "message", None)
    refusal = getattr(message, "refusal", None)
    return str(refusal) if refusal else None


def describe_failure(error: BaseException) -> str:
    """A short label for one failed attempt, for `run.attempt_log`."""
    status = getattr(error, "status_code", None)
    if status is not None:
        return f"http {status}"
    if isinstance(error, MalformedResponse):
        return "malformed response"
    name = type(error).__name__
    return {"APITimeoutError": "timeout", "APIConnectionError": "connection error"}.get(name, name)


class ModelClient:
    """A configured model: one `openai` client, shared by every article of a run."""

    def __init__(self, config: ModelConfig, *, cache: AnswerCache | None = None) -> None:
        import instructor
        import openai

        # instructor logs every failed attempt at ERROR; we report failures ourselves, and
        # without a handler Python would print those records to the user's stderr.
        logging.getLogger("instructor").addHandler(logging.NullHandler())
        logging.getLogger("instructor").propagate = False
        self.config = config
        self.cache = cache
        self._gate = AdaptiveLimit()
        self._openai = openai
        self._instructor = instructor
        self._mode = {
            "tools": instructor.Mode.TOOLS,
            "json_schema": instructor.Mode.JSON_SCHEMA,
            "json": instructor.Mode.JSON,
            "md_json": instructor.Mode.MD_JSON,
        }[config.resolved_mode]
        self._client = openai.OpenAI(
            api_key=config.api_key or NO_KEY_PLACEHOLDER,
            base_url=config.endpoint,
            timeout=config.timeout,
            max_retries=0,  # transport retries happen once, here, with tenacity
        )

    def close(self) -> None:
        self._client.close()

    def _is_transient(self, error: BaseException) -> bool:
        if isinstance(error, MalformedResponse | self._openai.APIConnectionError):
            return True  # APIConnectionError includes timeouts
        return isinstance(error, self._openai.APIStatusError) and (
            error.status_code in TRANSIENT_STATUS
        )

    def _wait(self, state: RetryCallState) -> float:
        policy = self.config.retry
        error = state.outcome.exception() if state.outcome else None
        requested = retry_after_seconds(error) if error else None
        if requested is not None:
            return min(requested, policy.max_wait)
        ceiling = min(policy.max_wait, policy.initial_wait * 2 ** (state.attempt_number - 1))
        return random.uniform(0, ceiling)  # noqa: S311 - jitter, not cryptography

    def _sender(self, record: CallRecord) -> Any:
        """The raw `create`, wrapped in the transport retry loop, recording each attempt."""
        from tenacity import (
            Retrying,
            retry_if_exception,
            stop_after_attempt,
            stop_before_delay,
        )

        policy = self.config.retry

        def send(**kwargs: Any) -> Any:
            retrying = Retrying(
                stop=stop_after_attempt(policy.max_attempts)
                | stop_before_delay(policy.max_seconds),
                wait=self._wait,
                retry=retry_if_exception(self._is_transient),
                reraise=True,
            )
            for attempt in retrying:
                with attempt:
                    log.info(
                        "POST %s/chat/completions model=%s attempt %d",
                        self.config.endpoint.rstrip("/"),
                        self.config.model,
                        len(record.outcomes) + 1,
                    )
                    try:
                        response = self._create(**kwargs)
                        if not getattr(response, "choices", None):
                            raise MalformedResponse("the answer has no choices")
                    except ValueError as error:  # the SDK's JSONDecodeError on a non-JSON body
                        record.outcomes.append("malformed response")
                        raise MalformedResponse(f"the answer is not JSON ({error})") from error
                    except (MalformedResponse, self._openai.APIError) as error:
                        record.outcomes.append(describe_failure(error))
                        log.info("failed: %s", redact(describe_failure(error), self.config.api_key))
                        raise
                    if refusal := _refusal(response):
                        record.outcomes.append("refused")
                        raise Refused(refusal)
                    record.outcomes.append("ok")
                    log.info("answered: %s tokens", _usage_line(response))
                    usage = getattr(response, "usage", None)
                    if usage is not None:
                        record.input_tokens += usage.prompt_tokens or 0
                        record.output_tokens += usage.completion_tokens or 0
                    return response
            raise AssertionError("unreachable: tenacity reraises the last error")

        return send

    def _create(self, **kwargs: Any) -> Any:
        """One HTTP request, through the gate that learns the provider's concurrency."""
        self._gate.acquire()
        throttled = False
        try:
            return self._client.chat.completions.create(**kwargs)
        except self._openai.RateLimitError:
            throttled = True
            raise
        finally:
            self._gate.release(throttled=throttled)

    def extract(
        self, messages: list[dict[str, str]], response_model: type[ModelT], *, label: str
    ) -> tuple[ModelT, CallRecord]:
        """Ask for `response_model`; raise ArticleFailed subclasses naming `label`.

        With a cache, a stored answer to the same request is returned without a call."""
        record = CallRecord(cache_key=self.key_for(messages, response_model))
        if (hit := self._cached(record, response_model)) is not None:
            return hit, record
        result = self._ask(messages, response_model, record, label=label)
        self._store(record, result)
        return result, record

    def cached(
        self,
        messages: list[dict[str, str]],
        response_model: type[ModelT],
        *,
        key: str | None = None,
    ) -> tuple[ModelT, CallRecord] | None:
        """The cached answer to these messages, as `extract` would return it, or None.
        `key`, when the caller has it, is `key_for(messages, response_model)`."""
        record = CallRecord(cache_key=key or self.key_for(messages, response_model))
        hit = self._cached(record, response_model)
        return None if hit is None else (hit, record)

    def request_body(
        self, messages: list[dict[str, str]], response_model: type[BaseModel]
    ) -> dict[str, Any]:
        """The chat-completions body `extract` would send first for `messages`, built by
        the same instructor call and captured instead of sent (for provider batch jobs)."""
        captured: dict[str, Any] = {}

        def capture(**kwargs: Any) -> Any:
            captured.update(kwargs)
            raise _Captured

        structured = self._instructor.patch(create=capture, mode=self._mode)
        try:
            structured(
                model=self.config.model,
                messages=messages,
                response_model=_prepared(response_model),
                max_retries=0,
                **self._options(),
            )
        except Exception:
            if not captured:
                raise
        body: dict[str, Any] = json.loads(json.dumps(captured))  # plain JSON, detached
        return body

    def accept(
        self,
        messages: list[dict[str, str]],
        response_model: type[ModelT],
        answers: Callable[[str], dict[str, Any] | None],
        *,
        label: str,
        key: str | None = None,
        live_reasks: bool = True,
    ) -> tuple[ModelT, CallRecord]:
        """Take the answer obtained elsewhere (a provider batch job) to
        `request_body(messages)` through what `extract` does with a live answer: refusal
        and schema checks, re-asks with the validation error, the cache.

        `answers(key)` is the chat completion answering the request with cache key `key`,
        or None. Re-asks are sent live; with `live_reasks=False` each is looked up in
        `answers` too, and `Pending` names the first one that has no answer yet. `key`,
        when the caller has it, is `key_for(messages, response_model)`."""
        asking_key = key or self.key_for(messages, response_model)
        record = CallRecord(cache_key=asking_key)
        if (hit := self._cached(record, response_model)) is not None:
            return hit, record
        from instructor.processing import process_response
        from instructor.v2.core.errors import ResponseParsingError
        from pydantic import ValidationError

        reaskable = (ValidationError, json.JSONDecodeError, ResponseParsingError)
        asking: list[dict[str, Any]] = messages
        reasks_left = self.config.retry.max_reasks
        while True:
            answer = answers(asking_key)
            if answer is None:
                raise Pending(asking, asking_key)
            completion = self._completion(answer, record, label)
            try:
                result: ModelT = process_response(
                    completion,
                    response_model=_prepared(response_model),
                    stream=False,
                    strict=True,
                    mode=self._mode,
                )
                break
            except reaskable as error:
                record.outcomes[-1] = "invalid answer"
                if reasks_left < 1:
                    raise self._classify(error, record, label) from error
                reasks_left -= 1
                asking = self._follow_up(asking, response_model, completion, error)
                if live_reasks:
                    result = self._ask(
                        asking, response_model, record, label=label, max_reasks=reasks_left
                    )
                    break
                asking_key = self.key_for(asking, response_model)
            except Exception as error:  # cut off at the token limit, and the like: as live
                raise self._classify(error, record, label) from error
        self._store(record, result)
        return result, record

    def _completion(self, answer: dict[str, Any], record: CallRecord, label: str) -> Any:
        """`answer` as the SDK's ChatCompletion, its usage and outcome added to `record`."""
        try:
            completion = self._openai.types.chat.ChatCompletion.model_validate(answer)
            if not completion.choices:
                raise MalformedResponse("the answer has no choices")
        except ValueError as error:  # pydantic's ValidationError is a ValueError
            record.outcomes.append("malformed response")
            malformed = MalformedResponse(_first_line(str(error)))
            raise self._classify(malformed, record, label) from None
        if completion.usage is not None:
            record.input_tokens += completion.usage.prompt_tokens or 0
            record.output_tokens += completion.usage.completion_tokens or 0
        if refusal := _refusal(completion):
            record.outcomes.append("refused")
            raise self._classify(Refused(refusal), record, label)
        record.outcomes.append("ok")
        return completion

    def _follow_up(
        self,
        messages: list[dict[str, Any]],
        response_model: type[BaseModel],
        completion: Any,
        error: Exception,
    ) -> list[dict[str, Any]]:
        """`messages` with instructor's re-ask appended: the invalid answer, then the
        validation error, shaped as the mode wants them (tool results, or a user turn)."""
        from instructor.processing import handle_reask_kwargs

        sent = self.request_body(messages, response_model)
        asked = len(sent["messages"])  # instructor may append to the list it is given
        reask = handle_reask_kwargs(
            kwargs=sent, mode=self._mode, response=completion, exception=error
        )
        return [*messages, *reask["messages"][asked:]]

    def _options(self) -> dict[str, Any]:
        options: dict[str, Any] = {"temperature": self.config.temperature}
        if self.config.max_tokens is not None:
            options["max_tokens"] = self.config.max_tokens
        return options

    def _ask(
        self,
        messages: list[dict[str, Any]],
        response_model: type[ModelT],
        record: CallRecord,
        *,
        label: str,
        max_reasks: int | None = None,
    ) -> ModelT:
        """One structured call with instructor's re-asks, its outcomes added to `record`."""
        structured = self._instructor.patch(create=self._sender(record), mode=self._mode)
        try:
            result: ModelT = structured(
                model=self.config.model,
                messages=messages,
                response_model=_prepared(response_model),
                max_retries=self.config.retry.max_reasks if max_reasks is None else max_reasks,
                **self._options(),
            )
        except Exception as error:
            failure = self._classify(error, record, label)
            _mark_invalid_answers(record, last_was_valid=False)
            raise failure from error
        _mark_invalid_answers(record, last_was_valid=True)
        return result

    def _store(self, record: CallRecord, result: BaseModel) -> None:
        if self.cache is not None and record.cache_key is not None:
            stored = CachedAnswer(
                answer=result.model_dump(mode="json"),
                model=self.config.model,
                input_tokens=record.input_tokens,
                output_tokens=record.output_tokens,
            )
            self.cache.put(record.cache_key, stored)

    def key_for(self, messages: list[dict[str, Any]], response_model: type[BaseModel]) -> str:
        from summarize.cache import request_key

        return request_key(self.config.request_identity(messages, response_model))

    def _cached(self, record: CallRecord, response_model: type[ModelT]) -> ModelT | None:
        if self.cache is None or record.cache_key is None:
            return None
        hit = self.cache.get(record.cache_key)
        if hit is None:
            return None
        try:
            answer = response_model.model_validate(hit.answer)
        except ValueError:  # stored under an older schema with the same JSON: ask afresh
            return None
        record.cached = True
        record.outcomes.append("cached")
        record.input_tokens, record.output_tokens = hit.input_tokens, hit.output_tokens
        return answer

    def _classify(self, error: Exception, record: CallRecord, label: str) -> Exception:
        """The ArticleFailed to raise for `error`, its message scrubbed of the API key: a
        proxy that echoes request headers into an error body must not leak it."""
        failure = self._describe(error, record, label)
        failure.args = (redact(str(failure), self.config.api_key),)
        return failure

    def _describe(self, error: Exception, record: CallRecord, label: str) -> Exception:
        openai, attempts = self._openai, record.attempts
        cause: BaseException = error
        while isinstance(cause, self._instructor.core.InstructorRetryException) and cause.__cause__:
            cause = cause.__cause__
        where = self.config.endpoint
        if isinstance(cause, self._instructor.core.IncompleteOutputException):
            return InvalidAnswer(
                f"{label}: the model's answer was cut off at its token limit "
                "(finish_reason=length); raise --max-tokens or use a larger model",
                attempts=attempts,
            )
        if isinstance(cause, Refused):
            return InvalidAnswer(
                f"{label}: the model refused to answer: {_first_line(str(cause))}",
                attempts=attempts,
            )
        if isinstance(cause, openai.AuthenticationError | openai.PermissionDeniedError):
            return ProviderError(
                f"{label}: {where} rejected the API key (HTTP {cause.status_code}); "
                "check OPENAI_API_KEY",
                attempts=attempts,
            )
        if isinstance(cause, openai.NotFoundError):
            return ProviderError(
                f"{label}: {where} has no model {self.config.model!r} (HTTP 404); "
                "check --model / SUMMARIZE_MODEL",
                attempts=attempts,
            )
        if isinstance(cause, openai.APIStatusError):
            return ProviderError(
                f"{label}: {where} answered HTTP {cause.status_code} "
                f"after {attempts} attempt(s): {_first_line(cause.message)}",
                attempts=attempts,
            )
        if isinstance(cause, openai.APITimeoutError):
            return ProviderError(
                f"{label}: {where} timed out after {attempts} attempt(s); "
                "raise --timeout or try again later",
                attempts=attempts,
            )
        if isinstance(cause, openai.APIConnectionError):
            return ProviderError(
                f"{label}: cannot reach {where} after {attempts} attempt(s); "
                "check --base-url and that the server is running",
                attempts=attempts,
            )
        if isinstance(cause, MalformedResponse | openai.APIError):
            return ProviderError(
                f"{label}: {where} sent an unusable response: {_first_line(str(cause))}",
                attempts=attempts,
            )
        return InvalidAnswer(
            f"{label}: the model's answer did not match the brief schema after "
            f"{attempts} attempt(s): {_first_line(str(cause))}",
            attempts=attempts,
        )


@functools.cache
def _schema_of(response_model: type[BaseModel]) -> dict[str, Any]:
    return response_model.model_json_schema()


@functools.cache
def _prepared(response_model: type[ModelT]) -> type[ModelT]:
    """`response_model` as instructor wants it, built once per model.

    Given a plain model, instructor builds a new pydantic class around it and its JSON
    schema again on every request: most of the per-article overhead at zero latency
    (benchmarks/bench_batch.py). Passing its wrapper, with the schema computed once, skips
    both. The wrapper keeps the model's name (the tool name the model sees) and is a
    subclass of it, so answers are still instances of `response_model`.
    """
    import instructor

    wrapped: Any = instructor.openai_schema(response_model)
    schema = json.dumps(wrapped.model_json_schema())

    def model_json_schema(cls: type[BaseModel], *args: Any, **kwargs: Any) -> dict[str, Any]:
        if args or kwargs:
            return wrapped.model_json_schema(*args, **kwargs)  # type: ignore[no-any-return]
        return json.loads(schema)  # type: ignore[no-any-return]  # a copy: callers edit it

    prepared = type(
        response_model.__name__,
        (wrapped,),
        {
            "__doc__": response_model.__doc__,
            "__module__": response_model.__module__,
            "model_json_schema": classmethod(model_json_schema),
        },
    )
    return prepared


def _mark_invalid_answers(record: CallRecord, *, last_was_valid: bool) -> None:
    """Every answer but an accepted last one failed validation and was re-asked."""
    answered = [i for i, outcome in enumerate(record.outcomes) if outcome == "ok"]
    for index in answered[:-1] if last_was_valid else answered:
        record.outcomes[index] = "invalid answer"


def redact(text: str, secret: str | None) -> str:
    """`text` with every occurrence of `secret` (and of its long fragments) masked."""
    if not secret or len(secret) < 8:
        return text
    text = text.replace(secret, "[redacted]")
    # providers often echo a key abbreviated ("sk-abc...wxyz"): mask any 12-char run of it
    for start in range(len(secret) - 11):
        fragment = secret[start : start + 12]
        if fragment in text:
            text = text.replace(fragment, "[redacted]")
    return text


def _first_line(text: str, limit: int = 200) -> str:
    line = next((part.strip() for part in text.splitlines() if part.strip()), "")
    return line if len(line) <= limit else line[: limit - 1] + "…"
