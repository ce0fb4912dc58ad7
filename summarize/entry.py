"""The one-call entry point for library users: a string in, a brief out.

    from summarize import summarize_text
    brief = summarize_text(text, model="gguf:~/models/qwen2.5-7b-instruct-q4_k_m.gguf")

It sits above the pipeline and the providers, so a model spec opens the way the CLI
opens it (`summarize.providers.resolve`: `gguf:PATH`, a model name, or SUMMARIZE_MODEL).
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import ExitStack
from datetime import date
from typing import TYPE_CHECKING

from summarize.articles import article_from_text
from summarize.options import BriefOptions
from summarize.pipeline import brief_article

if TYPE_CHECKING:
    from summarize.modelconfig import ModelConfig
    from summarize.prompts import Prompt
    from summarize.schema import Brief


def summarize_text(
    text: str,
    *,
    model: str | None = None,
    config: ModelConfig | None = None,
    options: BriefOptions | None = None,
    count_tokens: Callable[[str], int] | None = None,
    published: date | None = None,
    article_id: str = "text",
    prompt: Prompt | None = None,
) -> Brief:
    """Brief one article given as a string.

    The model is `config` when given (its tokens counted by `count_tokens`, else with
    cl100k_base); otherwise the one `model` names, opened by `providers.resolve` (a
    `gguf:` model runs for this call only; None: SUMMARIZE_MODEL and the endpoint's
    environment). `options` default to `BriefOptions()`, capped to what the model holds.
    """
    from summarize.client import ModelClient
    from summarize.prompts import load_prompt
    from summarize.providers import resolve

    if config is not None and model is not None:
        raise ValueError("pass `model` (a spec to open) or `config` (a model's settings), not both")
    article = article_from_text(text, id=article_id, source=article_id, published=published)
    options = options or BriefOptions()
    with ExitStack() as opened:
        if config is not None:
            client = ModelClient(config, count_tokens=count_tokens)
        else:
            provider = opened.enter_context(resolve(model))  # a local model stops last
            client = provider.client()
            options = provider.brief_options(options)
        opened.callback(client.close)
        return brief_article(article, client, prompt or load_prompt(), options)
