"""The chat screen, driven the way a person uses it (Textual pilot), with the offline demo model."""

import asyncio
import subprocess
import sys
from contextlib import asynccontextmanager
from typing import Any

import pytest
from rich.color import ColorSystem
from rich.segment import Segment
from textual import events
from textual.app import App
from textual.containers import VerticalScroll
from textual.strip import Strip
from textual.widgets import OptionList

from miniagents.ext.llm.demo import demo_agent, demo_reply_text
from miniagents.transcript_format import read_transcript_file
from tests.tui.helpers import FedModel, first_reply_started, messages_in, send, type_text, wait_for
from tui.app import ChatApp
from tui.config import Settings
from tui.screens.chat import ChatScreen
from tui.screens.dialogs import InputDialog
from tui.widgets import frame_pacer
from tui.widgets.chat_log import ChatLog
from tui.widgets.conversation_view import ConversationView
from tui.widgets.message_views import AssistantMessage, UserMessage
from tui.widgets.prompt import PromptInput
from tui.widgets.reply_body import ReplyBody
from tui.widgets.status_line import StatusLine
from tui.widgets.stream_stats import StreamProgress


def _plain(widget) -> str:
    """The text a Static widget shows."""
    rendered: Any = widget.render()
    return rendered.plain


async def test_prompt_has_focus_and_a_reply_streams_and_is_saved(tmp_path):
    path = tmp_path / "chat.md"
    app = ChatApp(Settings(tokens_per_second=0), path)
    async with app.run_test(size=(100, 40)) as pilot:
        assert isinstance(app.focused, PromptInput)
        await type_text(pilot, "hello there")
        await pilot.press("enter")
        await wait_for(lambda: len(messages_in(path)) == 2, pilot)
        assert app.screen.query_one(PromptInput).text == ""
        assert [_plain(w) for w in app.screen.query(UserMessage)] == ["hello there"]
        (reply,) = app.screen.query(AssistantMessage)
        assert reply.text == demo_reply_text("hello there")
    user, assistant = messages_in(path)
    assert (user.role, user.text) == ("user", "hello there")
    assert (assistant.role, assistant.text, assistant.model) == (
        "assistant",
        demo_reply_text("hello there"),
        "demo",
    )


async def test_ctrl_j_inserts_a_newline_instead_of_sending(tmp_path):
    app = ChatApp(Settings(tokens_per_second=0), tmp_path / "chat.md")
    async with app.run_test(size=(100, 40)) as pilot:
        await type_text(pilot, "line1")
        await pilot.press("ctrl+j")
        await type_text(pilot, "line2")
        assert app.screen.query_one(PromptInput).text == "line1\nline2"
        assert not app.screen.query(UserMessage)


async def test_escape_interrupts_the_reply_and_keeps_it_marked(tmp_path):
    path = tmp_path / "chat.md"
    app = ChatApp(Settings(tokens_per_second=5), path)
    async with app.run_test(size=(100, 40)) as pilot:
        await send(pilot, "go")
        await wait_for(lambda: first_reply_started(app), pilot)
        await pilot.press("escape")
        await wait_for(lambda: len(messages_in(path)) == 2, pilot)
        reply = app.screen.query(AssistantMessage)[0]
        assert "interrupted" in " ".join(_plain(w) for w in reply.query(".status"))
    assistant = messages_in(path)[1]
    assert assistant.status == "interrupted"
    assert 0 < len(assistant.text) < len(demo_reply_text("go"))


async def test_escape_while_typing_fast_stops_the_reply_at_once(tmp_path, monkeypatch):
    """Keys faster than a redraw hold the reply's frames, but not its end: Esc is not kept waiting."""
    monkeypatch.setattr(frame_pacer, "KEY_HOLD_SECONDS", 600.0)  # typing "goes on" for the whole test
    path = tmp_path / "chat.md"
    app = ChatApp(Settings(tokens_per_second=50), path)
    async with app.run_test(size=(100, 40)) as pilot:
        await send(pilot, "go")
        await wait_for(lambda: first_reply_started(app), pilot)
        app.pacer.note_redrawn(asyncio.get_running_loop().time() - 10)  # redraws seem slow: no turn fits
        await type_text(pilot, "abc")
        await pilot.press("escape")
        await wait_for(lambda: len(messages_in(path)) == 2, pilot, timeout=30)
        assert app.screen.query_one(PromptInput).text == "abc"
        shown = app.screen.query_one(AssistantMessage)
        reply = messages_in(path)[1]
        assert reply.status == "interrupted"
        assert shown.body.source == shown.text == reply.text  # every token that came is drawn


async def test_the_status_line_waits_while_keys_come(tmp_path, monkeypatch):
    """Its redraw twice a second made a key typed at that moment wait for it (36-40 ms)."""
    monkeypatch.setattr(frame_pacer, "KEY_HOLD_SECONDS", 600.0)
    app = ChatApp(Settings(tokens_per_second=20), tmp_path / "chat.md")
    async with app.run_test(size=(100, 40)) as pilot:
        await send(pilot, "go")
        await wait_for(lambda: first_reply_started(app), pilot)
        view = app.screen.query_one(ConversationView)
        status = view.query_one(".reply-status", StatusLine)
        progress = StreamProgress(started=0.0)
        progress.count_tokens(7)
        await pilot.press("x")  # the user types: keys come
        before = status.parts
        view.show_progress(progress)
        assert status.parts == before
        monkeypatch.setattr(frame_pacer, "KEY_HOLD_SECONDS", 0.0)  # the keys have stopped
        view.show_progress(progress)
        assert "7 tokens" in status.parts


async def test_the_status_line_counts_tokens_while_a_reply_streams(tmp_path):
    app = ChatApp(Settings(tokens_per_second=20), tmp_path / "chat.md")
    async with app.run_test(size=(100, 40)) as pilot:
        await send(pilot, "go")
        status = app.screen.query_one(".reply-status")
        await wait_for(lambda: " tokens · " in str(status.render()), pilot)
        assert isinstance(app.screen, ChatScreen) and app.screen.streaming  # still streaming
        assert "streaming… · " in str(status.render())
        await pilot.press("escape")


async def test_markup_in_user_text_is_shown_literally(tmp_path):
    app = ChatApp(Settings(tokens_per_second=0), tmp_path / "chat.md")
    async with app.run_test(size=(100, 40)) as pilot:
        await type_text(pilot, "[bold]x[/] [@click=app.quit]")
        await pilot.press("enter")
        await wait_for(lambda: bool(app.screen.query(AssistantMessage)), pilot)
        assert _plain(app.screen.query_one(UserMessage)) == "[bold]x[/] [@click=app.quit]"
        assert app.is_running


