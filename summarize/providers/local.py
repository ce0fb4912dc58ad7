"""A GGUF model run in-process by llama.cpp (`xllamacpp`), served on loopback.

`--model gguf:/path/to/model.gguf` starts llama.cpp's own OpenAI-compatible server inside
this process on 127.0.0.1, and the brief goes through the same `openai` + `instructor`
path as any provider, in `json_schema` mode, so llama.cpp constrains decoding to the
brief's schema. Nothing leaves the machine.

The input budget is counted by the model's own tokenizer (llama.cpp's `/tokenize`) and
capped so that the prompt, the article and the answer fit in the context window: with the
default 8192-token context, an article longer than 5,632 tokens is split into chunks.

Problems are found before loading where possible: a missing file, a file that is not
GGUF, a model larger than the memory available, a missing `xllamacpp` (the `local`
extra). Each is a one-line ConfigError that says what to do.
"""

from __future__ import annotations

import json
import os
import socket
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from summarize.errors import ConfigError, ProviderError
from summarize.providers.base import Provider, Settings

if TYPE_CHECKING:
    from summarize.modelconfig import ModelConfig, RetryPolicy

PREFIX = "gguf:"
DEFAULT_CONTEXT = 8192  # tokens of context llama.cpp allocates unless SUMMARIZE_CONTEXT says
GGUF_MAGIC = b"GGUF"
MEMORY_HEADROOM = 1.2  # weights plus KV cache and buffers; a 135M model needs ~0.2 GB
PROMPT_TOKENS = 512  # the prompt's instructions and the title around the article (~350)
ANSWER_TOKENS = 2048  # the brief's share of the context unless --max-tokens says otherwise
SMALLEST_BUDGET = 500  # the least --max-input-tokens accepts
# A CPU answers a long article in minutes, not seconds, and a request that times out is
# still being generated: a retry only queues behind it. So wait long, and retry once.
TIMEOUT_SECONDS = 600.0


def is_local(model: str | None) -> bool:
    return bool(model) and str(model).startswith(PREFIX)


def available_memory() -> int:
    """Bytes of memory available now (MemAvailable), or physical memory if unknown."""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")


