"""Load a user's code named on the command line: `--agent package.module:name` and `--tools ...`."""

from __future__ import annotations

import functools
import importlib
from typing import Any

from miniagents import MiniAgent
from miniagents.errors import ToolDefinitionError
from miniagents.tools import Tool, ToolLike

__all__ = ["AgentLoadError", "describe_tools", "load_agent", "load_tools"]


class AgentLoadError(ValueError):
    """The agent could not be loaded; the message says why and what to give instead."""


def _load(option: str, spec: str, what: str) -> Any:
    """The object `module:name` names (the command line makes the current folder importable first)."""
    module_name, separator, name = spec.partition(":")
    if not separator or not module_name or not name:
        raise AgentLoadError(f"{option} {spec!r}: give it as package.module:{what}")
    try:
        module = importlib.import_module(module_name)
    except ImportError as error:
        raise AgentLoadError(f"{option} {spec!r}: cannot import {module_name!r} ({error})") from error
    found = getattr(module, name, None)
    if found is None:
        raise AgentLoadError(f"{option} {spec!r}: {module_name!r} has no {name!r}")
    return found


def load_agent(spec: str) -> MiniAgent:
    """Import `module:name` and return that `MiniAgent`.

    Raises:
        AgentLoadError: the spec is malformed, the module or name is missing, or it is not an agent.
    """
    agent = _load("--agent", spec, "agent_name")
    if not isinstance(agent, MiniAgent):
        name = spec.partition(":")[2]
        raise AgentLoadError(f"--agent {spec!r}: {name!r} is a {type(agent).__name__}, not a @miniagent")
    return agent


@functools.cache
def load_tools(spec: str) -> tuple[Tool, ...]:
    """Import `module:name`: a tool (a typed function or a `@miniagent`) or a list of them, described.

    Loaded once per spec: the agents built from it, the status line and the palette share the result.

    Raises:
        AgentLoadError: the spec is malformed, the module or name is missing, or something named
            cannot be a tool (the message says why).
    """
    found = _load("--tools", spec, "tool_name")
    named: list[ToolLike] = list(found) if isinstance(found, list | tuple) else [found]
    try:
        return tuple(Tool.of(tool) for tool in named)
    except ToolDefinitionError as error:
        raise AgentLoadError(f"--tools {spec!r}: {error}") from error


def describe_tools(specs: list[str]) -> tuple[Tool, ...]:
    """Every tool the `--tools` specs name (they were checked at start-up)."""
    return tuple(tool for spec in specs for tool in load_tools(spec))
