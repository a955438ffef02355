"""What a member sees of the team: the replica (plus edits still queued) as the vault's Customer and
Entry objects, limited by the member's role, so listings, lookups and site matching treat team
entries like local ones.

Record contents: a customer `{name, notes}`; an entry `{title, username, password, urls, notes,
tags}`; an OTP secret `{entry: <entry record id>, otp: OtpParams}` in a record of its own (removing
it is a delete: a signed tombstone). A conflict copy carries `conflict_of` and is shown as an entry
of its own, titled "… (conflict copy)", so both versions of a secret stay usable.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from companion.otp import OtpParams
from companion.vault.model import Customer, Entry, OtpSummary
from companion.vault.snapshot import Snapshot


@dataclass(frozen=True)
class TeamCustomer(Customer):
    team: bool = True
    can: tuple[str, ...] = ()


@dataclass(frozen=True)
class TeamEntry(Entry):
    unit: str = ""
    group: str = ""
    can: tuple[str, ...] = ()  # what the member's role allows here
    otp_record: str = ""  # the record id of its OTP secret
    conflict_of: str = ""

    def public(self) -> dict:
        data = super().public()
        data["team"] = {"group": self.group or None, "can": list(self.can),
                        "conflict_of": self.conflict_of or None}
        return data


@dataclass
class TeamView:
    snapshot: Snapshot
    otps: dict[str, tuple[str, dict]]  # entry id -> (otp record id, otp params dict)
    records: dict[str, tuple[str, str, dict]]  # record id -> (kind, unit, content)


def effective_records(session) -> dict[str, tuple[str, str, dict, int | None]]:
    """record id -> (kind, unit, content, base version): the replica with queued edits on top."""
    out: dict[str, tuple[str, str, dict, int | None]] = {}
    for rid, (rec, content) in session.replica.contents.items():
        if content is not None and rec.kind != "tombstone":
            out[rid] = (rec.kind, rec.unit, content, rec.version)
    for edit in session.outbox.pending:
        if edit.kind == "tombstone":
            out.pop(edit.record_id, None)
        else:
            out[edit.record_id] = (edit.kind, edit.unit, edit.content, edit.base_version)
    return out


def build(session) -> TeamView:
    state = session.replica.state
    fp = session.me.fingerprint
    records = effective_records(session)
    customers: dict[str, TeamCustomer] = {}
    entries: dict[str, TeamEntry] = {}
    otps: dict[str, tuple[str, dict]] = {}
    if state is None or fp not in state.members:
        return TeamView(Snapshot({}, {}), otps, {})
    role = state.roles.get(state.members[fp].role)

    by_unit: dict[tuple[str, str], tuple[str, ...]] = {}

    def can(customer: str, group: str) -> tuple[str, ...]:
        key = (customer, group)
        if key not in by_unit:  # once per unit, not once per record
            reach = role is not None and state.reaches(fp, customer, group)
            by_unit[key] = tuple(sorted(role.can)) if reach else ()
        return by_unit[key]

    for rid, (kind, unit, content, _v) in records.items():
        customer, group = unit.partition("/")[::2]
        if kind == "customer" and can(customer, group) and "conflict_of" not in content:
            customers[rid] = TeamCustomer(rid, str(content.get("name", "")),
                                          str(content.get("notes", "")), can=can(customer, ""))
    # Each entry's OTP record (the first by id that is not a conflict copy); the others become
    # entries of their own below. One pass each, so 10,000 entries build in one go.
    secret_of: dict[str, tuple[str, dict]] = {}
    extra: list[tuple[str, str, dict]] = []
    for rid, (kind, unit, content, _v) in sorted(records.items()):
        if kind != "otp" or not can(*unit.partition("/")[::2]):
            continue
        owner = str(content.get("entry", ""))
        if content.get("conflict_of") or owner in secret_of:
            extra.append((rid, owner, content))
        else:
            secret_of[owner] = (rid, content)
    for rid, (kind, unit, content, _v) in records.items():
        customer, group = unit.partition("/")[::2]
        allowed = can(customer, group)
        if kind != "entry" or not allowed or customer not in customers:
            continue
        title = str(content.get("title", ""))
        if content.get("conflict_of"):
            title = f"{title} (conflict copy {rid[:6]})"
        otp_rid, otp = secret_of.get(rid, ("", None))
        summary = _summary(otp)
        entries[rid] = TeamEntry(
            rid, customer, customers[customer].name, title, content.get("username", ""),
            content.get("password", ""), tuple(content.get("urls", ())), content.get("notes", ""),
            tuple(content.get("tags", ())), summary, unit=unit, group=group, can=allowed,
            otp_record=otp_rid if summary else "", conflict_of=content.get("conflict_of", ""))
        if summary:
            otps[rid] = (otp_rid, otp["otp"])
    for rid, owner, content in extra:
        base, summary = entries.get(owner), _summary(content)
        if base is None or summary is None:
            continue
        entries[rid] = replace(base, id=rid, otp=summary, otp_record=rid,
                               title=f"{base.title} (conflict copy {rid[:6]})",
                               conflict_of=content.get("conflict_of", ""))
        otps[rid] = (rid, content["otp"])
    return TeamView(Snapshot(customers, entries), otps,
                    {rid: (k, u, c) for rid, (k, u, c, _v) in records.items()})


def _summary(content: dict | None) -> OtpSummary | None:
    if content is None:
        return None
    try:
        return OtpSummary.of(OtpParams(**content["otp"]))
    except (TypeError, KeyError):
        return None