async def test_resume_shows_the_conversation_and_continues_the_same_file(tmp_path):
    path = tmp_path / "chat.md"
    first = ChatApp(Settings(tokens_per_second=0), path)
    async with first.run_test(size=(100, 40)) as pilot:
        await type_text(pilot, "one")
        await pilot.press("enter")
        await wait_for(lambda: len(messages_in(path)) == 2, pilot)
    second = ChatApp(Settings(tokens_per_second=0), path)
    async with second.run_test(size=(100, 40)) as pilot:
        await wait_for(lambda: len(second.screen.query(AssistantMessage)) == 1, pilot)
        await type_text(pilot, "two")
        await pilot.press("enter")
        await wait_for(lambda: len(messages_in(path)) == 4, pilot)
    assert [m.text for m in messages_in(path)][::2] == ["one", "two"]


def test_resume_refuses_an_unreadable_file_with_one_line_and_leaves_it(tmp_path):
    junk = tmp_path / "junk.md"
    junk.write_bytes(b"\x00\xffnot a transcript")
    result = subprocess.run(
        [sys.executable, "-m", "tui", "--resume", str(junk)], capture_output=True, text=True, timeout=30
    )
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "cannot resume" in result.stderr
    assert junk.read_bytes() == b"\x00\xffnot a transcript"


def test_unknown_model_is_refused_with_what_to_do():
    result = subprocess.run(
        [sys.executable, "-m", "tui", "--model", "nonsense"], capture_output=True, text=True, timeout=30
    )
    assert result.returncode == 2
    assert "openai:<model>" in result.stderr


@pytest.mark.parametrize(
    ("option", "value"),
    [("--max-retries", "-1"), ("--idle-timeout", "0"), ("--idle-timeout", "-5"), ("--demo-speed", "-3")],
)
def test_impossible_numbers_are_refused_in_one_line(option, value):
    result = subprocess.run(
        [sys.executable, "-m", "tui", f"{option}={value}"], capture_output=True, text=True, timeout=30
    )
    assert result.returncode == 2
    last = result.stderr.strip().splitlines()[-1]
    assert option in last and value in last and "give" in last


def test_help_names_the_environment_and_the_defaults():
    result = subprocess.run(
        [sys.executable, "-m", "tui", "--help"], capture_output=True, text=True, timeout=30
    )
    assert result.returncode == 0
    for expected in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "ANTHROPIC_API_KEY", "default: 200", "repeat"):
        assert expected in result.stdout, expected


async def test_quitting_mid_stream_saves_the_partial_reply_marked_interrupted(tmp_path):
    path = tmp_path / "chat.md"
    app = ChatApp(Settings(tokens_per_second=5), path)  # slow: the reply cannot finish on a loaded machine
    async with app.run_test(size=(100, 40)) as pilot:
        await send(pilot, "go")
        await wait_for(lambda: first_reply_started(app), pilot)
        await pilot.press("ctrl+q")
    user, assistant = messages_in(path)
    assert user.text == "go"
    assert assistant.status == "interrupted"
    assert 0 < len(assistant.text) < len(demo_reply_text("go"))


async def test_regenerate_replaces_the_reply_and_keeps_the_old_one_in_the_transcript(tmp_path):
    path = tmp_path / "chat.md"
    app = ChatApp(Settings(tokens_per_second=0), path)
    async with app.run_test(size=(100, 40)) as pilot:
        await send(pilot, "hi")
        await wait_for(lambda: len(messages_in(path)) == 2, pilot)
        app.session.switch_model("demo")  # the same model answers differently on a later turn count
        await pilot.press("ctrl+r")
        await wait_for(lambda: len(messages_in(path)) == 3, pilot)
        await wait_for(lambda: len(app.screen.query(AssistantMessage)) == 1, pilot)
    user, old, new = messages_in(path)
    assert old.superseded is True and "superseded" not in new.model_dump()
    assert (user.text, new.role) == ("hi", "assistant")


async def test_edit_and_resend_an_earlier_prompt(tmp_path):
    path = tmp_path / "chat.md"
    app = ChatApp(Settings(tokens_per_second=0), path)
    async with app.run_test(size=(100, 40)) as pilot:
        await send(pilot, "first")
        await wait_for(lambda: len(messages_in(path)) == 2, pilot)
        await send(pilot, "second")
        await wait_for(lambda: len(messages_in(path)) == 4, pilot)
        app.screen.query(UserMessage)[0].focus()
        await pilot.press("enter")
        assert app.screen.query_one(PromptInput).text == "first"
        app.screen.query_one(PromptInput).text = "first, edited"
        await pilot.press("enter")
        await wait_for(lambda: len(messages_in(path)) == 6, pilot)
        await wait_for(lambda: len(app.screen.query(AssistantMessage)) == 1, pilot)
        assert [w.text for w in app.screen.query(UserMessage)] == ["first, edited"]
    messages = messages_in(path)
    assert [getattr(m, "superseded", False) for m in messages] == [True, True, True, True, False, False]
    assert messages[4].text == "first, edited"
    assert messages[5].text == demo_reply_text("first, edited")  # the assistant saw only the edited turn


async def test_switch_model_and_system_prompt_through_the_dialogs(tmp_path, llm_server, monkeypatch):
    path = tmp_path / "chat.md"
    monkeypatch.setenv("OPENAI_BASE_URL", llm_server.openai_base_url)
    app = ChatApp(Settings(tokens_per_second=0, models=["demo"]), path)
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.press("ctrl+o")
        await wait_for(lambda: app.screen.__class__.__name__ == "InputDialog", pilot)
        app.screen.query_one("#answer").value = "openai:fake-model"  # type: ignore[attr-defined]
        await pilot.press("enter")
        await pilot.press("ctrl+s")
        await wait_for(lambda: app.screen.__class__.__name__ == "InputDialog", pilot)
        app.screen.query_one("#answer").value = "Be terse."  # type: ignore[attr-defined]
        await pilot.press("enter")
        await wait_for(lambda: app.screen.__class__.__name__ == "ChatScreen", pilot)
        await send(pilot, "hello server")
        await wait_for(lambda: len(messages_in(path)) == 2, pilot)
    assert app.session.model_spec == "openai:fake-model"
    body = llm_server.requests[-1].body
    assert body["model"] == "fake-model"
    assert body["messages"][0] == {"role": "system", "content": "Be terse."}
    assert messages_in(path)[1].text == "You said: hello server"
    parsed = read_transcript_file(path)
    assert parsed is not None and parsed.fields["system"] == "Be terse."


