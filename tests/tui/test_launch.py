"""`miniagents-tui`'s entry point sets Textual's frame cap before Textual is imported."""

import os
import subprocess
import sys

import pytest

from tui.launch import FRAMES_PER_SECOND

_CAP_AFTER_LAUNCH = (
    "import tui.launch; tui.launch.use_frame_cap(); "
    "import textual.constants; print(textual.constants.MAX_FPS)"
)


@pytest.mark.parametrize(("chosen", "expected"), [(None, FRAMES_PER_SECOND), ("30", "30")])
def test_the_frame_cap_is_ours_unless_the_user_chose_one(chosen, expected):
    environment = {name: value for name, value in os.environ.items() if name != "TEXTUAL_FPS"}
    if chosen is not None:
        environment["TEXTUAL_FPS"] = chosen
    shown = subprocess.run(
        [sys.executable, "-c", _CAP_AFTER_LAUNCH], env=environment, capture_output=True, text=True, check=True
    )
    assert shown.stdout.strip() == expected
