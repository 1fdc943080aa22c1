"""The text excerpt of a message: the start of its plain text, else of its HTML's text.

Content models (a payment-change request, a lure's wording) read the excerpt, so it is
bounded here and whitespace is collapsed, which also makes it stable across the MIME,
Graph and Outlook copies of one message.
"""

from __future__ import annotations

from selectolax.lexbor import LexborHTMLParser

MAX_EXCERPT_CHARS = 2000
# Elements whose text a mail client never shows.
_HIDDEN_ELEMENTS = ["script", "style", "noscript", "template", "head", "title"]


def collapse_whitespace(text: str) -> str:
    return " ".join(text.split())


def html_text(html: str) -> str:
    """Return the visible text of an HTML document, whitespace collapsed."""
    tree = LexborHTMLParser(html)
    tree.strip_tags(_HIDDEN_ELEMENTS)
    root = tree.body or tree.root
    if root is None:
        return ""
    return collapse_whitespace(root.text(separator=" "))


class ExcerptBuilder:
    """Collects body texts of one message and returns its excerpt.

    The plain-text bodies win over the HTML ones, because a multipart/alternative
    message carries the same words in both and the plain part needs no parsing.
    """

    def __init__(self, limit: int = MAX_EXCERPT_CHARS) -> None:
        self.limit = limit
        self._plain: list[str] = []
        self._html: list[str] = []
        self._plain_chars = 0
        self._html_chars = 0

    def add_plain(self, text: str) -> None:
        if self._plain_chars >= self.limit:
            return
        # Only the first 8 x limit characters are read, which is enough for the excerpt
        # unless the text is mostly whitespace.
        words = collapse_whitespace(text[: self.limit * 8])
        if words:
            self._plain.append(words)
            self._plain_chars += len(words) + 1

    def add_html(self, html: str) -> None:
        if self._plain_chars > 0 or self._html_chars >= self.limit:
            return
        words = html_text(html)
        if words:
            self._html.append(words)
            self._html_chars += len(words) + 1

    def excerpt(self) -> str | None:
        parts = self._plain or self._html
        if not parts:
            return None
        return " ".join(parts)[: self.limit]
