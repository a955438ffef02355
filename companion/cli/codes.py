"""`otpc code ENTRY [--at T] [--json] [--watch]` and `otpc audit`.

A running, unlocked companion answers first over its control socket (no password, no KDF); when none
answers, or it is locked, the vault is opened directly.
"""

from __future__ import annotations

import math
import sys
import time

import click

from companion.cli.common import (
    State,
    ask_companion,
    console,
    emit_json,
    entry_argument,
    esc,
    pass_state,
    printable,
)
from companion.cli.fast import grouped, print_code
from companion.errors import UserError

FRAME_SECONDS = 0.25
WARN_SECONDS = 5


def fetch_code(state: State, ref: str, at: float | None, exact: bool = False) -> dict:
    """CodeResult.public() for ENTRY at `at` (now if None): companion first, else the vault."""
    reply = ask_companion(state.path, {"op": "code", "vault": str(state.path), "entry": ref,
                                       "at": at, "exact": exact})
    if reply is not None and "code" in reply:
        return {k: v for k, v in reply.items() if k != "ok"}
    from companion.otp_input import check_code_time

    entry = state.entry(ref, exact=exact)
    check_code_time(entry.otp.type if entry.otp else "", at)
    return state.vault().code(entry, at=at).public()


def render(result: dict, at: float, label: str):
    """The code over the indicator line: a bar that shrinks with the seconds left."""
    from rich.console import Group
    from rich.progress_bar import ProgressBar
    from rich.table import Table
    from rich.text import Text

    period = result["period"] or 30
    left = max(0.0, result["valid_until"] - at) if result["valid_until"] is not None else 0.0
    colour = "red" if left <= WARN_SECONDS else "green"
    head = Text.assemble((grouped(result["code"]), f"bold {colour}"), "  ", (label, "dim"))
    line = Table.grid(padding=(0, 1))
    line.add_row(
        ProgressBar(total=period, completed=left, width=36, complete_style=colour,
                    finished_style=colour, style="grey23"),
        Text(f"{math.ceil(left):>3d} s", style=colour),
    )
    return Group(head, line)


def watch(state: State, ref: str, start_at: float | None, frames: int, exact: bool = False) -> None:
    """A terminal gets the live bar; a pipe gets one line per code, flushed as each one comes up.

    With --at T the clock starts at T once the first code is there and the display is ready (opening
    the vault can take a KDF's time), so the first frame shows T itself."""
    result = fetch_code(state, ref, start_at, exact)
    if result["valid_until"] is None:  # HOTP: the code was made (and the counter advanced) anyway
        click.echo(result["code"])
        raise UserError("HOTP codes do not expire; --watch is for TOTP and Steam codes")
    live = sys.stdout.isatty()
    if live:
        import rich.live  # noqa: F401  (loaded before the clock starts)

        render(result, start_at or time.time(), ref)  # and render's own imports
    offset = 0.0 if start_at is None else start_at - time.time()

    def now() -> float:
        return time.time() + offset

    try:
        if live:
            _watch_live(state, ref, start_at, frames, result, now, exact)
        else:
            _watch_lines(state, ref, start_at, frames, result, now, exact)
    except KeyboardInterrupt:
        pass


def _watch_live(state, ref, start_at, frames, result, now, exact) -> None:
    from rich.live import Live

    shown = 0
    with Live(render(result, now(), ref), console=console(), auto_refresh=False) as live:
        while True:
            t = now()
            if t >= result["valid_until"]:
                result = fetch_code(state, ref, t if start_at is not None else None, exact)
            live.update(render(result, t, ref), refresh=True)
            shown += 1
            if frames and shown >= frames:
                break
            time.sleep(FRAME_SECONDS - (time.time() % FRAME_SECONDS) + 0.001)


def _watch_lines(state, ref, start_at, frames, result, now, exact) -> None:
    """`otpc code X --watch | consumer`: each code once, on its own line, written out at once."""
    shown = 0
    while True:
        click.echo(result["code"])
        sys.stdout.flush()
        shown += 1
        if frames and shown >= frames:
            return
        previous = result["valid_until"]
        while result["valid_until"] <= previous:  # the companion's clock may lag ours a little
            time.sleep(max(0.0, previous - now()) + 0.01)
            result = fetch_code(state, ref, now() if start_at is not None else None, exact)


