"""Every file format in one list: it feeds `--format` of import and export, the detector's names
and the table in README.md / docs/import.md. Adding a format = one module + one line here.

A module is imported only when its format is used (`parser()` / `dumper()`), so listing a format
costs nothing at start-up.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Format:
    name: str  # the --format value
    app: str  # who writes (or reads) it, for the docs table
    module: str  # companion.formats.<module>
    parse: str = ""  # function name in the module; "" = we do not import it
    dump: str = ""  # function name in the module; "" = we do not export it
    encrypted: str = ""  # how encryption is handled, for the docs table ("" = plain only)
    aliases: tuple[str, ...] = ()  # other --format spellings of export

    def parser(self) -> Callable:
        return getattr(importlib.import_module(f"companion.formats.{self.module}"), self.parse)

    def dumper(self) -> Callable:
        return getattr(importlib.import_module(f"companion.formats.{self.module}"), self.dump)


FORMATS: tuple[Format, ...] = (
    Format("otpauth", "otpauth:// URI list (Ente Auth, Aegis, most apps)", "otpauth_list",
           "parse", "dump"),
    Format("google-authenticator", "Google Authenticator (otpauth-migration:// QR / URIs)",
           "gauth", "parse", "dump"),
    Format("qr", "QR codes in a PNG/JPEG image (screenshots)", "qr_image", "parse"),
    Format("aegis", "Aegis Authenticator", "aegis", "parse", "dump", "read and write"),
    Format("2fas", "2FAS Authenticator", "twofas", "parse", "", "read"),
    Format("bitwarden-json", "Bitwarden JSON", "bitwarden", "parse_json", "dump_json",
           "read (password-protected)"),
    Format("bitwarden-csv", "Bitwarden CSV", "bitwarden", "parse_csv"),
    Format("keepassxc-csv", "KeePassXC CSV", "keepass", "parse_csv"),
    Format("keepass-xml", "KeePass / KeePassXC XML", "keepass", "parse_xml"),
    Format("andotp", "andOTP", "andotp", "parse", "", "read (old and new)"),
    Format("ente", "Ente Auth encrypted export (its plain export is `otpauth`)", "ente", "parse",
           "", "read"),
    Format("freeotp", "FreeOTP+ JSON / FreeOTP 1.x tokens.xml", "freeotp", "parse"),
    Format("stratum", "Authenticator Pro / Stratum backup", "stratum", "parse", "",
           "read (current and legacy)"),
    Format("raivo", "Raivo OTP (zip, or its JSON)", "raivo", "parse", "", "read (AES or ZipCrypto zip)"),
    Format("otpc-json", "OTP Companion's own export", "otpc_json", "parse", "dump",
           "read and write", aliases=("json",)),
    # 1Password, Proton, LastPass (issue 12 item 2, first half)
    Format("1password-1pux", "1Password 1PUX (zip, or its export.data)", "onepassword",
           "parse_1pux"),
    Format("1password-csv", "1Password CSV", "onepassword", "parse_csv"),
    Format("protonpass-json", "Proton Pass JSON (zip, or its data.json)", "proton",
           "parse_pass_json", "", "decrypt with gpg first"),
    Format("protonpass-csv", "Proton Pass CSV", "proton", "parse_pass_csv"),
    Format("proton-authenticator", "Proton Authenticator JSON", "proton", "parse_authenticator",
           "", "read (password-protected)"),
    Format("lastpass-csv", "LastPass CSV", "lastpass", "parse_csv"),
)

BY_NAME = {f.name: f for f in FORMATS}


def get(name: str) -> Format:
    for fmt in FORMATS:
        if name == fmt.name or name in fmt.aliases:
            return fmt
    raise KeyError(name)


def import_choices() -> list[str]:
    return ["auto", *(f.name for f in FORMATS if f.parse)]


def export_choices() -> list[str]:
    names: list[str] = []
    for f in FORMATS:
        if f.dump:
            names += [f.name, *f.aliases]
    return names


def markdown_table() -> str:
    """The formats table of README.md and docs/import.md (a test keeps both equal to this)."""
    lines = [
        "| `--format` | Format | Import | Export | Encrypted files |",
        "|---|---|---|---|---|",
    ]
    for f in FORMATS:
        name = " / ".join(f"`{n}`" for n in (f.name, *f.aliases))
        cells = (name, f.app, "yes" if f.parse else "-", "yes" if f.dump else "-",
                 f.encrypted or "-")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"
