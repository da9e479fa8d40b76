import importlib

import pytest

import miniagents
import miniagents.promising


@pytest.mark.parametrize("module", [miniagents, miniagents.promising])
def test_all_names_exist_and_cover_the_public_names(module):
    exported = module.__all__
    assert len(set(exported)) == len(exported)
    for name in exported:
        assert hasattr(module, name), name
    public = {
        name
        for name in vars(module)
        if not name.startswith("_") and not isinstance(vars(module)[name], type(miniagents))
    }
    assert public <= set(exported), public - set(exported)


@pytest.mark.parametrize(
    ("module", "names"),
    [
        (
            "miniagents",
            [
                "miniagent",
                "MiniAgents",
                "InteractionContext",
                "Message",
                "MessagePromise",
                "MessageSequencePromise",
                "MiniAgent",
                "Frozen",
            ],
        ),
        ("miniagents.miniagents", ["MiniAgents"]),
        ("miniagents.promising.sentinels", ["AWAIT", "CLEAR", "DEFAULT", "NO_VALUE"]),
        ("miniagents.utils", ["achain_loop", "adialog_loop", "join_messages", "split_messages"]),
    ],
)
def test_spec_import_paths(module, names):
    imported = importlib.import_module(module)
    for name in names:
        assert hasattr(imported, name), f"{module}.{name}"


def test_every_error_the_package_defines_hangs_under_one_root():
    import inspect

    import miniagents.errors as errors

    classes = [
        value
        for value in vars(errors).values()
        if inspect.isclass(value) and value.__module__.startswith("miniagents")
    ]
    assert len(classes) > 15
    for cls in classes:
        if cls is errors.StopLoop:
            assert not issubclass(cls, errors.MiniAgentsError)  # a normal end of a loop, not an error
        else:
            assert issubclass(cls, errors.MiniAgentsError), cls
    for name in cls_names_in_docstring(errors.__doc__):
        assert hasattr(errors, name), name


def cls_names_in_docstring(doc):
    import re

    return re.findall(r"── (\w+)", doc)
