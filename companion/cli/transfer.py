"""`otpc import`: move secrets in from other apps' files (`otpc export`, the way out: cli/export.py).

Parsing happens entirely before the vault is touched; the writes then happen in one transaction
(`vault.batch()`), so a broken file, a wrong password or a failure half-way leaves the vault as it was.
"""

from __future__ import annotations

import os
import sys

import click

from companion.cli.common import State, emit_json, err_console, pass_state, printable
from companion.errors import UserError
from companion.formats import registry

IMPORT_PASSWORD_ENV = "OTPC_IMPORT_PASSWORD"
PROGRESS_FROM = 2_000  # rows; below this an import takes a fraction of a second

IMPORT_HELP = f"""Import OTP secrets and password entries from FILE_OR_URI.

FILE_OR_URI is a file in one of the --format formats below (otpauth URI lists, QR images,
authenticator apps' and password managers' exports, an `otpc export` file; docs/import.md says
how to export from each app; the format is detected from the content), '-' for stdin, or a single
otpauth:// URI
(beware: a URI on the command line is visible to other local users and in shell history).

Everything is parsed first; then all entries are added in one transaction: any error leaves the
vault unchanged. An entry that cannot be represented is skipped and listed (--strict: refuse all). OTPs already in the vault (same secret, type and account) are skipped.

The password of an encrypted file comes from ${IMPORT_PASSWORD_ENV}, else a hidden prompt on a
terminal, else the next line of stdin (--file-password-stdin forces stdin). When the global
--password-stdin is also given, stdin holds the master password on line 1 and the file's password
on line 2.
"""


def file_password(state: State, from_stdin: bool, env: str, prompt: str, confirm: bool = False):
    """A callable the importers call only if the file turns out to be encrypted."""

    def read() -> str:
        value = os.environ.get(env)
        if value is not None:
            return value
        if from_stdin or not sys.stdin.isatty():
            if state.password_stdin:
                state.read_password()  # line 1 is the master password
            line = sys.stdin.readline()
            if not line:
                raise UserError(f"the file is encrypted: give its password on stdin or in ${env}")
            return line.rstrip("\r\n")
        return click.prompt(prompt, hide_input=True, confirmation_prompt=confirm, err=True)

    return read


def existing_titles(vault) -> dict[str, set[str]]:
    titles: dict[str, set[str]] = {}
    for entry in vault.entries():
        titles.setdefault(entry.customer.casefold(), set()).add(entry.title.casefold())
    return titles


def row_json(row) -> dict:
    item = row.item
    out = {
        "number": item.number,
        "label": item.label,
        "status": row.status,
        "customer": row.customer,
        "title": row.title,
        "reason": row.reason,
        "warnings": list(item.warnings),
    }
    if item.otp is not None:
        out["otp"] = {
            "type": item.otp.type,
            "issuer": item.otp.issuer,
            "account": item.otp.account,
            "algorithm": item.otp.algorithm,
            "digits": item.otp.digits,
            "period": item.otp.period,
        }
    return out


def print_table(rows) -> None:
    from rich.table import Table
    from rich.text import Text

    from companion.cli.common import console

    table = Table(title="Import plan", show_lines=False)
    for column in ("#", "Action", "Customer", "Title", "OTP", "Note"):
        table.add_column(column)
    for row in rows:
        otp = row.item.otp
        kind = f"{otp.type} {otp.algorithm} {otp.digits}" if otp else "-"
        note = row.reason or "; ".join(row.item.warnings)
        cells = (str(row.item.number), row.status, row.customer, row.title or row.item.label)
        # Every cell may hold the file's text (a parser's warning quotes an issuer): escaped.
        table.add_row(*(Text(printable(c)) for c in (*cells, kind, note)))
    console().print(table)


def vault_refusal(row) -> str:
    """Why the vault would refuse this row ("" if it takes it), found with the vault's own checks
    before anything is written: one such entry is skipped and listed, not a reason to abort a
    500-entry import half-way (--strict still refuses the whole file)."""
    from companion.otp import OtpError
    from companion.vault.validate import clean_name, clean_text, clean_urls

    item = row.item
    try:
        clean_name(row.customer, "customer name")
        clean_name(row.title, "title")
        clean_text(item.customer_notes, "customer notes")
        for value, what in ((item.username, "username"), (item.password, "password"),
                            (item.notes, "notes")):
            clean_text(value, what)
        clean_urls(item.urls)
        for tag in item.tags:
            clean_text(tag, "tag")
        if item.otp is not None:
            item.otp.checked()
    except (UserError, OtpError) as exc:
        return str(exc)
    return ""


def refuse_unrepresentable(rows) -> list:
    from dataclasses import replace

    from companion.formats.plan import IMPORT, REFUSED

    out = []
    for row in rows:
        why = vault_refusal(row) if row.status == IMPORT else ""
        out.append(replace(row, status=REFUSED, reason=why) if why else row)
    return out


