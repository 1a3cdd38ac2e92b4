"""HTML escaping, for the pages Carafe writes itself (error pages, redirects, the
debug page): one table, as MarkupSafe escapes."""

from __future__ import annotations

__all__ = ["escape_html"]

_HTML_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&#34;", "'": "&#39;"})


def escape_html(value: object) -> str:
    """``value`` as HTML text or attribute value: ``& < > " '`` escaped.

    SECURITY: what goes into a page may echo client input (a Location, an error's
    description). An object with ``__html__`` (MarkupSafe's ``Markup``) is markup
    already and is taken as it is, as MarkupSafe's ``escape`` does.
    """
    html = getattr(value, "__html__", None)
    if html is not None:
        return str(html())
    return str(value).translate(_HTML_ESCAPES)
