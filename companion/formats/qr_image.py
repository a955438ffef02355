"""QR codes in a PNG or JPEG image (a screenshot of a setup page, or of Google Authenticator's
export screen), read with zxing-cpp. Every QR code in the image is imported."""

from __future__ import annotations

import io

from companion.formats.otpauth_list import parse as parse_uri_text
from companion.formats.records import FormatError, Parsed

MAX_PIXELS = 40_000_000  # a 4K screenshot is 8 Mpx; a decompression bomb is far more


def is_image(data: bytes) -> bool:
    return data.startswith(b"\x89PNG\r\n\x1a\n") or data.startswith(b"\xff\xd8\xff")


QR_EXTRA_MISSING = (
    "reading QR codes from images needs the 'qr' extra: pip install 'otp-companion[qr]' "
    "(zxing-cpp and Pillow); or import the otpauth:// text instead"
)


def decode_texts(data: bytes) -> list[str]:
    try:
        import zxingcpp
        from PIL import Image, UnidentifiedImageError
    except ImportError:
        raise FormatError(QR_EXTRA_MISSING) from None

    try:
        image = Image.open(io.BytesIO(data))  # reads the header only
        width, height = image.size
        if width * height > MAX_PIXELS:
            raise FormatError(f"the image is {width}×{height} pixels, larger than we read; crop it")
        image.load()
    except FormatError:
        raise
    except Image.DecompressionBombError:
        raise FormatError("the image is larger than we read; crop it") from None
    except (UnidentifiedImageError, OSError, ValueError):
        raise FormatError("the image is damaged or not a PNG/JPEG we can read") from None
    if image.mode not in ("L", "RGB", "RGBA"):
        image = image.convert("RGB")
    barcodes = zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)
    texts = []
    for barcode in barcodes:
        text = barcode.text.strip()
        if text and text not in texts:
            texts.append(text)
    return texts


def parse(data: bytes, password=None) -> Parsed:
    texts = decode_texts(data)
    if not texts:
        raise FormatError("no QR code found in the image")
    usable = [t for t in texts if t.lower().startswith(("otpauth://", "otpauth-migration://"))]
    if not usable:
        raise FormatError(
            f"the image holds {len(texts)} QR code(s), but none is an otpauth:// "
            "or otpauth-migration:// code"
        )
    parsed = parse_uri_text("\n".join(usable).encode("utf-8"))
    parsed.format = "qr-image"
    if len(usable) < len(texts):
        parsed.notes.append(f"{len(texts) - len(usable)} QR code(s) in the image were not OTP codes")
    return parsed
