import copy
import pickle
import subprocess
import sys
from typing import TYPE_CHECKING, Any

import pytest
from pydantic import ValidationError

from miniagents import Frozen, Message


class Note(Frozen):
    text: str = ""

    if TYPE_CHECKING:

        def __init__(self, *, text: str = "", **data: Any) -> None: ...


def test_nested_values_are_frozen():
    note = Note(text="x", tags=["a", "b"], extra={"inner": [1, {"deep": True}]})
    assert note.tags == ("a", "b")
    assert isinstance(note.extra, Frozen)
    assert note.extra.inner[1].deep is True
    with pytest.raises(ValidationError):
        note.text = "changed"  # type: ignore[misc]
    with pytest.raises(ValidationError):
        note.extra.inner = ()  # pyright: ignore[reportAttributeAccessIssue]


def test_mutable_or_unknown_values_are_refused():
    with pytest.raises(ValidationError, match="set"):
        Note(values={1, 2})
    with pytest.raises(ValidationError, match="keys"):
        Note(mapping={1: "a"})


def test_equality_and_hash_by_value():
    first = Note(text="x", tags=["a"], meta={"k": 1})
    second = Note(text="x", tags=("a",), meta=Frozen(k=1))
    assert first == second and hash(first) == hash(second)
    assert first != Note(text="x", tags=["b"], meta={"k": 1})
    assert len({first, second}) == 1  # pyright: ignore[reportUnhashable]
    assert Note(text="x") != Message(text="x")  # the class is part of the value


def test_content_hash_is_stable_across_runs():
    code = "from miniagents import Message; print(Message(text='hé', role='user', n=[1, 2]).content_hash)"
    hashes = {
        subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True,
            text=True,
            check=True,
            env={"PYTHONHASHSEED": seed},
        ).stdout.strip()
        for seed in ("1", "2")
    }
    assert len(hashes) == 1
    assert hashes == {Message(text="hé", role="user", n=[1, 2]).content_hash}


def test_str_of_message_is_its_text_and_copies_are_equal():
    message = Message(text="hello", role="assistant")
    assert str(message) == "hello"
    assert copy.deepcopy(message) == message
    assert pickle.loads(pickle.dumps(message)) == message
