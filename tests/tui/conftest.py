"""The TUI tests drive the whole app through Textual's pilot, without asyncio's debug mode.

Debug mode records a traceback for every task and callback; Textual makes thousands of them a
second, which made these tests about ten times slower (test_ctrl_j...: 14 s against 1 s; this file's
neighbour test_chat.py: 10 min against 2 min on a busy machine). What the suite guards against still
fails a test here: asyncio logs destroyed pending tasks and unretrieved exceptions without debug
mode, `tests/conftest.py` turns those logs into failures, and warnings are errors. The framework's
own tests (tests/miniagents) keep debug mode.
"""

import pytest


@pytest.fixture(autouse=True)
def _app_tests_without_asyncio_debug(no_asyncio_debug):
    """Every test here uses `no_asyncio_debug`."""
