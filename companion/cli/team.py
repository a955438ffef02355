"""`otpc team …`: create or join a team, invite and approve technicians, roles, groups, members,
status, sync and the team audit log (docs/team.md). Each command runs in the running companion when
there is one (it owns the PostgreSQL connection), else in this process on the vault itself.
"""

from __future__ import annotations

import sys
from datetime import datetime

import click

from companion.cli.common import State, confirm, console, emit_json, esc, pass_state
from companion.errors import Locked, UserError, from_reply

JSON = click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
TEAM_TIMEOUT = 300.0  # a revocation re-seals every record of the units it rotates


def call(state: State, cmd: str, **args) -> dict:
    """Run a team command in the companion (if one answers, unlocked), else here."""
    from companion.cli.control import ask

    try:
        reply = ask(state.path, {"op": "team", "cmd": cmd, "args": args}, timeout=TEAM_TIMEOUT)
    except (OSError, ValueError):
        reply = None
    if isinstance(reply, dict):
        if reply.get("ok"):
            return {k: v for k, v in reply.items() if k != "ok"}
        error = from_reply(reply)
        if not isinstance(error, Locked):
            raise error
    from companion.team.commands import run

    return run(state.vault(), cmd, args)


def _when(ts) -> str:
    if not ts:
        return "never"
    return datetime.fromtimestamp(ts).astimezone().isoformat(timespec="seconds")


def _split(value: str | None) -> list[str] | None:
    if value is None:
        return None
    return [v.strip() for v in value.split(",") if v.strip()]


def _say(text: str) -> None:
    console().print(text, soft_wrap=True)


@click.group()
def team() -> None:
    """Team mode: share customers' OTP secrets through PostgreSQL, end-to-end encrypted."""


@team.command()
@click.option("--db", "db", required=True, metavar="URL",
              help="PostgreSQL URL of a role that may create roles (not stored; a password may "
                   "also come from PGPASSWORD or ~/.pgpass).")
@click.option("--name", required=True, help="The team's name.")
@click.option("--me", default="founder", show_default=True, help="Your member name.")
@JSON
@pass_state
def create(state: State, db, name, me, as_json):
    """Found a team: schema, roles, your keys; you are its admin."""
    r = call(state, "create", db=db, name=name, me=me)
    if as_json:
        return emit_json(r)
    _say(f"Team [bold]{esc(r['team'])}[/] created. Team fingerprint: [bold]{r['team_fingerprint']}[/]")
    _say("Invite technicians with: otpc team invite NAME --role ROLE")


@team.command()
@click.argument("member")
@click.option("--role", required=True, help="The Login Role the member will hold.")
@JSON
@pass_state
def invite(state: State, member, role, as_json):
    """Print a one-time enrolment token for MEMBER (valid 24 h, single use)."""
    r = call(state, "invite", member=member, role=role)
    if as_json:
        return emit_json(r)
    click.echo(r["token"])
    click.echo(f"Valid until {_when(r['expires'])}, once. Team fingerprint: "
               f"{r['team_fingerprint']}", err=True)
    click.echo(f"On {member}'s machine: otpc team join  (paste the token when asked)", err=True)


@team.command()
@click.argument("token", required=False)
@JSON
@pass_state
def join(state: State, token, as_json):
    """Join a team with an invitation TOKEN (read from stdin or a prompt when not given: a token
    on the command line is visible to other processes)."""
    if token is None:
        if sys.stdin.isatty():
            token = click.prompt("Invitation token", hide_input=True, err=True)
        else:
            if state.password_stdin:
                state.read_password()  # the master password is the first line
            token = sys.stdin.readline().strip()
    if not token:
        raise UserError("no invitation token given")
    r = call(state, "join", token=token)
    if as_json:
        return emit_json(r)
    _say(f"Joined [bold]{esc(r['team'])}[/] as {esc(r['member'])}, waiting for approval.")
    _say(f"Team fingerprint: [bold]{r['team_fingerprint']}[/] (compare it with your admin's)")
    _say(f"Your fingerprint: [bold]{r['fingerprint']}[/] (your admin confirms it at approve)")


@team.command()
@click.argument("member")
@click.option("--fingerprint", default=None, help="The member's key fingerprint, as they read it.")
@click.option("--yes", is_flag=True, help="Approve the fingerprint shown without asking.")
@JSON
@pass_state
def approve(state: State, member, fingerprint, yes, as_json):
    """Approve a joined MEMBER once their key fingerprint is confirmed; grants their keys."""
    if fingerprint is None:
        shown = call(state, "pending", member=member)["fingerprint"]
        confirm(f"{member}'s key fingerprint is {shown}. Is it the one they read to you?", yes=yes)
        fingerprint = shown
    r = call(state, "approve", member=member, fingerprint=fingerprint)
    if as_json:
        return emit_json(r)
    _say(f"Approved {esc(r['member'])} as {esc(r['role'])} ({r['units']} unit keys granted).")


@team.command()
@JSON
@pass_state
def status(state: State, as_json):
    """Connected or offline since, last sync, pending pushes, conflicts."""
    r = call(state, "status")
    if as_json:
        return emit_json(r)
    _print_status(r)


def _print_status(r: dict) -> None:
    link = "connected" if r["connected"] else f"offline since {_when(r['offline_since'])}"
    _say(f"Team [bold]{esc(r['team'])}[/] ({r['team_fingerprint']})")
    _say(f"Me: {esc(r['member'])}, role {esc(r['role'] or '-')}, {r['status']}; {link}")
    _say(f"Last sync: {_when(r['last_sync'])}; pending pushes: {r['pending_pushes']}; "
         f"conflict copies: {len(r['conflicts'])}; records: {r['records']}")
    for p in r.get("problems", []):
        _say(f"[yellow]problem:[/] {esc(p)}")


@team.command()
@JSON
@pass_state
def sync(state: State, as_json):
    """Push queued edits and pull what changed, now."""
    r = call(state, "sync")
    if as_json:
        return emit_json(r)
    _say(f"Pushed {r['pushed']}, pulled {r['pulled']}.")
    _print_status(r)
    if r.get("problems"):
        raise UserError(f"{len(r['problems'])} record(s) refused (see above); "
                        "the replica kept what it had")


@team.command()
@click.argument("customer")
@JSON
@pass_state
def adopt(state: State, customer, as_json):
    """Move a local CUSTOMER with its entries and OTP secrets into the team."""
    r = call(state, "adopt", customer=customer)
    if as_json:
        return emit_json(r)
    _say(f"{esc(r['customer'])} is now a team customer ({r['entries']} entries, {r['otps']} OTP).")


@team.command()
@click.option("--member", default=None)
@click.option("--customer", default=None)
@click.option("--entry", default=None)
@JSON
@pass_state
def audit(state: State, member, customer, entry, as_json):
    """The team audit log (admins): codes shown, secrets revealed, edits, deletes."""
    r = call(state, "audit", member=member, customer=customer, entry=entry)
    if as_json:
        return emit_json(r["events"])
    from rich.table import Table

    table = Table(box=None, header_style="bold")
    for name in ("When", "Member", "Action", "Customer", "Entry", "Signed"):
        table.add_column(name, overflow="fold")
    for ev in r["events"]:
        table.add_row(_when(ev["ts"]), esc(ev["member"]), esc(ev["action"]), esc(ev["customer"]),
                      esc(ev["entry"]), "ok" if ev["verified"] else "[red]INVALID[/]")
    console().print(table)


from companion.cli.team_admin import group, member, role  # noqa: E402

team.add_command(role)
team.add_command(group)
team.add_command(member)
