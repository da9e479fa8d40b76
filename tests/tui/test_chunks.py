"""How a reply's Markdown is cut into pieces: whole, never inside a code block, the same streamed or not."""

from hypothesis import given
from hypothesis import strategies as st

from tui.widgets.markdown_pieces import (
    CHUNK_CHARS,
    HARD_CHUNK_CHARS,
    extend_chunks,
    markdown_chunks,
    paragraph_breaks,
)

_LINES = st.sampled_from(["", "", "word " * 30, "```python", "~~~", "print(1)", "- item", "## Heading", "x"])
_TEXTS = st.lists(_LINES, max_size=400).map("\n".join)


@given(_TEXTS, st.lists(st.integers(min_value=1, max_value=3000), max_size=60))
def test_streamed_pieces_are_the_pieces_of_the_whole_text(text, sizes):
    chunks = [""]
    position = 0
    for size in sizes:
        extend_chunks(chunks, text[position : position + size])
        position += size
    extend_chunks(chunks, text[position:])
    assert chunks == markdown_chunks(text)


@given(_TEXTS)
def test_pieces_join_to_the_text_and_are_cut_only_outside_code(text):
    chunks = markdown_chunks(text)
    assert "".join(chunks) == text
    assert all(chunk for chunk in chunks) or chunks == [""]
    cuts = set(paragraph_breaks(text))
    position = 0
    for chunk in chunks[:-1]:
        position += len(chunk)
        outside_code = sum(line.startswith(("```", "~~~")) for line in text[:position].split("\n")) % 2 == 0
        if position in cuts:
            assert len(chunk) >= CHUNK_CHARS
        else:  # a piece with no paragraph break for too long: cut at a line break or space outside code
            assert len(chunk) >= HARD_CHUNK_CHARS and text[position - 1] in " \n" and outside_code


def test_a_paragraph_that_never_breaks_is_cut_at_spaces_so_frames_stay_small():
    text = " ".join(f"t{i}" for i in range(20_000))
    chunks = markdown_chunks(text)
    assert "".join(chunks) == text and len(chunks) > 30
    assert all(HARD_CHUNK_CHARS <= len(chunk) <= HARD_CHUNK_CHARS + 7 for chunk in chunks[:-1])


def test_no_cut_inside_a_long_code_block():
    code = "```\n" + "line\n\n" * 2000 + "```"
    text = "intro\n\n" + code + "\n\nafter " * 10
    chunks = markdown_chunks(text)
    assert any(code in chunk for chunk in chunks)
