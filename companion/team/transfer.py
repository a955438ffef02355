"""`otpc import` into team customers: the entries of a batch that belong to team customers become
team records (an entry record, and an OTP record when the file holds a secret), each checked as
TeamVault.add_entry checks one, queued in the import's transaction and pushed when it commits.

Every permission is checked before anything is queued: without `edit` at one of the customers the
whole import is refused (Forbidden: exit 6, HTTP 403) and nothing is written.
"""

from __future__ import annotations

import uuid

from companion.errors import Forbidden, UserError
from companion.normalize import name_key
from companion.vault.model import otp_content
from companion.vault.validate import clean_name, clean_text, clean_urls, shown


def team_entries(snap, pairs: list[tuple[int, dict]]) -> list[tuple[str, dict, object]]:
    """(customer id, entry content, checked OtpParams or None) for each (index in the batch,
    add_entry keyword arguments); raises Forbidden, or EntryRefused naming the index."""
    from companion.vault.vault import EntryRefused

    for _index, fields in pairs:
        cust = snap.customers[fields["customer"]]
        if "edit" not in cust.can:
            raise Forbidden(f"your team role may not add entries for customer {shown(cust.name)}; "
                            "nothing was imported")
    out = []
    titles: set[tuple[str, str]] = set()
    for index, fields in pairs:
        cust = snap.customers[fields["customer"]]
        try:
            title = clean_name(fields["title"], "title")
            key = (cust.id, name_key(title))
            if key in titles or snap.entry_titled(cust.id, title) is not None:
                raise UserError(f"customer {shown(cust.name)} already has an entry {shown(title)}")
            titles.add(key)
            content = {"title": title,
                       "username": clean_text(fields.get("username", ""), "username"),
                       "password": clean_text(fields.get("password", ""), "password"),
                       "urls": list(clean_urls(fields.get("urls", ()))),
                       "notes": clean_text(fields.get("notes", ""), "notes"),
                       "tags": [clean_text(t, "tag") for t in fields.get("tags", ())]}
            otp = fields.get("otp")
            if otp is not None:
                otp = otp.checked()
                if not otp.secret:
                    raise UserError("an OTP needs a secret")
        except UserError as exc:
            raise EntryRefused(index, str(exc)) from None
        out.append((cust.id, content, otp))
    return out


def queue_entries(session, records: list[tuple[str, dict, object]]) -> None:
    """Queue the records team_entries made (sealed into the vault's outbox, inside the caller's
    transaction) and an `edit` audit row for each entry."""
    from companion.team.actions import _queue

    for cid, content, otp in records:
        rid = uuid.uuid4().hex
        _queue(session, rid, "entry", f"{cid}/", content)
        session.audit("edit", rid, cid)
        if otp is not None:
            _queue(session, uuid.uuid4().hex, "otp", f"{cid}/",
                   {"entry": rid, "otp": otp_content(otp)})
