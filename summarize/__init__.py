"""summarize: structured, evidence-backed threat briefs from news articles.

The library works without its CLI::

    from summarize import ModelConfig, summarize_text
    brief = summarize_text(text, config=ModelConfig(model="gpt-4o-mini", api_key=key))
    for threat in brief.threats:
        print(threat.issuer, "->", threat.targets, threat.action)

Names are imported on first use, so importing `summarize` stays cheap and does not load
the model stack (`openai`, `instructor`) until a model is actually called.
"""

from __future__ import annotations

import importlib
import warnings
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_EXPORTS = {
    "Article": "summarize.data",
    "read_inputs": "summarize.articles",
    "Cleaned": "summarize.clean",
    "clean": "summarize.clean",
    "ModelClient": "summarize.client",
    "ModelConfig": "summarize.modelconfig",
    "RetryPolicy": "summarize.modelconfig",
    "BriefOptions": "summarize.options",
    "resolve_date": "summarize.dates",
    "ArticleFailed": "summarize.errors",
    "ConfigError": "summarize.errors",
    "InputError": "summarize.errors",
    "InvalidAnswer": "summarize.errors",
    "ProviderError": "summarize.errors",
    "SummarizeError": "summarize.errors",
    "Failure": "summarize.results",
    "brief_article": "summarize.pipeline",
    "run_batch": "summarize.batch",
    "summarize_text": "summarize.entry",
    "Prompt": "summarize.prompts",
    "load_prompt": "summarize.prompts",
    "Brief": "summarize.schema",
    "Extraction": "summarize.schema",
    "Threat": "summarize.schema",
}
__all__ = [
    "Article",
    "ArticleFailed",
    "Brief",
    "BriefOptions",
    "Cleaned",
    "ConfigError",
    "Extraction",
    "Failure",
    "InputError",
    "InvalidAnswer",
    "ModelClient",
    "ModelConfig",
    "Prompt",
    "ProviderError",
    "RetryPolicy",
    "SummarizeError",
    "Threat",
    "brief_article",
    "clean",
    "load_prompt",
    "read_inputs",
    "resolve_date",
    "run_batch",
    "summarize_text",
]

if TYPE_CHECKING:
    from summarize.articles import read_inputs
    from summarize.batch import run_batch
    from summarize.clean import Cleaned, clean
    from summarize.client import ModelClient
    from summarize.data import Article
    from summarize.dates import resolve as resolve_date
    from summarize.entry import summarize_text
    from summarize.errors import (
        ArticleFailed,
        ConfigError,
        InputError,
        InvalidAnswer,
        ProviderError,
        SummarizeError,
    )
    from summarize.modelconfig import ModelConfig, RetryPolicy
    from summarize.options import BriefOptions
    from summarize.pipeline import brief_article
    from summarize.prompts import Prompt, load_prompt
    from summarize.results import Failure
    from summarize.schema import Brief, Extraction, Threat


# An exported name that differs from its name in the module it comes from.
_RENAMED = {"resolve_date": "resolve"}


def __getattr__(name: str) -> Any:
    if name == "resolve":  # one word, two meanings: kept for one release, with a warning
        warnings.warn(
            "summarize.resolve resolves a date expression and is now summarize.resolve_date; "
            "to open a model from a spec use summarize.providers.resolve",
            DeprecationWarning,
            stacklevel=2,
        )
        name = "resolve_date"
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'summarize' has no attribute {name!r}")
    return getattr(importlib.import_module(module), _RENAMED.get(name, name))
