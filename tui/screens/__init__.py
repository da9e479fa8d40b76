"""Screens of miniagents-tui."""
