"""Team mode in the running companion: the control op "team" (the CLI's `otpc team …` runs here
when a companion is up, so one process owns the PostgreSQL connection) and the background task that
keeps the replica current: LISTEN for the wake-up, pull, push the outbox; offline it retries and the
replica goes on answering.

PostgreSQL never runs on the event loop (a slow or unreachable database must not stall codes):
a sync round copies what it needs on the loop, talks to PostgreSQL in a worker thread and takes
the results in on the loop (TeamSession.begin_round / run_round / finish_round); a control op runs
whole in a worker thread on a second handle of the vault file (its own SQLite connection), as the
CLI would in another process. Rounds and control ops take turns (one asyncio lock); an edit made
through the HTTP API only wakes the next round (session.GATE); an admin's change or a move made
through it still syncs in place first (it needs the server's state), unless a round is running.
"""

from __future__ import annotations

import asyncio
import logging
import threading

from companion.errors import UserError, to_reply
from companion.vault.team_store import has_team

log = logging.getLogger("otpc.server")

RETRY_SECONDS = 5.0  # a sync round at least this often, and after each wake-up
LISTEN_SECONDS = 2.0
INLINE = {"status"}  # control commands that never reach PostgreSQL: answered on the loop
STATUS_WAIT_SECONDS = 3.0
STOP_GRACE_SECONDS = 2.0  # at shutdown, how long a running round may take to finish

SETTLE_SECONDS = 20.0  # how long a control request that queued an edit waits for its push
# (below the CLI's 30 s wait for a vault request, cli/remote.py TIMEOUT)
_turns: dict[int, asyncio.Lock] = {}  # per companion: rounds and control ops, one at a time
_wakes: dict[int, threading.Event] = {}
_paces: dict[int, list[int]] = {}  # per companion: [wakes asked on the loop, wakes a round covered]


def _pace(companion) -> list[int]:
    return _paces.setdefault(id(companion), [0, 0])


def wakes(companion) -> int:
    """How many rounds the loop asked for so far (an edit queued: session.GATE.wake)."""
    return _pace(companion)[0]


async def settle(companion, before: int) -> None:
    """If the request just handled queued an edit (asked for a round since `before`), wait until
    a round that started after that has finished, SETTLE_SECONDS at most: `otpc entry edit`,
    `otpc import` through a companion return once their edits are pushed (or found the database
    away), as they do without one; the event loop stays free meanwhile."""
    pace = _pace(companion)
    mark = pace[0]
    if mark == before:
        return
    loop = asyncio.get_running_loop()
    deadline = loop.time() + SETTLE_SECONDS
    while pace[1] < mark and loop.time() < deadline:
        await asyncio.sleep(0.05)


def _turn(companion) -> asyncio.Lock:
    return _turns.setdefault(id(companion), asyncio.Lock())


def _wake(companion) -> threading.Event:
    return _wakes.setdefault(id(companion), threading.Event())


async def in_thread(fn, *args):
    """Run fn(*args) in a daemon thread (a query stuck on a hung database must not keep the
    process from exiting, which the default executor's threads would) and await its result."""
    loop = asyncio.get_running_loop()
    future = loop.create_future()

    def settle(result, exc) -> None:
        if not future.done():
            future.set_exception(exc) if exc is not None else future.set_result(result)

    def run() -> None:
        try:
            result, exc = fn(*args), None
        except BaseException as e:  # noqa: BLE001 - handed to the awaiting coroutine
            result, exc = None, e
        try:
            loop.call_soon_threadsafe(settle, result, exc)
        except RuntimeError:
            pass  # the loop closed meanwhile (shutting down)

    threading.Thread(target=run, name="otpc-team-io", daemon=True).start()
    return await future


