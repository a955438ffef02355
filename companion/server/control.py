"""The Unix-socket control channel for the CLI (protocol § 9): one JSON line in, one JSON line out.

The socket is created mode 0600 in a 0700 runtime directory: file permissions are the
authentication. The pairing code leaves the companion only through this channel.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import socket
import time

from companion.errors import UserError, to_reply
from companion.otp_input import check_code_time
from companion.paths import control_socket_path, ensure_private_dir, is_private_dir
from companion.resolve import find_entry
from companion.server import vault_ops
from companion.server.clients import UNCHANGED
from companion.server.pairing import display_code

log = logging.getLogger("otpc.server")

# One request line at most. Large enough for an import of 100,000 rows sent in one request (atomic,
# like a direct import); the socket is reachable by this user only, so this bounds memory, not trust.
MAX_LINE = 64 * 1024 * 1024


def _refs(value) -> list[str] | None:
    if value is None:
        return None
    if isinstance(value, str):
        value = [v.strip() for v in value.split(",") if v.strip()]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise UserError("customers must be a list of names or ids")
    return value


def _text(request: dict, name: str, *, optional: bool = False) -> str | None:
    value = request.get(name)
    if value is None and optional:
        return None
    if not isinstance(value, str) or not value:
        raise UserError(f"missing {name!r}")
    return value


def handle(companion, request: dict) -> dict:
    """Run one control request; raises UserError subclasses for refusals."""
    op = request.get("op")
    meant = request.get("vault")  # the vault the client means (OTPC_SOCKET could point elsewhere)
    if isinstance(meant, str) and os.path.realpath(meant) != os.path.realpath(companion.vault_path):
        raise UserError(f"the companion on this control socket serves {companion.vault_path}, "
                        f"not {meant} (check OTPC_SOCKET and --vault); nothing was done")
    if op == "status":  # the vault path lets a client check it reached the companion of its vault
        return {**companion.status(), "vault": str(companion.vault_path)}
    if op == "code":
        vault = companion.unlocked_vault()
        at = request.get("at")
        if at is not None and (isinstance(at, bool) or not isinstance(at, int | float)):
            raise UserError("'at' must be a number")
        entry = find_entry(vault, _text(request, "entry"), exact=request.get("exact") is True)
        check_code_time(entry.otp.type if entry.otp else "", at)
        if vault_ops.is_team_hotp(vault, entry):  # its counter step runs in a worker thread
            from companion.server.team_ops import team_code

            return _pending(team_code(vault, entry, "cli"), lambda result: {
                **result.public(), "entry_id": entry.id, "entry": entry.ref})
        result = vault.code(entry, at=at, actor="cli")
        return {**result.public(), "entry_id": entry.id, "entry": entry.ref}
    if op == "entries":
        vault = companion.unlocked_vault()
        found = vault.entries(
            customer=_text(request, "customer", optional=True),
            search=_text(request, "search", optional=True),
        )
        return {"entries": [e.public() for e in found]}
    if op == "vault":
        vault = companion.unlocked_vault()
        team = getattr(vault, "team", None) is not None and vault.team() is not None
        if team and vault_ops.needs_team_server(request):
            # PostgreSQL first (a new team customer, a move): whole, in a worker thread on a
            # second vault handle, as the HTTP API does
            from companion.server.team_ops import on_clone

            return _pending(on_clone(companion, vault, lambda clone: vault_ops.run(clone, request)),
                            lambda reply: reply)
        entry = vault_ops.team_hotp_entry(vault, request) if team else None
        if entry is not None:
            from companion.server.team_ops import team_code

            return _pending(team_code(vault, entry, vault_ops.ACTOR),
                            lambda result: {"result": {**result.public(), "entry_id": entry.id}})
        return vault_ops.run(vault, request)
    if op == "unlock":
        companion.unlock(_text(request, "password"))
        return {"locked": False}
    if op == "lock":
        companion.lock("otpc lock")
        return {"locked": True}
    if op == "pair":
        write = request.get("write", True)
        window = companion.open_pairing(bool(write), _refs(request.get("customers")))
        return {
            "code": display_code(window.code),
            "expires_in": int(round(window.expires_at - time.time())),
            "expires_at": window.expires_at,
            "port": companion.port,
        }
    if op == "clients":
        found = [c.public() for c in companion.clients.all()]
        return {"clients": found, "warning": companion.clients.notice}
    if op == "revoke":
        client = companion.clients.revoke(_text(request, "client"))
        log.info("revoked client %s", client.id[:8])
        return {"revoked": client.id}
    if op == "scope":
        write = request.get("write")
        customers = UNCHANGED
        if request.get("all_customers"):
            customers = None
        elif request.get("customers") is not None:
            customers = companion.resolve_customers(_refs(request.get("customers")))
        client = companion.clients.rescope(
            _text(request, "client"), write=None if write is None else bool(write),
            customers=customers,
        )
        return {"client": client.public()}
    if op == "team":  # otpc team … (server/team_ops.py)
        from companion.server.team_ops import handle as team

        return team(companion, request)
    raise UserError(f"unknown control op {op!r}")


def _pending(awaitable, shape) -> dict:
    """A reply that comes later: the socket handler awaits it (the loop serves others meanwhile)."""

    async def reply() -> dict:
        try:
            return {"ok": True, **shape(await awaitable)}
        except UserError as exc:
            return to_reply(exc)
        except Exception as exc:  # noqa: BLE001 - the CLI gets one line; the details go to the log
            log.exception("control request failed")
            return to_reply(exc)

    return {"pending": asyncio.ensure_future(reply())}


def _reply_for(companion, line: bytes) -> dict:
    try:
        request = json.loads(line.decode("utf-8"))
        if not isinstance(request, dict):
            raise ValueError
    except (UnicodeDecodeError, ValueError):
        return {"ok": False, "error": "malformed control request", "kind": UserError.kind}
    try:
        return {"ok": True, **handle(companion, request)}
    except UserError as exc:
        return to_reply(exc)
    except Exception as exc:  # noqa: BLE001 - the CLI gets one line; the details go to the log
        log.exception("control request failed")
        return to_reply(exc)


async def _client_connected(companion, reader, writer) -> None:
    try:
        line = await asyncio.wait_for(reader.readline(), 5)
        if len(line) > MAX_LINE or not line.endswith(b"\n"):
            reply = {"ok": False, "error": "control request too long or unterminated", "kind": UserError.kind}
        else:
            from companion.server import team_ops

            asked = team_ops.wakes(companion)
            reply = _reply_for(companion, line)
            if isinstance(reply.get("pending"), asyncio.Future):  # a team op in a worker thread
                reply = await reply["pending"]
            await team_ops.settle(companion, asked)  # an edit it queued is pushed first
        writer.write(json.dumps(reply).encode() + b"\n")
        await writer.drain()
    except (TimeoutError, ConnectionError, asyncio.LimitOverrunError, ValueError):
        pass
    finally:
        writer.close()


def _remove_stale(path) -> None:
    """Refuse if another companion answers on the socket; remove a dead one's leftover."""
    if not path.exists():
        return
    probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        probe.settimeout(1)
        probe.connect(str(path))
    except OSError:
        path.unlink(missing_ok=True)
        return
    finally:
        probe.close()
    raise UserError(f"another companion is already running for this vault ({path})")


async def start_control_server(companion) -> asyncio.AbstractServer:
    path = control_socket_path(companion.vault_path)
    ensure_private_dir(path.parent)
    if not is_private_dir(path.parent):
        raise UserError(
            f"{path.parent} is not a private directory of yours (owner or mode): refusing to put "
            "the control socket there"
        )
    _remove_stale(path)
    old = os.umask(0o177)
    try:
        server = await asyncio.start_unix_server(
            lambda r, w: _client_connected(companion, r, w), path=str(path), limit=MAX_LINE + 2
        )
    finally:
        os.umask(old)
    os.chmod(path, 0o600)
    log.info("control socket ready")
    return server


async def stop_control_server(server: asyncio.AbstractServer, companion) -> None:
    server.close()
    await server.wait_closed()
    control_socket_path(companion.vault_path).unlink(missing_ok=True)