async def test_copy_the_last_reply_and_a_code_block(tmp_path):
    app = ChatApp(Settings(tokens_per_second=0), tmp_path / "chat.md")
    async with app.run_test(size=(100, 40)) as pilot:
        await send(pilot, "show code")
        await wait_for(lambda: len(messages_in(tmp_path / "chat.md")) == 2, pilot)
        await pilot.press("ctrl+l")
        await wait_for(lambda: app.clipboard == demo_reply_text("show code"), pilot)
        app.screen.query_one(AssistantMessage).focus()
        await pilot.press("ctrl+b")
        await wait_for(lambda: app.clipboard != demo_reply_text("show code"), pilot)
        assert "```" not in app.clipboard and app.clipboard in demo_reply_text("show code")


async def test_regenerate_after_a_failed_turn_sends_the_unanswered_prompt_again(tmp_path):
    path = tmp_path / "chat.md"
    app = ChatApp(Settings(tokens_per_second=0), path)
    async with app.run_test(size=(100, 40)) as pilot:
        await send(pilot, "first")
        await wait_for(lambda: len(messages_in(path)) == 2, pilot)
        app.session.switch_model("openai:x")  # no key: the turn fails before any reply
        await send(pilot, "second")
        await wait_for(lambda: bool(app.screen.query(".error")), pilot)
        app.session.switch_model("demo")
        await pilot.press("ctrl+r")
        await wait_for(lambda: len(_active_texts(path)) == 4, pilot)
    assert _active_texts(path) == [
        "first",
        demo_reply_text("first"),
        "second",
        demo_reply_text("second", turn=2),
    ]


def _active_texts(path) -> list[str]:
    return [m.text for m in messages_in(path) if not getattr(m, "superseded", False)]


async def test_provider_errors_show_in_the_chat_and_the_chat_goes_on(tmp_path, llm_server, monkeypatch):
    from tests.fakes.llm_server import Status

    path = tmp_path / "chat.md"
    monkeypatch.setenv("OPENAI_BASE_URL", llm_server.openai_base_url)
    llm_server.script(Status(401, message="bad key"))
    app = ChatApp(Settings(models=["openai:m"], max_retries=0), path)
    async with app.run_test(size=(100, 40)) as pilot:
        await send(pilot, "first")
        await wait_for(lambda: bool(app.screen.query(".error")), pilot)
        text = " ".join(_plain(w) for w in app.screen.query(".error"))
        assert "OpenAI: 401 unauthorized" in text and "OPENAI_API_KEY" in text
        await send(pilot, "second")
        await wait_for(lambda: any(m.text == "You said: second" for m in messages_in(path)), pilot)


async def test_command_palette_lists_the_chat_actions(tmp_path):
    app = ChatApp(Settings(tokens_per_second=0), tmp_path / "chat.md")
    async with app.run_test(size=(100, 40)):
        titles = {command.title for command in app.get_system_commands(app.screen)}
    assert {
        "Regenerate",
        "Edit last prompt",
        "Switch model",
        "System prompt",
        "Transcripts",
        "Compare models",
    } <= titles


def _long_markdown() -> str:
    """About 9,000 characters: paragraphs, code blocks with blank lines inside, a link, headings."""
    parts = []
    for index in range(40):
        parts.append(f"## Part {index}\n\nSome words about part {index}, " + "and more words " * 8)
        if index % 5 == 0:
            parts.append("```python\ndef f():\n\n    return 1\n\n\nprint(f())\n```")
    parts.append("A [link](https://example.com/x) at the end.")
    return "\n\n".join(parts)


async def test_a_long_reply_is_shown_whole_in_pieces_cut_outside_code(tmp_path):
    text = _long_markdown()
    app = ChatApp(Settings(), tmp_path / "chat.md")
    async with app.run_test(size=(100, 40)) as pilot:
        app.session.agent = demo_agent.fork(script=[text], tokens_per_second=3000)
        await send(pilot, "go")
        await wait_for(lambda: len(messages_in(tmp_path / "chat.md")) == 2, pilot)
        body = app.screen.query_one(ReplyBody)
        assert body.source == text
        assert len(body.pieces) > 3
        assert all(piece.count("```") % 2 == 0 for piece in body.pieces)
        # the link is shown as text with its address, never as a terminal hyperlink
        lines = [body.render_line(y) for y in range(body.size.height)]
        shown = "".join(segment.text for line in lines for segment in line)
        assert "https://example.com/x" in shown
        assert not any(segment.style and segment.style.link for line in lines for segment in line)


class _OneReply(App[None]):
    """An app showing one `ReplyBody` in a scrolling container."""

    def __init__(self, source: str) -> None:
        super().__init__()
        self.source = source

    def compose(self):
        with VerticalScroll():
            yield ReplyBody(self.source)


async def test_text_added_to_a_reply_is_measured_at_once_and_drawn_when_shown(monkeypatch):
    """Pieces it completes render as the text comes; the frame that shows it renders the last one."""
    app = _OneReply(_long_markdown())  # (it scrolls from the start: its width stays)
    async with app.run_test(size=(80, 30)) as pilot:
        body = app.query_one(ReplyBody)
        body.growing = True
        await wait_for(lambda: body.size.height > body.line_count > 0, pilot)
        await pilot.pause()
        rendered: list[str] = []
        render_piece = body.render_piece
        monkeypatch.setattr(
            body, "render_piece", lambda source, width: rendered.append(source) or render_piece(source, width)
        )
        height, before = body.size.height, len(body.pieces)
        body.add("\n\n" + _long_markdown()[:3000])  # a few pieces (all kept: see KEPT_PIECES)
        assert rendered == body.pieces[before - 1 : -1]  # the pieces it completed, each once
        await pilot.pause()
        assert body.size.height == height  # not shown yet
        rendered.clear()
        body.show_added()
        shown = body.line_count
        assert rendered == [body.pieces[-1]]  # the last one only
        body.add("\n\nMore words that come before the frame that shows the text before them.")
        rendered.clear()
        await wait_for(lambda: body.size.height > shown > height, pilot)  # all that was shown fits
        assert body.size.height - shown <= ReplyBody.HEADROOM_LINES  # (what came after: not yet)
        assert rendered == []  # the layout did not render the growing piece again