def handle(companion, request: dict) -> dict:
    """Control op {"op": "team", "cmd": NAME, "args": {...}}: {"pending": a future of the reply}
    (control.py awaits it): a worker thread runs it, or the loop for INLINE commands."""

    vault = companion.unlocked_vault()
    cmd, args = request.get("cmd"), request.get("args") or {}
    if not isinstance(cmd, str):
        raise UserError("missing 'cmd'")
    if cmd in INLINE:
        return {"pending": asyncio.ensure_future(_inline(companion, cmd, args))}
    master = vault._r.need()  # the clone in the worker opens the same file with the same key
    return {"pending": asyncio.ensure_future(_run_op(companion, cmd, args, master))}


async def _inline(companion, cmd: str, args: dict) -> dict:
    """Answered on the loop from what the companion knows, once a round that was just asked for
    (an edit queued a moment ago) or is running has finished, waiting STATUS_WAIT_SECONDS at most:
    a round stuck on a hung database does not hold the answer up."""
    from companion.team.commands import run

    loop = asyncio.get_running_loop()
    deadline = loop.time() + STATUS_WAIT_SECONDS
    while (_wake(companion).is_set() or _turn(companion).locked()) and loop.time() < deadline:
        await asyncio.sleep(0.05)
    try:
        return {"ok": True, **run(companion.unlocked_vault(), cmd, args)}
    except UserError as exc:
        return to_reply(exc)


async def _run_op(companion, cmd: str, args: dict, master: bytes) -> dict:
    async with _turn(companion):
        try:
            result = await in_thread(_op_on_clone, companion.vault_path, master, cmd, args)
            reply = {"ok": True, **result}
        except UserError as exc:
            reply = to_reply(exc)
        except Exception as exc:  # noqa: BLE001 - the CLI gets one line; details to the log
            log.exception("team control request failed")
            reply = to_reply(exc)
    _wake(companion).set()  # a role, a member or a customer changed: sync now
    return reply


def _op_on_clone(path, master: bytes, cmd: str, args: dict) -> dict:
    from companion.team.commands import run

    return _on_clone(path, master, lambda clone: run(clone, cmd, args))


def _on_clone(path, master: bytes, fn):
    """A worker thread: fn(vault) on a second handle of the vault (SQLite connections belong
    to their thread); the loop's vault sees the change through PRAGMA data_version."""
    from companion.vault.vault import Vault

    clone = Vault.open(path)
    try:
        clone._unlock(master)
        return fn(clone)
    finally:
        clone.close()


async def on_clone(companion, vault, fn):
    """An HTTP request that needs the team server's state first (an admin's new team customer,
    a move to another customer): fn(vault) runs whole in a worker thread on a second handle of
    the vault, taking turns with the sync rounds, as a control op does; the loop stays free."""
    master = vault._r.need()
    async with _turn(companion):
        result = await in_thread(_on_clone, companion.vault_path, master, fn)
    _wake(companion).set()
    return result


def _hotp_next(info: str, otp_rid: str, unit: str, start: int):
    """A worker thread: advance a HOTP counter in PostgreSQL. ("offline", error) when the
    database cannot be reached (the loop marks the session offline)."""
    from companion.team import pgstore

    try:
        conn = pgstore.connect(info, autocommit=True)
    except UserError as exc:
        return "offline", exc
    with conn:
        return "ok", pgstore.hotp_next(conn, otp_rid, unit, start)


async def team_code(vault, entry, actor: str):
    """/v1/code of a team entry. A HOTP code advances its counter in PostgreSQL in a worker
    thread (a hung database stalls this request only); the rest (TOTP, refusals) as vault.code.
    No turn with the rounds: the counter is one atomic statement that touches nothing local."""
    from companion.otp import OtpParams
    from companion.team import actions
    from companion.team.session import conninfo

    session, view = vault.need_team(), vault.team_view()
    otp = view.otps.get(entry.id)
    if otp is None or otp[1].get("type") != "hotp" or session.info.get("offline_since"):
        return vault.code(entry, actor=actor)
    actions.need(entry, "view")
    otp_rid, raw = otp
    start = OtpParams(**raw).checked().counter
    how, got = await in_thread(_hotp_next, conninfo(session.info["conn"]), otp_rid, entry.unit,
                               start)
    session = vault.need_team()  # (locked meanwhile: one line, the counter step is skipped)
    if how == "offline":
        session.mark_offline()
        raise got
    return actions.code(session, vault.team_view(), entry, None, counter=got)


