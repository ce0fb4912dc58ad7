"""Model providers, resolved from a spec: the one way the CLI and library users open a
model, and the one place that reads the `SUMMARIZE_*` provider settings.

    from summarize.providers import resolve

    with resolve("gguf:~/models/qwen2.5-7b-instruct-q4_k_m.gguf") as model:
        brief = brief_article(article, model.client(), prompt, model.brief_options(options))

A spec is a model name, or a prefix naming a provider and what follows it:

- `gguf:PATH`: a GGUF file run in this process by llama.cpp (`providers.local`);
- no prefix: a model served by an OpenAI-compatible endpoint (OpenAI, Ollama, vLLM,
  llama-server), from the flags and OPENAI_BASE_URL / OPENAI_API_KEY.

A name with a colon in it (Ollama's `llama3.1:8b`) is a model name; an unknown prefix
before a path (`ggml:/models/x.bin`, `http://...`) is an error naming the known ones.
Another provider plugs in with `register(prefix, opener)`. The core (pipeline, client)
never imports this package: an import-linter contract in pyproject.toml says so.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager, nullcontext
from typing import TYPE_CHECKING

from summarize.errors import ConfigError
from summarize.providers.base import Provider, Settings
from summarize.providers.local import open_gguf

if TYPE_CHECKING:
    from summarize.modelconfig import RetryPolicy

__all__ = ["Opener", "Provider", "Settings", "known_prefixes", "register", "resolve"]

# Opens the provider a spec names, given what follows its prefix; the provider is usable
# until the context manager exits (a local model stops then).
Opener = Callable[[str, Settings], AbstractContextManager[Provider]]

_OPENERS: dict[str, Opener] = {"gguf:": open_gguf}
# A word and a colon before something path-like: a provider prefix, known or not.
_PREFIX = re.compile(r"[a-z][a-z0-9+.-]*:(?=[/~.\\]|$)")


def register(prefix: str, opener: Opener) -> None:
    """Make `prefix` (such as "gguf:") name the provider `opener` opens."""
    if not prefix.endswith(":"):
        raise ValueError(f"a provider prefix ends with a colon: {prefix!r}")
    _OPENERS[prefix] = opener


def known_prefixes() -> list[str]:
    return list(_OPENERS)


def resolve(
    spec: str | None = None,
    *,
    base_url: str | None = None,
    api_key: str | None = None,
    mode: str | None = None,
    timeout: float | None = None,
    max_tokens: int | None = None,
    retry: RetryPolicy | None = None,
    environ: Mapping[str, str] | None = None,
) -> AbstractContextManager[Provider]:
    """The provider `spec` names (SUMMARIZE_MODEL when None), to use in a `with` block.

    Settings left None keep the provider's defaults (a local model waits 600 s, an
    endpoint 60 s). Raises ConfigError, one line, when the spec or the environment
    cannot be used; a local model's own checks (file, memory) run on entering."""
    env = os.environ if environ is None else environ
    settings = Settings(
        base_url=base_url,
        api_key=api_key,
        mode=mode,
        timeout=timeout,
        max_tokens=max_tokens,
        retry=retry,
        environ=env,
    )
    spec = spec or env.get("SUMMARIZE_MODEL") or None
    for prefix, opener in _OPENERS.items():
        if spec is not None and spec.startswith(prefix):
            return opener(spec.removeprefix(prefix), settings)
    if spec is not None and (unknown := _PREFIX.match(spec)):
        raise ConfigError(
            f"model {spec!r}: no provider has the prefix {unknown.group()!r}; known "
            f"prefixes: {', '.join(_OPENERS)} (a model name without one is asked of an "
            "OpenAI-compatible endpoint: OPENAI_BASE_URL / --base-url)"
        )
    return nullcontext(_endpoint(spec, settings))


def _endpoint(model: str | None, settings: Settings) -> Provider:
    from summarize.modelconfig import ModelConfig

    config = ModelConfig.from_env(
        model=model,
        base_url=settings.base_url,
        api_key=settings.api_key,
        mode=settings.mode,
        timeout=settings.timeout,
        max_tokens=settings.max_tokens,
        retry=settings.retry,
        environ=settings.environ,
    )
    return Provider(config)
