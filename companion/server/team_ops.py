"""Team mode in the running companion: the control op "team" (the CLI's `otpc team …` runs here
when a companion is up, so one process owns the PostgreSQL connection) and the background task that
keeps the replica current: LISTEN for the wake-up, pull, push the outbox; offline it retries and the
replica goes on answering.
"""

from __future__ import annotations

import asyncio
import logging
import threading

from companion.errors import UserError
from companion.vault.team_store import has_team

log = logging.getLogger("otpc.server")

RETRY_SECONDS = 5.0  # a sync round at least this often, and after each wake-up
LISTEN_SECONDS = 2.0


def handle(companion, request: dict) -> dict:
    """Control op {"op": "team", "cmd": NAME, "args": {...}} -> the command's result."""
    from companion.team.commands import run

    vault = companion.unlocked_vault()
    cmd, args = request.get("cmd"), request.get("args") or {}
    if not isinstance(cmd, str):
        raise UserError("missing 'cmd'")
    return run(vault, cmd, args)


def _listen(conninfo: str, wake: threading.Event, stop: threading.Event) -> None:
    """A thread: LISTEN on the wake channel and set `wake` on every notification (payloads are
    empty by design). Ends when `stop` is set or the connection drops."""
    from companion.team import pgstore
    from companion.team.schema import WAKE_CHANNEL

    psycopg = pgstore._psycopg()
    try:
        with psycopg.connect(conninfo, autocommit=True, connect_timeout=5) as conn:
            conn.execute(f"LISTEN {WAKE_CHANNEL}")
            while not stop.is_set():
                for _ in conn.notifies(timeout=LISTEN_SECONDS, stop_after=1):
                    wake.set()
    except psycopg.Error:
        pass


async def sync_forever(companion) -> None:
    """Sync rounds on wake-ups and every RETRY_SECONDS, while unlocked and in a team."""
    wake, stop = threading.Event(), threading.Event()
    listener: threading.Thread | None = None
    last_error = None  # logged once, not every round while the database stays away
    try:
        while True:
            vault = companion.vault
            if not vault.is_locked and not hasattr(vault, "team") and has_team(vault.store):
                from companion.team.teamvault import TeamVault

                TeamVault.upgrade(vault)  # `otpc team join` ran beside us, in another process
            session = vault.team() if hasattr(vault, "team") and not vault.is_locked else None
            if session is not None and session.info.get("status") in ("member", "pending"):
                try:
                    session.sync()
                    if last_error is not None:
                        log.info("team sync: connected again")
                    last_error = None
                except UserError as exc:
                    if str(exc) != last_error:
                        log.info("team sync: %s", exc)
                    last_error = str(exc)
                except Exception:  # noqa: BLE001 - keep the companion up; details to the log
                    log.exception("team sync failed")
                if listener is None or not listener.is_alive():
                    from companion.team.session import conninfo

                    stop.set()
                    stop = threading.Event()
                    listener = threading.Thread(
                        target=_listen, args=(conninfo(session.info["conn"]), wake, stop),
                        name="otpc-team-listen", daemon=True)
                    listener.start()
            deadline = asyncio.get_running_loop().time() + RETRY_SECONDS
            while not wake.is_set() and asyncio.get_running_loop().time() < deadline:
                await asyncio.sleep(0.1)
            wake.clear()
    finally:
        stop.set()