def _listen(conninfo: str, wake: threading.Event, stop: threading.Event,
            scan: threading.Event) -> None:
    """A thread: LISTEN on the wake channel and set `wake` on every notification (payloads are
    empty by design, or "scan": a record row was deleted or moved, so `scan` is set too). Ends
    when `stop` is set or the connection drops."""
    from companion.team import pgstore
    from companion.team.schema import SCAN_PAYLOAD, WAKE_CHANNEL

    psycopg = pgstore._psycopg()
    try:
        with psycopg.connect(conninfo, autocommit=True, connect_timeout=5) as conn:
            conn.execute(f"LISTEN {WAKE_CHANNEL}")
            while not stop.is_set():
                for note in conn.notifies(timeout=LISTEN_SECONDS, stop_after=1):
                    if note.payload == SCAN_PAYLOAD:
                        scan.set()
                    wake.set()
    except psycopg.Error:
        pass


async def sync_round(companion, session) -> dict:
    """One round for `session`, its PostgreSQL part in a worker thread."""
    async with _turn(companion):
        rnd = session.begin_round()
        running = asyncio.ensure_future(in_thread(session.run_round, rnd))
        try:
            await asyncio.shield(running)
        except asyncio.CancelledError:  # shutting down: let a round that is not stuck finish
            done, _ = await asyncio.wait([running], timeout=STOP_GRACE_SECONDS)
            if done and running.exception() is None:
                try:
                    session.finish_round(rnd)
                except Exception:  # noqa: BLE001 - stopping anyway; the outbox keeps the rest
                    pass
            raise
        return session.finish_round(rnd)


async def sync_forever(companion) -> None:
    """Sync rounds on wake-ups and every RETRY_SECONDS, while unlocked and in a team."""
    from companion.team.session import GATE

    wake, stop, scan = _wake(companion), threading.Event(), threading.Event()
    loop = asyncio.get_running_loop()
    pace = _pace(companion)

    def asked() -> None:  # on the loop: an edit was queued
        pace[0] += 1
        wake.set()

    GATE.loop_thread, GATE.wake = threading.get_ident(), asked
    GATE.busy = _turn(companion).locked  # a round or a team command in a worker thread
    listener: threading.Thread | None = None
    last_error = None  # logged once, not every round while the database stays away
    try:
        while True:
            vault = companion.vault
            if not vault.is_locked and not hasattr(vault, "team") and has_team(vault.store):
                from companion.team.teamvault import TeamVault

                TeamVault.upgrade(vault)  # `otpc team join` ran beside us, in another process
            session = vault.team() if hasattr(vault, "team") and not vault.is_locked else None
            ran = session is not None and session.info.get("status") in ("member", "pending")
            covers = pace[0]  # the edits queued so far go in this round (or none is due)
            if ran:
                wake.clear()  # what woke us is handled by this round
                if scan.is_set():  # a row deleted or moved: check what we hold this round
                    scan.clear()
                    session.replica.scanned_at = float("-inf")
                try:
                    await sync_round(companion, session)
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
                        target=_listen, args=(conninfo(session.info["conn"]), wake, stop, scan),
                        name="otpc-team-listen", daemon=True)
                    listener.start()
            pace[1] = max(pace[1], covers)  # (no round due: nothing to wait for either)
            deadline = loop.time() + RETRY_SECONDS
            while not wake.is_set() and loop.time() < deadline:
                await asyncio.sleep(0.1)
            if not ran:
                wake.clear()  # nothing to sync (locked, no team): never a busy loop
    finally:
        stop.set()
        GATE.loop_thread, GATE.wake, GATE.busy = None, None, None
