"""`otpc team role|group|member …`: who reaches which customers and entries (admins)."""

from __future__ import annotations

import click

from companion.cli.common import State, confirm, console, emit_json, esc, pass_state

JSON = click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")


def _call(state, cmd, **args):
    from companion.cli.team import call

    return call(state, cmd, **args)


def _split(value):
    from companion.cli.team import _split as split

    return split(value)


def _done(r: dict, as_json: bool, text: str) -> None:
    if as_json:
        emit_json(r)
        return
    console().print(text, soft_wrap=True)
    if r.get("exposed"):
        console().print(f"[yellow]{len(r['exposed'])} OTP secret(s) were reachable by whoever "
                        "lost access; re-enrol those MFA accounts:[/]", soft_wrap=True)
        for name in r["exposed"]:
            console().print(f"  {esc(name)}", soft_wrap=True)


def _table(rows: list[dict], columns: list[str]) -> None:
    from rich.table import Table

    table = Table(box=None, header_style="bold")
    for c in columns:
        table.add_column(c.capitalize(), overflow="fold")
    for r in rows:
        table.add_row(*[esc(", ".join(r[c]) if isinstance(r[c], list) else str(r[c]))
                        for c in columns])
    console().print(table)


CUSTOMERS = click.option("--customers", default=None, help="Customers (names), comma-separated.")
ALL = click.option("--all-customers", is_flag=True, help="Every customer, present and future.")
CAN = click.option("--can", default=None, help="Permissions: view,reveal,edit,delete,admin.")


@click.group()
def role() -> None:
    """Login Roles: which customers, which permissions."""


@role.command("add")
@click.argument("name")
@CUSTOMERS
@ALL
@CAN
@JSON
@pass_state
def role_add(state: State, name, customers, all_customers, can, as_json):
    r = _call(state, "role_set", name=name, customers=_split(customers),
              all_customers=all_customers, can=_split(can), new=True)
    _done(r, as_json, f"Role {esc(name)} added.")


@role.command("edit")
@click.argument("name")
@CUSTOMERS
@ALL
@CAN
@JSON
@pass_state
def role_edit(state: State, name, customers, all_customers, can, as_json):
    r = _call(state, "role_set", name=name, customers=_split(customers),
              all_customers=all_customers, can=_split(can), new=False)
    _done(r, as_json, f"Role {esc(name)} changed.")


@role.command("rm")
@click.argument("name")
@JSON
@pass_state
def role_rm(state: State, name, as_json):
    _done(_call(state, "role_rm", name=name), as_json, f"Role {esc(name)} removed.")


@role.command("list")
@JSON
@pass_state
def role_list(state: State, as_json):
    r = _call(state, "role_list")
    if as_json:
        return emit_json(r["roles"])
    _table(r["roles"], ["role", "customers", "can"])


@click.group()
def group() -> None:
    """Password Access Groups: entries only the listed roles reach."""


ROLES = click.option("--roles", required=True, help="Roles allowed, comma-separated.")


@group.command("add")
@click.argument("name")
@ROLES
@JSON
@pass_state
def group_add(state: State, name, roles, as_json):
    r = _call(state, "group_set", name=name, roles=_split(roles), new=True)
    _done(r, as_json, f"Group {esc(name)} added.")


@group.command("edit")
@click.argument("name")
@ROLES
@JSON
@pass_state
def group_edit(state: State, name, roles, as_json):
    r = _call(state, "group_set", name=name, roles=_split(roles), new=False)
    _done(r, as_json, f"Group {esc(name)} changed.")


@group.command("rm")
@click.argument("name")
@JSON
@pass_state
def group_rm(state: State, name, as_json):
    _done(_call(state, "group_rm", name=name), as_json, f"Group {esc(name)} removed.")


@group.command("list")
@JSON
@pass_state
def group_list(state: State, as_json):
    r = _call(state, "group_list")
    if as_json:
        return emit_json(r["groups"])
    _table(r["groups"], ["group", "roles"])


@click.group()
def member() -> None:
    """Team members (technicians)."""


@member.command("list")
@JSON
@pass_state
def member_list(state: State, as_json):
    r = _call(state, "member_list")
    if as_json:
        return emit_json(r["members"])
    _table(r["members"], ["member", "role", "fingerprint"])


@member.command("role")
@click.argument("name")
@click.argument("role_name", metavar="ROLE")
@JSON
@pass_state
def member_role(state: State, name, role_name, as_json):
    r = _call(state, "member_role", member=name, role=role_name)
    _done(r, as_json, f"{esc(name)} now holds role {esc(role_name)}.")


@member.command("revoke")
@click.argument("name")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@JSON
@pass_state
def member_revoke(state: State, name, yes, as_json):
    confirm(f"Revoke {name}? Their units are rotated and their database login dropped.", yes=yes)
    r = _call(state, "member_revoke", member=name)
    _done(r, as_json, f"Revoked {esc(r['member'])}.")