async def test_a_line_drawn_again_unchanged_is_not_made_again_but_a_changed_one_is():
    """The view that follows a growing reply scrolls, and every line on screen is drawn again."""
    app = _OneReply(_long_markdown() + "\n\nThe last words")
    async with app.run_test(size=(80, 30)) as pilot:
        body = app.query_one(ReplyBody)
        await wait_for(lambda: body.size.height > 0, pilot)
        last = body.line_count - 1
        first_line, last_line = body.render_line(0), body.render_line(last)
        assert body.render_line(0) is first_line  # kept as drawn
        body.add(" go on")  # the last piece grows: its lines are rendered anew
        body.show_added()
        assert body.render_line(0) is first_line
        changed = body.render_line(last)
        assert changed is not last_line
        assert "go on" in changed.text and "go on" not in last_line.text


async def test_text_that_streams_while_keys_come_is_held_until_a_turn(tmp_path, monkeypatch):
    """Measuring it could make a key wait: it is measured and drawn at the reply's next turn."""
    monkeypatch.setattr(frame_pacer, "KEY_HOLD_SECONDS", 60.0)  # only the pacer's rules decide
    async with _fed_reply(tmp_path) as (pilot, model, body):
        reply = pilot.app.screen.query(AssistantMessage).last()
        pilot.app.screen.query_one(ConversationView).pacer.note_key()  # a key is being handled
        model.feed("Held back.")
        await wait_for(lambda: reply.text == "Held back.", pilot)
        assert "Held" not in body.source
        model.finish()  # the end is drawn at once
        await wait_for(lambda: body.source == "Held back.", pilot)


async def test_a_very_long_reply_keeps_few_pieces_drawn_yet_draws_every_line_right():
    text = "\n\n".join([_long_markdown()] * 6)  # about 54,000 characters
    app = _OneReply(text[:30_000])
    async with app.run_test(size=(80, 30)) as pilot:
        body = app.query_one(ReplyBody)
        body.add(text[30_000:])  # streamed on: the pieces it completes are measured as they settle
        body.show_added()
        await wait_for(lambda: body.size.height > 0, pilot)
        await pilot.pause()

        def segments(strip) -> list:
            return [(segment.text, segment.style) for segment in strip]

        width = body.size.width
        blank = [Segment(" " * width, body.rich_style)]
        rendered = [
            line
            for index, piece in enumerate(body.pieces)
            for line in body.render_piece(piece, width)
            + ([blank] if index < len(body.pieces) - 1 and piece.endswith("\n\n") else [])
        ]
        # simplified (same-style runs joined), and with each cell's offset for mouse selection
        expected = [
            segments(Strip(line, width).simplify().apply_offsets(0, y)) for y, line in enumerate(rendered)
        ]
        assert body.size.height == len(expected)
        for order in (list(range(len(expected))), list(reversed(range(len(expected))))):
            assert [segments(body.render_line(y)) for y in order] == [expected[y] for y in order]
        assert body.kept_pieces <= ReplyBody.KEPT_PIECES < len(body.pieces)


async def _reply_with_code(pilot, path) -> ReplyBody:
    """Ask the demo model for its reply with a code block; its body once the reply is saved."""
    await send(pilot, "show me some code")
    await wait_for(lambda: len(messages_in(path)) == 2, pilot)
    return pilot.app.screen.query_one(ReplyBody)


async def test_text_selected_with_the_mouse_in_a_reply_is_highlighted_and_copied(tmp_path):
    app = ChatApp(Settings(tokens_per_second=0), tmp_path / "chat.md")
    async with app.run_test(size=(100, 40)) as pilot:
        body = await _reply_with_code(pilot, tmp_path / "chat.md")
        shown = ["".join(segment.text for segment in body.render_line(y)).rstrip() for y in range(3)]
        left = body.styles.gutter.left  # (the message's bar, drawn by the body)
        await pilot.mouse_down(body, offset=(left + 2, 0))
        await pilot.hover(body, offset=(left + 6, 2))
        await pilot.mouse_up(body, offset=(left + 6, 2))
        expected = "\n".join([shown[0][2:], shown[1], shown[2][:7]])
        assert app.screen.get_selected_text() == expected
        selection = app.screen.get_component_rich_style("screen--selection")
        assert all(
            segment.style and segment.style.bgcolor == selection.bgcolor for segment in body.render_line(1)
        )
        # #12.18: selected text stays readable, in true colour and on a 256-colour terminal
        selected = [segment for y in range(3) for segment in body.render_line(y) if segment.text.strip()]
        assert any(segment.style and segment.style.bgcolor == selection.bgcolor for segment in selected)
        for segment in selected:
            if segment.style is not None and segment.style.bgcolor == selection.bgcolor:
                foreground, background = segment.style.color, segment.style.bgcolor
                assert foreground is not None and foreground != background
                eight_bit = [c.downgrade(ColorSystem.EIGHT_BIT).number for c in (foreground, background) if c]
                assert eight_bit[0] != eight_bit[1], segment
        await pilot.press("ctrl+c")
        assert app.clipboard == expected


async def test_a_reply_is_drawn_again_in_the_colours_of_a_new_theme(tmp_path):
    app = ChatApp(Settings(tokens_per_second=0), tmp_path / "chat.md")
    async with app.run_test(size=(100, 40)) as pilot:
        piece = await _reply_with_code(pilot, tmp_path / "chat.md")

        def styles() -> set:
            return {segment.style for y in range(piece.size.height) for segment in piece.render_line(y)}

        dark = styles()
        app.theme = "textual-light"
        await wait_for(lambda: styles() != dark, pilot)
        assert "".join(s.text for s in piece.render_line(0)).strip()  # still shows the text


def _wheel_up(chat_log) -> None:
    """What a mouse wheel turned up over the chat sends."""
    chat_log.post_message(events.MouseScrollUp(chat_log, 5, 5, 0, -1, 0, False, False, False))


async def test_the_view_follows_new_text_until_the_user_scrolls_up_and_again_at_the_bottom(tmp_path):
    model = FedModel()
    paragraphs = iter(_long_markdown().split("\n\n") * 20)
    app = ChatApp(Settings(), tmp_path / "chat.md")
    async with app.run_test(size=(100, 30)) as pilot:
        app.session.agent = model.agent
        await send(pilot, "go")
        chat_log = app.screen.query_one(ChatLog)

        await model.grow(chat_log, pilot, 20, paragraphs)
        await wait_for(lambda: chat_log.scroll_y == chat_log.max_scroll_y, pilot)  # following
        for _ in range(5):
            _wheel_up(chat_log)
        await wait_for(lambda: chat_log.scroll_y < chat_log.max_scroll_y - 5, pilot)
        held = chat_log.scroll_y
        await model.grow(chat_log, pilot, 10, paragraphs)
        assert chat_log.scroll_y == held  # new text does not pull the reader down
        chat_log.scroll_end(animate=False)  # back at the bottom (the End key, or the wheel)
        await wait_for(lambda: chat_log.scroll_y == chat_log.max_scroll_y, pilot)
        await model.grow(chat_log, pilot, 5, paragraphs)
        await wait_for(lambda: chat_log.scroll_y == chat_log.max_scroll_y, pilot)  # following again
        model.finish()


