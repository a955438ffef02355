"""Writing an import plan's rows into a vault: all of them in one transaction, or none.

One implementation for both ways `otpc import` reaches the vault: directly, or through a running
companion (the CLI parses and plans, then sends the rows to write in one control-socket request, so
the import is as atomic as a direct one and needs no master password)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import asdict

from companion.errors import UserError
from companion.formats.plan import IMPORT, Row, duplicate_key
from companion.formats.records import Item, item_error
from companion.gcpause import gc_paused
from companion.normalize import name_key
from companion.otp import OtpParams


def existing_duplicates(vault, items: Iterable[Item]) -> set[bytes]:
    """The duplicate digests (formats.plan.duplicate_key) of OTPs the vault already holds, among
    those of `items`. Through a companion only the digests travel, never the vault's secrets."""
    if hasattr(vault, "known_otps"):
        keys = {duplicate_key(i.otp).hex() for i in items if i.otp is not None}
        return {bytes.fromhex(k) for k in vault.known_otps(sorted(keys))}
    return {duplicate_key(p) for p in vault.all_otp_params().values()}


# Rows sealed and written per add_entries call inside the one transaction: bounds the memory a
# 10,000-entry import holds at once and lets the progress bar move; one call costs ~1 ms.
CHUNK = 500


def write_rows(vault, rows: Iterable[Row], advance: Callable[[int], None] | None = None) -> int:
    """Add every IMPORT row in one transaction; any failure rolls all of it back and names the
    row. Returns how many were added; `advance(n)` is told each time n more are written."""
    todo = [r for r in rows if r.status == IMPORT]
    if hasattr(vault, "import_rows"):  # a companion's vault: it runs this same function
        return vault.import_rows(todo)
    from companion.vault.vault import EntryRefused

    customers: dict[str, str] = {}
    keys: dict[str, str] = {}  # row.customer -> name_key of it (usually one name for all rows)
    with gc_paused(), vault.batch():
        for c in vault.customers():
            customers.setdefault(name_key(c.name), c.id)
        for start in range(0, len(todo), CHUNK):
            chunk = todo[start:start + CHUNK]
            new = []
            for row in chunk:
                item = row.item
                key = keys.get(row.customer)
                if key is None:
                    key = keys[row.customer] = name_key(row.customer)
                cid = customers.get(key)
                if cid is None:
                    try:
                        cid = new_customer(vault, row.customer, item.customer_notes)
                    except UserError as exc:
                        raise refused(item, exc) from None
                    customers[key] = cid
                new.append({"customer": cid, "title": row.title, "username": item.username,
                            "password": item.password, "urls": item.urls, "notes": item.notes,
                            "tags": item.tags, "otp": item.otp})
            try:
                vault.add_entries(new, actor="import")
            except EntryRefused as exc:
                raise refused(chunk[exc.index].item, exc) from None
            if advance is not None:
                advance(len(chunk))
    return len(todo)


def new_customer(vault, name: str, notes: str) -> str:
    """A customer the import creates: in a team vault a local one (an import never shares secrets
    with the team by itself; `--customer` naming a team customer, or `otpc team adopt`, does)."""
    from companion.team.teamvault import TeamVault

    if isinstance(vault, TeamVault):
        return vault.add_customer(name, notes, local=True).id
    return vault.add_customer(name, notes).id


def refused(item: Item, exc: UserError) -> UserError:
    return item_error(item.number, item.label, f"{exc}; nothing was imported")


ITEM_FIELDS = ("number", "label", "customer_notes", "username", "password", "notes")


def rows_to_wire(rows: Iterable[Row]) -> list[dict]:
    out = []
    for row in rows:
        item = row.item
        record = {name: getattr(item, name) for name in ITEM_FIELDS}
        record.update(customer=row.customer, title=row.title, urls=list(item.urls),
                      tags=list(item.tags), otp=asdict(item.otp) if item.otp else None)
        out.append(record)
    return out


def rows_from_wire(records: list[dict]) -> list[Row]:
    """Rows to write from a control-socket request (types checked; the vault checks the rest)."""
    from companion.server.vault_ops import otp_params

    rows = []
    for record in records:
        try:
            fields = {name: record[name] for name in ITEM_FIELDS}
            customer, title = record["customer"], record["title"]
            urls, tags, otp = tuple(record["urls"]), tuple(record["tags"]), record["otp"]
        except (KeyError, TypeError):
            raise UserError("vault call import_rows: malformed row") from None
        texts = [v for k, v in fields.items() if k != "number"] + [customer, title, *urls, *tags]
        if not isinstance(fields["number"], int) or not all(isinstance(t, str) for t in texts):
            raise UserError("vault call import_rows: malformed row")
        params: OtpParams | None = None
        if otp is not None:
            if not isinstance(otp, dict):
                raise UserError("vault call import_rows: malformed row")
            params = otp_params(otp)
        item = Item(urls=urls, tags=tags, otp=params, **fields)
        rows.append(Row(item, IMPORT, customer=customer, title=title))
    return rows
