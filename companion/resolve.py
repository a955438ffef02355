"""Which entry the user means: the one resolver behind every command that takes ENTRY (and behind
the companion's control socket, so the stdlib-only `otpc code` fast path resolves the same way).

What a user may type, tried in this order (the first rule that matches anything decides):
  1. an entry's full id;
  2. `Customer/Title` exactly (`\\/` is a literal slash inside a name; with unescaped slashes in
     names every split is tried);
  3. a title exactly;
  4. a unique id prefix of at least 4 hex characters;
  5. a case-insensitive part of the title or of `Customer/Title` (like `pass`, `keepassxc-cli`).
`exact=True` (the `--exact` option, for scripts) stops after rule 2. Names are compared in Unicode NFC,
case-folded (companion.normalize.name_key). Several matches are an Ambiguous error listing them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from companion.errors import Ambiguous, NotFound, UsageError
from companion.normalize import name_key

if TYPE_CHECKING:
    from companion.vault.model import Entry

HEX = frozenset("0123456789abcdef")
MIN_PREFIX = 4
LISTED = 10  # entries named in an "N entries match" message


def shown(text: object) -> str:
    """User text inside a one-line message: printable, bounded, quoted."""
    text = "".join(ch if ch.isprintable() else "?" for ch in str(text))
    return repr(text if len(text) <= 60 else text[:57] + "...")


def escape_name(name: str) -> str:
    """A customer name or title as it must be typed inside `Customer/Title` (its '/' escaped)."""
    return name.replace("\\", "\\\\").replace("/", "\\/")


def entry_ref(entry: Entry) -> str:
    """`Customer/Title` that resolves back to this entry (slashes in the names escaped)."""
    return f"{escape_name(entry.customer)}/{escape_name(entry.title)}"


def split_ref(ref: str) -> tuple[str, list[tuple[str, str]]]:
    """(the text with escapes removed, every (customer, title) split at an unescaped '/')."""
    chars: list[str] = []
    cuts: list[int] = []
    i = 0
    while i < len(ref):
        ch = ref[i]
        if ch == "\\" and i + 1 < len(ref) and ref[i + 1] in "/\\":
            chars.append(ref[i + 1])
            i += 2
            continue
        if ch == "/":
            cuts.append(len(chars))
        chars.append(ch)
        i += 1
    text = "".join(chars)
    return text, [(text[:c].strip(), text[c + 1 :].strip()) for c in cuts]


def _one(found: list[Entry], query: str) -> Entry | None:
    unique = list({e.id: e for e in found}.values())
    if len(unique) > 1:
        raise ambiguous(unique, query)
    return unique[0] if unique else None


def ambiguous(found: Sequence[Entry], query: str) -> Ambiguous:
    ordered = sorted(found, key=lambda e: (name_key(e.customer), name_key(e.title), e.id))
    names = ", ".join(f"{shown(entry_ref(e))[1:-1]} ({e.id[:8]})" for e in ordered[:LISTED])
    more = f" and {len(ordered) - LISTED} more" if len(ordered) > LISTED else ""
    return Ambiguous(
        f"{len(ordered)} entries match {shown(query)}: {names}{more}; "
        "give more of the name, Customer/Title or an id"
    )


def _in_customer(entries: Iterable[Entry], customer: str) -> list[Entry]:
    key = name_key(customer.strip())
    pool = [e for e in entries if e.customer_id == customer or name_key(e.customer) == key]
    if not pool:
        raise NotFound(f"no customer {shown(customer)} with entries")
    return pool


def resolve_entry(
    entries: Iterable[Entry],
    ref: str | None = None,
    *,
    exact: bool = False,
    customer: str | None = None,
    title: str | None = None,
) -> Entry:
    """The one entry meant by `ref` (and/or `customer` + `title`); NotFound or Ambiguous otherwise."""
    pool = list(entries)
    if customer is not None:
        pool = _in_customer(pool, customer)
    if title is not None:
        if ref:
            raise UsageError("give ENTRY or --title, not both")
        key = name_key(title.strip())
        where = f" of customer {shown(customer)}" if customer is not None else ""
        found = _one([e for e in pool if name_key(e.title) == key], title)
        if found is None:
            raise NotFound(f"no entry titled {shown(title)}{where}")
        return found
    if not ref or not ref.strip():
        if customer is not None:
            return _one(pool, customer) or _none(customer)
        raise UsageError("which entry? give ENTRY (a name, Customer/Title or an id)")
    ref = ref.strip()
    by_id = next((e for e in pool if e.id == ref), None)
    if by_id is not None:
        return by_id
    keyed = [(e, name_key(e.customer), name_key(e.title)) for e in pool]  # each name folded once
    text, splits = split_ref(ref)
    for cust, ttl in splits:
        ckey, tkey = name_key(cust), name_key(ttl)
        found = _one([e for e, c, t in keyed if c == ckey and t == tkey], ref)
        if found is not None:
            return found
    if exact:
        raise NotFound(f"no entry {shown(ref)} (--exact: give an id or Customer/Title exactly)")
    key = name_key(text)
    found = _one([e for e, _, t in keyed if t == key], ref)
    if found is not None:
        return found
    folded = ref.casefold()
    is_hex = bool(folded) and set(folded) <= HEX
    if is_hex and len(folded) >= MIN_PREFIX:
        found = _one([e for e in pool if e.id.startswith(folded)], ref)
        if found is not None:
            return found
    found = _one([e for e, c, t in keyed if key in t or key in f"{c}/{t}"], ref)
    if found is not None:
        return found
    if is_hex and len(folded) < MIN_PREFIX:
        raise NotFound(
            f"no entry {shown(ref)}: an id prefix needs at least {MIN_PREFIX} characters"
        )
    return _none(ref)


def _none(ref: str) -> Entry:
    raise NotFound(
        f"no entry {shown(ref)} (give part of its title, Customer/Title or an id; "
        "'otpc entry list' shows them)"
    )


def _indexed(ref: str) -> bool:
    """A full id, or `Customer/Title` with one slash and no escapes: what the vault's own indexes
    find in O(1) with the same meaning as rules 1 and 2 above."""
    ref = ref.strip()
    return (len(ref) == 32 and set(ref) <= HEX) or (ref.count("/") == 1 and "\\" not in ref)


def find_entry(vault, ref: str | None = None, *, exact: bool = False, customer: str | None = None,
               title: str | None = None) -> Entry:
    """resolve_entry over a (local, unlocked) Vault: ids and plain `Customer/Title` through the
    vault's indexes first (`otpc code` on 10,000 entries must not sort them all), else the rules."""
    if customer is None and title is None and ref and _indexed(ref):
        try:
            return vault.entry(ref.strip())
        except NotFound:
            pass
    return resolve_entry(vault.entries(), ref, exact=exact, customer=customer, title=title)