async def test_a_long_streaming_reply_takes_room_in_steps_and_new_words_repaint_only_their_lines(
    tmp_path, monkeypatch
):
    """#15: a reply that grows by a line no longer lays out (and repaints) the whole screen each frame."""
    refreshes: list[tuple[int, bool]] = []
    refresh = ReplyBody.refresh

    def recording(body, *regions, **options):
        refreshes.append((len(regions), options.get("layout", False)))
        return refresh(body, *regions, **options)

    monkeypatch.setattr(ReplyBody, "refresh", recording)
    model = FedModel()
    paragraphs = iter(_long_markdown().split("\n\n") * 20)
    room = ReplyBody.HEADROOM_LINES
    app = ChatApp(Settings(), tmp_path / "chat.md")
    async with app.run_test(size=(100, 60)) as pilot:  # (a reply that fills the view: see below)
        app.session.agent = model.agent
        await send(pilot, "go")
        body = await wait_for(lambda: (found := app.screen.query(ReplyBody)) and found.last(), pilot)
        while body.line_count <= 3 * room:  # (fewer lines than the view shows)
            model.feed(next(paragraphs) + "\n\n")
            await pilot.pause(0.01)
        await wait_for(lambda: body.size.height >= body.line_count > 2 * room, pilot)
        assert body.size.height - body.line_count <= room
        height = body.size.height
        if height - body.line_count < 3:
            model.feed("\n\nA line.\n\n")  # the next line takes room anew
            await wait_for(lambda: body.size.height > height, pilot)
            height = body.size.height
            assert height - body.line_count == room
        refreshes.clear()
        model.feed("word")  # fits on the last line
        await wait_for(lambda: body.source.endswith("word") and refreshes, pilot)
        assert refreshes == [(1, False)]  # the piece's lines only, no layout
        assert body.size.height == height
        model.finish()
        await wait_for(lambda: not body.growing, pilot)
        await wait_for(lambda: body.size.height == body.line_count, pilot)  # the room is given back


@asynccontextmanager
async def _fed_reply(tmp_path, size=(100, 30)):
    """A chat streaming a reply of what the test feeds it: the pilot, the fed model, the reply's body."""
    model = FedModel()
    app = ChatApp(Settings(), tmp_path / "chat.md")
    async with app.run_test(size=size) as pilot:
        app.session.agent = model.agent
        await send(pilot, "go")
        yield (
            pilot,
            model,
            await wait_for(lambda: (found := app.screen.query(ReplyBody)) and found.last(), pilot),
        )


async def test_the_chat_has_its_scrollbar_before_anything_overflows(tmp_path):
    """#15: shown only as a reply outgrew the view, it asked for a second layout of the screen (with
    four panes filling at once, a key typed then waited for it). Its track is not seen (snapshots)."""
    app = ChatApp(Settings(), tmp_path / "chat.md")
    async with app.run_test(size=(100, 30)) as pilot:
        chat_log = app.screen.query_one(ChatLog)
        await wait_for(lambda: chat_log.size.height > 0, pilot)
        assert chat_log.max_scroll_y == 0 and chat_log.show_vertical_scrollbar


async def test_a_streaming_reply_takes_room_before_its_first_token(tmp_path):
    """Its first frames would otherwise each lay out the screen, when a key typed as it starts comes."""
    async with _fed_reply(tmp_path) as (pilot, model, body):
        await wait_for(lambda: body.size.height == ReplyBody.HEADROOM_LINES, pilot)
        assert body.line_count == 0
        model.feed("One line.")
        await wait_for(lambda: body.line_count == 1, pilot)
        assert body.size.height == ReplyBody.HEADROOM_LINES  # it fits in the room: no layout
        model.finish()
        await wait_for(lambda: body.size.height == 1, pilot)  # the room is given back


async def test_a_reply_that_outgrows_its_room_lays_the_screen_out_once(tmp_path):
    """A second layout, asked for by the new sizes the first one found, repainted the whole view."""
    async with _fed_reply(tmp_path, size=(100, 120)) as (pilot, model, body):  # (it fits in the view)
        model.feed("\n\n".join(f"Paragraph {number}." for number in range(30)))  # the view scrolls now
        await wait_for(lambda: body.line_count > 50 and body.size.height >= body.line_count, pilot)
        await pilot.pause()
        layouts = []
        pilot.app.screen.screen_layout_refresh_signal.subscribe(pilot.app, layouts.append, immediate=True)
        before = body.line_count
        model.feed("".join(f"\n\nMore {number}." for number in range(20)))  # more lines than its room
        await wait_for(lambda: body.line_count > before + 20 and body.size.height >= body.line_count, pilot)
        await pilot.pause()  # (a layout asked for meanwhile happens in these)
        await pilot.pause()
        assert len(layouts) == 1
        model.finish()


def _last_text_line(app) -> str:
    """The last of the test's paragraphs (`Paragraph 1.`, `More 2.`, `Part 3.`, `Line 4.`) on screen."""
    import re

    found = re.findall(r"(?:Paragraph|More|Part|Line) \d+\.", _screen_text(app))
    return found[-1] if found else ""


