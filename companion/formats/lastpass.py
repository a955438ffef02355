"""LastPass CSV export: `url,username,password,totp,extra,name,grouping,fav`.

`totp` holds a bare base32 secret (SHA1, 6 digits, 30 s; an otpauth URI is read too); `extra` is
the notes; `grouping` is the folder path, nested folders separated by a backslash
(`Customers\\Acme\\Email`, shared folders as `Shared-Acme\\…`). Secure notes have the url
`http://sn` and are refused like other non-login items.

Mapping: folders become customers by the rule of the other group paths (KeePass): the full path
joined with " - " by default, so two customers' `Email` folders never merge, and
`--customer-from-group N` takes the Nth folder instead.
"""

from __future__ import annotations

from companion.formats.csvfile import header_names, rows
from companion.formats.keepass import GROUP_JOIN
from companion.formats.logins import login_items
from companion.formats.records import Item, Parsed, item_error

WHAT = "LastPass CSV export"
COLUMNS = {"url", "username", "password", "totp", "extra", "name", "grouping"}
SECURE_NOTE_URL = "http://sn"


def is_csv(data: bytes) -> bool:
    names = header_names(data)
    return len(names & COLUMNS) >= 6 and {"totp", "grouping"} <= names


def group_path(grouping: str) -> tuple[str, ...]:
    return tuple(p.strip() for p in grouping.split("\\") if p.strip())


def parse_csv(data: bytes, password=None) -> Parsed:
    parsed = Parsed("lastpass-csv")
    for number, row in enumerate(rows(data, WHAT), start=1):
        name = row.get("name", "").strip()
        url = row.get("url", "").strip()
        if url.lower() == SECURE_NOTE_URL and not row.get("totp", "").strip():
            err = item_error(number, name, "a secure note, not a login")
            parsed.items.append(Item(number=number, label=err.label, refused=err.reason))
            continue
        path = group_path(row.get("grouping", ""))
        parsed.items.extend(login_items(
            number,
            title=name,
            username=row.get("username", "").strip(),
            password=row.get("password", ""),
            urls=(url,) if url and url.lower() != SECURE_NOTE_URL else (),
            notes=row.get("extra", ""),
            otps=[row.get("totp", "")],
            customer=GROUP_JOIN.join(path),
            group_path=path,
            tags=("favorite",) if row.get("fav", "").strip() == "1" else (),
        ))
    return parsed
