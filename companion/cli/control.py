"""Client of the running companion's control socket (docs/protocol.md § 9). Standard library only,
so `otpc code` can use it without loading click, rich, aiohttp or cryptography; and lean even there:
the C `_socket` rather than `socket` (which builds its enums at import, ~3 ms) and leanjson rather than
`json` (which imports `re`)."""

from __future__ import annotations

import _socket
import os

from companion.cli import leanjson

TYPE_CHECKING = False  # not typing's: importing typing costs the fast path ~2 ms

if TYPE_CHECKING:  # strings at run time: pathlib would cost `otpc code`'s fast path ~3 ms
    from pathlib import Path

MAX_REPLY = 64 * 1024 * 1024  # a listing of 10,000 entries is a few MB


def socket_path(vault_path: str | Path) -> str:
    from companion.paths import socket_file

    return socket_file(os.fspath(vault_path))


def _ours(path: str) -> bool:
    from companion.paths import is_private_dir

    try:
        return is_private_dir(os.path.dirname(path)) and os.lstat(path).st_uid == os.getuid()
    except OSError:
        return False


def _encode(request: dict) -> bytes:
    try:
        return leanjson.dumps_flat(request).encode("utf-8")  # `otpc code`'s request: no json import
    except TypeError:
        import json

        return json.dumps(request).encode("utf-8")


def ask(vault_path: str | Path, request: dict, timeout: float = 2.0) -> dict | None:
    """Send one request; return the reply, or None when no companion is listening."""
    path = socket_path(vault_path)
    if not _ours(path):
        return None  # never talk (or send a password) to a socket someone else could have made
    sock = _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM)
    sock.settimeout(timeout)
    try:
        try:
            sock.connect(str(path))
        except OSError:
            return None
        sock.sendall(_encode(request) + b"\n")
        chunks, size = [], 0
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
            if chunk.endswith(b"\n") or size > MAX_REPLY:
                break
    except OSError:
        return None
    finally:
        sock.close()
    try:
        reply = leanjson.loads(b"".join(chunks).decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None
    return reply if isinstance(reply, dict) else None


def call(vault_path: Path, request: dict, timeout: float = 2.0) -> dict | None:
    """The one decoder of control-socket replies: the ok reply, None when no companion answers,
    else the refusal raised as its UserError subclass (companion.errors.from_reply)."""
    reply = ask(vault_path, request, timeout)
    if reply is None:
        return None
    if reply.get("ok"):
        return reply
    from companion.errors import from_reply

    raise from_reply(reply)
