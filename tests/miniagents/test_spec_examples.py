"""The specification's code examples, run as scripts exactly as written."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).parent / "spec_examples"
SPEC = Path(__file__).parents[3] / "shared" / "spec" / "SEED-README.md"


def _run(name, stdin="", env=None, timeout=30):
    return subprocess.run(
        [sys.executable, str(EXAMPLES / name)],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
    )


@pytest.mark.skipif(not SPEC.exists(), reason="the specification is not beside the repository")
def test_examples_are_the_specs_code_blocks_verbatim():
    blocks = re.findall(r"```python\n(.*?)```", SPEC.read_text(), re.DOTALL)
    stored = [
        (EXAMPLES / name).read_text()
        for name in ("basic_usage.py", "openai_integration.py", "multiple_agents.py")
    ]
    assert blocks == stored


def test_basic_usage_prints_the_reply():
    result = _run("basic_usage.py")
    assert result.returncode == 0, result.stderr
    assert result.stdout == "(Message(text='Hello from the agent!', agent='simple_agent'),)\n"


def test_multiple_agents_dialog_with_typed_input():
    result = _run("multiple_agents.py", stdin="hi there\nhow are you?\n")
    lines = result.stdout.split("USER: ")
    # prompt, then the assistant echoes each user line and the user agent prints the greeting
    assert lines[0] == ""
    assert lines[1] == "hi there\nHello, how can I assist you?\n"
    assert lines[2] == "how are you?\nHello, how can I assist you?\n"
    # at the end of the input, input() raises EOFError, which ends the loop through the caller
    assert result.returncode == 1
    assert result.stderr.strip().endswith("EOFError: EOF when reading a line")
    assert "was never retrieved" not in result.stderr and "Task was destroyed" not in result.stderr


def test_openai_example_streams_from_an_openai_compatible_server(llm_server, tmp_path):
    """The spec's OpenAI snippet uses `asyncio` imported by the README's first snippet, so it runs after
    that import, as a reader going down the README would run it."""
    from tests.fakes.llm_server import Reply

    llm_server.script(Reply(tokens=["I'm ", "fine, ", "thanks!"]))
    script = tmp_path / "openai_example.py"
    script.write_text("import asyncio\n" + (EXAMPLES / "openai_integration.py").read_text())
    env = {
        "PATH": os.environ["PATH"],
        "OPENAI_BASE_URL": llm_server.openai_base_url,
        "OPENAI_API_KEY": "sk-test-key",
    }
    result = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, timeout=60, env=env, cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == "I'm fine, thanks!\n"
    body = llm_server.requests[-1].body
    assert body["model"] == "gpt-4"
    assert body["max_tokens"] == 1000 and body["temperature"] == 0.0
    assert body["messages"] == [{"role": "user", "content": "How are you today?"}]
