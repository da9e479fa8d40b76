"""LLM agents: `openai_agent`, `anthropic_agent`, and the offline `demo_agent`.

Import each from its own module (`miniagents.ext.llm.openai`, ...): only that module imports its SDK.
"""
