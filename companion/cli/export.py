"""`otpc export`: OTP secrets (and, with the json formats, password entries) out to a file.

Every secret is read through the audited vault API (reason "export"); a team entry's secret only
with the member's `reveal` permission (an export is a reveal, signed into the team audit log).
"""

from __future__ import annotations

import os
import sys

import click

from companion.cli.common import State, pass_state, printable
from companion.cli.transfer import file_password
from companion.errors import UserError
from companion.formats import registry

EXPORT_PASSWORD_ENV = "OTPC_EXPORT_PASSWORD"

EXPORT_WARNING = (
    "warning: this export contains OTP secrets{pw}: anyone who gets the file can generate your "
    "codes. Keep it safe and delete it when done."
)


# Formats that carry whole password entries (the others carry OTP accounts only).
WITH_PASSWORDS = {"json", "otpc-json", "bitwarden-json"}


def collect(vault, fmt: str, customer: str | None, skipped: list[str] | None = None) -> list:
    """The records to export, read through the audited vault API (reason "export"). A team entry
    whose secret or password the member's role may not reveal is left out and its reference
    added to `skipped` (the companion refuses that reveal: Forbidden, nothing revealed)."""
    from companion.errors import Forbidden
    from companion.formats.records import Item

    notes = {c.id: c.notes for c in vault.customers()}
    items = []
    for number, entry in enumerate(vault.entries(customer=customer), start=1):
        if fmt not in WITH_PASSWORDS and not entry.has_otp:
            continue
        try:
            otp = vault.otp_params(entry.id, reason="export") if entry.has_otp else None
            password = ""
            if fmt in WITH_PASSWORDS and entry.password:
                password = vault.reveal_password(entry.id)
        except Forbidden:
            if skipped is None:
                raise
            skipped.append(entry.ref)
            continue
        items.append(
            Item(
                number=number,
                label=entry.ref,
                title=entry.title,
                customer=entry.customer,
                customer_notes=notes.get(entry.customer_id, ""),
                username=entry.username,
                password=password,
                urls=entry.urls,
                notes=entry.notes,
                tags=entry.tags,
                otp=otp,
            )
        )
    return items


def team_items(vault, fmt: str, customer: str | None) -> list:
    """collect(), then the team entries left out listed on stderr; when every one was left out,
    Forbidden (exit 6) and nothing is written. The reveals are pushed to the team audit log."""
    from companion.errors import Forbidden

    skipped: list[str] = []
    try:
        items = collect(vault, fmt, customer, skipped)
    finally:
        push = getattr(vault, "push_team", None)  # a companion pushes its own within 5 s
        if push is not None:
            push()
    for ref in skipped:
        click.echo(f"skipped: {printable(ref)}: your team role may not reveal its secrets",
                   err=True)
    if skipped and not items:
        raise Forbidden(f"your team role may not reveal the secrets of the {len(skipped)} team "
                        f"entr{'y' if len(skipped) == 1 else 'ies'} to export; nothing was "
                        "exported")
    return items


@click.command("export")
@click.option(
    "--format",
    "fmt",
    required=True,
    type=click.Choice(registry.export_choices()),
    help="otpauth: one URI a line; aegis: an Aegis vault; json: ours, with password entries.",
)
@click.option(
    "--encrypted/--plain",
    default=None,
    help="Encrypt the file with a password (default for aegis and json; otpauth is always plain).",
)
@click.option("--output", "-o", type=click.Path(dir_okay=False), help="File to write (0600).")
@click.option("--force", is_flag=True, help="Replace an existing --output file.")
@click.option("--yes", is_flag=True, help="Print plain-text secrets to a terminal without asking.")
@click.option("--customer", help="Export only this customer's entries.")
@click.option(
    "--file-password-stdin",
    is_flag=True,
    help=f"Read the export password from stdin (else ${EXPORT_PASSWORD_ENV} or a prompt).",
)
@pass_state
def export_cmd(state: State, fmt, encrypted, output, customer, file_password_stdin, force, yes):
    """Export OTP secrets (and, with --format json, password entries) to a file or stdout.

    The export password comes from $OTPC_EXPORT_PASSWORD, else a hidden prompt (asked twice),
    else the next line of stdin (after the master password line when --password-stdin is given).
    """
    from pathlib import Path

    from companion.fsutil import write_private

    can_encrypt = "write" in registry.get(fmt).encrypted
    if encrypted is None:
        encrypted = can_encrypt
    if encrypted and not can_encrypt:
        raise UserError(f"{fmt} exports cannot be encrypted: use --format aegis or json")
    target = Path(output).expanduser() if output else None
    if target is not None and not force and os.path.lexists(target):
        raise UserError(f"{target} already exists: use --force to replace it")
    if target is None and not encrypted and sys.stdout.isatty():
        from companion.cli.common import confirm

        confirm("Print every OTP secret in plain text on this screen? Anyone who sees or "
                "photographs it can make the codes.", yes=yes)
    vault = state.vault()
    password = None
    if encrypted:
        password = file_password(
            state, file_password_stdin, EXPORT_PASSWORD_ENV, "Password for the export", True
        )()
        if not password:
            raise UserError("the export password must not be empty")
    items = team_items(vault, fmt, customer)
    data = registry.get(fmt).dumper()(items, password)
    if fmt == "google-authenticator":
        export_migration(items, target, force)
        return
    what = " and passwords" if fmt in WITH_PASSWORDS else ""
    enc = "" if encrypted else " in plain text"
    if target is not None:
        write_private(target, data, overwrite=force)
        # warned once the file exists: a refused write (unwritable folder, /proc) stays one line
        click.echo(EXPORT_WARNING.format(pw=what + enc), err=True)
        count = sum(1 for i in items if fmt in WITH_PASSWORDS or i.otp is not None)
        click.echo(f"exported {count} entr{'y' if count == 1 else 'ies'} to {output}", err=True)
    else:
        click.echo(EXPORT_WARNING.format(pw=what + enc), err=True)
        sys.stdout.buffer.write(data)
        sys.stdout.flush()


def export_migration(items, target, force: bool) -> None:
    """Google Authenticator's "Transfer accounts" QR codes (ten accounts each): drawn in the
    terminal, written as PNG files when -o ends in .png (NAME-1.png, NAME-2.png, …), else the
    otpauth-migration:// URIs as text. Accounts the app cannot hold are listed, not exported."""
    from companion.formats.gauth import migration_uris, unrepresentable
    from companion.formats.qr import png_bytes, terminal_qr
    from companion.fsutil import write_private

    for item in items:
        why = unrepresentable(item)
        if why and item.otp is not None:
            click.echo(f"skipped: {printable(item.label)}: Google Authenticator cannot hold "
                       f"{printable(why)}", err=True)
    uris = migration_uris(items)
    click.echo(EXPORT_WARNING.format(pw=" in plain text"), err=True)
    if target is not None and target.suffix.lower() == ".png":
        for number, uri in enumerate(uris, start=1):
            path = target.with_name(f"{target.stem}-{number}.png")
            write_private(path, png_bytes(uri), overwrite=force)
            click.echo(f"wrote {path}", err=True)
    elif target is not None:
        write_private(target, "".join(u + "\n" for u in uris).encode("ascii"), overwrite=force)
    elif sys.stdout.isatty():
        for number, uri in enumerate(uris, start=1):
            click.echo(f"Google Authenticator: scan code {number} of {len(uris)}")
            sys.stdout.write(terminal_qr(uri))
    else:
        sys.stdout.write("".join(u + "\n" for u in uris))
    sys.stdout.flush()
