"""Attached web pages: HTML, SHTML and SVG files that open in a browser.

An attached page is a common credential lure because it runs locally, past link
scanners, and often posts a form straight to the attacker's host. The reader marks each
form target with the text ``form in <file name>`` so that models can tell it apart from
the links of the message body.
"""

from __future__ import annotations

import mimetypes

from selectolax.lexbor import LexborHTMLParser

WEB_PAGE_TYPES = frozenset(
    {"text/html", "application/xhtml+xml", "text/x-amp-html", "image/svg+xml", "text/shtml"}
)
WEB_PAGE_SUFFIXES = (".htm", ".html", ".xhtml", ".shtml", ".shtm", ".svg", ".svgz", ".mht")
FORM_TEXT_PREFIX = "form in "
DEFAULT_TYPE = "application/octet-stream"


def is_web_page(content_type: str | None, filename: str | None) -> bool:
    """Return True for an attachment a browser renders, by content type or file name."""
    if content_type and content_type.lower() in WEB_PAGE_TYPES:
        return True
    return bool(filename) and filename.lower().endswith(WEB_PAGE_SUFFIXES)


def form_actions(html: str) -> list[str]:
    """Return the ``action`` targets of the page's forms, in document order."""
    tree = LexborHTMLParser(html)
    actions: list[str] = []
    for node in tree.css("form[action]"):
        value = node.attributes.get("action")
        if value:
            actions.append(value)
    return actions


def attachment_type(content_type: str | None, filename: str | None) -> str:
    """Return a lower-case content type, guessed from the file name when none is given."""
    if content_type and "/" in content_type:
        return content_type.strip().lower()
    guessed = mimetypes.guess_type(filename or "", strict=False)[0]
    return (guessed or DEFAULT_TYPE).lower()
