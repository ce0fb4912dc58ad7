"""How an article is briefed, whatever the model: its input budget per request, how many
chunks a long article may be split into, how many grounding re-asks an answer gets.

What the model is (endpoint, model, mode, timeouts, transport retries) is
`summarize.modelconfig`'s. A model that can hold less than the budget (a local model's
context) caps it with `within`; its token counter travels with the model client.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

DEFAULT_MAX_INPUT_TOKENS = 16_000


@dataclass(frozen=True)
class BriefOptions:
    """How to brief an article. Nothing here enters a cache key by itself: the requests it
    shapes (the chunks, the re-asks) do."""

    max_input_tokens: int = DEFAULT_MAX_INPUT_TOKENS  # longer articles are split into chunks
    max_chunks: int = 8  # past this many chunks the rest is left out, with a warning
    max_regrounds: int = 2  # re-asks naming quotes not in the article, per chunk

    def within(self, budget: int | None) -> BriefOptions:
        """These options with the input budget at most `budget` (None: no cap)."""
        if budget is None or budget >= self.max_input_tokens:
            return self
        return replace(self, max_input_tokens=budget)