def check_model_file(path: Path, *, memory: int | None = None) -> None:
    """Refuse, with the reason and the fix, a model file llama.cpp cannot load here."""
    where = f"{PREFIX}{path}"
    if not path.is_file():
        raise ConfigError(f"{where}: no such model file; give the path to a .gguf file")
    with path.open("rb") as stream:
        if stream.read(4) != GGUF_MAGIC:
            raise ConfigError(
                f"{where}: not a GGUF model (llama.cpp's format); convert it or pick a .gguf file"
            )
    needed = int(path.stat().st_size * MEMORY_HEADROOM)
    free = available_memory() if memory is None else memory
    if needed > free:
        raise ConfigError(
            f"{where}: needs about {needed / 2**30:.1f} GiB of memory and "
            f"{free / 2**30:.1f} GiB are available; pick a smaller quantisation"
        )


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class LocalModel:
    """A running in-process llama.cpp server for one GGUF file. Close it when done."""

    path: Path
    threads: int = field(default_factory=lambda: os.cpu_count() or 2)
    context: int = DEFAULT_CONTEXT
    _server: Any = field(default=None, init=False, repr=False)
    port: int = field(default=0, init=False)

    @classmethod
    def start(
        cls, spec: str, *, threads: int | None = None, context: int = DEFAULT_CONTEXT
    ) -> LocalModel:
        """Start `gguf:/path` (the prefix is optional here)."""
        path = Path(spec.removeprefix(PREFIX)).expanduser()
        check_model_file(path)
        model = cls(path=path, context=context)
        if threads:
            model.threads = threads
        model._launch()
        return model

    def _launch(self) -> None:
        try:
            import xllamacpp
        except ImportError:
            raise ConfigError(
                "local GGUF models need llama.cpp: pip install 'summarize[local]' "
                "(or use Ollama, vLLM or llama-server with --base-url)"
            ) from None
        params = xllamacpp.CommonParams()
        params.model.path = str(self.path)
        # Answers name the model by file name, not by a path that shows the user's folders
        # (recorded eval responses keep the raw answer).
        params.model_alias = {self.name}
        params.n_ctx = self.context
        params.cpuparams.n_threads = self.threads
        params.cpuparams_batch.n_threads = self.threads
        params.port = self.port = _free_port()
        params.verbosity = -1  # llama.cpp logs every slot and token timing otherwise
        try:
            self._server = xllamacpp.Server(params)
        except Exception as error:  # xllamacpp raises plain RuntimeErrors on load failure
            raise ConfigError(
                f"{PREFIX}{self.path}: llama.cpp could not load it ({error}); check the file "
                "and --context"
            ) from None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    @property
    def name(self) -> str:
        return self.path.name

    def config(
        self,
        *,
        mode: str | None = None,
        timeout: float | None = None,
        max_tokens: int | None = None,
        retry: RetryPolicy | None = None,
    ) -> ModelConfig:
        """A ModelConfig that sends requests to this model, schema-constrained by default,
        its answer capped at `max_tokens` (2048 unless given). ConfigError when the
        context has no room for an article beside the prompt and such an answer."""
        from summarize.modelconfig import ModelConfig, RetryPolicy

        # The answer's share of the context, as the input budget reserves it: a small
        # model can otherwise generate until the context is full.
        max_tokens = ANSWER_TOKENS if max_tokens is None else max_tokens
        self.input_budget(max_tokens)
        timeout = TIMEOUT_SECONDS if timeout is None else timeout
        return ModelConfig(
            model=self.name,
            base_url=self.url,
            mode=mode or "json_schema",  # llama.cpp constrains decoding to the schema
            timeout=timeout,
            max_tokens=max_tokens,
            retry=retry or RetryPolicy(max_attempts=2, max_seconds=2 * timeout + 30),
            provider_name="llama.cpp",
            endpoint_id=f"llama.cpp:{self.path.resolve()}:{self.path.stat().st_size}",
        )

    def input_budget(self, max_tokens: int) -> int:
        """Article tokens per request that leave room in the context for the prompt and
        an answer of `max_tokens`; ConfigError when the context is too small for any."""
        budget = self.context - PROMPT_TOKENS - max_tokens
        if budget < SMALLEST_BUDGET:
            raise ConfigError(
                f"{PREFIX}{self.path}: a context of {self.context:,} tokens leaves no room "
                f"for an article beside the prompt and a {max_tokens:,}-token "
                "answer; raise SUMMARIZE_CONTEXT or lower --max-tokens"
            )
        return budget

    def count_tokens(self, text: str) -> int:
        """How many tokens the model's own tokenizer makes of `text`."""
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.port}/tokenize",
            data=json.dumps({"content": text}).encode("utf-8"),
            headers={"Content-Type": "application/json"},
        )
        try:
            # S310: the URL is this process's own llama.cpp server on loopback.
            with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310
                return len(json.load(response)["tokens"])
        except (OSError, ValueError, KeyError) as error:
            raise ProviderError(
                f"llama.cpp could not count the article's tokens ({error})"
            ) from error

    def close(self) -> None:
        self._server = None  # the server stops when its object is collected

    def __enter__(self) -> LocalModel:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


@dataclass(frozen=True)
class LocalProvider(Provider):
    """A running local model as a provider: its tokenizer counts the input budget, and
    its context caps it."""

    local: LocalModel

    def count_tokens(self, text: str) -> int:
        return self.local.count_tokens(text)

    def input_budget(self) -> int:
        return self.local.input_budget(self.config.max_tokens or ANSWER_TOKENS)


@contextmanager
def open_gguf(path: str, settings: Settings) -> Iterator[LocalProvider]:
    """`gguf:PATH` as a provider, llama.cpp running until the block ends. Threads and
    context size from SUMMARIZE_THREADS and SUMMARIZE_CONTEXT (all cores and 8192
    unless set); a base URL is not used: the model is served in this process."""
    threads = settings.whole_number("SUMMARIZE_THREADS", default=0, least=0, example=4)
    context = settings.whole_number(
        "SUMMARIZE_CONTEXT", default=DEFAULT_CONTEXT, least=512, example=DEFAULT_CONTEXT
    )
    with LocalModel.start(path, threads=threads or None, context=context) as local:
        config = local.config(
            mode=settings.mode,
            timeout=settings.timeout,
            max_tokens=settings.max_tokens,
            retry=settings.retry,
        )
        yield LocalProvider(config, local)
