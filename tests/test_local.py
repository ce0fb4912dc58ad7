"""Local GGUF models: llama.cpp in-process, through the same openai + instructor path.

The model is tests/tiny_gguf.py's: a llama-architecture GGUF written by a fixture in
milliseconds, which llama.cpp loads and runs for real. Its fixed token ranking makes its
answer under json_schema-constrained greedy decoding known in advance (`ANSWER`).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from summarize.cli import app
from summarize.errors import ConfigError
from summarize.options import BriefOptions
from summarize.providers.local import LocalModel, LocalProvider, check_model_file
from tests.tiny_gguf import ANSWER, SUMMARY, write_tiny_gguf

runner = CliRunner()
SHORT_STORY = (
    "The United States said on Monday it would impose new sanctions on North Korea if it "
    "supplies arms to Russia, State Department spokesman Matthew Miller said.\n"
)


@pytest.fixture(scope="session")
def model_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_tiny_gguf(tmp_path_factory.mktemp("gguf") / "tiny-llama.gguf")


@pytest.fixture(scope="module")
def local(model_file: Path) -> Iterator[LocalModel]:
    with LocalModel.start(f"gguf:{model_file}", threads=2, context=4096) as model:
        yield model


def test_the_model_answers_with_a_schema_valid_brief_that_names_it(local: LocalModel) -> None:
    """End to end through openai + instructor: llama.cpp's grammar held the answer to the
    schema (the model's own ranking would never write one), and the run names llama.cpp,
    the model file and the tokens the server counted."""
    from summarize.entry import summarize_text
    from summarize.modelconfig import RetryPolicy

    config = local.config(max_tokens=700, retry=RetryPolicy(max_reasks=2))
    brief = summarize_text(
        SHORT_STORY,
        config=config,
        options=BriefOptions(max_regrounds=0),
        count_tokens=local.count_tokens,
        article_id="short",
    )
    assert brief.summary == SUMMARY
    assert (brief.threats, brief.actors, brief.dates) == ([], [], [])
    assert brief.run.provider == "llama.cpp"
    assert brief.run.model == "tiny-llama.gguf"
    assert brief.run.mode == "json_schema"
    assert brief.run.attempts == 1  # valid at the first answer: no re-ask was needed
    # The prompt holds the story, counted byte by byte by this model's tokenizer.
    assert brief.run.input_tokens > local.count_tokens(SHORT_STORY) == len(SHORT_STORY)
    assert brief.run.output_tokens == local.count_tokens(ANSWER) + 1  # and end-of-text


def test_without_the_schema_the_model_writes_no_json(local: LocalModel) -> None:
    """The control for the test above: unconstrained, the same model stops at once
    (end-of-text ranks first), so the brief's JSON came from constrained decoding."""
    import urllib.request

    body = {
        "model": local.name,
        "messages": [{"role": "user", "content": SHORT_STORY}],
        "max_tokens": 50,
        "temperature": 0,
    }
    request = urllib.request.Request(
        f"{local.url}/chat/completions",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        answer = json.load(response)
    assert answer["choices"][0]["message"]["content"] == ""
    assert answer["choices"][0]["finish_reason"] == "stop"


def test_the_cli_runs_a_gguf_model_named_by_path(model_file: Path, tmp_path: Path) -> None:
    """`--model gguf:PATH` needs no key and no base URL; temperature 0 makes it repeatable."""
    story = tmp_path / "story.txt"
    story.write_text(SHORT_STORY)
    result = runner.invoke(
        app,
        ["brief", str(story), "--model", f"gguf:{model_file}", "--json", "-"],
        env={"SUMMARIZE_THREADS": "2", "SUMMARIZE_CONTEXT": "4096"},
    )
    assert result.exit_code == 0, result.stderr
    [record] = json.loads(result.stdout)
    assert record["summary"] == SUMMARY
    assert record["run"]["provider"] == "llama.cpp"
    assert record["run"]["model"] == model_file.name
    assert "llama" not in result.stderr.replace("llama.cpp", "")  # llama.cpp's own log is off


def test_a_missing_model_file_is_a_usage_error(tmp_path: Path) -> None:
    """No such file: exit 2 naming it, before anything loads."""
    result = runner.invoke(app, ["brief", str(tmp_path), "--model", f"gguf:{tmp_path}/no.gguf"])
    assert result.exit_code == 2
    assert "no such model file; give the path to a .gguf file" in result.stderr


def test_a_file_that_is_not_gguf_is_refused(tmp_path: Path) -> None:
    """A text file renamed .gguf is named as not GGUF."""
    fake = tmp_path / "model.gguf"
    fake.write_text("not a model")
    with pytest.raises(ConfigError, match="not a GGUF model"):
        check_model_file(fake)


def test_a_model_too_large_for_memory_is_refused_before_loading(tmp_path: Path) -> None:
    """A 64 GiB GGUF on a machine with 24 GiB says how much it needs and how much there is."""
    big = tmp_path / "big.gguf"
    with big.open("wb") as stream:
        stream.write(b"GGUF")
        stream.truncate(64 * 2**30)  # sparse: no disk is used
    with pytest.raises(ConfigError, match=r"needs about 76\.8 GiB of memory and 24\.0 GiB"):
        check_model_file(big, memory=24 * 2**30)
    os.remove(big)


def test_a_gguf_that_llama_cpp_cannot_load_is_a_clear_error(tmp_path: Path) -> None:
    """A file with the GGUF magic but garbage after it fails to load with a one-line reason."""
    broken = tmp_path / "broken.gguf"
    broken.write_bytes(b"GGUF" + b"\x00" * 64)
    with pytest.raises(ConfigError, match=r"llama\.cpp could not load it"):
        LocalModel.start(f"gguf:{broken}", threads=1, context=512)


def test_the_input_budget_fits_the_context_beside_the_prompt_and_answer(
    local: LocalModel,
) -> None:
    """A 4,096-token context leaves 4096 - 512 (prompt) - 700 (answer) article tokens,
    whatever larger --max-input-tokens asked for; a smaller one is kept. The model says
    so through its provider; the options asked for are not changed."""
    asked = BriefOptions(max_input_tokens=16_000)
    answer_700 = LocalProvider(local.config(max_tokens=700), local)
    assert answer_700.brief_options(asked).max_input_tokens == 2884
    default = LocalProvider(local.config(), local)
    assert default.input_budget() == 4096 - 512 - 2048
    assert default.brief_options(asked).max_input_tokens == 4096 - 512 - 2048
    assert default.brief_options(BriefOptions(max_input_tokens=1_000)).max_input_tokens == 1_000
    assert asked.max_input_tokens == 16_000
    with pytest.raises(ConfigError, match="raise SUMMARIZE_CONTEXT or lower --max-tokens"):
        local.config(max_tokens=3_500)


def test_long_articles_are_counted_and_split_by_the_models_own_tokenizer(
    local: LocalModel,
) -> None:
    """The budget is in the model's tokens, counted by llama.cpp's /tokenize (this
    model's byte-level tokenizer: one token per byte), not in cl100k_base's."""
    from summarize.pipeline import plan_chunks
    from summarize.tokens import count_tokens

    story = (Path(__file__).parent.parent / "evals" / "articles" / "voa-8009495.txt").read_text()
    assert local.count_tokens(story) == len(story.encode("utf-8")) != count_tokens(story)
    provider = LocalProvider(local.config(), local)
    options = provider.brief_options(BriefOptions(max_input_tokens=600))
    chunks, warning = plan_chunks(story * 3, options, count=provider.count_tokens)
    assert len(chunks) > 1
    assert warning is not None
    assert all(local.count_tokens(chunk) <= 600 for chunk in chunks)


def test_a_local_model_waits_minutes_not_seconds_and_retries_once(local: LocalModel) -> None:
    """CPU generation is slow and a timed-out request keeps running: 600 s, two attempts,
    and answers capped at the context share reserved for them, unless flags say otherwise."""
    config = local.config()
    assert config.max_tokens == 2048  # the answer's reserved share of the context
    assert config.timeout == 600
    assert config.retry.max_attempts == 2
    assert config.retry.max_seconds > 2 * config.timeout
    assert local.config(timeout=30).timeout == 30


def test_hosted_models_keep_the_60_second_timeout() -> None:
    """Without --timeout, a model server or OpenAI gets the usual 60 s per request."""
    from summarize.modelconfig import ModelConfig

    assert ModelConfig(model="m", base_url="http://localhost:8000/v1").timeout == 60


def test_answers_name_the_model_by_file_name_not_by_its_path(
    local: LocalModel, model_file: Path
) -> None:
    """llama.cpp echoes the model in every answer; recorded answers must not carry the
    user's folders, so the model is served under its file name."""
    import urllib.request

    body = {"model": local.name, "messages": [{"role": "user", "content": "hi"}], "max_tokens": 2}
    request = urllib.request.Request(
        f"{local.url}/chat/completions",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        assert json.load(response)["model"] == model_file.name