def copy_code(result: dict, ref: str) -> None:
    from companion.cli.clipboard import NoClipboard, copy_and_clear_later

    try:
        seconds = copy_and_clear_later(result["code"])
    except NoClipboard as exc:
        raise UserError(str(exc)) from None
    click.echo(f"Copied the code of {printable(ref)} to the clipboard; "
               f"it is cleared in {seconds:g} s if the clipboard still holds it.")


@click.command()
@entry_argument()
@click.option("--at", "at", type=float, default=None, metavar="UNIX_SECONDS",
              help="The code at this time instead of now (TOTP/Steam).")
@click.option("--json", "as_json", is_flag=True,
              help="Print {code, period, remaining, valid_until, ...} as JSON.")
@click.option("-c", "--copy", "copy", is_flag=True,
              help="Copy the code to the clipboard instead of printing it; cleared after 30 s "
                   "(env OTPC_CLIP_TIME) if the clipboard still holds it.")
@click.option("--watch", "watch_", is_flag=True,
              help="Live code with a countdown bar until Ctrl-C; in a pipe, one line per code.")
@click.option("--count", "frames", type=click.IntRange(0), default=0, hidden=True,
              help="With --watch: stop after this many frames (tests).")
@pass_state
def code(state: State, which, at: float | None, as_json: bool, copy: bool, watch_: bool,
         frames: int) -> None:
    """Print ENTRY's current one-time code. HOTP: every code shown advances the counter.

    ENTRY: a unique part of its title or of Customer/Title, Customer/Title, or an id (prefix).
    On a terminal the code is grouped for reading (755 224) with the seconds it has left; in a pipe
    it is the bare digits. Examples:

    \b
      otpc code mail                      the code of the one entry whose name holds "mail"
      otpc code "Acme Corp/Mail"          the code, from the running companion (no password)
      otpc code Acme/Mail -c              copy it; cleared after 30 s if still on the clipboard
      otpc code Acme/Mail --watch         live code and countdown bar until Ctrl-C
      otpc code Acme/Mail --watch | cat   one line per code as each one comes up
      otpc code Acme/Mail --at 1111111109 the code at a Unix time (TOTP/Steam)
    """
    if sum((as_json, copy, watch_)) > 1:
        raise UserError("choose one of --json, --copy and --watch")
    ref, exact = which.ref, which.exact
    if which.customer is not None or which.title is not None or not ref:
        ref, exact = state.entry(which).id, True  # a --customer/--title selection: resolve once
    if watch_:
        watch(state, ref, at, frames, exact)
        return
    result = fetch_code(state, ref, at, exact)
    if copy:
        copy_code(result, ref)
    else:
        print_code(result, as_json)


def _audited_entry_id(state: State, ref: str) -> str:
    """The entry's id; a removed entry's events stay findable by its full id."""
    from companion.errors import NotFound

    try:
        return state.entry(ref).id
    except NotFound:
        if len(ref) == 32 and all(c in "0123456789abcdef" for c in ref):
            return ref
        raise


@click.command()
@click.option("--entry", "ref", default=None, metavar="ENTRY", help="Only events of this entry.")
@click.option("--limit", type=click.IntRange(1), default=None, help="Only the last N events.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@pass_state
def audit(state: State, ref: str | None, limit: int | None, as_json: bool) -> None:
    """The audit log: every code, password and secret shown, and by whom (oldest first)."""
    vault = state.vault()
    if ref:
        # Filtered here, not by vault.audit(entry=...): that one resolves the entry, so a removed
        # entry's history could not be asked for.
        entry_id = _audited_entry_id(state, ref)
        events = [e for e in vault.audit() if e.entry_id == entry_id]
        events = events[-limit:] if limit else events
    else:
        events = vault.audit(limit=limit)
    if as_json:
        emit_json([e.public() for e in events])
        return
    if not events:
        console().print("No audit events.", soft_wrap=True)
        return
    from datetime import datetime

    from rich.table import Table

    names = {e.id: e.ref for e in vault.entries()}
    table = Table(box=None, header_style="bold")
    for name in ("#", "When", "Action", "By", "Entry", "Detail"):
        table.add_column(name, overflow="fold")
    for ev in events:
        when = datetime.fromtimestamp(ev.ts).astimezone().isoformat(timespec="seconds")
        gone = f"{ev.entry_id[:8]} (removed)" if ev.entry_id else ""
        who = names.get(ev.entry_id or "", gone)
        table.add_row(str(ev.seq), when, esc(ev.action), esc(ev.actor), esc(who), esc(ev.detail))
    console().print(table)
