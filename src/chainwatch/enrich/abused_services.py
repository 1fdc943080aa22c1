"""Hosting services that attackers use for lure pages, by host and category.

A hijacked vendor mailbox rarely links to a domain the attacker registered. The lure sits
on a free form, infographic or site builder, a file share, an IPFS gateway or behind a
URL shortener, because those hosts have a good reputation and pass link filters. Legitimate
senders use the same services, so a match is a weight on a rare link, never a finding on
its own.

The list is maintained by hand. Each entry is a host suffix, optionally with a path
prefix where only part of a host serves user content (``docs.google.com/forms``). The
``.example`` hosts are the stand-ins that the bundled sample and the tests use.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import urlsplit

from chainwatch.events import Link

FORM_BUILDER = "form builder"
INFOGRAPHIC_BUILDER = "infographic builder"
FILE_SHARE = "file share"
SITE_BUILDER = "site builder"
IPFS_GATEWAY = "IPFS gateway"
URL_SHORTENER = "URL shortener"
DOCUMENT_SHARE = "document share"


@dataclass(frozen=True, slots=True)
class AbusedService:
    """One service in the catalogue: where it serves user content and what it is."""

    host: str  # host suffix, lower case
    path: str  # path prefix, "" for the whole host
    category: str

    def matches(self, host: str, path: str) -> bool:
        on_host = host == self.host or host.endswith("." + self.host)
        return on_host and path.lower().startswith(self.path)

    @property
    def label(self) -> str:
        return self.host + self.path


def _services(category: str, *entries: str) -> list[AbusedService]:
    services = []
    for entry in entries:
        host, _, path = entry.partition("/")
        services.append(AbusedService(host, f"/{path}" if path else "", category))
    return services


CATALOGUE: tuple[AbusedService, ...] = (
    *_services(
        FORM_BUILDER,
        "forms.gle",
        "docs.google.com/forms",
        "forms.office.com",
        "forms.microsoft.com",
        "jotform.com",
        "typeform.com",
        "formstack.com",
        "123formbuilder.com",
        "cognitoforms.com",
        "wufoo.com",
        "zohopublic.com",
    ),
    *_services(
        INFOGRAPHIC_BUILDER,
        "piktochart.com",
        "create.piktochart.com",
        "canva.site",
        "canva.com/design",
        "genial.ly",
        "view.genial.ly",
        "visme.co",
        "infogram.com",
        "flipsnack.com",
        "sway.cloud.microsoft",
        "sway.office.com",
        "piktochart.example",
    ),
    *_services(
        FILE_SHARE,
        "dropbox.com",
        "dl.dropboxusercontent.com",
        "wetransfer.com",
        "we.tl",
        "box.com/s",
        "mediafire.com",
        "drive.google.com",
        "1drv.ms",
        "files.fm",
        "sendspace.com",
        "filetransfer.io",
        "transfernow.net",
    ),
    *_services(
        DOCUMENT_SHARE,
        "docs.google.com/document",
        "docs.google.com/presentation",
        "docs.google.com/drawings",
        "notion.site",
        "quip.com",
        "issuu.com",
        "scribd.com",
        "padlet.com",
        "dochub.com",
        "docsend.com",
    ),
    *_services(
        SITE_BUILDER,
        "sites.google.com",
        "wixsite.com",
        "weebly.com",
        "webflow.io",
        "square.site",
        "godaddysites.com",
        "mystrikingly.com",
        "carrd.co",
        "glitch.me",
        "pages.dev",
        "netlify.app",
        "vercel.app",
        "web.app",
        "firebaseapp.com",
        "github.io",
        "blogspot.com",
        "wordpress.com",
        "r2.dev",
        "workers.dev",
        "storage.googleapis.com",
        "blob.core.windows.net",
        "web.core.windows.net",
    ),
    *_services(
        IPFS_GATEWAY,
        "ipfs.io",
        "dweb.link",
        "cloudflare-ipfs.com",
        "gateway.pinata.cloud",
        "ipfs.w3s.link",
        "nftstorage.link",
        "4everland.io",
        "fleek.co",
    ),
    *_services(
        URL_SHORTENER,
        "bit.ly",
        "tinyurl.com",
        "t.co",
        "is.gd",
        "ow.ly",
        "rebrand.ly",
        "cutt.ly",
        "shorturl.at",
        "rb.gy",
        "t.ly",
        "s.id",
        "tiny.cc",
        "short.io",
        "lnkd.in",
    ),
)


def abused_service(link: Link) -> AbusedService | None:
    """Return the catalogue entry a link's URL falls under, the most specific first."""
    return _abused_service(link.url, link.host.lower())


# Services by catalogue host, in catalogue order. A host can only fall under the
# entries of its own name and of its parent domains.
_BY_HOST: dict[str, list[AbusedService]] = {}
for _service in CATALOGUE:
    _BY_HOST.setdefault(_service.host, []).append(_service)


@lru_cache(maxsize=65536)  # links recur across messages, and both arguments are immutable
def _abused_service(url: str, host: str) -> AbusedService | None:
    try:
        path = urlsplit(url).path or "/"
    except ValueError:
        path = "/"
    candidates: list[AbusedService] = []
    suffix = host
    while True:
        candidates.extend(_BY_HOST.get(suffix, ()))
        dot = suffix.find(".")
        if dot < 0:
            break
        suffix = suffix[dot + 1 :]
    best: AbusedService | None = None
    for service in sorted(candidates, key=CATALOGUE.index):
        if service.matches(host, path) and (best is None or len(service.label) > len(best.label)):
            best = service
    return best
