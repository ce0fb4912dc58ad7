"""HTTP requests to the model, retried when the failure is the transport's, and the record
of every attempt.

Transport failures (429, 408/409, 5xx, timeouts, dropped connections, a 200 that is not a
chat completion) are retried here with tenacity, per HTTP request, honouring
`Retry-After`, with jittered exponential backoff bounded in attempts and in total time;
the `openai` SDK's own retries are off. Every request passes one `AdaptiveLimit` gate,
which learns from 429s how many requests the provider admits at once.

`CallRecord` is what one article's calls cost and how each attempt went. Its entries
change only through its methods, each a transition the pipeline names: an answer in hand
is later found invalid (re-asked by instructor) or ungrounded (re-asked by the pipeline).

`openai` and `tenacity` are imported when a `Transport` is built, not with this module.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any, TextIO

from summarize.failures import MalformedResponse, Refused, describe_failure, redact
from summarize.modelconfig import NO_KEY_PLACEHOLDER
from summarize.ratelimit import AdaptiveLimit

if TYPE_CHECKING:
    from tenacity import RetryCallState

    from summarize.modelconfig import ModelConfig

log = logging.getLogger(__name__)  # request-level detail for --verbose; never a header

REQUEST_LOG = "summarize-requests"  # the name of `log_requests`' handler
# What `chat.completions.create` adds to each request's options: the API key as a bearer
# token (the client's default headers carry the rest).
_SEND: Any = {"security": {"bearer_auth": True}}
TRANSIENT_STATUS = frozenset({408, 409, 429, 500, 502, 503, 504, 520, 522, 524, 529})


class Outcome(StrEnum):
    """How one attempt ended; the value is its word in `run.attempt_log`."""

    ANSWERED = "ok"
    INVALID = "invalid answer"  # answered, failed the schema: re-asked
    UNGROUNDED = "ungrounded answer"  # answered, quoted what the article does not say
    REFUSED = "refused"
    FAILED = "failed"  # the transport's: `detail` says how (http 503, timeout, ...)
    CACHED = "cached"  # no request: the answer came from the cache
    REASK_FAILED = "re-ask failed"  # a grounding re-ask ended in `detail` (an error kind)


@dataclass(frozen=True, slots=True)
class Attempt:
    """One entry of the attempt log."""

    outcome: Outcome
    detail: str = ""

    @property
    def label(self) -> str:
        """The attempt as `run.attempt_log` words it."""
        if self.outcome is Outcome.FAILED:
            return self.detail
        if self.outcome is Outcome.REASK_FAILED:
            return f"{self.outcome.value}: {self.detail}"
        return self.outcome.value

    @property
    def sent(self) -> bool:
        """Whether it made an HTTP request."""
        return self.outcome is not Outcome.CACHED


@dataclass
class CallRecord:
    """What one structured call cost and how it went, attempt by attempt."""

    input_tokens: int = 0
    output_tokens: int = 0
    cache_key: str | None = None
    cached: bool = False  # answered from the cache: the tokens were spent on an earlier run
    attempt_log: list[Attempt] = field(default_factory=list)

    @property
    def outcomes(self) -> list[str]:
        """The attempt log as `run.attempt_log` records it."""
        return [attempt.label for attempt in self.attempt_log]

    @property
    def attempts(self) -> int:
        """HTTP requests made; an answer from the cache made none."""
        return sum(attempt.sent for attempt in self.attempt_log)

    def failed(self, error: BaseException) -> None:
        """A request failed in transport (or its answer was not a chat completion)."""
        self.attempt_log.append(Attempt(Outcome.FAILED, describe_failure(error)))

    def refused(self, usage: Any = None) -> None:
        """The model declined to answer; `usage`, when given, is what the refusal cost."""
        self.attempt_log.append(Attempt(Outcome.REFUSED))
        self._spent(usage)

    def answered(self, usage: Any) -> None:
        """An answer arrived; `usage` is its token usage (None when the server gave none)."""
        self.attempt_log.append(Attempt(Outcome.ANSWERED))
        self._spent(usage)

    def from_cache(self, input_tokens: int, output_tokens: int) -> None:
        """The answer came from the cache, with what it cost when it was asked."""
        self.cached = True
        self.attempt_log.append(Attempt(Outcome.CACHED))
        self.input_tokens, self.output_tokens = input_tokens, output_tokens

    def reject_answer(self) -> None:
        """The answer just received failed validation. Only an answer can be rejected:
        after a refusal or a transport failure there is none, and nothing changes."""
        self._relabel(Outcome.INVALID)

    def ungrounded(self) -> None:
        """The answer just received quotes what the article does not say."""
        self._relabel(Outcome.UNGROUNDED)

    def reask_failed(self, kind: str, *, input_tokens: int = 0, output_tokens: int = 0) -> None:
        """A grounding re-ask failed outright with an error of `kind`, its answers having
        cost these tokens."""
        self.attempt_log.append(Attempt(Outcome.REASK_FAILED, kind))
        self.input_tokens += input_tokens
        self.output_tokens += output_tokens

    def absorb(self, later: CallRecord) -> None:
        """Add a follow-up call of the same article (a re-ask) to this record."""
        self.attempt_log += later.attempt_log
        self.input_tokens += later.input_tokens
        self.output_tokens += later.output_tokens
        self.cached = self.cached and later.cached

    def _spent(self, usage: Any) -> None:
        if usage is not None:
            self.input_tokens += usage.prompt_tokens or 0
            self.output_tokens += usage.completion_tokens or 0

    def _relabel(self, outcome: Outcome) -> None:
        if self.attempt_log and self.attempt_log[-1].outcome is Outcome.ANSWERED:
            self.attempt_log[-1] = Attempt(outcome)


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


def refusal(response: Any) -> str | None:
    """The model's refusal to answer, if this chat completion is one."""
    message = getattr(response.choices[0], "message", None)
    refused = getattr(message, "refusal", None)
    return str(refused) if refused else None


