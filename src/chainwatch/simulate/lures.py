"""Lure content for the attack scenarios: link, QR code, HTML attachment, consent and AiTM.

Each kind yields the links and attachments of one lure message, so the first lure and the
surge messages that spread it look alike. QR codes are drawn with the ``qrcode`` package
and written by PyPNG, whose output depends only on the input, so runs stay byte-identical.
"""

from __future__ import annotations

import functools
import html
import io
import random
from dataclasses import dataclass
from typing import Literal
from urllib.parse import quote, urlencode

import qrcode
from qrcode.image.pure import PyPNGImage

from chainwatch.simulate.records import Attachment
from chainwatch.simulate.storyline import LURE_ANCHOR, lure_link
from chainwatch.simulate.tenant import LURE_HOST

LureKind = Literal["link", "aitm", "oauth", "qr-code", "html-attachment"]

AITM_HOST = "login.m365-docs-secure.example"
OAUTH_HOST = "login.microsoftonline.com"
OAUTH_APP_NAME = "DocuView Mail Sync"
OAUTH_APP_ID = "5f0c8c3e-9d4b-4b1e-a7c2-3e8d2f6b9a41"
OAUTH_REDIRECT = "https://docuview-sync.example/auth/callback"
OAUTH_SCOPE = "Mail.Read offline_access"


@dataclass(frozen=True, slots=True)
class LureContent:
    """The text, links and attachments of one lure message."""

    paragraphs: tuple[str, ...]
    links: tuple[tuple[str, str], ...]
    attachments: tuple[Attachment, ...] = ()


def lure_host(kind: LureKind) -> str:
    """Return the host a lure of ``kind`` sends the victim to."""
    if kind == "aitm":
        return AITM_HOST
    if kind == "oauth":
        return OAUTH_HOST
    return LURE_HOST


def oauth_link(rng: random.Random) -> str:
    """Return an authorization-code request for the attacker's app, as a consent lure uses."""
    query = urlencode(
        {
            "client_id": OAUTH_APP_ID,
            "response_type": "code",
            "redirect_uri": OAUTH_REDIRECT,
            "response_mode": "query",
            "scope": OAUTH_SCOPE,
            "state": f"{rng.getrandbits(64):016x}",
        },
        quote_via=quote,
    )
    return f"https://{OAUTH_HOST}/common/oauth2/v2.0/authorize?{query}"


@functools.lru_cache(maxsize=64)
def qr_png(url: str) -> bytes:
    """Return a PNG of a QR code that encodes ``url``."""
    image = qrcode.make(url, image_factory=PyPNGImage, box_size=4, border=4)
    buffer = io.BytesIO()
    image.save(buffer)
    return buffer.getvalue()


def html_page(action: str) -> bytes:
    """Return a stand-alone sign-in page whose form posts the credentials to ``action``."""
    page = (
        "<!DOCTYPE html>\n"
        '<html><head><meta charset="utf-8"><title>Microsoft OneDrive - Remittance advice'
        "</title></head>\n<body>\n"
        "<h1>Sign in to view the shared remittance advice</h1>\n"
        f'<form method="post" action="{html.escape(action)}">\n'
        '<input type="email" name="login" placeholder="Email address">\n'
        '<input type="password" name="passwd" placeholder="Password">\n'
        '<button type="submit">View document</button>\n'
        "</form>\n</body></html>\n"
    )
    return page.encode("ascii")


def lure_content(kind: LureKind, rng: random.Random, greeting: str, signature: str) -> LureContent:
    """Build one lure of ``kind``; each call draws a fresh link token from ``rng``."""
    opening = (greeting, "Please find the remittance advice for the Q3 payments run.")
    closing = f"Kind regards,\n{signature}"
    if kind == "qr-code":
        # One link per sender, as a QR campaign reuses its image; drawing a QR code takes
        # milliseconds, which hundreds of surge messages would add up.
        url, _ = lure_link(random.Random(f"qr-code:{signature}"))
        attachment = Attachment("Remittance-Advice-QR.png", "image/png", qr_png(url))
        text = "Scan the attached QR code with your phone camera to open the secure document."
        return LureContent((*opening, text, closing), (), (attachment,))
    if kind == "html-attachment":
        url, _ = lure_link(rng)
        attachment = Attachment("Remittance_Advice.html", "text/html", html_page(f"{url}/submit"))
        text = "Open the attached document in your browser and sign in to view it."
        return LureContent((*opening, text, closing), (), (attachment,))
    if kind == "oauth":
        link = (oauth_link(rng), "Open the remittance advice with DocuView")
        text = "Our document viewer needs your permission to open it from your mailbox."
        return LureContent((*opening, text, closing), (link,))
    if kind == "aitm":
        token = f"{rng.getrandbits(48):012x}"
        link = (f"https://{AITM_HOST}/common/login?sso_reload=true&ref={token}", LURE_ANCHOR)
        text = "The document is shared securely and needs you to sign in to view it."
        return LureContent((*opening, text, closing), (link,))
    text = "The document is shared securely and needs you to sign in to view it."
    return LureContent((*opening, text, closing), (lure_link(rng),))
