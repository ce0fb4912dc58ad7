"""A model ready to brief with: what to send where, how it counts tokens, and how much of
an article one request can hold.

`Provider` is an OpenAI-compatible endpoint (OpenAI, Ollama, vLLM, llama-server): its
tokens counted with cl100k_base, its input budget whatever the caller asks. A provider
that knows better (a local GGUF model: its own tokenizer, its context window) overrides
`count_tokens` and `input_budget`; nothing patches a config for it.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from summarize import tokens
from summarize.errors import ConfigError

if TYPE_CHECKING:
    from summarize.cache import AnswerCache
    from summarize.client import ModelClient
    from summarize.modelconfig import ModelConfig, RetryPolicy
    from summarize.options import BriefOptions


@dataclass(frozen=True)
class Settings:
    """What a provider is opened with: the caller's settings (None: the provider's own
    default) and the environment, read only through `whole_number` and the endpoint's
    `ModelConfig.from_env`, so that every `SUMMARIZE_*` provider setting is read here."""

    base_url: str | None = None
    api_key: str | None = None
    mode: str | None = None
    timeout: float | None = None
    max_tokens: int | None = None
    retry: RetryPolicy | None = None
    environ: Mapping[str, str] = field(default_factory=lambda: os.environ)

    def whole_number(self, name: str, *, default: int, least: int, example: int) -> int:
        """A whole number from the environment; anything else is a usage error naming it."""
        value = self.environ.get(name, "").strip()
        if not value:
            return default
        try:
            number = int(value)
        except ValueError:
            number = least - 1
        if number < least:
            raise ConfigError(
                f"{name}={value!r} is not a whole number of at least {least}; "
                f"set it like {name}={example} or unset it"
            )
        return number


@dataclass(frozen=True)
class Provider:
    """An OpenAI-compatible endpoint and the model it serves."""

    config: ModelConfig

    def count_tokens(self, text: str) -> int:
        """How many tokens of the model's input `text` is."""
        return tokens.count_tokens(text)

    def input_budget(self) -> int | None:
        """The most article tokens one request can hold, if the provider knows (None)."""
        return None

    def brief_options(self, requested: BriefOptions) -> BriefOptions:
        """`requested`, its input budget capped at what this model can hold."""
        return requested.within(self.input_budget())

    def client(self, *, cache: AnswerCache | None = None) -> ModelClient:
        """A client for this model, counting the input budget with its tokenizer."""
        from summarize.client import ModelClient

        return ModelClient(self.config, cache=cache, count_tokens=self.count_tokens)
