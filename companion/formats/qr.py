"""QR codes of otpauth URIs for a phone to scan during migration: drawn in the terminal, or written
as a PNG file (0600, it holds the secret)."""

from __future__ import annotations

import io


def terminal_qr(uri: str) -> str:
    """The QR code of `uri` drawn with Unicode half blocks (two modules per character cell),
    dark modules on a light quiet zone, ready to print to a terminal."""
    import segno

    qr = segno.make(uri, error="m", micro=False)
    out = io.StringIO()
    matrix = [list(row) for row in qr.matrix_iter(scale=1, border=2)]
    if len(matrix) % 2:
        matrix.append([0] * len(matrix[0]))
    # Each character cell holds two rows: upper and lower. Light (0) prints as a block so that
    # the code reads as dark-on-light whatever the terminal's colours.
    glyphs = {(0, 0): "█", (0, 1): "▀", (1, 0): "▄", (1, 1): " "}
    for top, bottom in zip(matrix[0::2], matrix[1::2], strict=True):
        out.write("".join(glyphs[(bool(a) * 1, bool(b) * 1)] for a, b in zip(top, bottom, strict=True)))
        out.write("\n")
    return out.getvalue()


def png_bytes(text: str, scale: int = 8) -> bytes:
    """The QR code of `text` as a PNG image (segno writes it; no Pillow needed)."""
    import segno

    out = io.BytesIO()
    segno.make(text, error="m", micro=False).save(out, kind="png", scale=scale, border=4)
    return out.getvalue()
