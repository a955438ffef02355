"""`otpc entry add|list|show|edit|rm`: password entries (title, username, password, URLs, notes, tags)."""

from __future__ import annotations

import click

from companion.cli.common import (
    State,
    bold,
    confirm,
    console,
    emit_json,
    entry_argument,
    esc,
    pass_state,
    printable,
    say,
)

JSON = click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
PASSWORD_PROMPT = click.option(
    "--password-prompt",
    is_flag=True,
    help="Ask for the entry's password (hidden prompt; when stdin is not a terminal, its next line).",
)


def checked_urls(state: State, urls, *, prompt: bool) -> list[str]:
    """Login URLs checked before anything is asked or written: by the companion when one answers
    and nothing is to be typed (server/vault_ops.py), else here, before any password prompt."""
    if not urls or (not prompt and state.through_companion()):
        return list(urls)
    from companion.normalize import login_url

    return [login_url(u) for u in urls]


def otp_label(otp: dict | None) -> str:
    if not otp:
        return ""
    if otp["type"] == "hotp":
        return f"hotp {otp['digits']}"
    if otp["type"] == "steam":
        return "steam"
    return f"totp {otp['digits']}/{otp['period']}s"


@click.group()
def entry() -> None:
    """Password entries. ENTRY is a unique part of its title or of Customer/Title (case-insensitive),
    Customer/Title ('\\/' for a slash inside a name), an id or a unique id prefix (4+ characters)."""


@entry.command("add")
@click.option("--customer", "customer_ref", required=True, help="Customer name or id.")
@click.option("--title", required=True)
@click.option("--username", default="")
@click.option("--url", "urls", multiple=True, help="Login URL (repeatable).")
@click.option("--notes", default="")
@click.option("--tag", "tags", multiple=True, help="Tag (repeatable).")
@PASSWORD_PROMPT
@JSON
@pass_state
def add(state: State, customer_ref, title, username, urls, notes, tags, password_prompt, as_json):
    """Add an entry. Its password is never an argument: use --password-prompt."""
    urls = checked_urls(state, urls, prompt=password_prompt)
    vault = state.vault()
    password = state.read_secret("Entry password", confirm=True) if password_prompt else ""
    e = vault.add_entry(customer_ref, title, username=username, password=password, urls=urls,
                        notes=notes, tags=tags)
    if as_json:
        emit_json(e.public())
    else:
        say(f"Added {bold(e.ref)} ({e.id[:8]}).")


def listed_entries(state: State, customer: str | None, search: str | None) -> list[dict]:
    """Entry.public() dicts: from a running, unlocked companion if there is one, else the vault."""
    return [e.public() for e in state.vault().entries(customer=customer, search=search)]


@entry.command("list")
@click.option("--customer", default=None, help="Only this customer's entries.")
@click.option("--search", default=None,
              help="Case-insensitive search over customer, title, username, URLs, tags, issuer.")
@JSON
@pass_state
def list_(state: State, customer, search, as_json):
    """List entries (never passwords or secrets)."""
    rows = listed_entries(state, customer, search)
    if as_json:
        emit_json(rows)
        return
    if not rows:
        console().print("No entries." if customer or search else
                        "No entries yet: [bold]otpc entry add --customer C --title T[/].",
                        soft_wrap=True)
        return
    from rich.table import Table

    table = Table(box=None, header_style="bold")
    for name, style in (("ID", "dim"), ("Customer", None), ("Title", "bold"), ("Username", None),
                        ("URL", None), ("OTP", "cyan")):
        table.add_column(name, style=style, overflow="fold")
    for r in rows:
        urls = r.get("urls") or []
        more = f" (+{len(urls) - 1})" if len(urls) > 1 else ""
        table.add_row(r["id"][:8], esc(r["customer"]), esc(r["title"]), esc(r.get("username", "")),
                      esc((urls[0] if urls else "") + more), otp_label(r.get("otp")))
    console().print(table)


