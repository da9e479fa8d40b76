"""`ChatSession`: one conversation and what it is held with, handed to the screens that show it.

The transcript (a `ChatHistoryMD`), the model answering in the chat, the system prompt, and the panes
of the panel view live here, in a plain object with no UI in it: a screen receives the session it
shows, never the app.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from miniagents import ChatHistoryMD, InteractionContext, Message, MiniAgent, TranscriptWriteError
from miniagents.ext.llm.base import RetryNotice
from tui.agent_loader import load_agent
from tui.config import (
    KNOWN_MODELS,
    MAX_PANES,
    ConfigError,
    Settings,
    build_agent,
    local_model_installed,
    takes_tools,
)
from tui.toolbox import Toolbox

__all__ = ["ChatSession", "PaneSpec"]


@dataclass(frozen=True)
class PaneSpec:
    """One pane of the panel view: a model (`demo`, `openai:<model>`, ...) or an agent of the user's."""

    kind: str
    """`model` or `agent`."""
    spec: str
    """The model spec, or the agent's `package.module:name`."""

    def as_field(self) -> dict[str, str]:
        """How the transcript's `panel:` field records this pane."""
        return {"kind": self.kind, "spec": self.spec}


class ChatSession:
    """A conversation saved in a transcript, the model answering it and the panes comparing models."""

    def __init__(
        self,
        settings: Settings,
        transcript: Path,
        model_spec: str,
        toolbox: Toolbox,
        on_save_error: Callable[[TranscriptWriteError], object] | None = None,
        on_saved: Callable[[], object] | None = None,
    ) -> None:
        """A session on `transcript` (opened by `aopen()`) answered by `model_spec`.

        Raises:
            ConfigError: `model_spec` names no known provider.
        """
        self.settings = settings
        self.toolbox = toolbox
        """The tools the models may call (the app's: what the user allowed outlives a chat)."""
        self.history = ChatHistoryMD(transcript, on_save_error=on_save_error, on_saved=on_saved)
        """The conversation, saved as Markdown."""
        self.model_spec = model_spec
        """The chat's model (`demo`, `openai:<model>`, ...) or agent (`package.module:name`)."""
        self.agent: MiniAgent = build_agent(model_spec, settings)
        """The agent that answers in the chat (`model_spec`'s)."""
        self._agent_is_model = True
        self.system_prompt: str | None = settings.system
        self.assistant = MiniAgent(self._answer, alias="assistant")
        """The chat's assistant: the current model with the current system prompt (both can change
        between turns); `fork(on_retry=...)` to hear about retries."""

    @property
    def transcript(self) -> Path:
        """The transcript file."""
        return self.history.path

    async def aopen(self) -> None:
        """Read the transcript (if it exists): its messages, system prompt and panes.

        Raises:
            TranscriptFormatError: the file is not a transcript at all.
            OSError: the file cannot be read.
        """
        await self.history.aload_chat_history()
        saved_system = self.history.fields.get("system")
        if saved_system:
            self.system_prompt = str(saved_system)

    async def _answer(
        self, ctx: InteractionContext, on_retry: Callable[[RetryNotice], object] | None = None
    ) -> None:
        options = await self.amodel_options(self.model_spec, on_retry) if self._agent_is_model else {}
        ctx.reply(self.agent.inquire(ctx.messages, **options))

    async def amodel_options(
        self, spec: str, on_retry: Callable[[RetryNotice], object] | None = None
    ) -> dict[str, Any]:
        """The keyword arguments the model of `spec` is called with now (tools once MCP servers settle)."""
        options: dict[str, Any] = {}
        if takes_tools(spec):
            await self.toolbox.asettled()
            options["tools"] = self.toolbox.tools()
        if self.system_prompt:
            options["system"] = self.system_prompt
        if on_retry is not None:
            options["on_retry"] = on_retry
        return options

    def switch_model(self, spec: str) -> None:
        """Use `spec` for the next replies.

        Raises:
            ConfigError: `spec` names no known provider.
        """
        self.agent = build_agent(spec, self.settings)
        self.model_spec = spec
        self._agent_is_model = True

    async def aleave_panel(self, pane: PaneSpec) -> None:
        """Go on in the chat with `pane`'s model or agent alone (the transcript forgets its panes).

        Raises:
            ConfigError: the pane's model spec names no known provider.
            AgentLoadError: the pane's agent cannot be loaded.
        """
        (self.agent,) = self.pane_agents([pane])
        self.model_spec = pane.spec
        self._agent_is_model = pane.kind == "model"
        await self.history.aset_fields(panel=None)

    def model_choices(self) -> list[str]:
        """Models to offer in the model picker (the local one only where it is installed)."""
        known = [spec for spec in KNOWN_MODELS if spec != "local" or local_model_installed()]
        return list(dict.fromkeys([self.model_spec, *self.settings.models, *known]))

    async def aset_system_prompt(self, system: str | None) -> None:
        """Use `system` as the system prompt from now on, and keep it in the transcript."""
        self.system_prompt = system
        await self.history.aset_fields(system=system)

    async def arecord_system_prompt(self) -> None:
        """Save the system prompt in the transcript if it is not there yet (one from `--system`)."""
        if self.system_prompt and self.history.fields.get("system") != self.system_prompt:
            await self.history.aset_fields(system=self.system_prompt)

    def panel(self, command_line: bool = True) -> list[PaneSpec]:
        """The panes to show: the transcript's own, else (with `command_line`) the command line's.

        Fewer than 2 means the chat view.
        """
        saved = self.history.fields.get("panel")
        if isinstance(saved, list) and len(saved) >= 2:
            return [PaneSpec(str(item["kind"]), str(item["spec"])) for item in saved]
        if not command_line:
            return []
        panes = [PaneSpec("model", spec) for spec in self.settings.models]
        panes += [PaneSpec("agent", spec) for spec in self.settings.agents]
        return panes

    def compare(self, model_specs: list[str]) -> list[PaneSpec]:
        """The panes for comparing `model_specs` side by side.

        Raises:
            ConfigError: not 2 to `MAX_PANES` models, or one that names no known provider.
        """
        if not 2 <= len(model_specs) <= MAX_PANES:
            raise ConfigError(f"Give 2 to {MAX_PANES} models, separated by spaces.")
        panes = [PaneSpec("model", spec) for spec in model_specs]
        self.pane_agents(panes)  # every spec must build
        return panes

    def pane_agents(self, panes: list[PaneSpec]) -> list[MiniAgent]:
        """The agent of each pane.

        Raises:
            ConfigError: a model spec names no known provider.
            AgentLoadError: an agent cannot be loaded.
        """
        return [
            load_agent(pane.spec) if pane.kind == "agent" else build_agent(pane.spec, self.settings)
            for pane in panes
        ]

    async def arecord_panel(self, panes: list[PaneSpec]) -> None:
        """Save the panes in the transcript (when the first prompt goes to them), to reopen them alike."""
        fields = [pane.as_field() for pane in panes]
        if self.history.fields.get("panel") != fields:
            await self.history.aset_fields(panel=fields)

    def model_description(self, keys_description: str) -> tuple[str, str]:
        """The model in use (with the server it is asked on), and a note on keys or real models."""
        if self.model_spec == "demo":
            return "demo (offline model)", "set OPENAI_API_KEY or ANTHROPIC_API_KEY for a real model"
        if self.model_spec == "local":
            return "local (SmolLM2-135M on this machine)", "set OPENAI_API_KEY or ANTHROPIC_API_KEY for more"
        host = self.server()
        return (f"{self.model_spec} → {host}" if host else self.model_spec), keys_description

    async def amissing_tools(self, messages: Iterable[Message]) -> list[str]:
        """The tools `messages` called that are not on offer now (asked once the MCP servers settle)."""
        called = {str(call.name) for m in messages for call in getattr(m, "tool_calls", None) or ()}
        if not called:
            return []
        await self.toolbox.asettled()
        return sorted(called - {tool.name for tool in self.toolbox.tools()})

    def tools_description(self) -> str | None:
        """How many tools the models may call and where they come from (None without tools)."""
        return self.toolbox.description()

    def server(self) -> str | None:
        """The host (and port) requests go to when a base URL points the provider elsewhere."""
        variable = {"openai": "OPENAI_BASE_URL", "anthropic": "ANTHROPIC_BASE_URL"}.get(
            self.model_spec.partition(":")[0]
        )
        url = os.environ.get(variable) if variable else None
        return (urlsplit(url).netloc or url) if url else None

    def earlier_model(self, messages: Iterable[Message]) -> str | None:
        """The model that wrote the last reply of a saved chat, if it is not the one in use now."""
        replies = [m for m in messages if getattr(m, "role", None) == "assistant"]
        if not replies:
            return None
        last = replies[-1]
        used = str(getattr(last, "agent", None) or getattr(last, "model", None) or "")
        return used if used and used not in (self.model_spec, self.agent.alias) else None
