"""The clipboard fallbacks (#12.22): a tool that hangs is ended, and the notice says where the text went."""

import os
import stat
import tempfile

from textual.app import App

from tui.clipboard import copy_text


def _tool(folder, name, body):
    script = folder / name
    script.write_text(f"#!/bin/sh\n{body}\n")
    script.chmod(script.stat().st_mode | stat.S_IXUSR)


async def test_a_clipboard_tool_that_hangs_is_ended_and_the_text_is_saved_in_the_temp_folder(
    tmp_path, monkeypatch
):
    tools = tmp_path / "bin"
    tools.mkdir()
    _tool(tools, "xclip", f"echo $$ > {tmp_path}/pid\nexec /bin/sleep 600")
    monkeypatch.setenv("PATH", str(tools))
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    app = App()
    async with app.run_test():
        notice = await copy_text(app, "some text")
    pid = int((tmp_path / "pid").read_text())
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        pass
    else:
        raise AssertionError(f"the hanging clipboard tool {pid} is still running")
    saved = tmp_path / f"miniagents-clipboard-{os.getuid()}.txt"
    assert saved.read_text() == "some text"
    assert stat.S_IMODE(saved.stat().st_mode) == 0o600
    assert notice == f"Copied 9 characters to the terminal clipboard; also saved in {saved}."


async def test_a_working_clipboard_tool_gets_the_text(tmp_path, monkeypatch):
    tools = tmp_path / "bin"
    tools.mkdir()
    _tool(tools, "wl-copy", f"/bin/cat > {tmp_path}/copied")
    monkeypatch.setenv("PATH", str(tools))
    app = App()
    async with app.run_test():
        notice = await copy_text(app, "héllo")
    assert (tmp_path / "copied").read_text() == "héllo"
    assert notice == "Copied 5 characters (terminal clipboard and wl-copy)."
