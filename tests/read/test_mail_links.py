"""Link extraction from text and HTML, host normalisation and rewriter unwrapping."""

from __future__ import annotations

import pytest

from chainwatch.read.mail_links import (
    LinkCollector,
    anchors_in_html,
    effective_link,
    normalise_host,
    urls_in_html,
    urls_in_text,
)


@pytest.mark.parametrize(
    ("wrapped", "url", "host"),
    [
        pytest.param(
            "https://nam02.safelinks.protection.outlook.com/?url=https%3A%2F%2Flogin.example.net"
            "%2Fsso%3Fa%3D1&data=05%7C02%7Cdana%40example.com&reserved=0",
            "https://login.example.net/sso?a=1",
            "login.example.net",
            id="safe-links",
        ),
        pytest.param(
            "https://urldefense.proofpoint.com/v2/url?u=https-3A__www.example.org_path-3Fa-3D1"
            "&d=DwMFaQ&c=abc&r=def&m=ghi&s=jkl&e=",
            "https://www.example.org/path?a=1",
            "www.example.org",
            id="proofpoint-v2",
        ),
        pytest.param(
            # "JSM" is base64 for "%#": the two "*" placeholders in order.
            "https://urldefense.com/v3/__https://files.example.org/o/owa*2Findex.html?alt=media"
            "*frag__;JSM!!AbCdEf!xyz$",
            "https://files.example.org/o/owa%2Findex.html?alt=media#frag",
            "files.example.org",
            id="proofpoint-v3",
        ),
        pytest.param(
            # "**A" is a run of two replaced characters: "Lz8" is base64 for "/?".
            "https://urldefense.com/v3/__https://files.example.org/a**Ab=1__;Lz8!!AbCd!x$",
            "https://files.example.org/a/?b=1",
            "files.example.org",
            id="proofpoint-v3-run",
        ),
        pytest.param(
            "https://www.google.com/url?q=https://drop.example.net/f&sa=D&ust=1",
            "https://drop.example.net/f",
            "drop.example.net",
            id="google-redirect",
        ),
        pytest.param(
            "https://click.mailer.example.net/c/eJx1?u=https%3A%2F%2Fwww.vendor.example.org%2Fmay",
            "https://www.vendor.example.org/may",
            "www.vendor.example.org",
            id="click-tracker",
        ),
        pytest.param(
            "https://nam02.safelinks.protection.outlook.com/?url=https%3A%2F%2Furldefense.com"
            "%2Fv3%2F__https%3A%2F%2Fpay.example.net%2Fx__%3B!!Ab!c%24&reserved=0",
            "https://pay.example.net/x",
            "pay.example.net",
            id="safe-links-around-proofpoint",
        ),
    ],
)
def test_rewriter_unwrapped(wrapped: str, url: str, host: str) -> None:
    link = effective_link(wrapped)

    assert link is not None
    assert link.url == url
    assert link.host == host


@pytest.mark.parametrize(
    "url",
    [
        pytest.param(
            "https://protect-eu.mimecast.com/s/AbCdEfGh?domain=example.org", id="mimecast"
        ),
        pytest.param("https://click.mailer.example.net/unsub?u=abc123", id="tracker-token"),
        # A redirect parameter on an ordinary host must not hide that host.
        pytest.param("https://login.example.com/?next=https://www.example.org/", id="next-param"),
        pytest.param(
            "https://www.google.com/search?q=https://www.example.org/", id="google-search"
        ),
    ],
)
def test_link_kept_as_is(url: str) -> None:
    link = effective_link(url)

    assert link is not None
    assert link.url == url