def write_rows(vault, rows) -> None:
    """Add every IMPORT row inside one transaction (companion.imports.write_rows, here or in the
    running companion); any failure rolls all of it back."""
    from companion.formats.plan import IMPORT
    from companion.imports import write_rows as write

    todo = [r for r in rows if r.status == IMPORT]
    progress = advance = None
    # A bar only where someone watches (loading rich's costs ~0.1 s), moved once per written chunk.
    if len(todo) >= PROGRESS_FROM and not hasattr(vault, "import_rows") and sys.stderr.isatty():
        from rich.progress import Progress

        progress = Progress(console=err_console(), transient=True)
        task = progress.add_task("importing", total=len(todo))
        progress.start()

        def advance(written: int) -> None:
            progress.advance(task, written)

    try:
        write(vault, todo, advance)
    finally:
        if progress is not None:
            progress.stop()


@click.command("import", help=IMPORT_HELP)
@click.argument("source", metavar="FILE_OR_URI")
@click.option(
    "--format",
    "fmt",
    default="auto",
    show_default=True,
    type=click.Choice(registry.import_choices()),
    help="Skip detection and read the file as this format.",
)
@click.option("--customer", help="Put every entry under this customer (created if missing; in a "
              "team vault a local one; a team customer needs the edit permission).")
@click.option(
    "--file-password-stdin",
    is_flag=True,
    help="Read the import file's password from stdin (after the master password line, if any).",
)
@click.option(
    "--customer-from-group",
    type=click.IntRange(min=1),
    default=None,
    metavar="N",
    help="KeePass: the customer is the Nth nested group (1 = first below the root) instead of "
    "the full group path.",
)
@click.option(
    "--merge", is_flag=True,
    help="KeePass: allow different group paths to become one customer (refused by default).",
)
@click.option("--force", is_flag=True,
              help="Accept OTP secrets shorter than 80 bits and 4-5 digit codes.")
@click.option(
    "--strict", is_flag=True,
    help="Import nothing if any entry would be refused (by default it is skipped and listed).",
)
@click.option("--dry-run", is_flag=True, help="Show what would be imported; change nothing.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@pass_state
def import_cmd(state: State, source, fmt, customer, file_password_stdin, customer_from_group,
               merge, force, strict, dry_run, as_json):
    from companion.formats import parse, read_source
    from companion.formats.plan import DEFAULT_CUSTOMER, DUPLICATE, IMPORT, REFUSED, plan, summary
    from companion.imports import existing_duplicates

    if source.strip().lower().startswith("otpauth"):
        err_console().print(
            "warning: a URI given as an argument is visible in the process list and shell "
            "history; prefer a file or '-' (stdin)",
            markup=False,
        )
    if source == "-" and file_password_stdin:
        raise UserError("--file-password-stdin cannot be used when the file itself comes from stdin")
    data = read_source(source)
    getter = file_password(
        state, file_password_stdin, IMPORT_PASSWORD_ENV, "Password of the file to import"
    )
    parsed = parse(data, fmt, password=getter, force=force)
    vault = state.vault()
    rows = plan(
        parsed.items,
        existing_otps=existing_duplicates(vault, parsed.items),
        existing_titles=existing_titles(vault),
        customer=customer,
        default_customer=DEFAULT_CUSTOMER,
        customer_from_group=customer_from_group or 0,
        merge=merge,
    )
    rows = refuse_unrepresentable(rows)
    refused = [r for r in rows if r.status == REFUSED]
    if refused and (strict or len(refused) == len(rows)):
        first = refused[0]
        why = "--strict: " if strict else ""
        raise UserError(
            f"{why}{len(refused)} entr{'y' if len(refused) == 1 else 'ies'} cannot be "
            f"imported (first: #{first.item.number} {printable(first.item.label)}: "
            f"{printable(first.reason)}); "
            "nothing was imported"
        )
    if not dry_run:
        write_rows(vault, rows)
    counts = summary(rows)
    if as_json:
        emit_json(
            {
                "format": parsed.format,
                "dry_run": dry_run,
                "imported": 0 if dry_run else counts[IMPORT],
                "would_import": counts[IMPORT] if dry_run else 0,
                "duplicates": counts[DUPLICATE],
                "refused": counts[REFUSED],
                "notes": parsed.notes,
                "items": [row_json(r) for r in rows],
            }
        )
        return
    if dry_run or len(rows) <= 50:
        print_table(rows)
    else:  # a long import: list only what was not imported
        for row in rows:
            if row.status != IMPORT:
                label, reason = printable(row.item.label), printable(row.reason)
                click.echo(f"{row.status}: #{row.item.number} {label}: {reason}")
    for note in parsed.notes:
        click.echo(f"note: {printable(note)}", err=True)
    verb = "would import" if dry_run else "imported"
    click.echo(
        f"{parsed.format}: {verb} {counts[IMPORT]}, skipped {counts[DUPLICATE]} duplicate(s), "
        f"refused {counts[REFUSED]}" + (" (dry run: nothing changed)" if dry_run else "")
    )
