"""Every error `summarize` raises on purpose.

The tree, drawn once so that callers can catch at the depth they care about::

    SummarizeError                  anything this library raises on purpose
    ├── ConfigError                 no model configured, malformed base URL, bad flag values
    │   └── NoModelConfigured       no model, endpoint or key at all (the CLI: how to start)
    ├── InputError                  an article that cannot be read or holds no text
    └── ArticleFailed               one article could not be briefed; the batch goes on
        ├── ProviderError           the provider kept failing at the transport level
        │                           (429, 5xx, timeouts, dropped connections) or refused
        └── InvalidAnswer           the model's answers never validated against the schema

Each message is one line that names the input and says what to do next; the CLI prints it
as it is, never a traceback. `kind` is a stable, short identifier for exports and tests.
"""

from __future__ import annotations


class SummarizeError(Exception):
    """Base class: anything `summarize` raises on purpose."""

    kind = "error"


class ConfigError(SummarizeError):
    """The run cannot start: the model, endpoint or flags are not usable."""

    kind = "config"


class NoModelConfigured(ConfigError):
    """No model, endpoint or key was given: the CLI answers with the ways to get started."""


class InputError(SummarizeError):
    """An article could not be read, or holds no text to brief."""

    kind = "input"

    def __init__(self, message: str, *, source: str | None = None) -> None:
        super().__init__(message)
        self.source = source


class ArticleFailed(SummarizeError):
    """One article could not be briefed. Other articles in the batch are unaffected."""

    kind = "failed"

    def __init__(self, message: str, *, attempts: int = 0) -> None:
        super().__init__(message)
        self.attempts = attempts
        # What the failed call's answers cost: spent though no brief came of them.
        self.input_tokens = 0
        self.output_tokens = 0


class ProviderError(ArticleFailed):
    """The provider failed at the transport level after every retry, or refused outright."""

    kind = "provider"


class InvalidAnswer(ArticleFailed):
    """The model's answers never validated against the brief schema, re-asks included."""

    kind = "invalid_answer"