@pytest.mark.parametrize(
    ("url", "host"),
    [
        ("https://user:secret@WWW.Example.ORG:8443/p", "www.example.org"),
        ("https://Bücher.example.com/", "xn--bcher-kva.example.com"),
        ("https://[2001:db8::5]:443/", "2001:db8::5"),
        ("HTTPS://www.example.net./x", "www.example.net"),
        ("https:\\\\evil.example.net\\x", "evil.example.net"),
        ("https:/one-slash.example.net/", "one-slash.example.net"),
        ("http://192.0.2.7:8080/admin", "192.0.2.7"),
    ],
)
def test_host_normalised(url: str, host: str) -> None:
    link = effective_link(url)

    assert link is not None
    assert link.host == host


@pytest.mark.parametrize(
    "url",
    [
        "mailto:ap@example.org",
        "tel:+15550100",
        "javascript:alert(1)",
        "#top",
        "/relative",
        "https://[bad",
    ],
)
def test_non_web_link_ignored(url: str) -> None:
    assert effective_link(url) is None


def test_host_label_rejected_by_idna_still_encoded() -> None:
    # IDNA 2003 nameprep rejects this label; the host must still come out as ASCII.
    host = normalise_host("exa\u0080mple.org")

    assert host is not None
    assert host.isascii()
    assert host.endswith(".org")


def test_text_urls_trimmed() -> None:
    text = (
        "See (https://a.example.com/x_(y)) and https://b.example.org/p. "
        'Also <https://c.example.net/q>, or "https://d.example.net/r"!'
    )

    assert list(urls_in_text(text)) == [
        "https://a.example.com/x_(y)",
        "https://b.example.org/p",
        "https://c.example.net/q",
        "https://d.example.net/r",
    ]


def test_html_links_and_bare_urls() -> None:
    html = (
        '<a href="https://a.example.com/">a</a>'
        '<img src="https://img.example.com/pixel.png">'
        '<map><area href="https://area.example.com/"></map>'
        '<form action="https://harvest.example.net/post"><input name="pw"></form>'
        "<p>or paste https://bare.example.org/r into your browser</p>"
    )

    assert list(urls_in_html(html)) == [
        "https://a.example.com/",
        "https://area.example.com/",
        "https://harvest.example.net/post",
        "https://bare.example.org/r",
    ]


def test_html_href_whitespace_removed() -> None:
    [raw] = list(urls_in_html('<a href=" https://a.example.com/lo\ngin\t">x</a>'))

    link = effective_link(raw)

    assert link is not None
    assert link.url == "https://a.example.com/login"


def test_html_entities_decoded() -> None:
    [raw] = list(urls_in_html('<a href="https://a.example.com/?x=1&amp;y=2">x</a>'))

    assert raw == "https://a.example.com/?x=1&y=2"


def test_collector_dedupes_in_order() -> None:
    collector = LinkCollector()

    collector.add_urls(
        ["https://b.example.org/", "https://a.example.org/", "https://b.example.org/"]
    )

    assert [link.url for link in collector.links()] == [
        "https://b.example.org/",
        "https://a.example.org/",
    ]
    assert collector.capped is False


def test_collector_dedupes_after_unwrapping() -> None:
    collector = LinkCollector()

    collector.add_urls(
        [
            "https://www.google.com/url?q=https://a.example.org/",
            "https://a.example.org/",
        ]
    )

    assert [link.url for link in collector.links()] == ["https://a.example.org/"]


def test_collector_caps_links() -> None:
    collector = LinkCollector(limit=3)

    collector.add_urls(f"https://h{i}.example.org/" for i in range(10))

    assert len(collector.links()) == 3
    assert collector.capped is True


def test_collector_keeps_anchor_text_of_unwrapped_link():
    html = (
        '<p><a href="https://nam01.safelinks.protection.outlook.com/?url='
        'https%3A%2F%2Fcreate.piktochart.example%2Foutput%2F1&amp;data=x">'
        "View document in\n  Microsoft OneDrive</a></p>"
    )
    collector = LinkCollector()
    collector.add_urls(urls_in_html(html))
    collector.add_display_texts(anchors_in_html(html))
    [link] = collector.links()
    assert link.host == "create.piktochart.example"
    assert link.display_text == "View document in Microsoft OneDrive"
