"""Test-wide settings: asyncio debug mode, and no colour overrides that would change snapshots."""

from __future__ import annotations

import os

os.environ["PYTHONASYNCIODEBUG"] = "1"
os.environ.pop("NO_COLOR", None)
