"""The `otpc team …` operations, each `(vault, **args) -> JSON-able dict`: the CLI runs them in
process, or asks the running companion to (control op "team", server/team_ops.py), which then owns
the PostgreSQL connection. Names in, names out; ids only where a script needs them.
"""

from __future__ import annotations

from companion.errors import Forbidden, NotFound, UserError
from companion.team import access, enrol
from companion.team import statements as S
from companion.team.view import TeamCustomer


def _session(vault):
    from companion.team.teamvault import TeamVault

    return TeamVault.upgrade(vault).need_team()


def _no_team_yet(vault) -> None:
    from companion.team.teamvault import TeamVault

    if TeamVault.upgrade(vault).team() is not None:
        raise UserError("this vault belongs to a team already (otpc team status)")


def create(vault, db: str, name: str, me: str = "founder") -> dict:
    _no_team_yet(vault)
    session = enrol.create(vault.team_store(), db, name, me)
    vault.set_team(session)
    return {**session.status(), "created": True}


def invite(vault, member: str, role: str) -> dict:
    return enrol.invite(_session(vault), member, role)


def join(vault, token: str) -> dict:
    _no_team_yet(vault)
    session = enrol.join(vault.team_store(), token)
    vault.set_team(session)
    return {"team": session.info["team_name"], "team_fingerprint": session.info["founder_fp"],
            "fingerprint": session.me.fingerprint, "member": session.info["member_name"],
            "status": "pending"}


def pending(vault, member: str) -> dict:
    return {"member": member, "fingerprint": enrol.pending_fingerprint(_session(vault), member)}


def approve(vault, member: str, fingerprint: str) -> dict:
    return enrol.approve(_session(vault), member, fingerprint)


def status(vault) -> dict:
    return _session(vault).status()


def sync(vault) -> dict:
    session = _session(vault)
    report = session.sync()
    return {**report, **session.status()}


# -- roles and groups -------------------------------------------------------------------------------

def _customer_ids(vault, names: list[str]) -> list[str]:
    ids = []
    for ref in names:
        found = vault.customer(ref)
        if not isinstance(found, TeamCustomer):
            raise UserError(f"{found.name!r} is a local customer: 'otpc team adopt' it first")
        ids.append(found.id)
    return ids


def role_set(vault, name: str, customers: list[str] | None = None, all_customers: bool = False,
             can: list[str] | None = None, new: bool = True) -> dict:
    session = _session(vault)
    session.sync()
    old = session.state.roles.get(name)
    if new and old is not None:
        raise UserError(f"role {name!r} exists already (otpc team role edit)")
    if not new and old is None:
        raise NotFound(f"no role {name!r}")
    if name == S.FOUNDER_ROLE:
        raise UserError("the founder's role cannot be changed")
    bad = set(can or ()) - set(S.PERMISSIONS)
    if bad:
        raise UserError(f"unknown permission(s) {', '.join(sorted(bad))}: "
                        f"use {', '.join(S.PERMISSIONS)}")
    if all_customers:
        scope = S.ALL_CUSTOMERS
    elif customers is not None:
        scope = _customer_ids(vault, customers)
    elif old is not None:
        scope = old.customers if old.customers == S.ALL_CUSTOMERS else sorted(old.customers)
    else:
        raise UserError("a new role needs --customers A,B or --all-customers")
    perms = sorted(can) if can is not None else sorted(old.can) if old else ["view"]
    return access.change(session, "role_set", {"name": name, "customers": scope, "can": perms})


def role_rm(vault, name: str) -> dict:
    return access.change(_session(vault), "role_rm", {"name": name})


def _customer_names(vault) -> dict[str, str]:
    return {c.id: c.name for c in vault.customers()}


def role_list(vault) -> dict:
    session = _session(vault)
    names = _customer_names(vault)
    out = []
    for role in sorted(session.state.roles.values(), key=lambda r: r.name):
        customers = ("*" if role.customers == S.ALL_CUSTOMERS
                     else sorted(names.get(c, c[:8]) for c in role.customers))
        out.append({"role": role.name, "customers": customers, "can": sorted(role.can)})
    return {"roles": out}


def group_set(vault, name: str, roles: list[str], new: bool = True) -> dict:
    session = _session(vault)
    session.sync()
    exists = name in session.state.groups
    if new and exists:
        raise UserError(f"group {name!r} exists already (otpc team group edit)")
    if not new and not exists:
        raise NotFound(f"no group {name!r}")
    if not name or "/" in name or len(name) > 60:
        raise UserError("a group name is 1-60 characters without '/'")
    return access.change(session, "group_set", {"name": name, "roles": sorted(set(roles))})


