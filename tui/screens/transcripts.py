"""`TranscriptsScreen`: the saved conversations, newest first; search, open, rename, delete."""

from __future__ import annotations

import asyncio
from datetime import datetime
from pathlib import Path

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Input, Static

from miniagents.transcript_folder import (
    TranscriptInfo,
    delete_transcript,
    list_transcripts,
    retitle_transcript,
    search_transcripts,
)
from tui.sanitize import visible
from tui.screens.dialogs import ConfirmDialog, InputDialog
from tui.widgets.stream_stats import counted

__all__ = ["TranscriptsScreen"]


class TranscriptsScreen(Screen[Path | None]):
    """A table of transcripts with a search box above it; dismissed with the one to open, if any."""

    CSS_PATH = "transcripts.tcss"
    AUTO_FOCUS = "DataTable"
    BINDINGS = [  # noqa: RUF012
        Binding("escape", "back", "Back"),
        Binding("enter", "open", "Open", priority=False),
        Binding("r", "rename", "Rename"),
        Binding("d", "delete", "Delete"),
        Binding("slash", "search", "Search"),
    ]

    def __init__(self, folder: Path, current: Path) -> None:
        """List the transcripts in `folder`; `current` is the one open now (it cannot be deleted)."""
        super().__init__()
        self.folder = folder
        self.current = current
        self._rows: dict[str, TranscriptInfo] = {}

    def compose(self) -> ComposeResult:  # noqa: D102
        yield Header()
        yield Input(placeholder="Search all conversations (press / here, Enter to search)", id="search")
        yield DataTable(cursor_type="row", zebra_stripes=True)
        yield Static(id="summary")
        yield Footer()

    def on_mount(self) -> None:  # noqa: D102
        table = self.query_one(DataTable)
        table.add_columns("Title", "Modified", "Models", "Messages", "Match")
        self.refresh_list()

    @work(exclusive=True, group="transcripts")
    async def refresh_list(self, query: str = "") -> None:
        """Load (or search) the folder in a thread and show the result."""
        if query:
            hits = await asyncio.to_thread(search_transcripts, self.folder, query)
            rows = [(hit.info, f"{hit.matches} x {hit.snippet}") for hit in hits]
        else:
            rows = [(info, "") for info in await asyncio.to_thread(list_transcripts, self.folder)]
        table = self.query_one(DataTable)
        table.clear()
        self._rows = {}
        for info, match in rows:
            key = str(info.path)
            self._rows[key] = info
            table.add_row(
                Text(visible(info.title)),
                datetime.fromtimestamp(info.modified).strftime("%Y-%m-%d %H:%M"),
                Text(visible(", ".join(info.models) or "-")),
                str(info.message_count),
                Text(visible(match[:60])),
                key=key,
            )
        what = f"matching {query!r}" if query else f"in {self.folder}"
        self.query_one("#summary", Static).update(
            Text(visible(f"{counted(len(rows), 'conversation')} {what}"))
        )

    def _selected(self) -> TranscriptInfo | None:
        table = self.query_one(DataTable)
        if table.row_count == 0:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return self._rows.get(str(key))

    @on(Input.Submitted, "#search")
    def search(self, event: Input.Submitted) -> None:
        """Search for the typed text (empty: list all)."""
        self.refresh_list(event.value.strip())
        self.query_one(DataTable).focus()

    def action_search(self) -> None:
        """Focus the search box."""
        self.query_one("#search", Input).focus()

    @on(DataTable.RowSelected)
    def action_open(self) -> None:
        """Continue the selected conversation."""
        info = self._selected()
        if info is not None:
            self.dismiss(info.path)

    def action_back(self) -> None:
        """Leave the search box (back to the list); from the list, back to the chat."""
        if isinstance(self.focused, Input):
            self.query_one(DataTable).focus()
            return
        self.dismiss(None)

    @work(group="dialogs")
    async def action_rename(self) -> None:
        """Give the selected conversation a new title."""
        info = self._selected()
        if info is None:
            return
        title = await self.app.push_screen_wait(InputDialog("New title:", info.title))
        if title and title.strip():
            try:
                kept = await asyncio.to_thread(retitle_transcript, info.path, title.strip())
            except OSError as error:
                self.notify(f"Could not rename: {error}", severity="error", markup=False)
            else:
                if kept is not None:
                    self.notify(
                        f"{info.path.name} had problems; the file as it was is kept as {kept.name}",
                        markup=False,
                    )
            self.refresh_list()

    @work(group="dialogs")
    async def action_delete(self) -> None:
        """Delete the selected conversation, after confirmation."""
        info = self._selected()
        if info is None:
            return
        if info.path.resolve() == self.current.resolve():
            self.notify("That is the conversation you are in; open another one first.", severity="warning")
            return
        if await self.app.push_screen_wait(
            ConfirmDialog(f"Delete {info.title!r} ({info.message_count} messages)?", "Delete")
        ):
            try:
                await asyncio.to_thread(delete_transcript, info.path)
            except OSError as error:
                self.notify(f"Could not delete: {error}", severity="error", markup=False)
            self.refresh_list()
