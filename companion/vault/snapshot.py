"""The decrypted view of customers and entries held while the vault is unlocked, with the indexes
that make lookups by name O(1): imports add thousands of entries, each checking its title is free."""

from __future__ import annotations

from dataclasses import replace

from companion.errors import UserError
from companion.normalize import name_key
from companion.vault.model import Customer, Entry
from companion.vault.sites import site_key
from companion.vault.validate import shown

HEX = frozenset("0123456789abcdef")


class Snapshot:
    def __init__(self, customers: dict[str, Customer], entries: dict[str, Entry]):
        self.customers: dict[str, Customer] = {}
        self.entries: dict[str, Entry] = {}
        self._names: dict[str, str] = {}  # name_key(customer name) -> customer id
        self._titles: dict[tuple[str, str], str] = {}  # (customer id, name_key(title)) -> entry id
        self._sites: dict[str, set[str]] | None = None  # registrable domain -> entry ids, lazily
        for c in customers.values():
            self.put_customer(c)
        for e in entries.values():
            self.put_entry(e)

    # -- keeping it current ------------------------------------------------------------------------

    def put_customer(self, c: Customer) -> None:
        old = self.customers.get(c.id)
        if old is not None:
            self._names.pop(name_key(old.name), None)
            if old.name != c.name:
                for e in [e for e in self.entries.values() if e.customer_id == c.id]:
                    self.entries[e.id] = replace(e, customer=c.name)
        self.customers[c.id] = c
        self._names[name_key(c.name)] = c.id

    def put_entry(self, e: Entry) -> None:
        old = self.entries.get(e.id)
        if old is not None:
            self._titles.pop((old.customer_id, name_key(old.title)), None)
            self._index_sites(old, add=False)
        self.entries[e.id] = e
        self._titles[(e.customer_id, name_key(e.title))] = e.id
        self._index_sites(e, add=True)

    def _index_sites(self, e: Entry, *, add: bool) -> None:
        if self._sites is None:
            return
        for key in {site_key(u) for u in e.urls} - {""}:
            ids = self._sites.setdefault(key, set())
            if add:
                ids.add(e.id)
            else:
                ids.discard(e.id)

    # -- lookups -----------------------------------------------------------------------------------

    def customer_named(self, name: str) -> Customer | None:
        cid = self._names.get(name_key(name))
        return self.customers.get(cid) if cid else None

    def entry_titled(self, customer_id: str, title: str) -> Entry | None:
        eid = self._titles.get((customer_id, name_key(title)))
        return self.entries.get(eid) if eid else None

    def entries_at_site(self, key: str) -> list[Entry]:
        """Entries with a URL whose registrable domain is `key` (the popup asks on every open;
        the index is built on first use, then kept current by put_entry)."""
        if self._sites is None:
            self._sites = {}
            for e in self.entries.values():
                self._index_sites(e, add=True)
        return [self.entries[i] for i in self._sites.get(key, ())]

    def find_customer(self, ref: object) -> Customer | None:
        """By exact id, by name (case-insensitive), or by a unique id prefix of 4+ characters."""
        ref = str(ref or "").strip()
        if not ref:
            return None
        return (
            self.customers.get(ref) or self.customer_named(ref) or _by_prefix(ref, self.customers)
        )

    def find_entry(self, ref: object) -> Entry | None:
        """By exact id, by `Customer/Title` (case-insensitive), or by a unique id prefix."""
        ref = str(ref or "").strip()
        if not ref:
            return None
        if ref in self.entries:
            return self.entries[ref]
        if "/" in ref:
            name, _, title = ref.partition("/")
            cust = self.customer_named(name.strip())
            found = self.entry_titled(cust.id, title.strip()) if cust else None
            if found:
                return found
        return _by_prefix(ref, self.entries)


def _by_prefix(ref: str, items: dict) -> object | None:
    folded = ref.casefold()
    if len(folded) < 4 or not set(folded) <= HEX:
        return None
    found = [item for key, item in items.items() if key.startswith(folded)]
    if len(found) > 1:
        raise UserError(f"{shown(ref)} matches {len(found)} ids; give more characters")
    return found[0] if found else None
