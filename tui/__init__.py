"""miniagents-tui: a terminal chat app built on MiniAgents."""

__version__ = "0.1.0"