class Transport:
    """One `openai` client for a configured model, shared by every article of a run."""

    def __init__(self, config: ModelConfig, *, max_in_flight: int | None = None) -> None:
        """`max_in_flight` caps the requests this transport has open at once (a worker
        process's share of `-j`); the gate may learn a lower limit from 429s."""
        import openai

        self.config = config
        self.openai = openai
        self._gate = AdaptiveLimit() if max_in_flight is None else AdaptiveLimit(max_in_flight)
        self._completion = openai.types.chat.ChatCompletion
        self._client = openai.OpenAI(
            api_key=config.api_key or NO_KEY_PLACEHOLDER,
            base_url=config.endpoint,
            timeout=config.timeout,
            max_retries=0,  # transport retries happen once, here, with tenacity
        )

    def close(self) -> None:
        self._client.close()

    def is_transient(self, error: BaseException) -> bool:
        if isinstance(error, MalformedResponse | self.openai.APIConnectionError):
            return True  # APIConnectionError includes timeouts
        return isinstance(error, self.openai.APIStatusError) and (
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

    def sender(self, record: CallRecord) -> Callable[..., Any]:
        """The raw `create`, wrapped in the transport retry loop, recording each failed
        attempt and refusal (the answer itself is recorded by the caller that parses it)."""
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
                retry=retry_if_exception(self.is_transient),
                reraise=True,
            )
            for attempt in retrying:
                with attempt:
                    log.info(
                        "POST %s/chat/completions model=%s attempt %d",
                        self.config.endpoint.rstrip("/"),
                        self.config.model,
                        len(record.attempt_log) + 1,
                    )
                    try:
                        response = self._create(**kwargs)
                        if not getattr(response, "choices", None):
                            raise MalformedResponse("the answer has no choices")
                    except ValueError as error:  # the SDK's JSONDecodeError on a non-JSON body
                        malformed = MalformedResponse(f"the answer is not JSON ({error})")
                        record.failed(malformed)
                        raise malformed from error
                    except (MalformedResponse, self.openai.APIError) as error:
                        record.failed(error)
                        log.info("failed: %s", redact(describe_failure(error), self.config.api_key))
                        raise
                    if refused := refusal(response):
                        record.refused(getattr(response, "usage", None))
                        raise Refused(refused)
                    log.info("answered: %s tokens", _usage_line(response))
                    return response
            raise AssertionError("unreachable: tenacity reraises the last error")

        return send

    def _create(self, **kwargs: Any) -> Any:
        """One HTTP request, through the gate that learns the provider's concurrency.

        It is the request `chat.completions.create` sends, posted through the same client
        (auth, headers, timeouts, the answer parsed into a `ChatCompletion`) without its
        `maybe_transform` pass: that walks the typed parameters of every message to
        convert values a JSON request built by instructor never holds, and was a quarter
        of the client's CPU per call. `tests/test_client.py` checks the bytes sent."""
        self._gate.acquire()
        throttled = False
        try:
            return self._client.post(
                "/chat/completions", body=kwargs, cast_to=self._completion, options=_SEND
            )
        except self.openai.RateLimitError:
            throttled = True
            raise
        finally:
            self._gate.release(throttled=throttled)


def log_requests(stream: TextIO, *, secret: str | None) -> None:
    """Write the library's log (each request, its outcome, cache faults) to `stream`, with
    `secret` (the API key) masked should it ever appear. Calling it again replaces the
    earlier handler (a second run in one process: tests, notebooks)."""

    class Redact(logging.Filter):
        def filter(self, record: logging.LogRecord) -> bool:
            record.msg, record.args = redact(record.getMessage(), secret), None
            return True

    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(asctime)s %(threadName)s %(message)s"))
    handler.addFilter(Redact())
    handler.set_name(REQUEST_LOG)
    logger = logging.getLogger("summarize")
    for old in [h for h in logger.handlers if h.get_name() == REQUEST_LOG]:
        logger.removeHandler(old)
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
