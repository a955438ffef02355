"""`otpc customer add|list|rename|rm`."""

from __future__ import annotations

import click

from companion.cli.common import (
    State,
    bold,
    confirm,
    console,
    emit_json,
    esc,
    pass_state,
    printable,
    say,
)

JSON = click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")


def customer_public(c) -> dict:
    return {"id": c.id, "name": c.name, "notes": c.notes, "created": c.created, "updated": c.updated}


@click.group()
def customer() -> None:
    """Customers: the top level of the vault (customer → entries → OTP)."""


@customer.command("add")
@click.argument("name")
@click.option("--notes", default="", help="Free text.")
@click.option("--local", is_flag=True, help="In a team vault: keep this customer private.")
@JSON
@pass_state
def add(state: State, name: str, notes: str, local: bool, as_json: bool) -> None:
    """Add a customer (in a team vault, a team customer unless --local)."""
    c = state.vault().add_customer(name, notes, **({"local": True} if local else {}))
    if as_json:
        emit_json(customer_public(c))
    else:
        say(f"Added customer {bold(c.name)} ({c.id[:8]}).")


@customer.command("list")
@JSON
@pass_state
def list_(state: State, as_json: bool) -> None:
    """List customers with their number of entries."""
    vault = state.vault()
    customers = vault.customers()
    counts: dict[str, int] = {}
    for e in vault.entries():
        counts[e.customer_id] = counts.get(e.customer_id, 0) + 1
    if as_json:
        emit_json([{**customer_public(c), "entries": counts.get(c.id, 0)} for c in customers])
        return
    if not customers:
        console().print("No customers yet: [bold]otpc customer add NAME[/].", soft_wrap=True)
        return
    from rich.table import Table

    table = Table(box=None, header_style="bold")
    table.add_column("ID", style="dim")
    table.add_column("Customer")
    table.add_column("Entries", justify="right")
    table.add_column("Notes", overflow="fold")
    for c in customers:
        table.add_row(c.id[:8], esc(c.name), str(counts.get(c.id, 0)), esc(c.notes))
    console().print(table)


@customer.command()
@click.argument("old")
@click.argument("new")
@JSON
@pass_state
def rename(state: State, old: str, new: str, as_json: bool) -> None:
    """Rename a customer (OLD: name, id or unique id prefix)."""
    vault = state.vault()
    before = vault.customer(old)
    c = vault.update_customer(before.id, name=new)
    if as_json:
        emit_json(customer_public(c))
    else:
        say(f"Renamed customer {printable(before.name)} to {bold(c.name)}.")


@customer.command("rm")
@click.argument("name")
@click.option("--force", is_flag=True, help="Also remove its entries and their OTP secrets.")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@pass_state
def rm(state: State, name: str, force: bool, yes: bool) -> None:
    """Remove a customer. One with entries only with --force, which deletes them for good."""
    vault = state.vault()
    c = vault.customer(name)
    owned = vault.entries(customer=c.id)
    if owned and force:
        secrets = sum(1 for e in owned if e.has_otp)
        confirm(
            f"Remove customer {c.name} with its {len(owned)} entries ({secrets} OTP secrets)? "
            "This cannot be undone; the secrets cannot be recovered.",
            yes=yes,
        )
    else:
        confirm(f"Remove customer {c.name}?", yes=yes)
    vault.remove_customer(c.id, force=force)
    say(f"Removed customer {printable(c.name)}.")