def group_rm(vault, name: str) -> dict:
    session = _session(vault)
    if any(v.group == name for v in vault.team_view().snapshot.entries.values()):
        raise UserError(f"entries are still in group {name!r}: move them out first "
                        "(otpc entry edit ENTRY --no-group)")
    return access.change(session, "group_rm", {"name": name})


def group_list(vault) -> dict:
    state = _session(vault).state
    return {"groups": [{"group": g, "roles": sorted(r)} for g, r in sorted(state.groups.items())]}


def entry_group(vault, entry: str, group: str | None) -> dict:
    vault.update_entry(entry, group=group or "")
    return {"entry": vault.entry(entry).public()}


# -- members ---------------------------------------------------------------------------------------

def member_list(vault) -> dict:
    session = _session(vault)
    state = session.state
    rows = [{"member": m.name, "fingerprint": m.fp, "role": m.role,
             "founder": m.fp == state.founder_fp, "me": m.fp == session.me.fingerprint}
            for m in sorted(state.members.values(), key=lambda m: m.name)]
    return {"members": rows}


def member_role(vault, member: str, role: str) -> dict:
    session = _session(vault)
    session.sync()
    target = access.member_by_name(session, member)
    return access.change(session, "member_role", {"fp": target.fp, "role": role})


def member_revoke(vault, member: str) -> dict:
    session = _session(vault)
    session.sync()
    if access.member_by_name(session, member).fp == session.me.fingerprint:
        raise UserError("you cannot revoke yourself")
    result = access.revoke(session, member)
    view = vault.team_view()
    names = {e.id: e.ref for e in view.snapshot.entries.values()}
    names.update({e.otp_record: e.ref for e in view.snapshot.entries.values() if e.otp_record})
    result["exposed"] = [names.get(rid, rid[:8]) for rid in result["exposed"]]
    return result


# -- audit and adopt ---------------------------------------------------------------------------------

def audit(vault, member: str | None = None, customer: str | None = None,
          entry: str | None = None) -> dict:
    from companion.team import audit as team_audit

    session = _session(vault)
    session.sync()
    if not session.state.is_admin(session.me.fingerprint):
        raise Forbidden("only a team admin reads the team audit log")
    fp = access.member_by_name(session, member).fp if member else None
    cid = vault.customer(customer).id if customer else None
    eid = vault.entry(entry).id if entry else None
    with session.connect() as conn:
        rows = team_audit.read(conn, session.state, member=fp, customer=cid, record=eid)
    state = session.state
    people = {**{m.fp: m.name for m in state.former.values()},
              **{m.fp: m.name for m in state.members.values()}}
    customers = _customer_names(vault)
    entries = {e.id: e.ref for e in vault.team_view().snapshot.entries.values()}
    return {"events": [{"ts": r.body.get("ts"), "member": people.get(r.member, r.member),
                        "action": r.body.get("action"),
                        "customer": customers.get(r.body.get("customer"), r.body.get("customer")),
                        "entry": entries.get(r.body.get("record"), r.body.get("record")),
                        "verified": r.verified} for r in rows]}


def adopt(vault, customer: str) -> dict:
    """Move a local customer, its entries and their OTP secrets into the team, then remove the
    local copy (the team records are pushed and verified first: nothing is lost on failure)."""
    from companion.team.actions import adopt_records
    from companion.vault.vault import Vault

    session = _session(vault)
    cust = vault.customer(customer)
    if isinstance(cust, TeamCustomer):
        raise UserError(f"{cust.name!r} is a team customer already")
    entries = Vault.entries(vault, customer_ids=(cust.id,))
    otps = {e.id: Vault.otp_params(vault, e.id, reason="team adopt") for e in entries if e.has_otp}
    session.sync()
    enrol.require_admin(session)
    access._new_unit(session, cust.id, "", records=adopt_records(cust, entries, otps))
    session.sync()
    Vault.remove_customer(vault, cust.id, force=True)
    return {"customer": cust.name, "id": cust.id, "entries": len(entries), "otps": len(otps)}


OPS = {f.__name__: f for f in (create, invite, join, pending, approve, status, sync, role_set,
                               role_rm, role_list, group_set, group_rm, group_list, entry_group,
                               member_list, member_role, member_revoke, audit, adopt)}


def run(vault, cmd: str, args: dict) -> dict:
    op = OPS.get(cmd)
    if op is None or not isinstance(args, dict):
        raise UserError(f"unknown team command {cmd!r}")
    import inspect

    from companion.team.teamvault import TeamVault

    vault = TeamVault.upgrade(vault)
    try:
        inspect.signature(op).bind(vault, **args)
    except TypeError:
        raise UserError(f"bad arguments for team command {cmd!r}") from None
    from companion.team.units import TeamCryptoError

    try:
        return op(vault, **args)
    except TeamCryptoError as exc:  # a statement the chain refuses, a row that fails to verify
        raise UserError(f"refused: {exc}") from None
