"""Widgets of miniagents-tui."""
