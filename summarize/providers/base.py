"""A model ready to brief with: what to send where, how it counts tokens, and how much of
an article one request can hold.

`Provider` is an OpenAI-compatible endpoint (OpenAI, Ollama, vLLM, llama-server): its
tokens counted with cl100k_base, its input budget whatever the caller asks. A provider
that knows better (a local GGUF model: its own tokenizer, its context window) overrides
`count_tokens` and `input_budget`; nothing patches a config for it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from summarize import tokens

if TYPE_CHECKING:
    from summarize.cache import AnswerCache
    from summarize.client import ModelClient
    from summarize.modelconfig import ModelConfig
    from summarize.options import BriefOptions


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
