"""File formats: bytes (+ a password, asked for only if the file is encrypted) ↔ plain Items.

Pure: no vault access. One module per format holds its `parse` and, where we write it, its `dump`;
`registry.FORMATS` lists them all. `read_source` applies the size cap before reading, `parse`
detects the format by content and hands the bytes to the format's module.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from companion.formats.records import (
    ACCEPT_SHORT_SECRETS,
    MAX_FILE_BYTES,
    FormatError,
    Item,
    ItemError,
    Parsed,
    PasswordRequired,
    PasswordSource,
    no_password,
)

__all__ = [
    "FormatError",
    "Item",
    "ItemError",
    "Parsed",
    "PasswordRequired",
    "parse",
    "read_source",
]

def read_source(source: str) -> bytes:
    """The bytes to import: a URI given directly, '-' for stdin, or a file (size-capped before
    reading, and read no further than the cap)."""
    stripped = source.strip()
    if stripped.lower().startswith(("otpauth://", "otpauth-migration://")):
        return stripped.encode("utf-8")
    if source == "-":
        data = sys.stdin.buffer.read(MAX_FILE_BYTES + 1)
        return _capped(data)
    path = Path(source).expanduser()
    try:
        size = os.stat(path).st_size
        if path.is_dir():
            raise FormatError(f"{path} is a directory")
        if size > MAX_FILE_BYTES:
            raise FormatError(too_large(size))
        with open(path, "rb") as f:
            return _capped(f.read(MAX_FILE_BYTES + 1))
    except FileNotFoundError:
        raise FormatError(f"no such file: {path}") from None
    except PermissionError:
        raise FormatError(f"cannot read {path}: permission denied") from None
    except OSError as exc:
        raise FormatError(f"cannot read {path}: {exc.strerror or exc}") from None


def too_large(size: int | None = None) -> str:
    shown = f" ({size / 1024 / 1024:.0f} MiB)" if size is not None else ""
    return f"file too large{shown}: imports are limited to {MAX_FILE_BYTES // 1024 // 1024} MiB"


def _capped(data: bytes) -> bytes:
    if len(data) > MAX_FILE_BYTES:
        raise FormatError(too_large())
    return data


def parse(
    data: bytes, fmt: str = "auto", password: PasswordSource = no_password, *, force: bool = False
) -> Parsed:
    """Detect (unless `fmt` names one) and parse. Raises FormatError/PasswordRequired; a broken
    entry comes back as a refused Item. `force` accepts secrets shorter than 80 bits."""
    from companion.formats import registry
    from companion.formats.detect import detect

    if len(data) > MAX_FILE_BYTES:
        raise FormatError(too_large(len(data)))
    if not data.strip():
        raise FormatError("the file is empty")
    name = detect(data) if fmt == "auto" else fmt
    try:
        chosen = registry.get(name)
    except KeyError:
        raise FormatError(f"unknown format {fmt!r}") from None
    if not chosen.parse:
        raise FormatError(f"{chosen.app}: we export this format but do not import it")
    from companion.gcpause import gc_paused

    token = ACCEPT_SHORT_SECRETS.set(force or chosen.name == "otpc-json")
    try:
        with gc_paused():  # thousands of items that all live on: nothing for it to collect
            return chosen.parser()(data, password)
    except RecursionError:
        raise FormatError("the file is nested too deeply") from None
    finally:
        ACCEPT_SHORT_SECRETS.reset(token)
