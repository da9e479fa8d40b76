"""The README's example runs and prints what the README says it prints."""

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parents[1]


def test_readme_example_matches_the_file_and_its_output():
    readme = (ROOT / "README.md").read_text()
    code = re.search(r"```python\n(.*?)```", readme, re.DOTALL)
    assert code is not None
    assert code.group(1) == (ROOT / "examples" / "relay.py").read_text().split('"""\n\n', 1)[1]
    shown_output = re.search(
        r"prints the tokens as they arrive, then the resolved reply:\n\n```\n(.*?)```", readme, re.DOTALL
    )
    assert shown_output is not None
    result = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "relay.py")], capture_output=True, text=True, timeout=30
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == shown_output.group(1)


def _tools_block() -> str:
    readme = (ROOT / "README.md").read_text()
    code = re.search(r"## Tools\n.*?```python\n(.*?)```", readme, re.DOTALL)
    assert code is not None
    return code.group(1)


def test_the_tools_example_is_the_one_in_examples():
    in_file = (ROOT / "examples" / "tools.py").read_text().split('"""\n\n', 1)[1]
    lines = [line for line in _tools_block().splitlines() if line.strip()]
    assert lines == [line for line in in_file.splitlines() if line.strip()][: len(lines)]


def test_the_tools_example_runs_against_an_openai_compatible_server(llm_server, tmp_path):
    from tests.fakes.llm_server import Call, Reply

    llm_server.script(
        Reply(
            tokens=[],
            calls=[
                Call("get_weather", '{"city": "Paris"}'),
                Call("researcher", '{"question": "Who built the Eiffel Tower?"}'),
            ],
        ),
        Reply(tokens=["Gustave ", "Eiffel's ", "company."]),
        Reply(tokens=[" Sunny; ", "Eiffel's firm built it."]),
    )
    script = tmp_path / "tools_example.py"
    script.write_text(_tools_block() + "\nimport asyncio\n\nasyncio.run(main())\n")
    env = {"PATH": os.environ["PATH"], "OPENAI_BASE_URL": llm_server.openai_base_url}
    result = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, timeout=60, env=env
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == "18°C and sunny in ParisGustave Eiffel's company. Sunny; Eiffel's firm built it."
    assert [m["role"] for m in llm_server.requests[-1].body["messages"]] == [
        "user",
        "assistant",
        "tool",
        "tool",
    ]


def test_the_tools_example_runs_offline_with_the_demo_model():
    env = {"PATH": os.environ["PATH"]}
    result = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "tools.py")],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(
        "[calls get_weather with {'city': 'Paris'}]\n[demo/get_weather answers] 18°C and sunny in Paris\n"
    )
    assert "offline demo model" in result.stdout