async def test_a_reply_that_fills_the_view_that_follows_it_grows_without_laying_the_screen_out(tmp_path):
    """#15: only its last lines are laid out, as many as the view shows: new text repaints it in place
    (the view does not scroll), where every frame laid the screen out again."""
    async with _fed_reply(tmp_path) as (pilot, model, body):
        chat_log = pilot.app.screen.query_one(ChatLog)
        for number in range(40):  # (as it streams: its first frame measures it)
            model.feed(f"Paragraph {number}.\n\n")
            await wait_for(lambda n=number: f"Paragraph {n}." in body.source, pilot)
        view = chat_log.scrollable_content_region
        await wait_for(lambda: body.tail_only and body.size.height == view.height, pilot)
        await wait_for(lambda: _last_text_line(pilot.app) == "Paragraph 39.", pilot)
        await pilot.pause()
        hidden = body.line_count - body.size.height
        assert chat_log.vertical_scrollbar.window_virtual_size == chat_log.virtual_size.height + hidden
        layouts = []
        pilot.app.screen.screen_layout_refresh_signal.subscribe(pilot.app, layouts.append, immediate=True)
        for number in range(10):
            model.feed(f"More {number}.\n\n")
            await wait_for(lambda n=number: _last_text_line(pilot.app) == f"More {n}.", pilot)
        assert layouts == []
        assert chat_log.scroll_y == chat_log.max_scroll_y  # still following
        # the scrollbar shows the whole reply, not only what is laid out
        whole = chat_log.virtual_size.height + body.line_count - body.size.height
        await wait_for(lambda: chat_log.vertical_scrollbar.window_virtual_size == whole, pilot)
        assert chat_log.vertical_scrollbar.position == whole - chat_log.scrollable_content_region.height
        model.finish()
        await wait_for(lambda: not body.tail_only and body.size.height == body.line_count, pilot)
        await wait_for(lambda: chat_log.scroll_y == chat_log.max_scroll_y, pilot)
        assert _last_text_line(pilot.app) == "More 9."  # laid out whole: the same lines at the bottom


async def test_a_reply_outgrowing_its_room_takes_the_views_height_if_room_anew_would_reach_it(tmp_path):
    """#15: then the screen is laid out once as it fills the view, not once as it takes room and
    again a turn later as it shows only its last lines (a key typed as four panes fill waited for
    both). A conversation that fits in the view also counts as followed."""
    async with _fed_reply(tmp_path) as (pilot, model, body):
        view = pilot.app.screen.query_one(ChatLog).scrollable_content_region.height
        model.feed("Line 0.\n\n")
        await wait_for(lambda: body.line_count == 1 and body.size.height == ReplyBody.HEADROOM_LINES, pilot)
        paragraphs = (view - 3 + 1) // 2  # a blank line between two: about 3 lines short of the view
        model.feed("".join(f"Line {n}.\n\n" for n in range(1, paragraphs)))
        await wait_for(lambda: f"Line {paragraphs - 1}." in body.source, pilot)
        await wait_for(lambda: body.size.height == view, pilot)
        assert ReplyBody.HEADROOM_LINES < body.line_count < view <= body.line_count + ReplyBody.HEADROOM_LINES
        assert body.tail_only  # (and stays so: growing on, it repaints in place; see the test above)
        model.feed("".join(f"Line {n}.\n\n" for n in range(paragraphs, paragraphs + 5)))
        await wait_for(lambda: _last_text_line(pilot.app) == f"Line {paragraphs + 4}.", pilot)
        assert body.tail_only and body.size.height == view
        model.finish()


@pytest.mark.parametrize("how", ["wheel", "page up"])
async def test_scrolling_up_from_a_reply_that_shows_its_last_lines_shows_the_lines_above_them(tmp_path, how):
    """It is laid out whole first (the view kept at the bottom meanwhile), then the view scrolls."""
    async with _fed_reply(tmp_path) as (pilot, model, body):
        chat_log = pilot.app.screen.query_one(ChatLog)
        for number in range(60):
            model.feed(f"Part {number}.\n\n")
            await wait_for(lambda n=number: f"Part {n}." in body.source, pilot)
        await wait_for(lambda: body.tail_only and _last_text_line(pilot.app) == "Part 59.", pilot)
        if how == "wheel":
            _wheel_up(chat_log)
            lines = pilot.app.scroll_sensitivity_y
        else:
            await pilot.press("pageup")
            lines = chat_log.scrollable_content_region.height
        await wait_for(lambda: not body.tail_only and chat_log.scroll_y < chat_log.max_scroll_y, pilot)
        assert chat_log.scroll_y == chat_log.max_scroll_y - lines
        texts = [body.render_line(y).text.strip(" ▎") for y in range(body.size.height)]
        assert texts[-1] == "Part 59."  # (no room below the text: the bottom of the view as it was)
        last_shown = [text for text in texts[: len(texts) - int(lines)] if text.startswith("Part")][-1]
        await wait_for(lambda: _last_text_line(pilot.app) == last_shown, pilot)
        model.feed("Part 60.\n\n")  # the reader is scrolled up: no longer only the last lines
        await wait_for(lambda: "Part 60." in body.source, pilot)
        await pilot.pause()
        assert not body.tail_only and _last_text_line(pilot.app) == last_shown
        model.finish()


async def test_ctrl_end_goes_back_to_the_bottom_and_follows_the_reply_again(tmp_path):
    """Paging down a fast reply gains a page a key; Ctrl+End catches up at once."""
    async with _fed_reply(tmp_path) as (pilot, model, body):
        chat_log = pilot.app.screen.query_one(ChatLog)
        for number in range(60):
            model.feed(f"Part {number}.\n\n")
            await wait_for(lambda n=number: f"Part {n}." in body.source, pilot)
        await wait_for(lambda: _last_text_line(pilot.app) == "Part 59.", pilot)
        await pilot.press("pageup", "pageup")
        await wait_for(lambda: chat_log.scroll_y < chat_log.max_scroll_y - chat_log.size.height, pilot)
        model.feed("Part 60.\n\n")  # the reader is scrolled up: not shown yet
        await wait_for(lambda: "Part 60." in body.source, pilot)
        await pilot.press("ctrl+end")
        await wait_for(lambda: _last_text_line(pilot.app) == "Part 60.", pilot)
        model.feed("Part 61.\n\n")  # followed again
        await wait_for(lambda: _last_text_line(pilot.app) == "Part 61.", pilot)
        assert chat_log.scroll_y == chat_log.max_scroll_y
        model.finish()


async def test_paragraphs_are_a_blank_line_apart_also_where_a_long_reply_is_cut_into_pieces():
    text = "".join(f"Para{p} " + " ".join(f"w{p}_{i}" for i in range(12)) + "\n\n" for p in range(60))
    app = _OneReply(text[:2000])
    async with app.run_test(size=(80, 30)) as pilot:
        body = app.query_one(ReplyBody)
        body.growing = True
        await wait_for(lambda: body.size.height > 0, pilot)
        body.add(text[2000:])  # streamed on: a piece that grew last is cut, and another
        body.show_added()
        body.growing = False
        await wait_for(lambda: body.size.height == body.line_count, pilot)
        assert len(body.pieces) > 3
        lines = [body.render_line(y).text.strip() for y in range(body.size.height)]
        paragraphs = [y for y, line in enumerate(lines) if line.startswith("Para")]
        assert len(paragraphs) == 60
        assert all(lines[y - 1] == "" for y in paragraphs[1:])


