"""What went wrong, in words a user can act on, with the API key never among them.

- `describe_failure`: a short label for one failed attempt (`run.attempt_log`);
- `classify`: the `ArticleFailed` an article's failed call ends in, naming the input, the
  endpoint and what to do next, its message scrubbed of the API key;
- `redact`: masks a secret (and its long fragments) in any text: a proxy that echoes
  request headers into an error body must not leak the key into output or logs.

`openai` and `instructor` are imported only when an error is classified (by which time a
client has loaded them), so importing this module stays cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from summarize.errors import ArticleFailed, InvalidAnswer, ProviderError

if TYPE_CHECKING:
    from summarize.modelconfig import ModelConfig


class MalformedResponse(Exception):
    """A 200 answer that is not a usable chat completion: not JSON, or no choices.

    Internal: treated as transient (a proxy glitch more often than not) and, once retries
    are spent, reported as a ProviderError.
    """


class Refused(Exception):
    """The model declined to answer (the API's `refusal` field). Not retried: asking the
    same thing again gets the same refusal."""


def describe_failure(error: BaseException) -> str:
    """A short label for one failed attempt, for `run.attempt_log`."""
    status = getattr(error, "status_code", None)
    if status is not None:
        return f"http {status}"
    if isinstance(error, MalformedResponse):
        return "malformed response"
    name = type(error).__name__
    return {"APITimeoutError": "timeout", "APIConnectionError": "connection error"}.get(name, name)


def classify(error: Exception, *, label: str, attempts: int, config: ModelConfig) -> ArticleFailed:
    """The ArticleFailed to raise for `error`, its message scrubbed of the API key."""
    failure = _describe(error, label=label, attempts=attempts, config=config)
    failure.args = (redact(str(failure), config.api_key),)
    return failure


def _describe(error: Exception, *, label: str, attempts: int, config: ModelConfig) -> ArticleFailed:
    import openai
    from instructor.core import IncompleteOutputException, InstructorRetryException

    cause: BaseException = error
    while isinstance(cause, InstructorRetryException) and cause.__cause__:
        cause = cause.__cause__
    where = config.endpoint
    if isinstance(cause, IncompleteOutputException):
        return InvalidAnswer(
            f"{label}: the model's answer was cut off at its token limit "
            "(finish_reason=length); raise --max-tokens or use a larger model",
            attempts=attempts,
        )
    if isinstance(cause, Refused):
        return InvalidAnswer(
            f"{label}: the model refused to answer: {first_line(str(cause))}",
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
            f"{label}: {where} has no model {config.model!r} (HTTP 404); "
            "check --model / SUMMARIZE_MODEL",
            attempts=attempts,
        )
    if isinstance(cause, openai.APIStatusError):
        return ProviderError(
            f"{label}: {where} answered HTTP {cause.status_code} "
            f"after {attempts} attempt(s): {first_line(cause.message)}",
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
            f"{label}: {where} sent an unusable response: {first_line(str(cause))}",
            attempts=attempts,
        )
    return InvalidAnswer(
        f"{label}: the model's answer did not match the brief schema after "
        f"{attempts} attempt(s): {first_line(str(cause))}",
        attempts=attempts,
    )


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


def first_line(text: str, limit: int = 200) -> str:
    """The first non-blank line of `text`, cut to `limit` characters."""
    line = next((part.strip() for part in text.splitlines() if part.strip()), "")
    return line if len(line) <= limit else line[: limit - 1] + "…"
