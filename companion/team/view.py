"""What a member sees of the team: the replica (plus edits still queued) as the vault's Customer and
Entry objects, limited by the member's role, so listings, lookups and site matching treat team
entries like local ones.

Record contents: a customer `{name, notes}`; an entry `{title, username, password, urls, notes,
tags}`; an OTP secret `{entry: <entry record id>, otp: OtpParams}` in a record of its own (removing
it is a delete: a signed tombstone). A conflict copy carries `conflict_of` and is shown as an entry
of its own, titled "… (conflict copy)", so both versions of a secret stay usable.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from companion.normalize import name_key
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
    # kept so that a sync that changed k records updates k entries (update()), not all of them
    otps_of: dict[str, set[str]] = field(default_factory=dict)  # entry id -> its otp record ids
    shown_for: dict[str, list[str]] = field(default_factory=dict)  # entry id -> view entry ids
    reach: object = None  # (customer, group) -> what the member's role may do there


class TeamSnapshot(Snapshot):
    def drop_entry(self, eid: str) -> None:
        old = self.entries.pop(eid, None)
        if old is None:
            return
        key = (old.customer_id, name_key(old.title))
        if self._titles.get(key) == eid:
            del self._titles[key]
        self._index_sites(old, add=False)


def _pending_by_record(session) -> dict:
    last: dict = {}
    for edit in session.outbox.pending:  # the newest queued edit of a record wins
        last[edit.record_id] = edit
    return last


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


def _effective(session, pending: dict, rid: str) -> tuple[str, str, dict] | None:
    """One record as effective_records() would give it."""
    edit = pending.get(rid)
    if edit is not None:
        return None if edit.kind == "tombstone" else (edit.kind, edit.unit, edit.content)
    rec, content = session.replica.contents.get(rid, (None, None))
    if rec is None or content is None or rec.kind == "tombstone":
        return None
    return rec.kind, rec.unit, content


def _reach(session):
    state, fp = session.replica.state, session.me.fingerprint
    role = state.roles.get(state.members[fp].role)
    by_unit: dict[tuple[str, str], tuple[str, ...]] = {}

    def can(customer: str, group: str) -> tuple[str, ...]:
        key = (customer, group)
        if key not in by_unit:  # once per unit, not once per record
            reach = role is not None and state.reaches(fp, customer, group)
            by_unit[key] = tuple(sorted(role.can)) if reach else ()
        return by_unit[key]

    return can


def _parts(unit: str) -> tuple[str, str]:
    customer, _slash, group = unit.partition("/")
    return customer, group


def build(session) -> TeamView:
    state = session.replica.state
    if state is None or session.me.fingerprint not in state.members:
        return TeamView(TeamSnapshot({}, {}), {}, {})
    can = _reach(session)
    records = {rid: (k, u, c) for rid, (k, u, c, _v) in effective_records(session).items()}
    customers: dict[str, TeamCustomer] = {}
    for rid, (kind, unit, content) in records.items():
        customer, group = _parts(unit)
        if kind == "customer" and can(customer, group) and "conflict_of" not in content:
            customers[rid] = TeamCustomer(rid, str(content.get("name", "")),
                                          str(content.get("notes", "")), can=can(customer, ""))
    view = TeamView(TeamSnapshot(customers, {}), {}, records, reach=can)
    for rid, (kind, _unit, content) in records.items():
        if kind == "otp":
            view.otps_of.setdefault(str(content.get("entry", "")), set()).add(rid)
    for rid, (kind, _unit, _content) in records.items():
        if kind == "entry":
            _show_entry(view, rid)
    return view


def update(view: TeamView, session, changed: set[str]) -> TeamView:
    """The view after the records `changed` changed (in the replica or the outbox): only the
    entries they touch are rebuilt. A customer record changed: everything is (names, reach)."""
    if view.reach is None:
        return build(session)
    pending = _pending_by_record(session)
    now = {rid: _effective(session, pending, rid) for rid in changed}
    if any(r is not None and r[0] == "customer" for r in (*now.values(),
           *(view.records.get(rid) for rid in changed))):
        return build(session)
    owners: set[str] = set()
    for rid, new in now.items():
        for rec in (view.records.get(rid), new):
            if rec is None:
                continue
            kind, _unit, content = rec
            if kind == "entry":
                owners.add(rid)
            elif kind == "otp":
                owner = str(content.get("entry", ""))
                owners.add(owner)
                if rec is new:
                    view.otps_of.setdefault(owner, set()).add(rid)
                else:
                    view.otps_of.get(owner, set()).discard(rid)
        if new is None:
            view.records.pop(rid, None)
        else:
            view.records[rid] = new
    for owner in owners:
        _show_entry(view, owner)
    return view


def _show_entry(view: TeamView, eid: str) -> None:
    """(Re)build what the view shows for entry `eid`: the entry with its OTP secret (the first
    otp record by id that is not a conflict copy), and each other otp record of it as an entry of
    its own, titled "… (conflict copy)", so both versions of a secret stay usable."""
    for shown_id in view.shown_for.pop(eid, ()):
        view.snapshot.drop_entry(shown_id)
        view.otps.pop(shown_id, None)
    rec = view.records.get(eid)
    if rec is None or rec[0] != "entry":
        return
    _kind, unit, content = rec
    customer, group = _parts(unit)
    allowed = view.reach(customer, group)
    cust = view.snapshot.customers.get(customer)
    if not allowed or cust is None:
        return
    secret: tuple[str, dict] | None = None
    extra: list[tuple[str, dict]] = []
    for rid in sorted(view.otps_of.get(eid, ())):
        _k, otp_unit, otp = view.records[rid]
        if not view.reach(*_parts(otp_unit)):
            continue
        if otp.get("conflict_of") or secret is not None:
            extra.append((rid, otp))
        else:
            secret = (rid, otp)
    title = str(content.get("title", ""))
    if content.get("conflict_of"):
        title = f"{title} (conflict copy {eid[:6]})"
    otp_rid, otp = secret or ("", None)
    summary = _summary(otp)
    base = TeamEntry(
        eid, customer, cust.name, title, content.get("username", ""),
        content.get("password", ""), tuple(content.get("urls", ())), content.get("notes", ""),
        tuple(content.get("tags", ())), summary, unit=unit, group=group, can=allowed,
        otp_record=otp_rid if summary else "", conflict_of=content.get("conflict_of", ""))
    shown_ids = [eid]
    view.snapshot.put_entry(base)
    if summary:
        view.otps[eid] = (otp_rid, otp["otp"])
    for rid, otp in extra:
        summary = _summary(otp)
        if summary is None:
            continue
        view.snapshot.put_entry(replace(base, id=rid, otp=summary, otp_record=rid,
                                        title=f"{base.title} (conflict copy {rid[:6]})",
                                        conflict_of=otp.get("conflict_of", "")))
        view.otps[rid] = (rid, otp["otp"])
        shown_ids.append(rid)
    view.shown_for[eid] = shown_ids


def _summary(content: dict | None) -> OtpSummary | None:
    if content is None:
        return None
    try:
        return OtpSummary.of(OtpParams(**content["otp"]))
    except (TypeError, KeyError):
        return None
