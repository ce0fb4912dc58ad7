"""What the model is: which one, where, in which output mode, how long to wait and how
hard to retry (`ModelConfig`, `RetryPolicy`), and the environment variables that name it.

Plain values: nothing here imports `openai` or `instructor`.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from pydantic import BaseModel

from summarize.errors import ConfigError, NoModelConfigured

MODES = ("tools", "json_schema", "json", "md_json")
DEFAULT_OPENAI_MODEL = "gpt-4o-mini"
NO_KEY_PLACEHOLDER = "no-key"  # local servers need no key, but the SDK insists on one
DEFAULT_TIMEOUT = 60.0  # seconds per HTTP request

HOW_TO_CONFIGURE = (
    "no model configured. Set one of: OPENAI_API_KEY (uses OpenAI, model "
    f"{DEFAULT_OPENAI_MODEL} unless SUMMARIZE_MODEL or --model says otherwise); "
    "OPENAI_BASE_URL or --base-url for any OpenAI-compatible server (Ollama, vLLM, "
    "llama.cpp) together with SUMMARIZE_MODEL or --model"
)


@dataclass(frozen=True)
class RetryPolicy:
    """How hard to try. Transport retries are per HTTP request; schema re-asks per call.
    (Re-asks for quotes not in the article are how an article is briefed:
    `summarize.options.BriefOptions.max_regrounds`.)"""

    max_attempts: int = 5
    max_seconds: float = 120.0
    initial_wait: float = 0.5
    max_wait: float = 30.0
    max_reasks: int = 2


@dataclass(frozen=True)
class ModelConfig:
    """Which model to call, where, and how. `api_key` never appears in repr or exports."""

    model: str
    base_url: str | None = None
    api_key: str | None = field(default=None, repr=False)
    mode: str | None = None
    timeout: float = DEFAULT_TIMEOUT
    temperature: float = 0.0
    max_tokens: int | None = None
    # For providers started in-process (summarize.providers): their name, and the stable
    # identity that stands for their ever-changing loopback port in cache keys.
    provider_name: str | None = None
    endpoint_id: str | None = None
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
        mode: str | None = None,
        timeout: float | None = None,
        max_tokens: int | None = None,
        retry: RetryPolicy | None = None,
        environ: Mapping[str, str] | None = None,
    ) -> ModelConfig:
        """Flags win over the environment: SUMMARIZE_MODEL, OPENAI_BASE_URL, OPENAI_API_KEY.
        Each setting left None keeps its default."""
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
        return cls(
            model=model,
            base_url=base_url,
            api_key=api_key,
            mode=mode,
            timeout=DEFAULT_TIMEOUT if timeout is None else timeout,
            max_tokens=max_tokens,
            retry=retry or RetryPolicy(),
        )

    @property
    def provider(self) -> str:
        return self.provider_name or _provider_at(self.base_url)

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


@functools.lru_cache(maxsize=64)  # every brief names its provider: parse each URL once
def _provider_at(base_url: str | None) -> str:
    host = urlsplit(base_url).hostname or "" if base_url else "api.openai.com"
    if host.endswith("openai.com"):
        return "openai"
    if "ollama" in host or (base_url or "").rstrip("/").endswith(":11434/v1"):
        return "ollama"
    return "openai-compatible"


@functools.cache
def _schema_of(response_model: type[BaseModel]) -> dict[str, Any]:
    return response_model.model_json_schema()
