"""The entry-creation half of the Vault API: add_entry, and add_entries for imports.

A mixin of Vault (vault.py), split off to keep each module readable. The rules: an entry belongs to
an existing customer, its title is unique within that customer (within an import batch too), every
field is cleaned as validate.py says, an OTP needs a secret and is written with its entry, audited
("otp_set"), and an HOTP counter starts from what the caller says. A refused entry writes nothing.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from typing import TYPE_CHECKING

from companion.errors import NotFound, UserError
from companion.normalize import name_key
from companion.vault.model import Entry, OtpSummary, otp_content
from companion.vault.records import ENTRY, OTP
from companion.vault.validate import clean_name, clean_text, clean_urls, shown

if TYPE_CHECKING:
    from companion.otp import OtpParams


class EntryRefused(UserError):
    """add_entries: the entry at `index` is refused (nothing was written)."""

    def __init__(self, index: int, reason: str):
        super().__init__(reason)
        self.index = index


class EntryCreation:
    def add_entry(
        self,
        customer: str,
        title: str,
        *,
        username: str = "",
        password: str = "",
        urls: Collection[str] = (),
        notes: str = "",
        tags: Collection[str] = (),
        otp: OtpParams | None = None,
        actor: str = "cli",
    ) -> Entry:
        """A new entry; with `otp`, its OTP too, written together (what set_otp would add)."""
        entry, otp = self._new_entry(
            self._r.snapshot(), customer, title, username=username, password=password,
            urls=urls, notes=notes, tags=tags, otp=otp,
        )
        with self.store.write():
            self._r.put(ENTRY, entry.id, entry.customer_id, entry.content())
            if otp is not None:
                self._r.put(OTP, entry.id, entry.customer_id, otp_content(otp))
                self._r.append_audit("otp_set", entry, actor)
                self._gen.hotp_reset(entry.id, otp.counter if otp.type == "hotp" else None)
        return self.entry(entry.id)

    def add_entries(self, new: Sequence[dict], *, actor: str = "cli") -> int:
        """add_entry for many entries in one transaction (imports): each checked as add_entry
        checks it (titles unique within the batch too), then every record sealed and written with
        one statement per table. `new` holds add_entry's keyword arguments, `customer` included.
        A refused entry raises EntryRefused naming its index, and nothing is written."""
        snap = self._r.snapshot()
        made: list[tuple[Entry, OtpParams | None]] = []
        titles: set[tuple[str, str]] = set()
        for index, fields in enumerate(new):
            try:
                entry, otp = self._new_entry(snap, **fields)
                key = (entry.customer_id, name_key(entry.title))
                if key in titles:
                    raise UserError(f"customer {shown(entry.customer)} already has an entry "
                                    f"{shown(entry.title)}")
                titles.add(key)
            except UserError as exc:
                raise EntryRefused(index, str(exc)) from None
            made.append((entry, otp))
        with self.store.write():
            records = [(ENTRY, e.id, e.customer_id, e.content()) for e, _ in made]
            records += [(OTP, e.id, e.customer_id, otp_content(o)) for e, o in made if o is not None]
            self._r.put_new(records)
            self._r.append_audit_many([("otp_set", e, actor, "") for e, o in made if o is not None])
            for e, o in made:  # an HOTP counter starts from what the import says (as set_otp)
                if o is not None and o.type == "hotp":
                    self._gen.hotp_reset(e.id, o.counter)
        return len(made)

    def _new_entry(
        self,
        snap,
        customer: str,
        title: str,
        *,
        username: str = "",
        password: str = "",
        urls: Collection[str] = (),
        notes: str = "",
        tags: Collection[str] = (),
        otp: OtpParams | None = None,
    ) -> tuple[Entry, OtpParams | None]:
        """A new entry (with a fresh id) and its checked OTP, refused as add_entry refuses them."""
        cust = snap.find_customer(customer)
        if cust is None:
            raise NotFound(f"no customer {shown(customer)}")
        title = clean_name(title, "title")
        if snap.entry_titled(cust.id, title) is not None:
            raise UserError(f"customer {shown(cust.name)} already has an entry {shown(title)}")
        if otp is not None:
            otp = otp.checked()
            if not otp.secret:
                raise UserError("an OTP needs a secret")
        entry = Entry(
            uuid.uuid4().hex,
            cust.id,
            cust.name,
            title,
            clean_text(username, "username"),
            clean_text(password, "password"),
            clean_urls(urls),
            clean_text(notes, "notes"),
            tuple(clean_text(t, "tag") for t in tags),
            OtpSummary.of(otp) if otp is not None else None,
        )
        return entry, otp
