"""Integrations of MiniAgents with outside services."""
