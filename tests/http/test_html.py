"""carafe.http.html: the one HTML escape of the pages Carafe writes."""

from __future__ import annotations

import html

import markupsafe
import pytest

from carafe.http.html import escape_html


@pytest.mark.parametrize(
    "text",
    ["plain", "<script>alert('x')</script>", 'a "quoted" & <b>bold</b>', "caf\u00e9 \u20ac", ""],
)
def test_escapes_as_markupsafe_does(text: str) -> None:
    assert escape_html(text) == str(markupsafe.escape(text))
    # And the text comes back whole.
    assert html.unescape(escape_html(text)) == text


def test_markup_is_taken_as_it_is() -> None:
    markup = markupsafe.Markup("<em>kept</em>")
    assert escape_html(markup) == "<em>kept</em>"


def test_other_objects_are_escaped_as_text() -> None:
    assert escape_html(KeyError("<k>")) == "&#39;&lt;k&gt;&#39;"
    assert escape_html(5) == "5"
