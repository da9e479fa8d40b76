from tui.sanitize import visible


def test_terminal_controls_become_visible_text():
    hostile = "a\x1b[31mred\x1b]52;c;aGk=\x07\x9b2J\u202eevil\x00\x7fz\tok\n"
    shown = visible(hostile)
    assert shown == "a\\x1b[31mred\\x1b]52;c;aGk=\\x07\\x9b2J\\u202eevil\\x00\\x7fz\tok\n"
    assert not any((ord(c) < 32 and c not in "\t\n") or 0x7F <= ord(c) <= 0x9F for c in shown)


def test_a_sequence_split_across_chunks_is_neutralised_too():
    chunks = ["text \x1b", "]8;;http://x\x1b\\", "link"]
    assert "".join(visible(c) for c in chunks) == visible("".join(chunks))
    assert "\x1b" not in "".join(visible(c) for c in chunks)


def test_ordinary_text_is_unchanged():
    text = "Hello, мир! 😀 שלום `code` **bold** [bold]not markup[/]"
    assert visible(text) == text
