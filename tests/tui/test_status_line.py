"""The status line keeps its most important parts when the terminal is narrow."""

import pytest
from textual.app import App

from tui.widgets.status_line import StatusLine
from tui.widgets.stream_stats import StreamStats

PARTS = ("120 tok/s", "88 tokens", "0.4 s", "first token 0.00 s")


class _Status(App[None]):
    def __init__(self, width: int) -> None:
        super().__init__()
        self.width = width

    def compose(self):
        line = StatusLine(*PARTS)
        line.styles.width = self.width
        yield line


@pytest.mark.parametrize(
    ("width", "shown"),
    [
        (80, "120 tok/s · 88 tokens · 0.4 s · first token 0.00 s"),
        (35, "120 tok/s · 88 tokens · 0.4 s"),
        (29, "120 tok/s · 88 tokens · 0.4 s"),
        (28, "120 tok/s · 88 tokens"),
        (6, "120 t…"),
    ],
)
async def test_parts_that_do_not_fit_are_dropped_from_the_end(width, shown):
    app = _Status(width)
    async with app.run_test(size=(100, 5)) as pilot:
        await pilot.pause()
        line = app.query_one(StatusLine)
        rendered = "".join(segment.text for segment in line.render_line(0)).rstrip()
        assert rendered == shown


async def test_parts_are_shown_literally():
    app = _Status(80)
    async with app.run_test(size=(100, 5)) as pilot:
        line = app.query_one(StatusLine)
        line.show("[bold]model[/]", "\x1b]0;title\x07")
        await pilot.pause()
        rendered = "".join(segment.text for segment in line.render_line(0)).rstrip()
        assert rendered == "[bold]model[/] · \\x1b]0;title\\x07"


def test_a_replys_numbers_come_most_important_first():
    stats = StreamStats(tokens=88, time_to_first_token=0.004, tokens_per_second=119.6)
    assert stats.status_parts() == ["120 tok/s", "88 tokens", "first token 0.00 s"]
    with_count = ["120 tok/s", "90 tokens", "0.4 s", "first token 0.00 s"]
    assert stats.status_parts(tokens=90, elapsed=0.44) == with_count
    assert StreamStats(0, None, None).status_parts(elapsed=2) == ["0 tokens", "2.0 s"]


def test_counts_read_as_english():
    from tui.widgets.stream_stats import counted

    assert [counted(n, "token") for n in (0, 1, 2)] == ["0 tokens", "1 token", "2 tokens"]
    assert StreamStats(1, None, None).status_parts() == ["1 token"]
