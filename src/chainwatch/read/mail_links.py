"""Link extraction from mail bodies, with URL-rewriter unwrapping.

A link is kept under its *effective* target: what a click ends up at once a security
gateway's or a mailing service's redirect is removed. That keeps a vendor newsletter
routed through a click-tracking domain attributed to the vendor's own site, and a
phishing URL hidden behind Safe Links attributed to the phishing host.
"""

from __future__ import annotations

import base64
import binascii
import re
import string
from collections.abc import Iterable, Iterator
from dataclasses import replace
from encodings import idna
from urllib.parse import parse_qsl, unquote, urlsplit

from selectolax.lexbor import LexborHTMLParser

from chainwatch.events import Link

MAX_LINKS_PER_MESSAGE = 500
MAX_UNWRAP_ROUNDS = 5
MAX_DISPLAY_TEXT = 200  # characters of anchor text kept per link

# Absolute URLs in plain text. Angle brackets, quotes and whitespace end a URL, because
# writers use them to delimit URLs in prose.
_TEXT_URL = re.compile(r"""(?:https?|ftp)://[^\s<>"'`\x00-\x1f\x7f]+""", re.IGNORECASE)
_TRAILING_PUNCTUATION = ".,;:!?'\""
_CLOSING_TO_OPENING = {")": "(", "]": "[", "}": "{"}
_KEPT_SCHEMES = ("http://", "https://", "ftp://")
# WHATWG URL parsing removes ASCII tab and newline anywhere and treats "\" like "/"
# after a special scheme, so "https:\\host" and "https:/host" open "https://host".
_TAB_OR_NEWLINE = re.compile(r"[\t\r\n]")
_SCHEME_SLASHES = re.compile(r"^(https?|ftp):[/\\]*", re.IGNORECASE)
_LABEL_SEPARATORS = re.compile("[.\u3002\uff0e\uff61]")

_HTML_LINK_SELECTORS = (("a[href]", "href"), ("area[href]", "href"), ("form[action]", "action"))

# First host labels that click-tracking services of email service providers use. A URL
# in a query parameter is followed only on such hosts: on any other host a parameter
# such as ``?next=https://…`` would let a sender hide its own host behind a benign one.
TRACKER_HOST_LABELS = frozenset(
    {
        "click",
        "clicks",
        "email",
        "go",
        "link",
        "links",
        "r",
        "redirect",
        "t",
        "track",
        "tracking",
        "trk",
        "url",
    }
)

# Proofpoint URL Defense v3 encodes a run of N replaced characters as "**" plus one
# character from this alphabet, where "A" stands for a run of 2.
_PROOFPOINT_RUN_ALPHABET = string.ascii_uppercase + string.ascii_lowercase + string.digits + "-_"
_PROOFPOINT_RUN_LENGTHS = {char: index + 2 for index, char in enumerate(_PROOFPOINT_RUN_ALPHABET)}
_PROOFPOINT_V3 = re.compile(r"/v3/__(?P<url>.+?)__;(?P<replaced>[A-Za-z0-9_-]*)!")
_PROOFPOINT_V3_TOKEN = re.compile(r"\*(\*.)?")
_PROOFPOINT_V2_TRANSLATION = str.maketrans({"-": "%", "_": "/"})


def normalise_host(hostname: str) -> str | None:
    """Return ``hostname`` lower-cased in its ASCII (punycode) form, or ``None`` if empty.

    Labels that IDNA 2003 rejects are punycode-encoded as they are, so a host never
    gets lost for being malformed.
    """
    host = unquote(hostname).strip().lower()
    labels = [label for label in _LABEL_SEPARATORS.split(host)]
    while labels and not labels[-1]:
        labels.pop()
    if not labels:
        return None

    ascii_labels: list[str] = []
    for label in labels:
        if label.isascii():
            ascii_labels.append(label)
            continue
        try:
            ascii_labels.append(idna.ToASCII(label).decode("ascii"))
        except UnicodeError:
            ascii_labels.append("xn--" + label.encode("punycode").decode("ascii"))
    return ".".join(ascii_labels)


def clean_url(url: str) -> str | None:
    """Return ``url`` as a browser would read it, or ``None`` unless it is http(s)/ftp."""
    url = _TAB_OR_NEWLINE.sub("", url.strip())
    scheme = _SCHEME_SLASHES.match(url)
    if scheme is None:
        return None
    url = scheme.group(1).lower() + "://" + url[scheme.end() :]
    return url if url.startswith(_KEPT_SCHEMES) else None


def url_host(url: str) -> str | None:
    """Return the normalised host of an absolute URL, or ``None`` if it has none."""
    try:
        # Browsers read "\\" as "/" in http(s) URLs, so it also ends the host.
        hostname = urlsplit(url.replace("\\", "/")).hostname
    except ValueError:
        return None
    if not hostname:
        return None
    return normalise_host(hostname)


def _query_values(url: str, names: Iterable[str]) -> Iterator[str]:
    try:
        query = urlsplit(url).query
    except ValueError:
        return
    selected = set(names)
    for name, value in parse_qsl(query, keep_blank_values=False):
        if name.lower() in selected:
            yield value


def _first_absolute(values: Iterable[str]) -> str | None:
    for value in values:
        cleaned = clean_url(value)
        if cleaned is not None:
            return cleaned
    return None


