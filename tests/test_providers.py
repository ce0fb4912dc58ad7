"""`providers.resolve`: one call opens any model, for the CLI and library users alike."""

from __future__ import annotations

from pathlib import Path

import pytest

from summarize.articles import article_from_text, read_file
from summarize.errors import ConfigError, NoModelConfigured
from summarize.loopback import LoopbackServer, QueueResponder
from summarize.options import BriefOptions
from summarize.pipeline import brief_article, plan_chunks
from summarize.prompts import load_prompt
from summarize.providers import Provider, known_prefixes, resolve
from summarize.providers.local import LocalProvider
from summarize.tokens import count_tokens
from tests.conftest import SEED_000, extraction
from tests.tiny_gguf import SUMMARY, write_tiny_gguf

SHORT_STORY = (
    "The United States said on Monday it would impose new sanctions on North Korea if it "
    "supplies arms to Russia, State Department spokesman Matthew Miller said.\n"
)


@pytest.fixture(scope="module")
def model_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_tiny_gguf(tmp_path_factory.mktemp("gguf") / "tiny-llama.gguf")


def test_a_name_without_a_prefix_is_an_openai_compatible_endpoint(
    server: LoopbackServer, queue: QueueResponder
) -> None:
    """The provider briefs through its client, counts with cl100k_base and leaves the
    budget as asked; the environment fills in what the flags leave out."""
    environ = {"OPENAI_BASE_URL": server.url, "SUMMARIZE_MODEL": "env-model"}
    queue.push(extraction())
    with resolve(timeout=5, environ=environ) as model:
        assert type(model) is Provider
        assert (model.config.model, model.config.base_url) == ("env-model", server.url)
        assert model.config.timeout == 5
        assert model.count_tokens("one two three") == count_tokens("one two three")
        assert model.input_budget() is None
        asked = BriefOptions(max_input_tokens=900)
        assert model.brief_options(asked) is asked
        client = model.client()
        brief = brief_article(read_file(SEED_000), client, load_prompt(), asked)
        client.close()
    assert brief.run.model == "env-model"
    assert server.requests[0].json()["model"] == "env-model"


def test_a_model_name_with_a_colon_is_not_a_prefix() -> None:
    """Ollama names its models `name:tag`: those go to the endpoint as they are."""
    with resolve("llama3.1:8b", base_url="http://localhost:11434/v1", environ={}) as model:
        assert model.config.model == "llama3.1:8b"
        assert model.config.provider == "ollama"


@pytest.mark.parametrize("spec", ["ggml:/models/x.bin", "http://localhost:8080/v1"])
def test_an_unknown_prefix_is_one_line_naming_the_spec_and_the_known_prefixes(spec: str) -> None:
    with pytest.raises(ConfigError) as caught:
        resolve(spec, environ={})
    message = str(caught.value)
    assert "\n" not in message
    assert repr(spec) in message
    assert "gguf:" in message
    assert known_prefixes() == ["gguf:"]


def test_no_model_at_all_says_how_to_configure_one() -> None:
    with pytest.raises(NoModelConfigured):
        resolve(environ={})


def test_a_gguf_model_opens_with_one_call_and_stops_with_the_block(model_file: Path) -> None:
    """`gguf:PATH` runs llama.cpp here: its tokenizer counts (one token per byte for this
    model), its context caps the budget (4096 - 512 prompt - 700 answer), and a brief
    through its client is the model's. Threads and context come from the environment."""
    environ = {"SUMMARIZE_THREADS": "2", "SUMMARIZE_CONTEXT": "4096"}
    with resolve(f"gguf:{model_file}", max_tokens=700, environ=environ) as model:
        assert isinstance(model, LocalProvider)
        assert model.local.threads == 2
        assert model.config.provider == "llama.cpp"
        assert model.config.mode == "json_schema"
        assert model.count_tokens("héllo") == len("héllo".encode())
        options = model.brief_options(BriefOptions(max_input_tokens=16_000, max_regrounds=0))
        assert model.input_budget() == options.max_input_tokens == 4096 - 512 - 700
        chunks, _ = plan_chunks("word " * 2000, options, count=model.count_tokens)
        assert all(model.count_tokens(chunk) <= options.max_input_tokens for chunk in chunks)
        client = model.client()
        article = article_from_text(SHORT_STORY, id="short", source="short")
        brief = brief_article(article, client, load_prompt(), options)
        client.close()
        assert brief.summary == SUMMARY
        assert brief.run.model == model_file.name
    assert model.local._server is None  # stopped with the block


def test_a_bad_local_setting_names_the_variable(model_file: Path) -> None:
    opened = resolve(f"gguf:{model_file}", environ={"SUMMARIZE_CONTEXT": "lots"})
    with pytest.raises(ConfigError, match="SUMMARIZE_CONTEXT='lots' is not a whole number"):
        opened.__enter__()


@pytest.mark.parametrize("command", ["brief", "watch", "batch"])
def test_the_commands_resolve_models_the_same_way(command: str, tmp_path: Path) -> None:
    """The CLI calls `resolve` too: an unknown prefix is the same one-line usage error."""
    from typer.testing import CliRunner

    from summarize.cli import app

    target = str(tmp_path / "story.txt") if command == "brief" else "http://127.0.0.1:9/feed"
    (tmp_path / "story.txt").write_text(SHORT_STORY)
    args = [command, target, "--model", "ggml:/models/x.bin"]
    if command == "watch":
        args.append("--once")
    if command == "batch":
        args = ["batch", "submit", target, "--model", "ggml:/models/x.bin", "--requests-only"]
        args += ["--out", str(tmp_path / "job")]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2
    assert result.stderr.strip() == (
        "error: model 'ggml:/models/x.bin': no provider has the prefix 'ggml:'; known "
        "prefixes: gguf: (a model name without one is asked of an OpenAI-compatible "
        "endpoint: OPENAI_BASE_URL / --base-url)"
    )


def test_summarize_text_opens_a_spec_as_the_cli_does(
    model_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The one-call entry point takes a model spec: `gguf:` runs llama.cpp for the call
    and stops it after; the budget is capped to what the model's context holds."""
    from summarize.entry import summarize_text

    monkeypatch.setenv("SUMMARIZE_CONTEXT", "4096")
    brief = summarize_text(
        SHORT_STORY, model=f"gguf:{model_file}", options=BriefOptions(max_regrounds=0)
    )
    assert brief.summary == SUMMARY
    assert brief.run.provider == "llama.cpp"
    assert brief.run.model == model_file.name


def test_summarize_text_refuses_a_spec_and_a_config_at_once() -> None:
    from summarize.entry import summarize_text
    from summarize.modelconfig import ModelConfig

    with pytest.raises(ValueError, match="not both"):
        summarize_text("text", model="m", config=ModelConfig(model="m", api_key="k"))


def test_summarize_text_names_an_unknown_prefix_like_the_cli(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from summarize.entry import summarize_text

    monkeypatch.setenv("SUMMARIZE_MODEL", "ggml:/models/x.bin")
    with pytest.raises(ConfigError, match="no provider has the prefix 'ggml:'"):
        summarize_text(SHORT_STORY)
