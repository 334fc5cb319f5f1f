"""parse_mode: markup becomes plain text plus entities with UTF-16 offsets, or a 400."""

from __future__ import annotations

from typing import Any

import pytest

from sandbox.errors import ApiError
from sandbox.markup import formatted

CASES: list[tuple[str, str, str, list[tuple[str, int, int]]]] = [
    (
        "HTML",
        "<b>gras</b> et <i>italique</i>",
        "gras et italique",
        [("bold", 0, 4), ("italic", 8, 8)],
    ),
    ("HTML", "a &lt; b &amp; c", "a < b & c", []),
    ("HTML", "🙂<u>x</u>", "🙂x", [("underline", 2, 1)]),
    ("HTML", '<a href="https://e.org">lien</a>', "lien", [("text_link", 0, 4)]),
    ("HTML", '<pre><code class="language-python">x = 1</code></pre>', "x = 1", [("pre", 0, 5)]),
    ("HTML", '<span class="tg-spoiler">s</span>', "s", [("spoiler", 0, 1)]),
    (
        "MarkdownV2",
        r"*gras* _it_ __sous__ ~barré~ \.",
        "gras it sous barré .",
        [("bold", 0, 4), ("italic", 5, 2), ("underline", 8, 4), ("strikethrough", 13, 5)],
    ),
    (
        "MarkdownV2",
        r"`code \` ici` ||spoil||",
        "code ` ici spoil",
        [("code", 0, 10), ("spoiler", 11, 5)],
    ),
    ("MarkdownV2", "[lien](https://e.org/a_(b\\))", "lien", [("text_link", 0, 4)]),
    ("MarkdownV2", "```python\nprint(1)```", "print(1)", [("pre", 0, 8)]),
    (
        "Markdown",
        "*gras* _it_ `c`",
        "gras it c",
        [("bold", 0, 4), ("italic", 5, 2), ("code", 8, 1)],
    ),
]


@pytest.mark.parametrize(("mode", "source", "text", "entities"), CASES)
def test_markup(mode: str, source: str, text: str, entities: list[tuple[str, int, int]]) -> None:
    out_text, out_entities = formatted(source, mode, None)
    assert out_text == text
    assert [(e["type"], e["offset"], e["length"]) for e in out_entities] == entities


def test_link_url_and_pre_language() -> None:
    _, [link] = formatted("[x](https://e.org/a_(b\\))", "MarkdownV2", None)
    assert link["url"] == "https://e.org/a_(b)"
    _, [pre] = formatted('<pre><code class="language-py">x</code></pre>', "HTML", None)
    assert pre["language"] == "py"


@pytest.mark.parametrize(
    ("mode", "source", "error"),
    [
        ("MarkdownV2", "Fin.", "Character '.' is reserved"),
        ("MarkdownV2", "*ouvert", "Can't find end of Bold entity"),
        ("HTML", "<b>ouvert", "Can't find end tag"),
        ("HTML", "<b><i>x</b></i>", "Unmatched end tag"),
        ("HTML", "<script>x</script>", "Unsupported start tag"),
        ("Markdown", "*ouvert", "Can't find end of the entity"),
        ("Klingon", "x", "unsupported parse_mode"),
    ],
)
def test_bad_markup_is_a_400(mode: str, source: str, error: str) -> None:
    with pytest.raises(ApiError) as caught:
        formatted(source, mode, None)
    assert caught.value.code == 400
    assert error in caught.value.description


def test_explicit_entities_win() -> None:
    entities: list[Any] = [{"type": "bold", "offset": 0, "length": 2}]
    assert formatted("<b>", "HTML", entities) == ("<b>", entities)
