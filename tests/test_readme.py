"""The README's example runs and prints what the README says it prints."""

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
