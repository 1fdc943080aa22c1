"""Tests for message text excerpts, attachment types and links read from QR codes."""

from __future__ import annotations

import base64
import io
import struct
import warnings
import zlib
from email.message import EmailMessage as MimeMessage
from pathlib import Path

import orjson
import pytest
import qrcode

from chainwatch.events import EmailMessage, Origin
from chainwatch.read.graph_mail import GraphMailReader
from chainwatch.read.mail_parse import parse_messages
from chainwatch.read.mail_qr import (
    MAX_IMAGES_PER_MESSAGE,
    QR_DEFECT,
    QrScanner,
    decode_qr_texts,
)
from chainwatch.read.mail_text import MAX_EXCERPT_CHARS
from chainwatch.read.outlook_msg import OutlookMsgReader
from tests.read.test_outlook_msg import _message_streams, _properties, _unicode, _write

LURE_URL = "https://docs-share.example.net/view?id=4471"
ORIGIN = Origin("message.eml", "")


def qr_png(text: str) -> bytes:
    buffer = io.BytesIO()
    qrcode.make(text).save(buffer)
    return buffer.getvalue()


def qr_jpeg(text: str) -> bytes:
    buffer = io.BytesIO()
    image = qrcode.make(text).get_image().convert("RGB")
    image.save(buffer, format="JPEG", quality=90)
    return buffer.getvalue()


def qr_gif(text: str) -> bytes:
    buffer = io.BytesIO()
    qrcode.make(text).get_image().convert("L").save(buffer, format="GIF")
    return buffer.getvalue()


