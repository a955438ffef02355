"""Decide, before anything is written, what an import will do with each item: import it (under
which customer and title), skip it as a duplicate of an OTP already in the vault (same secret, type
and account), or refuse it (and why). Pure: the caller passes in what the vault already holds."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass

from companion.errors import UserError
from companion.formats.records import Item, label_text
from companion.otp import OtpParams

DEFAULT_CUSTOMER = "Imported"
MAX_NAME = 200

IMPORT, DUPLICATE, REFUSED = "import", "duplicate", "refused"


class GroupsWouldMerge(UserError):
    """Two different group paths of the file would land in one customer (import --merge allows it):
    a pairing scoped to that customer would then cover both customers' secrets."""


@dataclass(frozen=True)
class Row:
    item: Item
    status: str  # IMPORT | DUPLICATE | REFUSED
    customer: str = ""
    title: str = ""
    reason: str = ""


def duplicate_key(params: OtpParams) -> bytes:
    """A digest naming (type, secret, account): equal digests ⇔ an exact duplicate. Comparing
    digests (not secrets) keeps secret-dependent timing out of the dictionary lookups."""
    material = "\0".join((params.type, params.secret, params.account.strip().casefold()))
    return hashlib.sha256(material.encode("utf-8")).digest()


def clean_name(text: str, fallback: str) -> str:
    """A customer name or title the vault accepts: printable, one line, no '/', ≤ 200 chars."""
    text = text or ""
    cleaned = text if text.isprintable() else "".join(ch if ch.isprintable() else " " for ch in text)
    cleaned = " ".join(cleaned.replace("/", "-").split())
    return (cleaned or fallback)[:MAX_NAME].strip() or fallback


def unique_title(title: str, account: str, taken: set[str]) -> str:
    candidates = [title]
    if account and account.casefold() not in title.casefold():
        candidates.append(clean_name(f"{title} ({account})", title))
    for candidate in candidates:
        if candidate.casefold() not in taken:
            return candidate
    base, n = candidates[-1], 2
    while f"{base} {n}".casefold() in taken:
        n += 1
    return f"{base[: MAX_NAME - 8]} {n}"


def plan(
    items: Iterable[Item],
    *,
    existing_otps: Iterable[OtpParams | bytes],
    existing_titles: dict[str, set[str]],
    customer: str | None = None,
    default_customer: str = DEFAULT_CUSTOMER,
    customer_from_group: int = 0,
    merge: bool = False,
) -> list[Row]:
    """One Row per item. `existing_titles` maps casefolded customer name → casefolded titles.
    `customer_from_group` N > 0: the customer is the Nth nested group (KeePass), not the path.
    Two different group paths that would become one customer raise GroupsWouldMerge unless
    `merge` (or an explicit `customer`, which puts everything in one on purpose)."""
    seen = {p if isinstance(p, bytes) else duplicate_key(p) for p in existing_otps}  # or digests
    titles = {name: set(t) for name, t in existing_titles.items()}
    spelled: dict[str, str] = {}
    paths: dict[str, tuple[str, ...]] = {}  # casefolded customer → the group path that made it
    rows: list[Row] = []
    for item in items:
        if item.refused:
            rows.append(Row(item, REFUSED, reason=item.refused))
            continue
        if item.otp is not None:
            key = duplicate_key(item.otp)
            if key in seen:
                rows.append(Row(item, DUPLICATE, reason="same secret, type and account"))
                continue
            seen.add(key)
        source = item.customer
        if customer_from_group and item.group_path:
            source = item.group_path[min(customer_from_group, len(item.group_path)) - 1]
        target = clean_name(customer or source, default_customer)
        if item.group_path and not customer and not merge:
            first = paths.setdefault(target.casefold(), item.group_path)
            if first != item.group_path:
                raise merge_error(first, item.group_path, target, customer_from_group)
        target = spelled.setdefault(target.casefold(), target)  # first spelling wins
        taken = titles.setdefault(target.casefold(), set())
        fallback = f"Entry {item.number}"
        account = item.otp.account if item.otp else item.username
        title = unique_title(clean_name(item.title, fallback), account, taken)
        taken.add(title.casefold())
        rows.append(Row(item, IMPORT, customer=target, title=title))
    return rows


def merge_error(first: tuple[str, ...], other: tuple[str, ...], target: str,
                customer_from_group: int) -> GroupsWouldMerge:
    def shown(path: tuple[str, ...]) -> str:
        return "'" + label_text("/".join(path), 80) + "'"

    rule = (f"--customer-from-group {customer_from_group}" if customer_from_group
            else "the full group path")
    return GroupsWouldMerge(
        f"groups {shown(first)} and {shown(other)} would both become customer "
        f"'{label_text(target)}' ({rule}): nothing was imported; give --merge to put them "
        "together, or choose another --customer-from-group"
    )


def summary(rows: list[Row]) -> dict[str, int]:
    counts = {IMPORT: 0, DUPLICATE: 0, REFUSED: 0}
    for row in rows:
        counts[row.status] += 1
    return counts