async def test_text_that_comes_after_a_turn_is_drawn_at_the_next_one_and_renders_once():
    """The frame after a turn draws what the turn showed: text streaming in meanwhile waits for the
    next turn, and the growing piece is not rendered a second time for that frame."""
    app = _OneReply("Some words")
    async with app.run_test(size=(80, 30)) as pilot:
        body = app.query_one(ReplyBody)
        body.growing = True
        await wait_for(lambda: body.size.height > 0 and "Some words" in body.render_line(0).text, pilot)
        body.add(" and more")
        body.show_added()
        rendered: list[str] = []
        render_piece = body.render_piece
        body.render_piece = lambda source, width: rendered.append(source) or render_piece(source, width)
        body.add(" and then some")  # after the turn, before its frame
        assert "and more" in body.render_line(0).text
        assert "then some" not in body.render_line(0).text
        assert rendered == []
        body.show_added()
        assert "then some" in body.render_line(0).text
        assert rendered == ["Some words and more and then some"]


async def test_replies_keep_their_width_when_the_conversation_starts_to_scroll(tmp_path):
    """Room for the scrollbar is kept from the start: its arrival re-wrapped (re-rendered) every reply,
    a 100 ms frame in the four-pane view that a key typed then waited for."""
    app = ChatApp(Settings(tokens_per_second=0), tmp_path / "chat.md")
    async with app.run_test(size=(100, 30)) as pilot:
        await send(pilot, "first")
        await wait_for(lambda: len(messages_in(tmp_path / "chat.md")) == 2, pilot)
        first = app.screen.query_one(ReplyBody)
        width = first.size.width
        chat_log = app.screen.query_one(ChatLog)
        assert chat_log.max_scroll_y == 0
        for number in range(2, 6):
            await send(pilot, f"more {number}")
            await wait_for(lambda n=number: len(messages_in(tmp_path / "chat.md")) == 2 * n, pilot)
        assert chat_log.max_scroll_y > 0  # it scrolls now
        assert first.size.width == width


