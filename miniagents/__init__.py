"""MiniAgents: an async-first framework for multi-agent LLM systems, streaming end to end.

Layers (imports only go downward):

1. `miniagents.promising`: promises, replayable streams, sentinels, `Frozen`; no agent concepts.
2. `miniagents.messages`, `miniagents.sink`, `miniagents.miniagents`, `miniagents.agents`,
   `miniagents.tools`, `miniagents.utils`, `miniagents.chat_history`: messages, agents and what is
   built from them.
3. `miniagents.ext`: integrations (LLM providers, offline models).
"""

from miniagents.agents import InteractionContext, MiniAgent, miniagent
from miniagents.chat_history import ChatHistory, ChatHistoryMD, InMemoryChatHistory
from miniagents.errors import (
    AgentCallError,
    AgentDefinitionError,
    ChainError,
    LLMConfigError,
    LLMConnectionError,
    LLMError,
    LLMIdleTimeoutError,
    LLMStatusError,
    LLMStreamError,
    MiniAgentsError,
    NoActiveContextError,
    PromiseCancelledError,
    PromisingError,
    ReplyError,
    StopLoop,
    ToolDefinitionError,
    ToolError,
    ToolRoundsError,
    ToolTimeoutError,
    TranscriptError,
    TranscriptFormatError,
    TranscriptWriteError,
    UnsafeNameError,
    UsageError,
)
from miniagents.messages import (
    INCOMPLETE,
    INTERRUPTED,
    Message,
    MessageInput,
    MessagePromise,
    MessageSequence,
    MessageSequencePromise,
    MetadataUpdate,
)
from miniagents.miniagents import MiniAgents
from miniagents.promising.frozen import Frozen
from miniagents.promising.sentinels import AWAIT, CLEAR
from miniagents.tools import Tool
from miniagents.utils import achain_loop, adialog_loop, join_messages, split_messages

__version__ = "0.1.0"

__all__ = [
    "AWAIT",
    "CLEAR",
    "INCOMPLETE",
    "INTERRUPTED",
    "AgentCallError",
    "AgentDefinitionError",
    "ChainError",
    "ChatHistory",
    "ChatHistoryMD",
    "Frozen",
    "InMemoryChatHistory",
    "InteractionContext",
    "LLMConfigError",
    "LLMConnectionError",
    "LLMError",
    "LLMIdleTimeoutError",
    "LLMStatusError",
    "LLMStreamError",
    "Message",
    "MessageInput",
    "MessagePromise",
    "MessageSequence",
    "MessageSequencePromise",
    "MetadataUpdate",
    "MiniAgent",
    "MiniAgents",
    "MiniAgentsError",
    "NoActiveContextError",
    "PromiseCancelledError",
    "PromisingError",
    "ReplyError",
    "StopLoop",
    "Tool",
    "ToolDefinitionError",
    "ToolError",
    "ToolRoundsError",
    "ToolTimeoutError",
    "TranscriptError",
    "TranscriptFormatError",
    "TranscriptWriteError",
    "UnsafeNameError",
    "UsageError",
    "__version__",
    "achain_loop",
    "adialog_loop",
    "join_messages",
    "miniagent",
    "split_messages",
]
