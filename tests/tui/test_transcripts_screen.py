"""The transcripts browser: list newest first, search, open to continue, rename, delete with confirmation."""

import os

from textual.widgets import DataTable

from miniagents import Message
from miniagents.transcript_format import read_transcript_file, render_transcript
from tests.tui.helpers import wait_for
from tui.app import ChatApp
from tui.config import Settings
from tui.widgets.message_views import UserMessage


def _write(folder, name, title, texts, mtime):
    path = folder / name
    messages = [Message(text=t, role=("user", "assistant")[i % 2], model="demo") for i, t in enumerate(texts)]
    path.write_text(render_transcript({"title": title, "created": "2026-11-27"}, messages))
    os.utime(path, (mtime, mtime))
    return path


def _titles(app):
    table = app.screen.query_one(DataTable)
    return [str(table.get_row_at(i)[0]) for i in range(table.row_count)]


async def test_browse_search_open_rename_delete(tmp_path):
    folder = tmp_path / "transcripts"
    folder.mkdir()
    old = _write(folder, "old.md", "Rust questions", ["Tell me about Rust", "Rust is a language"], 1_000)
    new = _write(folder, "new.md", "Cooking", ["How to boil an egg", "Boil it"], 2_000)
    current = folder / "current.md"
    app = ChatApp(Settings(tokens_per_second=0, transcripts_dir=folder), current)
    async with app.run_test(size=(110, 30)) as pilot:
        await pilot.press("ctrl+t")
        await wait_for(lambda: app.screen.__class__.__name__ == "TranscriptsScreen", pilot)
        await wait_for(lambda: app.screen.query_one(DataTable).row_count == 2, pilot)
        assert _titles(app) == ["Cooking", "Rust questions"]

        await pilot.press("slash")
        for key in "rust":
            await pilot.press(key)
        await pilot.press("enter")
        await wait_for(lambda: _titles(app) == ["Rust questions"], pilot)

        await pilot.press("r")
        await wait_for(lambda: app.screen.__class__.__name__ == "InputDialog", pilot)
        app.screen.query_one("#answer").value = "Rust, renamed"  # type: ignore[attr-defined]
        await pilot.press("enter")
        await wait_for(
            lambda: _titles(app) == ["Rust, renamed", "Cooking"], pilot
        )  # the rewrite made it newest
        parsed = read_transcript_file(old)
        assert parsed is not None and parsed.fields["title"] == "Rust, renamed" and len(parsed.messages) == 2

        app.screen.query_one(DataTable).move_cursor(row=1)
        await pilot.press("d")
        await wait_for(lambda: app.screen.__class__.__name__ == "ConfirmDialog", pilot)
        await pilot.press("n")
        await wait_for(lambda: app.screen.__class__.__name__ == "TranscriptsScreen", pilot)
        assert new.exists()
        await pilot.press("d")
        await wait_for(lambda: app.screen.__class__.__name__ == "ConfirmDialog", pilot)
        await pilot.press("y")
        await wait_for(lambda: _titles(app) == ["Rust, renamed"], pilot)
        assert not new.exists()

        await pilot.press("enter")
        await wait_for(lambda: app.screen.__class__.__name__ == "ChatScreen", pilot)
        await wait_for(lambda: len(app.screen.query(UserMessage)) == 1, pilot)
        assert app.session.transcript == old
        assert app.screen.query_one(UserMessage).text == "Tell me about Rust"


async def test_esc_in_the_search_box_leaves_the_search_not_the_browser(tmp_path):
    from textual.widgets import DataTable, Input

    from tests.tui.helpers import wait_for
    from tui.app import ChatApp
    from tui.config import Settings
    from tui.screens.transcripts import TranscriptsScreen

    app = ChatApp(Settings(tokens_per_second=0, transcripts_dir=tmp_path), tmp_path / "chat.md")
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.press("ctrl+t")
        await wait_for(lambda: isinstance(app.screen, TranscriptsScreen), pilot)
        app.screen.query_one(Input).focus()
        await pilot.press("escape")
        assert isinstance(app.screen, TranscriptsScreen) and isinstance(app.focused, DataTable)
        await pilot.press("escape")
        await wait_for(lambda: not isinstance(app.screen, TranscriptsScreen), pilot)
