import asyncio
import os
import signal
import stat
import subprocess
import sys
import textwrap
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from miniagents import (
    ChatHistoryMD,
    InMemoryChatHistory,
    InteractionContext,
    Message,
    MessagePromise,
    MiniAgents,
    StopLoop,
    TranscriptWriteError,
    adialog_loop,
    miniagent,
)
from miniagents.transcript_folder import (
    UnsafeNameError,
    confined_path,
    delete_transcript,
    list_transcripts,
    new_transcript_path,
    retitle_transcript,
    search_transcripts,
)
from miniagents.transcript_format import (
    TranscriptFormatError,
    parse_transcript,
    read_transcript_file,
    render_transcript,
)

# ---------------------------------------------------------------- property tests (R10)

TRICKY = [
    "\r",
    "\r\n",
    "\x00",
    "\n",
    "\n\n",
    " ",
    "\t",
    "😀",
    "\u202e",
    "\u200b",
    "\u05e9\u05dc\u05d5\u05dd",
    "### User",
    "### Assistant · x",
    "<!-- message 3 {} -->\n",
    '<!-- message 0 {"role":"user"} -->\n### User\n\n',
    "\n<!-- /message -->\n",
    "---\n",
    "miniagents-transcript: 1\n",
    "```",
    "~~~",
    "<!--",
    "-->",
    "# Title",
]
texts = st.lists(st.one_of(st.sampled_from(TRICKY), st.text()), max_size=8).map("".join)
json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**53), 2**53),
    st.floats(allow_nan=False, allow_infinity=False),
    texts,
)
metadata_values = st.recursive(
    json_scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=3), st.dictionaries(st.text(max_size=5), children, max_size=3)
    ),
    max_leaves=6,
)
metadata = st.fixed_dictionaries(
    {"role": st.sampled_from(["user", "assistant", "system", "tool"])},
    optional={
        "model": texts,
        "agent": texts,
        "status": st.sampled_from(["incomplete", "interrupted"]),
        "usage": st.fixed_dictionaries(
            {"input_tokens": st.integers(0, 10**6), "output_tokens": st.integers(0, 10**6)}
        ),
        "extra": metadata_values,
    },
)
messages = st.lists(st.builds(lambda meta, text: Message(**meta, text=text), metadata, texts), max_size=6)
fields = st.fixed_dictionaries(
    {"title": texts, "created": st.text(max_size=30)}, optional={"branch": metadata_values}
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(fields, messages)
def test_save_then_load_gives_the_same_messages_and_load_then_save_the_same_bytes(front, conversation):
    rendered = render_transcript(front, conversation)
    parsed = parse_transcript(rendered)
    assert parsed.problems == []
    assert parsed.messages == conversation
    assert [m.text for m in parsed.messages] == [m.text for m in conversation]  # byte-identical text
    assert [m.model_dump() for m in parsed.messages] == [m.model_dump() for m in conversation]
    assert parsed.fields == front
    assert render_transcript(parsed.fields, parsed.messages) == rendered


@settings(max_examples=50, deadline=None)
@given(messages)
def test_round_trip_through_a_real_file(tmp_path_factory, conversation):
    path = tmp_path_factory.mktemp("rt") / "chat.md"

    async def scenario():
        history = ChatHistoryMD(path, title="t")
        for message in conversation:
            await history.alog_message(message)
        return await ChatHistoryMD(path).aload_chat_history()

    if conversation:
        assert list(asyncio.run(scenario())) == conversation
        before = path.read_bytes()
        parsed = read_transcript_file(path)
        assert parsed is not None
        assert render_transcript(parsed.fields, parsed.messages).encode() == before


# ---------------------------------------------------------------- the API


async def test_logging_agent_records_and_forwards_streaming(tmp_path):
    path = tmp_path / "chat.md"
    history = ChatHistoryMD(path)

    async def tokens():
        yield "stre"
        yield "amed"

    async with MiniAgents():
        forwarded = history.logging_agent.inquire(
            ["plain", MessagePromise(tokens=tokens(), role="assistant", model="m")], role="user"
        )
        assert [m.text for m in await forwarded] == ["plain", "streamed"]
    loaded = await ChatHistoryMD(path).aload_chat_history()
    assert loaded == (
        Message(text="plain", role="user"),
        Message(text="streamed", role="assistant", model="m"),
    )
    content = path.read_text()
    assert "### User\n\nplain\n" in content and "### Assistant · m\n\nstreamed\n" in content
    assert history.title == "plain"


async def test_partial_replies_are_recorded_with_their_marker(tmp_path):
    async def failing():
        yield "half"
        raise RuntimeError("connection lost")

    history = ChatHistoryMD(tmp_path / "chat.md")
    async with MiniAgents():
        reply = history.logging_agent.inquire(MessagePromise(tokens=failing(), role="assistant"))
        with pytest.raises(RuntimeError):
            await reply
    (message,) = await ChatHistoryMD(tmp_path / "chat.md").aload_chat_history()
    assert (message.text, message.status) == ("half", "incomplete")
    assert "### Assistant · assistant (incomplete)" in (tmp_path / "chat.md").read_text()


@pytest.mark.parametrize("history_kind", ["memory", "markdown"])
async def test_dialog_loop_with_history_gives_the_assistant_the_whole_conversation(tmp_path, history_kind):
    history = InMemoryChatHistory() if history_kind == "memory" else ChatHistoryMD(tmp_path / "c.md")
    seen_by_assistant = []

    @miniagent
    async def user(ctx: InteractionContext):
        await ctx.messages
        if len(seen_by_assistant) == 2:
            raise StopLoop
        ctx.reply(f"q{len(seen_by_assistant)}")

    @miniagent
    async def assistant(ctx: InteractionContext):
        texts = [(m.role, m.text) for m in await ctx.messages]
        seen_by_assistant.append(texts)
        ctx.reply(Message(text=f"a{len(texts)}", role="assistant"))

    async with MiniAgents():
        await asyncio.wait_for(adialog_loop(user, assistant, chat_history=history), 30)
    assert seen_by_assistant == [[("user", "q0")], [("user", "q0"), ("assistant", "a1"), ("user", "q1")]]
    assert [m.text for m in await history.aload_chat_history()] == ["q0", "a1", "q1", "a3"]


async def test_reopening_continues_the_same_file(tmp_path):
    path = tmp_path / "chat.md"
    first = ChatHistoryMD(path, title="Kept title")
    await first.alog_message(Message(text="one", role="user"))
    second = ChatHistoryMD(path)
    await second.alog_message(Message(text="two", role="assistant"))
    assert [m.text for m in await ChatHistoryMD(path).aload_chat_history()] == ["one", "two"]
    assert second.title == "Kept title"


# ---------------------------------------------------------------- R11: crash-safe saving

WRITER = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from miniagents.files import write_atomically
    path = Path(sys.argv[1])
    print("ready", flush=True)
    n = 0
    while True:
        n += 1
        write_atomically(path, f"version {n}\\n" + ("x" * 200_000) + f"\\nend {n}\\n")
    """
)


def test_a_writer_killed_mid_save_leaves_a_complete_file(tmp_path):
    path = tmp_path / "chat.md"
    path.write_text("version 0\n" + "x" * 200_000 + "\nend 0\n")
    for attempt in range(15):
        process = subprocess.Popen(
            [sys.executable, "-c", WRITER, str(path)], stdout=subprocess.PIPE, text=True
        )
        assert process.stdout is not None and process.stdout.readline() == "ready\n"
        time.sleep(0.01 + attempt * 0.007)
        process.send_signal(signal.SIGKILL)
        process.wait()
        process.stdout.close()
        content = path.read_text()
        first, last = content.split("\n")[0], content.rstrip("\n").split("\n")[-1]
        assert first.startswith("version ") and last == "end " + first.split()[1], attempt
        assert len(content) == len(first) + 1 + 200_000 + 1 + len(last) + 1


def test_a_failed_write_reports_path_and_reason_and_leaves_the_old_file(tmp_path):
    path = tmp_path / "chat.md"
    script = textwrap.dedent(
        f"""
        import asyncio, resource, signal
        from miniagents import ChatHistoryMD, Message
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        errors = []
        async def main():
            history = ChatHistoryMD({str(path)!r}, on_save_error=errors.append)
            await history.alog_message(Message(text="small", role="user"))
            resource.setrlimit(resource.RLIMIT_FSIZE, (4096, resource.RLIM_INFINITY))
            await history.alog_message(Message(text="y" * 10_000, role="assistant"))
            print("ERROR:", errors[0])
            assert len(await history.aload_chat_history()) == 2  # still in memory
            resource.setrlimit(resource.RLIMIT_FSIZE, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))
            await history.alog_message(Message(text="after", role="user"))
            print("LAST:", history.last_save_error)
        asyncio.run(main())
        """
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stderr
    assert f"ERROR: could not save the transcript {path}: File too large" in result.stdout
    assert "LAST: None" in result.stdout
    parsed = read_transcript_file(path)
    assert parsed is not None
    assert [m.text for m in parsed.messages] == ["small", "y" * 10_000, "after"]
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


async def test_an_unwritable_folder_is_reported_and_memory_is_kept(tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the folder should be")
    errors = []
    history = ChatHistoryMD(blocker / "chat.md", on_save_error=errors.append)
    await history.alog_message(Message(text="kept", role="user"))
    assert len(errors) == 1 and isinstance(errors[0], TranscriptWriteError)
    assert str(blocker / "chat.md") in str(errors[0])
    assert [m.text for m in await history.aload_chat_history()] == ["kept"]
    assert blocker.read_text() == "a file where the folder should be"


# ---------------------------------------------------------------- R12: damaged files


def _sample(tmp_path, texts=("first question", "first answer", "second question")):
    path = tmp_path / "chat.md"
    conversation = [Message(text=t, role=("user", "assistant")[i % 2]) for i, t in enumerate(texts)]
    path.write_text(render_transcript({"title": "Sample", "created": "now"}, conversation))
    return path


def test_a_truncated_file_loads_the_complete_messages_and_reports_the_cut(tmp_path):
    path = _sample(tmp_path)
    data = path.read_bytes()
    path.write_bytes(data[: data.rfind(b"second question") + 6])
    mtime = path.stat().st_mtime_ns
    parsed = read_transcript_file(path)
    assert parsed is not None
    assert [m.text for m in parsed.messages] == ["first question", "first answer", "second"]
    assert [getattr(m, "status", None) for m in parsed.messages] == [None, None, "incomplete"]
    assert any("chat.md:" in p and "cut off" in p and "incomplete" in p for p in parsed.problems)
    assert path.read_bytes() == data[: data.rfind(b"second question") + 6]
    assert path.stat().st_mtime_ns == mtime


@pytest.mark.parametrize("cut", ["inside the text", "inside the closing comment"])
def test_a_message_cut_off_before_the_next_one_keeps_both(tmp_path, cut):
    path = _sample(tmp_path)
    text = path.read_text()
    start = text.index("first answer")
    end = start + len("first") if cut == "inside the text" else text.index("/message", start) + 3
    path.write_text(text[:end] + "\n" + text[text.index("<!-- message", start) :])
    parsed = read_transcript_file(path)
    assert parsed is not None
    assert [m.text for m in parsed.messages] == [
        "first question",
        "first" if cut == "inside the text" else "first answer",
        "second question",
    ]
    assert getattr(parsed.messages[1], "status", None) == "incomplete"


async def test_a_damaged_file_is_kept_as_it_was_before_the_first_save(tmp_path):
    path = _sample(tmp_path)
    data = path.read_bytes().replace(b"first answer", b"first \xff\xfeanswer")
    data = data[: data.rfind(b"second question") + 6]
    path.write_bytes(data)
    history = ChatHistoryMD(path)
    loaded = await history.aload_chat_history()
    assert path.read_bytes() == data and history.original_copy == tmp_path / "chat.md.orig"
    assert not (tmp_path / "chat.md.orig").exists()
    assert any("kept as chat.md.orig" in p for p in history.problems)
    await history.alog_message(Message(text="go on", role="user"))
    assert (tmp_path / "chat.md.orig").read_bytes() == data
    reloaded = read_transcript_file(path)
    assert reloaded is not None and not reloaded.problems
    assert [m.text for m in reloaded.messages] == [m.text for m in loaded] + ["go on"]
    await history.alog_message(Message(text="and on", role="user"))
    assert (tmp_path / "chat.md.orig").read_bytes() == data
    assert not (tmp_path / "chat.md.orig2").exists()


def test_retitling_a_damaged_file_keeps_it_as_it_was(tmp_path):
    from miniagents.transcript_folder import retitle_transcript

    path = _sample(tmp_path)
    (tmp_path / "chat.md.orig").write_text("an older copy")
    data = path.read_bytes().replace(b"first answer", b"first \xffanswer")
    path.write_bytes(data)
    assert retitle_transcript(path, "New") == tmp_path / "chat.md.orig2"
    assert (tmp_path / "chat.md.orig2").read_bytes() == data
    assert (tmp_path / "chat.md.orig").read_text() == "an older copy"
    (tmp_path / "clean").mkdir()
    assert retitle_transcript(_sample(tmp_path / "clean"), "New") is None
    assert not (tmp_path / "clean" / "chat.md.orig").exists()


def test_one_bad_section_among_good_ones(tmp_path):
    path = _sample(tmp_path)
    text = path.read_text()
    broken = text.replace('{"role":"assistant"}', '{"role": oops', 1)
    path.write_text(broken)
    parsed = read_transcript_file(path)
    assert parsed is not None
    assert [m.text for m in parsed.messages] == ["first question", "second question"]
    line = broken[: broken.find("oops")].count("\n") + 1
    assert any(p.startswith(f"chat.md:{line}: message header is not valid JSON") for p in parsed.problems)


def test_hand_edited_text_falls_back_to_the_closing_comment(tmp_path):
    path = _sample(tmp_path)
    path.write_text(path.read_text().replace("first answer", "a much longer, hand-edited answer"))
    parsed = read_transcript_file(path)
    assert parsed is not None
    assert [m.text for m in parsed.messages][1] == "a much longer, hand-edited answer"
    assert any("edited by hand" in p for p in parsed.problems)


def test_invalid_utf8_is_reported_and_the_rest_loads(tmp_path):
    path = _sample(tmp_path)
    data = path.read_bytes().replace(b"first answer", b"first \xff\xfeanswer")
    path.write_bytes(data)
    parsed = read_transcript_file(path)
    assert parsed is not None
    assert next(m.text for m in parsed.messages) == "first question"
    assert [m.text for m in parsed.messages][2] == "second question"
    assert any("invalid UTF-8" in p for p in parsed.problems)
    assert path.read_bytes() == data


@pytest.mark.parametrize("content", [b"", b"\x00\x01garbage\xff" * 50, b"just some notes\n\n# not a chat\n"])
def test_a_wholly_unreadable_file_is_refused(tmp_path, content):
    path = tmp_path / "junk.md"
    path.write_bytes(content)
    with pytest.raises(TranscriptFormatError, match=r"junk\.md"):
        read_transcript_file(path)
    assert path.read_bytes() == content


# ---------------------------------------------------------------- R13: private and confined


async def test_new_files_are_private_and_resaves_keep_the_mode(tmp_path):
    path = tmp_path / "new-folder" / "chat.md"
    history = ChatHistoryMD(path)
    await history.alog_message(Message(text="hi", role="user"))
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    os.chmod(path, 0o400)
    await history.alog_message(Message(text="again", role="user"))
    assert stat.S_IMODE(path.stat().st_mode) == 0o400


@pytest.mark.parametrize("title", ["../../etc/passwd", "/abs/path", "a/b\\c", "..", "\x00", "💥" * 100, ""])
def test_names_derived_from_titles_stay_in_the_folder(tmp_path, title):
    path = new_transcript_path(tmp_path, title)
    assert path.parent == tmp_path
    assert path.suffix == ".md" and "/" not in path.name and not path.name.startswith(".")


@pytest.mark.parametrize("name", ["../escape.md", "sub/dir.md", "/etc/passwd", ".hidden.md", "..", ""])
def test_user_names_with_path_parts_are_rejected_with_a_reason(tmp_path, name):
    with pytest.raises(UnsafeNameError, match=r"name|outside"):
        confined_path(tmp_path, name)


def test_plain_user_names_are_kept_in_the_folder(tmp_path):
    assert confined_path(tmp_path, "my chat") == (tmp_path / "my chat.md").resolve()


# ---------------------------------------------------------------- the transcripts folder


def test_list_search_retitle_delete(tmp_path):
    older = tmp_path / "older.md"
    older.write_text(
        render_transcript(
            {"title": "Old one", "created": "2026-01-01"},
            [
                Message(text="Tell me about Rust", role="user"),
                Message(text="Rust is...", role="assistant", model="gpt-x"),
            ],
        )
    )
    os.utime(older, (1, 1))
    newer = tmp_path / "newer.md"
    newer.write_text(
        render_transcript({"title": "New one", "created": "2026-02-02"}, [Message(text="hi", role="user")])
    )
    (tmp_path / "junk.md").write_text("not a transcript")
    listed = list_transcripts(tmp_path)
    assert [(i.title, i.message_count, i.models) for i in listed] == [
        ("New one", 1, ()),
        ("Old one", 2, ("gpt-x",)),
    ]
    hits = search_transcripts(tmp_path, "rust")
    assert [(h.info.title, h.matches) for h in hits] == [("Old one", 2)]
    assert "Rust" in hits[0].snippet
    retitle_transcript(older, "Renamed")
    assert {i.title for i in list_transcripts(tmp_path)} == {"New one", "Renamed"}
    parsed = read_transcript_file(older)
    assert parsed is not None and len(parsed.messages) == 2
    delete_transcript(newer)
    assert [i.title for i in list_transcripts(tmp_path)] == ["Renamed"]


def test_a_search_snippet_is_cut_around_the_match_when_folding_changes_lengths(tmp_path):
    text = "Straße " * 100 + "the needle is here" + " and then more words" * 5
    (tmp_path / "a.md").write_text(
        render_transcript({"title": "t", "created": "2026-01-01"}, [Message(text=text, role="user")])
    )
    (hit,) = search_transcripts(tmp_path, "NEEDLE")
    assert "the needle is here" in hit.snippet


@pytest.mark.parametrize("umask", [0o022, 0o000])
async def test_every_folder_made_for_a_transcript_is_private_whatever_the_umask(tmp_path, umask):
    path = tmp_path / "made-by-app" / "deeper" / "transcripts" / "chat.md"
    previous = os.umask(umask)
    try:
        await ChatHistoryMD(path).alog_message(Message(text="hi", role="user"))
    finally:
        os.umask(previous)
    for folder in (path.parent, path.parent.parent, path.parent.parent.parent):
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700, folder


async def test_a_transcript_is_written_with_its_first_message_not_before(tmp_path):
    path = tmp_path / "chat.md"
    history = ChatHistoryMD(path)
    await history.aset_fields(system="Be brief.")
    await history.aflush()
    assert not path.exists()  # nothing said yet: no empty transcript
    await history.alog_message(Message(text="hello", role="user"))
    parsed = read_transcript_file(path)
    assert parsed is not None and parsed.fields["system"] == "Be brief." and len(parsed.messages) == 1


def test_the_file_reads_well_as_markdown(tmp_path):
    path = tmp_path / "c.md"
    path.write_text(
        render_transcript(
            {"title": "Trip", "created": "x"},
            [
                Message(text="Where?", role="user"),
                Message(text="Lisbon.", role="assistant", agent="demo", model="demo"),
            ],
        )
    )
    text = path.read_text()
    assert text.startswith('---\nminiagents-transcript: 1\ntitle: "Trip"\n')
    assert "\n# Trip\n" in text
    assert "### User\n\nWhere?\n<!-- /message -->" in text
    assert "### Assistant · demo\n\nLisbon.\n" in text


def test_untrusted_title_cannot_break_the_front_matter(tmp_path):
    front = {"title": 'evil\n---\ntitle: "x"\n-->', "created": "now"}
    text = render_transcript(front, [])
    assert parse_transcript(text).fields == front
    assert text.count("\n---\n") == 1 and "-->" not in text.split("\n# ")[0]


@pytest.mark.parametrize("kind", ["memory", "markdown"])
async def test_update_a_message_keeps_every_alternative(tmp_path, kind):
    history = InMemoryChatHistory() if kind == "memory" else ChatHistoryMD(tmp_path / "c.md")
    await history.alog_message(Message(text="q", role="user"))
    await history.alog_message(Message(text="first try", role="assistant"))
    updated = await history.aupdate_message(1, superseded=True)
    await history.alog_message(Message(text="second try", role="assistant"))
    assert updated == Message(text="first try", role="assistant", superseded=True)
    messages = await history.aload_chat_history()
    assert [(m.text, getattr(m, "superseded", False)) for m in messages] == [
        ("q", False),
        ("first try", True),
        ("second try", False),
    ]
    if kind == "markdown":
        reloaded = await ChatHistoryMD(tmp_path / "c.md").aload_chat_history()
        assert reloaded == messages


async def test_conversation_fields_are_saved_and_removable(tmp_path):
    path = tmp_path / "c.md"
    history = ChatHistoryMD(path)
    await history.alog_message(Message(text="hello", role="user"))
    await history.aset_fields(system="Be brief.", title="Greeting")
    reopened = ChatHistoryMD(path)
    await reopened.aload_chat_history()
    assert reopened.fields["system"] == "Be brief." and reopened.title == "Greeting"
    await reopened.aset_fields(system=None)
    again = ChatHistoryMD(path)
    await again.aload_chat_history()
    assert "system" not in again.fields


async def test_headings_show_in_a_markdown_viewer_what_the_metadata_says(tmp_path):
    path = tmp_path / "c.md"
    history = ChatHistoryMD(path)
    messages = [
        Message(text="q", role="user", superseded=True),
        Message(text="a", role="assistant", agent="writer_critic", branch=1, winner=True),
        Message(text="b", role="assistant", agent="demo", branch=0, alternative=True),
        Message(text="c", role="assistant", agent="demo", status="incomplete", error="LLMStreamError: cut"),
    ]
    for message in messages:
        await history.alog_message(message)
    text = path.read_text()
    assert "### User (superseded)\n" in text
    assert "### Assistant · writer_critic · pane 2 ★ winner\n" in text
    assert "### Assistant · demo · pane 1 (alternative)\n" in text
    assert "### Assistant · demo (incomplete) · error: LLMStreamError: cut\n" in text
    reloaded = ChatHistoryMD(path)
    assert list(await reloaded.aload_chat_history()) == messages  # the marks change nothing on reload
    await reloaded.aupdate_message(0, superseded=True)  # a save writes the very same bytes
    assert path.read_text() == text
