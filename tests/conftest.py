"""Test-wide settings. The suite runs as `python -X dev -m pytest` (Python's dev mode, asyncio debug mode
through `asyncio_debug` in pyproject.toml, warnings as errors); a test also fails when asyncio logs a
warning or error while it runs."""

from __future__ import annotations

import asyncio
import logging
import os

# Snapshots must not change with the environment's colour preference.
os.environ.pop("NO_COLOR", None)
# Subprocesses the tests start (spec examples, the CLI) run in dev mode too (asyncio debug included).
os.environ["PYTHONDEVMODE"] = "1"

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


@pytest.fixture
async def no_asyncio_debug():
    """Run a test that drives the whole app without asyncio's debug mode (see tests/tui/conftest.py)."""
    asyncio.get_running_loop().set_debug(False)
    yield


class _AsyncioProblems(logging.Handler):
    """Collects what asyncio logs at warning level or above, except its slow-step notices.

    Debug mode notes every loop step over 100 ms; on a loaded 2-core machine that is about timing,
    which benchmarks measure, not about correctness.
    """

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        if not record.getMessage().startswith("Executing "):
            self.records.append(record)


@pytest.fixture(autouse=True)
def _no_asyncio_warnings():
    """Fail a test during which asyncio logged a problem (a task destroyed while pending, an
    exception never retrieved, a coroutine never awaited, ...)."""
    handler = _AsyncioProblems()
    logger = logging.getLogger("asyncio")
    logger.addHandler(handler)
    try:
        yield
    finally:
        logger.removeHandler(handler)
    assert not handler.records, [record.getMessage() for record in handler.records]
