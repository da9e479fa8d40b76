"""Small modal dialogs: ask for a line of text, confirm an action, or let a tool call run."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

from rich.text import Text
from textual import on
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Button, Input, OptionList, Static
from textual.widgets.option_list import Option

from miniagents.tools import Tool
from tui.sanitize import visible
from tui.session import ChatSession
from tui.toolbox import Verdict

__all__ = ["ApprovalDialog", "ConfirmDialog", "InputDialog", "aask_about_call", "aask_system_prompt"]


class InputDialog(ModalScreen[str | None]):
    """Ask for one line of text; Enter accepts, Esc cancels (the result is then `None`).

    With `check`, an answer it rejects (by raising `ValueError`) keeps the dialog open, the text as
    typed and the reason shown under it.
    """

    CSS_PATH = "dialogs.tcss"
    BINDINGS = [Binding("escape", "cancel", "Cancel")]  # noqa: RUF012

    def __init__(
        self,
        question: str,
        value: str = "",
        choices: list[str] | None = None,
        check: Callable[[str], object] | None = None,
    ) -> None:
        super().__init__()
        self._question = question
        self._value = value
        self._choices = choices or []
        self._check = check

    def compose(self) -> ComposeResult:  # noqa: D102
        with Vertical():
            yield Static(Text(visible(self._question)), classes="question")
            yield Input(value=self._value, id="answer")
            yield Static(classes="problem")
            if self._choices:
                yield OptionList(
                    *(Option(Text(visible(choice)), id=str(i)) for i, choice in enumerate(self._choices))
                )

    @on(Input.Submitted)
    def accept(self, event: Input.Submitted) -> None:
        """Return the typed text (if `check` accepts it)."""
        self._answer(event.value)

    @on(OptionList.OptionSelected)
    def choose(self, event: OptionList.OptionSelected) -> None:
        """Return the chosen option (if `check` accepts it)."""
        self._answer(self._choices[int(event.option.id or 0)])

    def _answer(self, value: str) -> None:
        if self._check is not None:
            try:
                self._check(value)
            except ValueError as problem:
                shown = self.query_one(".problem", Static)
                shown.update(Text(visible(str(problem))))
                shown.add_class("shown")
                self.query_one("#answer", Input).value = value
                return
        self.dismiss(value)

    def action_cancel(self) -> None:
        """Close without an answer."""
        self.dismiss(None)


class ConfirmDialog(ModalScreen[bool]):
    """Ask yes or no; `y` or the button confirms, `n` or Esc declines."""

    CSS_PATH = "dialogs.tcss"
    BINDINGS = [  # noqa: RUF012
        Binding("escape,n", "answer(False)", "No"),
        Binding("y", "answer(True)", "Yes"),
    ]

    def __init__(self, question: str, confirm_label: str = "Yes") -> None:
        super().__init__()
        self._question = question
        self._confirm_label = confirm_label

    def compose(self) -> ComposeResult:  # noqa: D102
        with Vertical():
            yield Static(Text(visible(self._question)), classes="question")
            with Horizontal():
                yield Button("Cancel", id="no")
                yield Button(self._confirm_label, id="yes", variant="error")

    @on(Button.Pressed)
    def pressed(self, event: Button.Pressed) -> None:
        """Answer with the pressed button."""
        self.dismiss(event.button.id == "yes")

    def action_answer(self, answer: bool) -> None:
        """Answer from the keyboard."""
        self.dismiss(answer)


class ApprovalDialog(ModalScreen[Verdict]):
    """Ask whether a tool call may run: `y` allows it once, `a` for the session, `n` or Esc denies.

    Keys typed in the first `ARMING_SECONDS` are ignored: someone typing when the dialog appears
    must not answer it by accident. The dialog has the `armed` class once it listens.
    """

    CSS_PATH = "dialogs.tcss"
    BINDINGS = [  # noqa: RUF012
        Binding("y", "answer('once')", "Allow once"),
        Binding("a", "answer('session')", "Allow for this session"),
        Binding("n,escape", "answer('deny')", "Deny"),
    ]

    ARMING_SECONDS = 0.5
    """How long after it appears the dialog ignores keys."""

    def __init__(self, tool: Tool, arguments: dict[str, Any], source: str, caller: str = "The model") -> None:
        """Ask about a call of `tool` (offered by `source`) with `arguments`, made by `caller`."""
        super().__init__()
        self._caller = caller
        self._tool = tool
        self._arguments = arguments
        self._source = source

    def compose(self) -> ComposeResult:  # noqa: D102
        shown = json.dumps(self._arguments, ensure_ascii=False, indent=2, default=str)
        description = (self._tool.description or "").strip().splitlines()
        with Vertical():
            yield Static(
                Text(visible(f"⚙ {self._caller} wants to call {self._tool.name} ({self._source})")),
                classes="question",
            )
            if description:
                yield Static(Text(visible(description[0])), classes="about")
            with VerticalScroll(classes="arguments"):
                yield Static(Text(visible(shown)))
            with Horizontal():  # buttons for the mouse only: a key that lands on one would bypass the arming
                buttons = (
                    Button("Deny (n)", id="deny", variant="error"),
                    Button("Allow for this session (a)", id="session"),
                    Button("Allow once (y)", id="once", variant="success"),
                )
                for button in buttons:
                    button.can_focus = False
                    yield button

    def on_mount(self) -> None:  # noqa: D102
        self.set_timer(self.ARMING_SECONDS, lambda: self.add_class("armed"))

    @on(Button.Pressed)
    def pressed(self, event: Button.Pressed) -> None:
        """Answer with the pressed button (a click is never typed by accident)."""
        self.dismiss(_verdict(event.button.id))

    def action_answer(self, verdict: str) -> None:
        """Answer from the keyboard, once the dialog is armed."""
        if self.has_class("armed"):
            self.dismiss(_verdict(verdict))


async def aask_about_call(app: App[Any], dialog: ApprovalDialog) -> Verdict:
    """Show `dialog` over whatever is on screen and wait for the answer.

    If the wait is cancelled (the reply was stopped while the question was open), the dialog closes.
    """
    answered: asyncio.Future[Verdict] = asyncio.get_running_loop().create_future()

    def answer(verdict: Verdict | None) -> None:
        if not answered.done():
            answered.set_result(verdict or "deny")

    await app.push_screen(dialog, callback=answer)
    try:
        return await answered
    except asyncio.CancelledError:
        if app.screen_stack and app.screen_stack[-1] is dialog:
            dialog.dismiss("deny")
        raise


def _verdict(name: str | None) -> Verdict:
    return "once" if name == "once" else "session" if name == "session" else "deny"


async def aask_system_prompt(screen: Screen[None], session: ChatSession) -> None:
    """Ask for the system prompt (empty removes it); every model of `session` uses it from the next reply."""
    answer = await screen.app.push_screen_wait(
        InputDialog("System prompt (empty for none):", session.system_prompt or "")
    )
    if answer is not None:
        await session.aset_system_prompt(answer.strip() or None)
        screen.notify("System prompt set." if answer.strip() else "System prompt removed.")
