"""`otpc otp set|rm|qr`: an entry's OTP secret in, out (as a QR code), or gone for good.

A secret is never meant to be a process argument (shell history, `ps`): `otpc otp set ENTRY` asks for
it with a hidden prompt, or reads the next line of stdin when stdin is not a terminal.
"""

from __future__ import annotations

import sys

import click

from companion.cli.common import (
    State,
    bold,
    confirm,
    emit_json,
    entry_argument,
    err_console,
    esc,
    pass_state,
    printable,
    say,
)
from companion.errors import UserError

SECRET_PROMPT = "OTP secret or otpauth:// URI"


def _notice(text: str, color: str = "yellow") -> None:
    """One line on stderr, colored on a terminal, control characters shown escaped (no rich: the
    agent path of `otp set` stays quick)."""
    click.echo(click.style(printable(text), fg=color), err=True)


@click.group()
def otp() -> None:
    """An entry's OTP secret: set it, remove it for good, or show it as a QR code."""


@otp.command("set")
@entry_argument(select=False)
@click.argument("secret_arg", metavar="[SECRET_OR_OTPAUTH_URI]", required=False)
@click.option("--type", "kind", type=click.Choice(["totp", "hotp", "steam"], case_sensitive=False),
              default=None, help="Default totp (or the URI's).")
@click.option("--algorithm", default=None, help="SHA1 (default), SHA256 or SHA512.")
@click.option("--digits", type=int, default=None,
              help="6 (default) to 10; 4 or 5 with --force.")
@click.option("--period", type=int, default=None, help="TOTP period in seconds, 1-86400 (30).")
@click.option("--counter", type=int, default=None, help="HOTP: the next counter value (0).")
@click.option("--issuer", default=None, help="Service name (default: the entry's title).")
@click.option("--account", default=None, help="Account name (default: the entry's username).")
@click.option("--force", is_flag=True,
              help="Accept a secret shorter than 80 bits, or 4-5 digit codes.")
@click.option("--yes", is_flag=True, help="Replace an existing OTP without asking.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@pass_state
def set_(state: State, which, secret_arg, kind, algorithm, digits, period, counter, issuer, account,
         force, yes, as_json):
    """Set ENTRY's OTP from a base32 secret or an otpauth:// URI.

    Leave SECRET_OR_OTPAUTH_URI out (or give '-') to type it at a hidden prompt, or pipe it on
    stdin (after the master password line with --password-stdin). As an argument it may be seen
    in your shell history and the process list.
    """
    if secret_arg not in (None, "-"):
        _notice("warning: a secret given as an argument may be visible in your shell history and "
                "the process list; prefer the prompt (leave it out) or stdin ('-')")
    vault = state.vault()
    e = state.entry(which)
    if e.has_otp:
        confirm(f"{e.ref} already has an OTP. Replace it? The old secret cannot be recovered.",
                yes=yes)
    raw = secret_arg if secret_arg not in (None, "-") else state.read_secret(SECRET_PROMPT)
    given = {"type": kind.lower() if kind else None, "algorithm": algorithm, "digits": digits,
             "period": period, "counter": counter, "issuer": issuer, "account": account}
    if hasattr(vault, "store"):  # the vault file, opened here: build the OTP here
        from companion.server.vault_ops import set_otp_from_text

        e, counter, notes, warnings = set_otp_from_text(vault, e.id, raw, force=force, **given)
    else:  # the companion builds it with the same function: this process loads no OTP code
        e, counter, notes, warnings = vault.set_otp_from_text(e.id, raw, force=force, **given)
    for note in notes:
        _notice(f"note: {note}", "cyan")
    for warning in warnings:
        _notice(f"warning: {warning}")
    if as_json:
        emit_json(e.public())
        return
    otp = e.otp
    detail = {"totp": f"TOTP, {otp.algorithm}, {otp.digits} digits, {otp.period} s",
              "hotp": f"HOTP, {otp.algorithm}, {otp.digits} digits, next counter {counter}",
              "steam": "Steam Guard"}[otp.type]
    say(f"OTP set for {bold(e.ref)} ({detail}). Try it: {bold('otpc code ' + e.id[:8])}")


@otp.command("rm")
@entry_argument()
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@pass_state
def rm(state: State, which, yes):
    """Delete ENTRY's OTP secret for good (it is erased from the vault file)."""
    vault = state.vault()
    e = state.entry(which)
    if not e.has_otp:
        raise UserError(f"entry {e.ref} has no OTP")
    confirm(
        f"Delete the OTP secret of {e.ref}? This cannot be undone: the secret is erased from the "
        "vault file and cannot be recovered. Make sure you can still sign in to the account "
        "(another authenticator, recovery codes, or MFA already reset) first.",
        yes=yes,
    )
    complete = vault.remove_otp(e.id)
    say(f"Deleted the OTP secret of {bold(e.ref)}.")
    if complete is False:
        _notice("note: another process has the vault open; the old secret leaves the write-ahead "
                "log when it closes")


@otp.command("qr")
@entry_argument()
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@click.option("--png", "png", type=click.Path(dir_okay=False), default=None,
              help="Write the QR code to this PNG file (0600) instead of the terminal.")
@click.option("--force", is_flag=True, help="Replace an existing --png file.")
@pass_state
def qr(state: State, which, yes, png, force):
    """Show ENTRY's OTP as a QR code to scan with an authenticator app (shows the secret)."""
    from pathlib import Path

    from companion.formats.qr import png_bytes, terminal_qr
    from companion.formats.records import Item, export_params
    from companion.otpauth import build_uri

    vault = state.vault()
    e = state.entry(which)
    if not e.has_otp:
        raise UserError(f"entry {e.ref} has no OTP")
    if png is None:
        confirm(f"Show the OTP secret of {e.ref} as a QR code on this screen? Anyone who sees or "
                "photographs it can make its codes.", yes=yes)
    params = vault.otp_params(e.id, reason="qr")
    # Label the code as the exports do: the entry's title when the OTP names no issuer.
    uri = build_uri(export_params(Item(number=1, label=e.ref, title=e.title, otp=params)))
    if png is not None:
        from companion.fsutil import write_private

        write_private(Path(png).expanduser(), png_bytes(uri), overwrite=force)
        err_console().print(f"wrote the QR code of {esc(e.ref)} to {esc(png)} (it holds the "
                            "secret: delete it once scanned)", soft_wrap=True)
        return
    sys.stdout.write(terminal_qr(uri))
    sys.stdout.flush()