@entry.command()
@entry_argument()
@click.option("--reveal-password", is_flag=True, help="Show the password (recorded in the audit log).")
@JSON
@pass_state
def show(state: State, which, reveal_password, as_json):
    """Show one entry; the password only with --reveal-password."""
    vault = state.vault()
    e = state.entry(which)
    data = e.public()
    if reveal_password:
        data["password"] = vault.reveal_password(e.id)
    if as_json:
        emit_json(data)
        return
    from rich.table import Table

    table = Table(box=None, show_header=False)
    table.add_column(style="bold")
    table.add_column(overflow="fold")
    table.add_row("Entry", esc(e.ref))
    table.add_row("ID", e.id)
    table.add_row("Username", esc(e.username))
    if reveal_password:
        table.add_row("Password", esc(data["password"]))
    else:
        table.add_row("Password", "(set; --reveal-password shows it)" if e.password else "(none)")
    table.add_row("URLs", "\n".join(esc(u) for u in e.urls))
    table.add_row("Tags", esc(", ".join(e.tags)))
    table.add_row("Notes", "\n".join(esc(line) for line in e.notes.splitlines()))
    if e.otp:
        who = " ".join(x for x in (e.otp.issuer, e.otp.account) if x)
        table.add_row("OTP", esc(f"{otp_label(data['otp'])} {e.otp.algorithm} {who}".strip()))
    else:
        table.add_row("OTP", "(none; otpc otp set ENTRY)")
    console().print(table)


@entry.command()
@entry_argument(select=False)
@click.option("--title", default=None)
@click.option("--username", default=None)
@click.option("--url", "urls", multiple=True, help="Replaces all URLs (repeatable).")
@click.option("--clear-urls", is_flag=True, help="Remove all URLs.")
@click.option("--notes", default=None)
@click.option("--tag", "tags", multiple=True, help="Replaces all tags (repeatable).")
@click.option("--customer", "customer_ref", default=None, help="Move to this customer.")
@click.option("--group", default=None, help="Team entries: put it in this Password Access Group.")
@click.option("--no-group", is_flag=True, help="Team entries: take it out of its group.")
@PASSWORD_PROMPT
@JSON
@pass_state
def edit(state: State, which, title, username, urls, clear_urls, notes, tags, customer_ref,
         group, no_group, password_prompt, as_json):
    """Change an entry's fields; those not given stay as they are."""
    if not (title is not None or username is not None or urls or clear_urls or notes is not None
            or tags or customer_ref is not None or password_prompt or group is not None
            or no_group):
        raise click.UsageError(
            "nothing to change: give at least one of --title, --username, --url, --clear-urls, "
            "--notes, --tag, --customer, --group, --no-group, --password-prompt"
        )
    if urls and clear_urls:
        raise click.UsageError("give --url or --clear-urls, not both")
    urls = checked_urls(state, urls, prompt=password_prompt)
    vault = state.vault()
    found = state.entry(which)  # resolve (and fail) before asking for a password
    password = state.read_secret("New entry password", confirm=True) if password_prompt else None
    e = vault.update_entry(
        found.id,
        title=title,
        username=username,
        password=password,
        urls=() if clear_urls else (urls or None),
        notes=notes,
        tags=tags or None,
        customer=customer_ref,
        **({"group": "" if no_group else group} if group or no_group else {}),
    )
    if as_json:
        emit_json(e.public())
    else:
        say(f"Updated {bold(e.ref)}.")


@entry.command("rm")
@entry_argument()
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@pass_state
def rm(state: State, which, yes):
    """Remove an entry (and its OTP secret, for good)."""
    vault = state.vault()
    e = state.entry(which)
    question = f"Remove entry {e.ref}?"
    if e.has_otp:
        question = (f"Remove entry {e.ref} and its OTP secret? This cannot be undone and the secret "
                    "cannot be recovered; make sure you can still sign in to the account first.")
    confirm(question, yes=yes)
    vault.remove_entry(e.id)
    say(f"Removed {printable(e.ref)}.")
