"""Links hidden in QR codes inside image attachments and inline images.

A QR code lure carries its link only as pixels, so link scanners and the text of the
message never show it. Images are decoded with Pillow and zxing-cpp within fixed bounds:
at most :data:`MAX_IMAGES_PER_MESSAGE` images, each under :data:`MAX_IMAGE_BYTES` and
:data:`MAX_IMAGE_PIXELS`, with Pillow's decompression-bomb check left on.
:meth:`QrScanner.scan` never raises: a broken or oversized image adds a defect and is
skipped.
"""

from __future__ import annotations

import io
import logging
import warnings
from dataclasses import dataclass, field

import zxingcpp
from PIL import Image

from chainwatch.read.mail_links import clean_url

log = logging.getLogger(__name__)

MAX_IMAGES_PER_MESSAGE = 10
MAX_IMAGE_BYTES = 5 * 1024 * 1024
MAX_IMAGE_PIXELS = 20_000_000
QR_DEFECT = "qr-code"
IMAGE_TYPES = frozenset({"image/png", "image/jpeg", "image/jpg", "image/pjpeg", "image/gif"})
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".jpe", ".gif")
_PILLOW_FORMATS = ("PNG", "JPEG", "GIF")


def is_scannable_image(content_type: str, filename: str | None) -> bool:
    """Return True for a PNG, JPEG or GIF part, by content type or file name."""
    if content_type.lower() in IMAGE_TYPES:
        return True
    return bool(filename) and filename.lower().endswith(IMAGE_SUFFIXES)


def qr_url(text: str) -> str | None:
    """Return the web URL a decoded QR text opens, or None for other content."""
    text = text.strip()
    if text.lower().startswith("www."):
        text = "https://" + text
    return clean_url(text)


def decode_qr_texts(data: bytes) -> list[str]:
    """Decode the QR codes in one image.

    Raises ``ValueError`` naming the limit for an image over the size or pixel bounds or
    one Pillow takes for a decompression bomb, and ``OSError`` for an image it cannot read.
    """
    if len(data) > MAX_IMAGE_BYTES:
        raise ValueError(f"image is {len(data)} bytes, over {MAX_IMAGE_BYTES}")
    try:
        with warnings.catch_warnings():
            # Pillow only warns between its pixel limit and twice that; treat it as an error.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=_PILLOW_FORMATS) as image:
                width, height = image.size
                if width * height > MAX_IMAGE_PIXELS:
                    raise ValueError(f"image is {width}x{height} pixels, over {MAX_IMAGE_PIXELS}")
                image.load()
                grey = image.convert("L")
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ValueError(f"image rejected as a decompression bomb: {exc}") from None
    barcodes = zxingcpp.read_barcodes(
        grey, formats=(zxingcpp.BarcodeFormat.QRCode, zxingcpp.BarcodeFormat.MicroQRCode)
    )
    return [barcode.text for barcode in barcodes if barcode.valid and barcode.text]


@dataclass(slots=True)
class QrScanner:
    """Scans the images of one message within the per-message bound."""

    images_scanned: int = 0
    defects: list[str] = field(default_factory=list)

    def _add_defect(self, defect: str) -> None:
        if defect not in self.defects:
            self.defects.append(defect)

    def scan(self, data: bytes, name: str) -> list[tuple[str, str]]:
        """Return ``(url, display text)`` for each web link in the image's QR codes."""
        if self.images_scanned >= MAX_IMAGES_PER_MESSAGE:
            self._add_defect("qr-images-capped")
            return []
        self.images_scanned += 1
        try:
            texts = decode_qr_texts(data)
        except ValueError as exc:
            log.debug("image %s not scanned: %s", name, exc)
            self._add_defect("qr-image-too-large")
            return []
        except OSError as exc:
            log.debug("image %s not readable: %s", name, exc)
            self._add_defect("qr-image-unreadable")
            return []
        except Exception as exc:  # a hostile image must never stop the message's reader
            log.debug("image %s failed to decode: %s", name, exc, exc_info=True)
            self._add_defect("qr-image-unreadable")
            return []
        found: list[tuple[str, str]] = []
        for text in texts:
            url = qr_url(text)
            if url is not None:
                found.append((url, f"QR code in {name}"))
        if found:
            self._add_defect(QR_DEFECT)
        return found