def png_header_only(width: int, height: int) -> bytes:
    """Return a PNG that declares its size but holds no pixels, as a bomb's header does."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data)
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IEND", b"")


def _mime(
    plain: str | None = "Hello Dana,\n\n  please   see the invoice.", html: str | None = None
):
    message = MimeMessage()
    message["From"] = "Billing <billing@vendor.example.org>"
    message["To"] = "dana@example.com"
    message["Subject"] = "Invoice 4471"
    message["Date"] = "Tue, 14 May 2024 09:40:00 +0000"
    message["Message-ID"] = "<content-1@vendor.example.org>"
    if plain is not None:
        message.set_content(plain)
        if html is not None:
            message.add_alternative(html, subtype="html")
    elif html is not None:
        message.set_content(html, subtype="html")
    return message


def _parse(message: MimeMessage) -> EmailMessage:
    event = parse_messages(message.as_bytes(), ORIGIN)[0]
    assert isinstance(event, EmailMessage)
    return event


def test_excerpt_prefers_plain_text() -> None:
    event = _parse(_mime(html="<p>HTML <b>words</b></p>"))
    assert event.text_excerpt == "Hello Dana, please see the invoice."


def test_excerpt_from_html_without_plain() -> None:
    html = (
        "<html><head><title>Hidden title</title><style>p {color: red}</style></head>"
        "<body><p>Please update\n the <b>bank</b> details</p>"
        "<script>var x=1;</script></body></html>"
    )
    event = _parse(_mime(plain=None, html=html))
    assert event.text_excerpt == "Please update the bank details"


def test_excerpt_capped() -> None:
    event = _parse(_mime(plain="word " * 1000))
    assert event.text_excerpt is not None
    assert len(event.text_excerpt) == MAX_EXCERPT_CHARS


def test_excerpt_skips_text_attachments() -> None:
    message = _mime()
    message.add_attachment("attached notes", filename="notes.txt")
    event = _parse(message)
    assert event.text_excerpt == "Hello Dana, please see the invoice."


def test_attachment_types_in_order() -> None:
    message = _mime()
    message.add_attachment(b"%PDF-1.4", maintype="application", subtype="PDF", filename="a.pdf")
    message.add_attachment("<p>x</p>", subtype="html", filename="page.html")
    event = _parse(message)
    assert event.attachments == ("a.pdf", "page.html")
    assert event.attachment_types == ("application/pdf", "text/html")


@pytest.mark.parametrize(
    ("builder", "subtype", "name"),
    [(qr_png, "png", "scan.png"), (qr_jpeg, "jpeg", "scan.jpg"), (qr_gif, "gif", "scan.gif")],
)
def test_qr_attachment_adds_link(builder, subtype: str, name: str) -> None:
    message = _mime()
    message.add_attachment(builder(LURE_URL), maintype="image", subtype=subtype, filename=name)
    event = _parse(message)
    by_url = {link.url: link for link in event.links}
    assert LURE_URL in by_url
    assert by_url[LURE_URL].display_text == f"QR code in {name}"
    assert QR_DEFECT in event.defects


def test_qr_inline_image_named_by_content_id() -> None:
    message = _mime(html='<p>Scan to sign</p><img src="cid:qr1">')
    html_part = message.get_payload()[1]
    html_part.add_related(qr_png(LURE_URL), maintype="image", subtype="png", cid="<qr1>")
    event = _parse(message)
    by_url = {link.url: link for link in event.links}
    assert by_url[LURE_URL].display_text == "QR code in qr1"


def test_qr_without_url_adds_nothing() -> None:
    message = _mime()
    message.add_attachment(qr_png("WIFI:S:guest;T:WPA;P:pw;;"), "image", "png", filename="w.png")
    event = _parse(message)
    assert event.links == ()
    assert QR_DEFECT not in event.defects


def test_broken_image_is_a_defect() -> None:
    message = _mime()
    broken = qr_png(LURE_URL)[:60]
    message.add_attachment(broken, maintype="image", subtype="png", filename="broken.png")
    event = _parse(message)
    assert "qr-image-unreadable" in event.defects
    assert event.links == ()


def test_image_over_pixel_limit_not_decoded() -> None:
    message = _mime()
    message.add_attachment(png_header_only(5000, 5000), "image", "png", filename="huge.png")
    event = _parse(message)
    assert "qr-image-too-large" in event.defects


def test_decompression_bomb_rejected() -> None:
    with warnings.catch_warnings(), pytest.raises(ValueError, match="decompression bomb"):
        warnings.simplefilter("error")
        decode_qr_texts(png_header_only(12000, 12000))


def test_images_per_message_bounded() -> None:
    scanner = QrScanner()
    image = qr_png(LURE_URL)
    results = [scanner.scan(image, f"{index}.png") for index in range(MAX_IMAGES_PER_MESSAGE + 2)]
    assert all(results[:MAX_IMAGES_PER_MESSAGE])
    assert results[MAX_IMAGES_PER_MESSAGE:] == [[], []]
    assert "qr-images-capped" in scanner.defects


def test_html_attachment_form_marked() -> None:
    message = _mime()
    page = (
        '<html><body><form action="https://collect.example.net/post" method="post">'
        '<input name="password"></form><a href="https://help.example.org/">Help</a></body></html>'
    )
    message.add_attachment(page, subtype="html", filename="Remittance.html")
    event = _parse(message)
    by_host = {link.host: link for link in event.links}
    assert by_host["collect.example.net"].display_text == "form in Remittance.html"
    assert by_host["help.example.org"].display_text == "Help"
    assert event.text_excerpt == "Hello Dana, please see the invoice."


def test_svg_attachment_links_read() -> None:
    message = _mime()
    svg = (
        '<svg xmlns="http://www.w3.org/2000/svg"><script>'
        'window.location="https://svg-lure.example.net/x"</script></svg>'
    )
    message.add_attachment(svg.encode(), "image", "svg+xml", filename="voicemail.svg")
    event = _parse(message)
    assert "svg-lure.example.net" in {link.host for link in event.links}
    assert event.attachment_types == ("image/svg+xml",)


def _graph_record(**extra) -> dict:
    record = {
        "internetMessageId": "<graph-content@vendor.example.org>",
        "receivedDateTime": "2024-05-14T09:40:02Z",
        "from": {"emailAddress": {"address": "billing@vendor.example.org"}},
        "toRecipients": [{"emailAddress": {"address": "dana@example.com"}}],
        "subject": "Invoice",
        "bodyPreview": "Preview only",
    }
    record.update(extra)
    return record


def _read_graph(tmp_path: Path, record: dict) -> EmailMessage:
    path = tmp_path / "messages.json"
    path.write_bytes(orjson.dumps({"value": [record]}))
    (event,) = list(GraphMailReader().read(path))
    assert isinstance(event, EmailMessage)
    return event


def test_graph_excerpt_from_html_body(tmp_path: Path) -> None:
    body = {"contentType": "html", "content": "<div>New <i>IBAN</i>\r\n below</div>"}
    event = _read_graph(tmp_path, _graph_record(body=body))
    assert event.text_excerpt == "New IBAN below"


def test_graph_excerpt_falls_back_to_preview(tmp_path: Path) -> None:
    event = _read_graph(tmp_path, _graph_record())
    assert event.text_excerpt == "Preview only"


def test_graph_attachment_qr_and_types(tmp_path: Path) -> None:
    attachments = [
        {
            "@odata.type": "#microsoft.graph.fileAttachment",
            "name": "Scan.PNG",
            "contentType": "image/png",
            "contentBytes": base64.b64encode(qr_png(LURE_URL)).decode(),
        },
        {"name": "terms.pdf", "contentType": "Application/PDF"},
    ]
    event = _read_graph(tmp_path, _graph_record(attachments=attachments))
    assert event.attachment_types == ("image/png", "application/pdf")
    by_url = {link.url: link for link in event.links}
    assert by_url[LURE_URL].display_text == "QR code in Scan.PNG"
    assert QR_DEFECT in event.defects


def test_graph_invalid_content_bytes(tmp_path: Path) -> None:
    attachments = [{"name": "x.png", "contentType": "image/png", "contentBytes": "!!!notbase64"}]
    event = _read_graph(tmp_path, _graph_record(attachments=attachments))
    assert event.links == ()
    assert "attachment-unreadable" in event.defects


def _msg_attachment(index: int, name: str, mime: str, data: bytes) -> dict[str, bytes]:
    storage = f"__attach_version1.0_#{index:08X}/"
    streams = {storage + "__properties_version1.0": _properties(8, [(0x0003, 0x3705, b"\1")])}
    streams.update(_unicode(storage, 0x3707, name))
    streams.update(_unicode(storage, 0x370E, mime))
    streams[storage + "__substg1.0_37010102"] = data
    return streams


def test_outlook_msg_excerpt_types_and_qr(tmp_path: Path) -> None:
    streams = _message_streams()
    streams.update(_msg_attachment(0, "code.png", "image/png", qr_png(LURE_URL)))
    page = b'<form action="https://collect.example.net/p"><input name="pw"></form>'
    streams.update(_msg_attachment(1, "Statement.htm", "text/html", page))
    (event,) = list(OutlookMsgReader().read(_write(tmp_path, streams)))
    assert isinstance(event, EmailMessage)
    assert event.text_excerpt == "Pay at https://pay.example.net/new today."
    assert event.attachment_types == ("image/png", "text/html")
    by_host = {link.host: link for link in event.links}
    assert by_host["docs-share.example.net"].display_text == "QR code in code.png"
    assert by_host["collect.example.net"].display_text == "form in Statement.htm"
