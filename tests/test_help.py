"""`--help` shows every option's environment variable and default, as written."""

from __future__ import annotations

from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from summarize.cli import app

runner = CliRunner()
COMMANDS = [
    ["brief"],
    ["eval"],
    ["clean"],
    ["cache", "stats"],
    ["cache", "clear"],
    ["batch", "submit"],
    ["batch", "collect"],
]


def command(path: list[str]) -> Any:
    """The command object typer builds (its own vendored click's)."""
    found: Any = typer.main.get_command(app)
    for name in path:
        found = found.commands[name]
    return found


def help_text(path: list[str]) -> str:
    """The help as one line of words: wrapping and the panels' borders removed."""
    result = runner.invoke(app, [*path, "--help"], env={"COLUMNS": "100"})
    assert result.exit_code == 0, result.output
    lines = [line.strip().strip("│╭╮╰╯─").strip() for line in result.output.splitlines()]
    return " ".join(" ".join(lines).split())


def valued_options(path: list[str]) -> list[Any]:
    return [
        param
        for param in command(path).params
        if param.param_type_name == "option"
        and not param.is_flag
        and not param.required  # a required option has no default to show
        and param.name != "help"
    ]


@pytest.mark.parametrize("path", COMMANDS, ids=" ".join)
def test_every_option_that_takes_a_value_shows_its_default(path: list[str]) -> None:
    """Each option's default is shown: its value, or what decides it at run time."""
    text = help_text(path)
    for option in valued_options(path):
        shown = option.show_default
        assert shown, f"{option.opts[0]} hides its default"
        expected = f"({shown})" if isinstance(shown, str) else str(option.default)
        assert f"[default: {expected}]" in text, option.opts[0]


@pytest.mark.parametrize("path", COMMANDS, ids=" ".join)
def test_every_environment_variable_an_option_reads_is_named(path: list[str]) -> None:
    text = help_text(path)
    for option in valued_options(path):
        if option.envvar:
            assert f"[env var: {option.envvar}]" in text, option.opts[0]


def test_brief_help_names_every_variable_and_the_run_time_defaults() -> None:
    """The text that rich markup used to eat: bracketed env vars and defaults."""
    text = help_text(["brief"])
    for variable in (
        "SUMMARIZE_MODEL",
        "OPENAI_BASE_URL",
        "SUMMARIZE_CACHE",
        "OPENAI_API_KEY",
        "SUMMARIZE_THREADS",
        "SUMMARIZE_CONTEXT",
    ):
        assert variable in text
    assert "[env var: SUMMARIZE_MODEL]" in text
    assert "[env var: OPENAI_BASE_URL]" in text
    assert "[env var: SUMMARIZE_CACHE]" in text
    assert "[default: (60; 600 for a gguf: model)]" in text
    assert "[default: 16000]" in text
    assert "for a local GGUF file run by llama.cpp" in text


def test_the_environment_still_sets_what_help_says(
    monkeypatch: pytest.MonkeyPatch, tmp_path: object
) -> None:
    """SUMMARIZE_CACHE, shown in --help, is the file `cache stats` reads."""
    monkeypatch.setenv("SUMMARIZE_CACHE", f"{tmp_path}/from-env.sqlite3")
    result = runner.invoke(app, ["cache", "stats"])
    assert result.exit_code == 0, result.output
    assert f"path: {tmp_path}/from-env.sqlite3" in result.stdout


def test_without_a_model_the_message_leads_from_the_demo_to_a_local_model_to_a_key() -> None:
    """The first run without a model names, easiest first: the offline demo, a local
    GGUF model, then the two environment variables for a provider."""
    result = runner.invoke(app, ["brief", "seeds/"])
    assert result.exit_code == 2
    message = result.stderr
    steps = [
        "summarize eval",
        "--model gguf:PATH",
        "pip install 'summarize[local]'",
        "OPENAI_API_KEY",
        "OPENAI_BASE_URL",
    ]
    positions = [message.find(step) for step in steps]
    assert -1 not in positions, message
    assert positions == sorted(positions), message
    assert message.startswith("error: no model configured.")
