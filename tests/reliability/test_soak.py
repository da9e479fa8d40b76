"""Soak: 200 turns against the fake server with random cancels, provider errors, dropped streams and
app restarts. No growth in tasks or file descriptors, bounded memory, and a transcript that holds every
completed reply whole and marks every partial one."""

import asyncio
import os
import random
import resource

import pytest

from tests.fakes.llm_server import Fail, Reply, Status
from tests.tui.helpers import messages_in, wait_for
from tui.app import ChatApp
from tui.config import Settings
from tui.widgets.message_views import AssistantMessage
from tui.widgets.prompt import PromptInput

pytestmark = pytest.mark.usefixtures("no_asyncio_debug")  # the whole app runs: see tests/tui/conftest.py

TURNS = 200
RESTART_EVERY = 50


def _last_reply(app):
    replies = app.screen.query(AssistantMessage)
    return replies.last() if replies else None


def _new_reply_streaming(app, last_before) -> bool:
    last = _last_reply(app)
    return last is not None and last is not last_before and bool(last.text)


def _fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def _rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def test_soak(tmp_path, llm_server, monkeypatch):
    monkeypatch.setenv("OPENAI_BASE_URL", llm_server.openai_base_url)
    rng = random.Random(7)
    path = tmp_path / "soak.md"
    expected: list[tuple[str, str | None]] = []  # per turn: the kind of outcome and the full reply text
    samples = []
    turn = 0
    while turn < TURNS:
        app = ChatApp(Settings(models=["openai:m"], max_retries=0), path)
        async with app.run_test(size=(100, 30)) as pilot:
            for _ in range(RESTART_EVERY):
                kind = rng.choice(["ok", "ok", "ok", "error", "drop", "cancel"])
                text = f"reply {turn} " + "x" * rng.randint(0, 40)
                if kind == "ok":
                    llm_server.script(Reply(tokens=[text[:5], text[5:]]))
                elif kind == "error":
                    llm_server.script(Status(500, message="boom"))
                elif kind == "drop":
                    llm_server.script(Fail("drop", tokens_before=[text[:5]]))
                else:
                    llm_server.script(Reply(tokens=[f"slow{i} " for i in range(200)], delay=0.01))
                # Submit and stop the way the keys do, without the pilot's wait for an idle screen
                # after every key (the key paths have their own tests).
                prompt = app.screen.query_one(PromptInput)
                last_before = _last_reply(app)
                prompt.post_message(PromptInput.Submitted(prompt, f"turn {turn}"))
                if kind == "cancel":
                    await wait_for(lambda app=app, last=last_before: _new_reply_streaming(app, last), pilot)
                    await app.screen.run_action("cancel_reply")
                await wait_for(lambda t=turn: len(messages_in(path)) == 2 * (t + 1), pilot)
                expected.append((kind, text if kind == "ok" else None))
                turn += 1
        await llm_server.wait_until_idle()  # the server's ends of the connections are closed too
        samples.append((len(asyncio.all_tasks()), _fds(), _rss_mib()))

    # resources: the same after every restart, memory bounded
    assert len({tasks for tasks, _, _ in samples}) == 1, samples
    assert len({fds for _, fds, _ in samples}) == 1, samples
    assert samples[-1][2] - samples[1][2] < 100, samples  # MiB of peak RSS growth after warm-up

    # the transcript: every prompt, every complete reply whole, every partial one marked
    messages = messages_in(path)
    assert len(messages) == 2 * TURNS
    for index, (kind, text) in enumerate(expected):
        user, reply = messages[2 * index], messages[2 * index + 1]
        assert (user.role, user.text) == ("user", f"turn {index}")
        assert reply.role == "assistant"
        if kind == "ok":
            assert reply.text == text and "status" not in reply.model_dump()
        elif kind == "cancel":
            assert reply.status == "interrupted"
        else:
            assert reply.status == "incomplete" and reply.error
