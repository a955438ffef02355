"""`otpc serve`, `pair`, `unlock`, `lock`, `clients`, `service`: the companion and its control channel."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import time
from pathlib import Path

import click

from companion.cli.common import State, emit_json, pass_state, printable
from companion.errors import UserError


def ask_running(state: State, request: dict, *, required: bool = True) -> dict | None:
    """Ask the running companion; UserError when none runs (if required) or it refuses."""
    from companion.cli.control import call

    reply = call(state.path, request, timeout=10.0)
    if reply is None and required:
        raise UserError("no companion is running for this vault: start it with 'otpc serve'")
    return reply


def _customers_list(text: str | None) -> list[str] | None:
    if text is None:
        return None
    names = [part.strip() for part in text.split(",") if part.strip()]
    if not names:
        raise UserError("--customers needs at least one customer name")
    return names


@click.command()
@click.option("--port", type=click.IntRange(1, 65535), help="Port on 127.0.0.1 (default 17655).")
@click.option("--accept-rollback", is_flag=True,
              help="Unlock even a vault older than the last one seen here (see otpc --help).")
@pass_state
def serve(state: State, port: int | None, accept_rollback: bool) -> None:
    """Run the companion in the foreground (127.0.0.1 only; logs to stderr).

    With no vault yet, it creates one first (asking for a new master password)."""
    import asyncio
    import logging

    from companion.server.app import bind_loopback
    from companion.server.app import serve as run
    from companion.server.state import Companion

    logging.basicConfig(
        stream=sys.stderr, level=logging.INFO, format="%(asctime)s otpc[%(process)d]: %(message)s"
    )
    for noisy in ("aiohttp.access", "aiohttp.server", "aiohttp.web", "asyncio"):
        logging.getLogger(noisy).setLevel(logging.CRITICAL)
    from companion.server.config import load_config

    chosen = port if port is not None else load_config(state.path).port
    bind_loopback(chosen).close()  # fail fast with one clear line before asking for anything
    password = None
    if not state.path.exists():
        password = _create_on_first_run(state)
    elif state.password_stdin or os.environ.get("OTPC_PASSWORD") is not None:
        password = state.read_password()
    companion = Companion.start(
        state.path, port=chosen, password=password,
        accept_rollback=accept_rollback or state.accept_rollback,
    )
    try:
        asyncio.run(run(companion, lambda: _print_next_steps(chosen, locked=companion.locked)))
    except KeyboardInterrupt:
        pass


def _create_on_first_run(state: State) -> str:
    """No vault yet: make one (the README's run command lands here on a fresh machine)."""
    from companion.cli.strength import check_new_password
    from companion.vault import Vault

    click.echo(f"No vault yet at {state.path}: creating one. Choose its master password.", err=True)
    for attempt in range(3):
        password = state.read_password("New master password", confirm=True)
        try:
            check_new_password(password, force=False, override="'otpc init --force' first")
            break
        except UserError as exc:
            if attempt == 2 or state.password_stdin or not sys.stdin.isatty():
                raise
            click.echo(f"otpc: {exc}", err=True)
    Vault.create(state.path, password).close()
    click.echo(f"Created {state.path} (file 0600, directory 0700).", err=True)
    return password


def _print_next_steps(port: int, *, locked: bool) -> None:
    """What to do once the companion runs: load the extension, pair, add secrets."""
    from companion.paths import extension_dir

    try:
        where = str(extension_dir())
    except UserError:  # a broken install: still serve, and say where it should have been
        where = "the extension folder ('otpc extension path' says why it is missing)"
    steps = [
        f"OTP Companion is listening on http://127.0.0.1:{port} (Ctrl-C stops it).",
        f"1. Load the extension: Chromium/Chrome/Edge: chrome://extensions, Developer mode, "
        f"'Load unpacked', choose {where}. Firefox: about:debugging, This Firefox, "
        f"'Load Temporary Add-on', choose {where}/manifest.json.",
        "2. In another terminal run 'otpc pair' and type the code it shows into the extension.",
        "3. Add secrets: 'otpc customer add NAME', 'otpc entry add --customer NAME --title T "
        "--url https://…', 'otpc otp set NAME/T' (or 'otpc import FILE').",
    ]
    if locked:
        steps.insert(1, "The vault is locked: unlock it with 'otpc unlock' or from the extension.")
    for line in steps:
        click.echo(line, err=True)


@click.command()
@click.option("--read-only", is_flag=True, help="The new client may read and get codes, not edit.")
@click.option("--customers", metavar="A,B", help="Limit the new client to these customers.")
@click.option("--json", "as_json", is_flag=True,
              help="Machine-readable: code, expires_in, expires_at, port.")
@pass_state
def pair(state: State, read_only: bool, customers: str | None, as_json: bool) -> None:
    """Open a pairing window and show the code to type into the extension."""
    reply = ask_running(
        state, {"op": "pair", "write": not read_only, "customers": _customers_list(customers)}
    )
    if as_json:
        emit_json({k: reply[k] for k in ("code", "expires_in", "expires_at", "port")})
        return
    expires = time.strftime("%H:%M:%S", time.localtime(reply["expires_at"]))
    click.echo(f"Pairing code: {reply['code']}")
    click.echo(f"Valid for {reply['expires_in']} s (until {expires}), for one extension, 5 tries.")
    # The words in quotes are the popup's own (tests/e2e/test_pair_wording.py checks them).
    click.echo(
        "In the browser: click the OTP Companion toolbar icon. Under 'Pair this browser', "
        "type this code where it says 'Type the code it shows' and press 'Pair'."
    )
    click.echo(
        f"(The extension looks for the companion on port {reply['port']}; if its popup says "
        "'The companion is not running', use 'Change port' there.)"
    )


@click.command()
@pass_state
def unlock(state: State) -> None:
    """Unlock the running companion (asks for the master password)."""
    status = ask_running(state, {"op": "status"})
    if not status["locked"]:
        click.echo("The companion is already unlocked.")
        return
    ask_running(state, {"op": "unlock", "password": state.read_password()})
    click.echo("Unlocked.")


@click.command()
@pass_state
def lock(state: State) -> None:
    """Lock the running companion (drops its keys from memory)."""
    if ask_running(state, {"op": "lock"}, required=False) is None:
        click.echo("No companion is running; nothing to lock.")
        return
    click.echo("Locked.")


@click.group()
def clients() -> None:
    """Paired browser extensions: list, revoke, change scope."""


def _scope_text(scope: dict) -> str:
    access = "read-write" if scope["write"] else "read-only"
    who = "all customers" if scope["customers"] is None else f"{len(scope['customers'])} customer(s)"
    return f"{access}, {who}"


@clients.command("list")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@pass_state
def clients_list(state: State, as_json: bool) -> None:
    """List paired clients."""
    reply = ask_running(state, {"op": "clients"}, required=False)
    if reply is not None:
        found = reply["clients"]
        if reply.get("warning"):  # the companion refused clients whose MAC failed (issue 9 #6)
            click.echo(f"otpc: {printable(reply['warning'])}", err=True)
    else:
        from companion.server.clients import ClientStore

        found = [c.public() for c in ClientStore(state.path).all()]
    if as_json:
        emit_json(found)
        return
    if not found:
        click.echo("No paired clients. Pair one with 'otpc pair'.")
    for c in found:
        used = time.strftime("%Y-%m-%d %H:%M", time.localtime(c["last_used"])) if c["last_used"] else "never"
        name, origin = printable(c["name"]), printable(c["origin"])
        click.echo(f"{c['id']}  {name}  {origin}  {_scope_text(c['scope'])}  last used {used}")


@clients.command("revoke")
@click.argument("client")
@pass_state
def clients_revoke(state: State, client: str) -> None:
    """Revoke a client (id, id prefix or name); effective immediately."""
    reply = ask_running(state, {"op": "revoke", "client": client}, required=False)
    if reply is None:
        from companion.server.clients import ClientStore

        revoked = ClientStore(state.path).revoke(client).id
    else:
        revoked = reply["revoked"]
    click.echo(f"Revoked {revoked}.")


@clients.command("scope")
@click.argument("client")
@click.option("--read-only/--read-write", "read_only", default=None, help="Access level.")
@click.option("--customers", metavar="A,B", help="Limit to these customers.")
@click.option("--all-customers", is_flag=True, help="Lift the customer limit.")
@pass_state
def clients_scope(state, client, read_only, customers, all_customers) -> None:
    """Change what a client may see and do."""
    if customers and all_customers:
        raise UserError("give either --customers or --all-customers, not both")
    names = _customers_list(customers)
    write = None if read_only is None else not read_only
    request = {"op": "scope", "client": client, "write": write, "customers": names,
               "all_customers": all_customers}
    reply = ask_running(state, request, required=False)
    if reply is None:
        from companion.server.clients import UNCHANGED, ClientStore

        vault = state.local_vault()  # a scope is sealed with a key of the unlocked vault (9 #6)
        store = ClientStore(state.path)
        store.unlocked_with(vault)
        if store.notice:
            click.echo(f"otpc: {store.notice}", err=True)
        ids = UNCHANGED
        if all_customers:
            ids = None
        elif names is not None:
            ids = tuple(dict.fromkeys(vault.customer(n).id for n in names))
        result = store.rescope(client, write=write, customers=ids).public()
    else:
        result = reply["client"]
    click.echo(f"{result['id']}: {_scope_text(result['scope'])}")


@click.group()
def service() -> None:
    """Start the companion at login (systemd user unit / launchd agent)."""


def _unit_tool_or_refuse(commands: list[list[str]], unit: Path) -> None:
    """Run systemctl/launchctl; any refusal is a UserError that says why (exit 1), never a success."""
    tool = commands[0][0]
    if shutil.which(tool) is None:
        raise UserError(
            f"{tool} not found, so the service manager cannot start {unit} here; "
            "run 'otpc serve' yourself (or --no-start to only write the file)"
        )
    for cmd in commands:
        try:
            done = subprocess.run(cmd, capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired:
            raise UserError(f"'{shlex.join(cmd)}' did not answer within 60 s") from None
        if done.returncode != 0:
            said = (done.stderr.strip() or done.stdout.strip()).splitlines()
            reason = printable(said[0])[:200] if said else f"exit status {done.returncode}"
            raise UserError(f"'{shlex.join(cmd)}' failed: {reason}")


def _tell(commands: list[list[str]]) -> None:
    click.echo("Run:")
    for cmd in commands:
        click.echo(f"  {shlex.join(cmd)}")


@service.command("install")
@click.option("--port", type=click.IntRange(1, 65535), default=None,
              help="Port the service listens on (default: the vault's configured port, 17655).")
@click.option("--no-start", is_flag=True, help="Only write the unit file and print the commands to run.")
@pass_state
def service_install(state: State, port: int | None, no_start: bool) -> None:
    """Write the unit (systemd user unit on Linux, launchd agent on macOS) and enable it now.

    Exits 1 with the service manager's own reason when systemctl/launchctl refuse (no user
    session bus, launchd error ...); the unit file stays written so a later retry only enables it."""
    from companion.cli import autostart

    path = autostart.write_unit(state.path, port=port)
    click.echo(f"Wrote {path}")
    if no_start:
        _tell(autostart.start_commands())
    else:
        _unit_tool_or_refuse(autostart.start_commands(), path)
        click.echo(f"Enabled and started {autostart.UNIT_NAME}.")
    click.echo("The companion starts locked: run 'otpc unlock' after login (or 'otpc keyring enable').")


@service.command("uninstall")
@click.option("--no-stop", is_flag=True, help="Only remove the unit file.")
def service_uninstall(no_stop: bool) -> None:
    """Stop and disable the unit, then remove its file (exits 1 and keeps it if that is refused)."""
    from companion.cli import autostart

    path = autostart.unit_path()
    if not path.exists():
        click.echo("No companion service is installed.")
        return
    if no_stop:
        _tell(autostart.stop_commands())
    else:
        _unit_tool_or_refuse(autostart.stop_commands(), path)
    path.unlink(missing_ok=True)
    click.echo(f"Removed {path}")


@service.command("status")
@pass_state
def service_status(state: State) -> None:
    """Is the unit installed, is a companion running, is it locked?"""
    from companion.cli import autostart

    path = autostart.unit_path()
    click.echo(f"Unit: {path} ({'installed' if path.exists() else 'not installed'})")
    reply = ask_running(state, {"op": "status"}, required=False)
    if reply is None:
        click.echo("Companion: not running")
    else:
        lock_state = "locked" if reply["locked"] else "unlocked"
        click.echo(f"Companion: running (pid {reply['pid']}, port {reply['port']}, {lock_state})")
