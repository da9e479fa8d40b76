"""Load a user's agent for a pane: `--agent package.module:agent_name`."""

from __future__ import annotations

import importlib

from miniagents import MiniAgent

__all__ = ["AgentLoadError", "load_agent"]


class AgentLoadError(ValueError):
    """The agent could not be loaded; the message says why and what to give instead."""


def load_agent(spec: str) -> MiniAgent:
    """Import `module:name` and return that `MiniAgent`.

    The command line makes the current folder importable first.

    Raises:
        AgentLoadError: the spec is malformed, the module or name is missing, or it is not an agent.
    """
    module_name, separator, name = spec.partition(":")
    if not separator or not module_name or not name:
        raise AgentLoadError(f"--agent {spec!r}: give it as package.module:agent_name")
    try:
        module = importlib.import_module(module_name)
    except ImportError as error:
        raise AgentLoadError(f"--agent {spec!r}: cannot import {module_name!r} ({error})") from error
    agent = getattr(module, name, None)
    if agent is None:
        raise AgentLoadError(f"--agent {spec!r}: {module_name!r} has no {name!r}")
    if not isinstance(agent, MiniAgent):
        raise AgentLoadError(f"--agent {spec!r}: {name!r} is a {type(agent).__name__}, not a @miniagent")
    return agent