def _decode_proofpoint_v2(url: str) -> str | None:
    for value in _query_values(url, ("u",)):
        return clean_url(unquote(value.translate(_PROOFPOINT_V2_TRANSLATION)))
    return None


def _decode_proofpoint_v3(url: str) -> str | None:
    match = _PROOFPOINT_V3.search(url)
    if match is None:
        return None
    encoded = match.group("replaced")
    try:
        replaced = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)).decode("utf-8")
    except (binascii.Error, ValueError):
        return None

    pieces: list[str] = []
    cursor = 0
    position = 0
    target = unquote(match.group("url"))
    for token in _PROOFPOINT_V3_TOKEN.finditer(target):
        pieces.append(target[position : token.start()])
        run = 1 if token.group(1) is None else _PROOFPOINT_RUN_LENGTHS.get(token.group(1)[1], 0)
        pieces.append(replaced[cursor : cursor + run])
        cursor += run
        position = token.end()
    pieces.append(target[position:])
    return clean_url("".join(pieces))


def unwrap_once(url: str, host: str) -> str | None:
    """Return the URL that a known rewriter or click tracker wraps, or ``None``.

    Handled: Microsoft Defender Safe Links, Proofpoint URL Defense v2 and v3, Google
    redirects, and click trackers whose host starts with one of
    :data:`TRACKER_HOST_LABELS` and carry the target in a query parameter. Mimecast
    links hold an opaque token and are kept as they are.
    """
    if host.endswith(".safelinks.protection.outlook.com"):
        return _first_absolute(_query_values(url, ("url",)))
    if host in ("urldefense.proofpoint.com", "urldefense.com"):
        if "/v3/__" in url:
            return _decode_proofpoint_v3(url)
        if "/v2/url" in url:
            return _decode_proofpoint_v2(url)
        return None
    if host in ("google.com", "www.google.com"):
        path = urlsplit(url).path
        return _first_absolute(_query_values(url, ("q", "url"))) if path == "/url" else None
    if host.split(".", 1)[0] in TRACKER_HOST_LABELS:
        try:
            pairs = parse_qsl(urlsplit(url).query)
        except ValueError:
            return None
        return _first_absolute(value for _, value in pairs)
    return None


def effective_link(raw_url: str) -> Link | None:
    """Build the :class:`Link` a raw URL leads to, or ``None`` if it is not a web link."""
    url = clean_url(raw_url)
    if url is None:
        return None
    host = url_host(url)
    if host is None:
        return None

    for _ in range(MAX_UNWRAP_ROUNDS):
        target = unwrap_once(url, host)
        target_host = url_host(target) if target else None
        if target is None or target_host is None:
            break
        url, host = target, target_host
    return Link(url=url, host=host)


def _unbalanced_closer(url: str) -> bool:
    opener = _CLOSING_TO_OPENING.get(url[-1])
    return opener is not None and url.count(opener) < url.count(url[-1])


def _trim_text_url(url: str) -> str:
    while url and (url[-1] in _TRAILING_PUNCTUATION or _unbalanced_closer(url)):
        url = url[:-1]
    return url


def urls_in_text(text: str) -> Iterator[str]:
    """Yield absolute URLs written out in plain text, without trailing punctuation."""
    for match in _TEXT_URL.finditer(text):
        url = _trim_text_url(match.group(0))
        if url:
            yield url


def urls_in_html(html: str) -> Iterator[str]:
    """Yield link targets of ``a``, ``area`` and ``form`` elements, then bare URLs in text.

    Image sources are not links and are left out.
    """
    tree = LexborHTMLParser(html)
    for selector, attribute in _HTML_LINK_SELECTORS:
        for node in tree.css(selector):
            value = node.attributes.get(attribute)
            if value:
                yield value
    root = tree.root
    if root is not None:
        yield from urls_in_text(root.text(separator=" "))


def anchors_in_html(html: str) -> Iterator[tuple[str, str]]:
    """Yield ``(href, visible text)`` of every ``a`` element that has text.

    The text is what the reader was shown, so a model can compare it with the real
    host ("View document in Microsoft OneDrive" on a form-builder host).
    """
    tree = LexborHTMLParser(html)
    for node in tree.css("a[href]"):
        href = node.attributes.get("href")
        text = " ".join(node.text(separator=" ").split())[:MAX_DISPLAY_TEXT]
        if href and text:
            yield href, text


class LinkCollector:
    """Effective links of one message, deduplicated in first-seen order and capped."""

    def __init__(self, limit: int = MAX_LINKS_PER_MESSAGE) -> None:
        self.limit = limit
        self.capped = False
        self._links: dict[str, Link] = {}

    def add_urls(self, urls: Iterable[str]) -> None:
        for raw_url in urls:
            if self.capped:
                return
            link = effective_link(raw_url)
            if link is None or link.url in self._links:
                continue
            if len(self._links) >= self.limit:
                self.capped = True
                return
            self._links[link.url] = link

    def add_display_texts(self, anchors: Iterable[tuple[str, str]]) -> None:
        """Attach the visible text of an anchor to the link it leads to, first text wins."""
        for raw_url, text in anchors:
            link = effective_link(raw_url)
            if link is None:
                continue
            found = self._links.get(link.url)
            if found is not None and found.display_text is None:
                self._links[link.url] = replace(found, display_text=text)

    def links(self) -> tuple[Link, ...]:
        return tuple(self._links.values())