async def test_page_up_and_down_in_the_prompt_scroll_the_conversation(tmp_path):
    model = FedModel()
    paragraphs = iter(_long_markdown().split("\n\n") * 20)
    app = ChatApp(Settings(), tmp_path / "chat.md")
    async with app.run_test(size=(100, 30)) as pilot:
        app.session.agent = model.agent
        await send(pilot, "go")
        chat_log = app.screen.query_one(ChatLog)

        await model.grow(chat_log, pilot, 40, paragraphs)
        await pilot.press("pageup", "pageup")
        assert isinstance(app.focused, PromptInput)
        await wait_for(lambda: chat_log.scroll_y < chat_log.max_scroll_y - 30, pilot)
        held = chat_log.scroll_y
        await model.grow(chat_log, pilot, 10, paragraphs)
        assert chat_log.scroll_y == held  # reading back: new text does not pull the view down
        for _ in range(int(chat_log.max_scroll_y // chat_log.size.height) + 3):
            await pilot.press("pagedown")  # to the bottom, and a few more presses there
        await model.grow(chat_log, pilot, 5, paragraphs)
        await wait_for(lambda: chat_log.scroll_y == chat_log.max_scroll_y, pilot)  # following again
        await pilot.press("escape")
        await wait_for(lambda: len(messages_in(tmp_path / "chat.md")) == 2, pilot)
        await wait_for(lambda: chat_log.scroll_y == chat_log.max_scroll_y, pilot)
        assert app.screen.query_one(PromptInput).text == ""  # the keys never reached the prompt


async def test_a_long_chat_keeps_only_the_newest_messages_mounted(tmp_path, monkeypatch):
    monkeypatch.setattr(ChatLog, "MAX_MOUNTED", 4)
    path = tmp_path / "chat.md"
    app = ChatApp(Settings(tokens_per_second=0), path)
    async with app.run_test(size=(100, 30)) as pilot:
        for turn in range(4):
            await send(pilot, f"turn {turn}")
            await wait_for(lambda t=turn: len(messages_in(path)) == 2 * (t + 1), pilot)
        shown = [widget.text for widget in app.screen.query(UserMessage)]
        assert shown == ["turn 2", "turn 3"]
        assert len(app.screen.query(AssistantMessage)) == 2
    assert [m.text for m in messages_in(path)][::2] == [f"turn {turn}" for turn in range(4)]


async def test_running_the_app_leaves_the_garbage_collector_as_it_was(tmp_path):
    import gc

    before = gc.get_threshold(), gc.get_freeze_count()
    app = ChatApp(Settings(tokens_per_second=0), tmp_path / "chat.md")
    async with app.run_test(size=(100, 40)) as pilot:
        await send(pilot, "hello")
        await wait_for(lambda: len(messages_in(tmp_path / "chat.md")) == 2, pilot)
    assert (gc.get_threshold(), gc.get_freeze_count()) == before  # only `main()` tunes it


async def test_quitting_leaves_no_agent_running_and_the_context_closed(tmp_path):
    app = ChatApp(Settings(tokens_per_second=5), tmp_path / "chat.md")
    async with app.run_test(size=(100, 40)) as pilot:
        await send(pilot, "hello")
        await wait_for(lambda: first_reply_started(app), pilot)
        assert app.agents.active_tasks  # the reply and the dialog loop's agents
    assert not app.agents.active_tasks
    saved = messages_in(tmp_path / "chat.md")
    assert getattr(saved[-1], "status", None) == "interrupted"


async def test_a_system_prompt_from_the_command_line_is_saved_and_a_resume_keeps_it(tmp_path):
    path = tmp_path / "chat.md"
    app = ChatApp(Settings(tokens_per_second=0, system="Answer like a pirate."), path)
    async with app.run_test(size=(100, 40)) as pilot:
        await send(pilot, "hello")
        await wait_for(lambda: len(messages_in(path)) == 2, pilot)
    parsed = read_transcript_file(path)
    assert parsed is not None and parsed.fields["system"] == "Answer like a pirate."
    resumed = ChatApp(Settings(tokens_per_second=0), path)  # no --system this time
    async with resumed.run_test(size=(100, 40)):
        assert resumed.session.system_prompt == "Answer like a pirate."


async def test_a_chat_that_never_starts_leaves_no_transcript(tmp_path):
    path = tmp_path / "chat.md"
    app = ChatApp(Settings(tokens_per_second=0, system="Be brief."), path)
    async with app.run_test(size=(100, 40)) as pilot:
        await wait_for(lambda: isinstance(app.screen, ChatScreen), pilot)
    assert not path.exists()


async def test_typing_on_a_focused_message_goes_to_the_prompt_and_fires_nothing(tmp_path):
    path = tmp_path / "chat.md"
    app = ChatApp(Settings(tokens_per_second=0), path)
    async with app.run_test(size=(100, 40)) as pilot:
        await send(pilot, "first")
        await wait_for(lambda: len(messages_in(path)) == 2, pilot)
        clipboard = app.clipboard
        app.screen.query_one(AssistantMessage).focus()
        await type_text(pilot, "cab")
        prompt = app.screen.query_one(PromptInput)
        assert prompt.has_focus and prompt.text == "cab"
        assert app.clipboard == clipboard  # no letter copied anything
        prompt.clear()
        app.screen.query_one(UserMessage).focus()
        await type_text(pilot, "see you")
        assert prompt.has_focus and prompt.text == "see you"  # no edit was opened
        app.screen.query_one(UserMessage).focus()
        await pilot.press("escape")
        assert prompt.has_focus


def _screen_text(app) -> str:
    """What the screen shows, as plain text (from Textual's own screenshot)."""
    import html
    import re

    return html.unescape(re.sub(r"<[^>]+>", "", app.export_screenshot())).replace("\xa0", " ")


async def test_page_up_on_a_short_chat_while_a_reply_streams_leaves_the_reply_showing(tmp_path):
    path = tmp_path / "chat.md"
    app = ChatApp(Settings(tokens_per_second=20), path)
    async with app.run_test(size=(120, 40)) as pilot:
        await send(pilot, "hi")
        await wait_for(lambda: first_reply_started(app), pilot)
        await pilot.press("pageup")  # nothing to scroll: the chat fits on the screen
        await wait_for(lambda: len(messages_in(path)) == 2, pilot)
        await wait_for(lambda: "server such as Ollama" in _screen_text(app), pilot)
        await send(pilot, "again")
        await wait_for(lambda: len(messages_in(path)) == 4, pilot)
        chat_log = app.screen.query_one(ChatLog)
        await wait_for(lambda: chat_log.scroll_y == chat_log.max_scroll_y, pilot)  # following again


async def test_the_status_names_the_server_and_a_resume_says_which_model_goes_on(
    tmp_path, llm_server, monkeypatch
):
    path = tmp_path / "chat.md"
    monkeypatch.setenv("OPENAI_BASE_URL", llm_server.openai_base_url)
    host = llm_server.openai_base_url.split("//", 1)[1].split("/", 1)[0]
    app = ChatApp(Settings(models=["openai:m"], max_retries=0), path)
    async with app.run_test(size=(120, 40)) as pilot:
        assert f"openai:m → {host}" in str(app.screen.query_one(".reply-status").render())
        await send(pilot, "hello")
        await wait_for(lambda: len(messages_in(path)) == 2, pilot)
    resumed = ChatApp(Settings(tokens_per_second=0), path)  # the demo model now
    async with resumed.run_test(size=(120, 40)) as pilot:
        notice = "This chat was held with openai:m; it goes on with demo"
        await wait_for(lambda: any(notice in _plain(w) for w in resumed.screen.query(".notice")), pilot)


def test_a_transcripts_folder_that_cannot_be_written_is_refused_at_start(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    result = subprocess.run(
        [sys.executable, "-m", "tui", "--transcripts-dir", str(blocker / "transcripts")],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 2
    (line,) = result.stderr.strip().splitlines()
    assert "cannot save conversations" in line and "--transcripts-dir" in line


async def test_a_failed_save_stays_marked_until_a_save_works_again(tmp_path):
    folder = tmp_path / "later"
    folder.write_text("a file where the folder should be")
    path = folder / "chat.md"
    app = ChatApp(Settings(tokens_per_second=0), path)
    async with app.run_test(size=(120, 40)) as pilot:
        await send(pilot, "first")
        await wait_for(lambda: "NOT SAVED" in app.sub_title, pilot)
        await wait_for(lambda: len(app.screen.query(AssistantMessage)) == 1 and not _streaming(app), pilot)
        assert app.unsaved_error is not None
        folder.unlink()  # the folder can be made now
        await send(pilot, "second")
        await wait_for(lambda: len(messages_in(path)) == 4, pilot)
        await wait_for(lambda: "NOT SAVED" not in app.sub_title, pilot)
    assert app.unsaved_error is None
    assert [m.text for m in messages_in(path)][::2] == ["first", "second"]  # nothing was lost


def _streaming(app) -> bool:
    screen = app.screen
    return isinstance(screen, ChatScreen) and screen.streaming


async def test_a_new_chat_starts_a_new_transcript_and_keeps_the_old_one(tmp_path):
    first = tmp_path / "transcripts" / "first.md"
    app = ChatApp(Settings(tokens_per_second=0, transcripts_dir=tmp_path / "transcripts"), first)
    async with app.run_test(size=(120, 40)) as pilot:
        await send(pilot, "hello")
        await wait_for(lambda: len(messages_in(first)) == 2, pilot)
        saved = first.read_bytes()
        await pilot.press("ctrl+f")
        await wait_for(lambda: app.session.transcript != first and not app.screen.query(UserMessage), pilot)
        await send(pilot, "fresh start")
        second = app.session.transcript
        await wait_for(lambda: len(messages_in(second)) == 2, pilot)
    assert second.parent == first.parent and first.read_bytes() == saved
    assert messages_in(second)[0].text == "fresh start"
    assert demo_reply_text("fresh start") == messages_in(second)[1].text  # turn 1 again: a new conversation


async def test_ctrl_g_puts_the_cursor_at_the_end_of_the_old_prompt(tmp_path):
    path = tmp_path / "chat.md"
    app = ChatApp(Settings(tokens_per_second=0), path)
    async with app.run_test(size=(100, 40)) as pilot:
        await send(pilot, "first line")
        await wait_for(lambda: len(messages_in(path)) == 2, pilot)
        await pilot.press("ctrl+g")
        await type_text(pilot, "!")
        assert app.screen.query_one(PromptInput).text == "first line!"


@pytest.mark.parametrize("installed", [True, False])
async def test_the_model_picker_offers_the_local_model_only_where_it_is_installed(
    tmp_path, monkeypatch, installed
):
    monkeypatch.setattr("tui.session.local_model_installed", lambda: installed)
    app = ChatApp(Settings(tokens_per_second=0), tmp_path / "chat.md")
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.press("ctrl+o")
        await wait_for(lambda: isinstance(app.screen, InputDialog), pilot)
        options = app.screen.query_one(OptionList)
        offered = [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]
        assert "demo" in offered
        assert ("local" in offered) is installed
