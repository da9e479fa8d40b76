"""Test-wide settings (asyncio debug mode is on through `asyncio_debug` in pyproject.toml)."""

from __future__ import annotations

import os

# Snapshots must not change with the environment's colour preference.
os.environ.pop("NO_COLOR", None)
# Subprocesses the tests start (spec examples, the CLI) run asyncio in debug mode too.
os.environ["PYTHONASYNCIODEBUG"] = "1"

import pytest

from tests.fakes.llm_server import FakeLLMServer


@pytest.fixture
def llm_server():
    """A fake OpenAI/Anthropic streaming server on 127.0.0.1 (see `tests/fakes/llm_server.py`)."""
    with FakeLLMServer() as server:
        yield server


@pytest.fixture(autouse=True)
def _no_real_provider_settings(monkeypatch):
    """Tests never see a real key or endpoint from the developer's environment."""
    for name in ("OPENAI_API_KEY", "ANTHROPIC_API_KEY", "OPENAI_BASE_URL", "ANTHROPIC_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    # The app's default model is the offline demo in tests, even where the local model is installed.
    monkeypatch.setenv("MINIAGENTS_MODEL", "demo")
