"""Shared fixtures: a real OpenAI-compatible server on 127.0.0.1 and a configured model."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from summarize.client import ModelClient
from summarize.loopback import LoopbackServer, QueueResponder
from summarize.modelconfig import ModelConfig, RetryPolicy

# The CLI's rich consoles (summarize.cli, summarize.commands: imported by the test modules,
# after this file) keep a width that COLUMNS gives when they are made, and a parallel test
# worker finds COLUMNS=80 set: tests choose the width per invocation instead.
os.environ.pop("COLUMNS", None)
os.environ.pop("LINES", None)

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
SEED_000 = SEEDS / "000_5f29edb56438c667.txt"
SEED_001 = SEEDS / "001_6257722e1639f71d.txt"
SEED_004 = SEEDS / "004_c9096178bfdff1e5.txt"
FAST_RETRIES = RetryPolicy(max_attempts=4, max_seconds=20, initial_wait=0.01, max_wait=2)


def extraction(**overrides: Any) -> dict[str, Any]:
    """A schema-valid model answer about seed 000, the US sanctions warning."""
    payload: dict[str, Any] = {
        "summary": "The US said it would not hesitate to sanction North Korea and Russia.",
        "threats": [
            {
                "issuer": "United States",
                "speaker": "US State Department spokesman Matthew Miller",
                "targets": ["North Korea", "Russia"],
                "action": "impose sanctions",
                "category": "sanctions",
                "conditions": [],
                "deadline": None,
                "evidence": ["We will not hesitate to do so in the future."],
            }
        ],
        "actors": [
            {"name": "United States", "kind": "state", "role": "issuer"},
            {"name": "Matthew Miller", "kind": "person", "role": "speaker"},
            {"name": "North Korea", "kind": "state", "role": "target"},
        ],
        "dates": [
            {"text": "Monday", "event": "Miller spoke at the State Department briefing"},
            {"text": "Tuesday last week", "event": "Shoigu arrived in Pyongyang"},
        ],
    }
    payload.update(overrides)
    return payload


@pytest.fixture
def queue() -> QueueResponder:
    return QueueResponder([])


@pytest.fixture
def server(queue: QueueResponder) -> Iterator[LoopbackServer]:
    with LoopbackServer(queue) as running:
        yield running


@pytest.fixture
def config(server: LoopbackServer) -> ModelConfig:
    return ModelConfig(
        model="loopback-model", base_url=server.url, api_key="sk-test", retry=FAST_RETRIES
    )


@pytest.fixture
def client(config: ModelConfig) -> Iterator[ModelClient]:
    model_client = ModelClient(config)
    yield model_client
    model_client.close()


@pytest.fixture
def model_env(monkeypatch: pytest.MonkeyPatch, server: LoopbackServer) -> LoopbackServer:
    """Point the CLI at the loopback server through the environment, as a user would."""
    monkeypatch.setenv("OPENAI_BASE_URL", server.url)
    monkeypatch.setenv("SUMMARIZE_MODEL", "loopback-model")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    return server


@pytest.fixture(autouse=True)
def no_ambient_model(monkeypatch: pytest.MonkeyPatch) -> None:
    """A developer's own OPENAI_API_KEY must never leak into, or change, a test."""
    for name in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "SUMMARIZE_MODEL"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(autouse=True)
def private_cache(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """Each test gets its own answer cache: none touches the user's, none sees another's."""
    path = tmp_path / "cache" / "answers.sqlite3"
    monkeypatch.setenv("SUMMARIZE_CACHE", str(path))
    return path


@pytest.fixture(autouse=True)
def private_store(
    monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    """Each test gets its own brief store: none touches the user's, none sees another's.
    It lives outside `tmp_path`, which tests brief as a folder."""
    path = tmp_path_factory.mktemp("store") / "store.sqlite3"
    monkeypatch.setenv("SUMMARIZE_STORE", str(path))
    return path
