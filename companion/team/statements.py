"""Admin statements: the signed, hash-chained log that says who is a member, which Login Role each
holds, what each role may do and which Password Access Groups exist.

Statement 0 founds the team and carries the founder's public keys; the team fingerprint is the
founder's fingerprint, which every member confirms at join. Each later statement names the hash of
the one before and is signed by a member who is an admin *at that point of the chain*. Folding the
chain gives a TeamState; a statement altered, dropped from the middle, reordered or signed by a
non-admin stops the fold with TeamCryptoError.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from companion import crypto
from companion.team.canon import FORMAT, canon, fingerprint
from companion.team.units import OPEN, TeamCryptoError

PERMISSIONS = ("view", "reveal", "edit", "delete", "admin")
ALL_CUSTOMERS = "*"
FOUNDER_ROLE = "founder"
KINDS = ("found", "role_set", "role_rm", "group_set", "group_rm",
         "member_add", "member_role", "member_revoke")


@dataclass(frozen=True)
class Statement:
    team_id: str
    seq: int
    prev: str  # hex SHA-256 of the previous statement's signed bytes ("" for seq 0)
    kind: str
    body: dict
    signer: str  # fingerprint
    signature: bytes = b""

    def signed_bytes(self) -> bytes:
        return canon({"f": FORMAT, "t": "statement", "team": self.team_id, "seq": self.seq,
                      "prev": self.prev, "kind": self.kind, "body": self.body,
                      "signer": self.signer})

    def digest(self) -> str:
        return crypto.sha256(self.signed_bytes()).hex()


@dataclass(frozen=True)
class Role:
    name: str
    customers: frozenset[str] | str  # ALL_CUSTOMERS or a set of customer ids
    can: frozenset[str]

    def has_customer(self, customer: str) -> bool:
        return self.customers == ALL_CUSTOMERS or customer in self.customers


@dataclass(frozen=True)
class Member:
    fp: str
    enc_pub: bytes
    sign_pub: bytes
    role: str
    name: str = ""


@dataclass
class TeamState:
    team_id: str
    name: str
    founder_fp: str
    members: dict[str, Member] = field(default_factory=dict)
    roles: dict[str, Role] = field(default_factory=dict)
    groups: dict[str, frozenset[str]] = field(default_factory=dict)  # group → role names
    revoked: set[str] = field(default_factory=set)
    former: dict[str, Member] = field(default_factory=dict)  # revoked members (their audit rows)
    seq: int = -1
    head: str = ""

    def reaches(self, fp: str, customer: str, group: str = OPEN) -> bool:
        """The seed's rule: the member's role has the customer AND (no group OR role in group).
        An admin reaches every unit: it grants unit keys, so it must hold them (and an admin could
        always grant itself any unit anyway; docs/team-format.md says so)."""
        member = self.members.get(fp)
        role = self.roles.get(member.role) if member else None
        if role is None:
            return False
        if "admin" in role.can:
            return True
        if not role.has_customer(customer):
            return False
        return group == OPEN or role.name in self.groups.get(group, frozenset())

    def may(self, fp: str, permission: str, customer: str, group: str = OPEN) -> bool:
        if permission not in PERMISSIONS:
            raise ValueError(f"unknown permission {permission!r}")
        member = self.members.get(fp)
        role = self.roles.get(member.role) if member else None
        return role is not None and permission in role.can and self.reaches(fp, customer, group)

    def is_admin(self, fp: str) -> bool:
        member = self.members.get(fp)
        role = self.roles.get(member.role) if member else None
        return role is not None and "admin" in role.can

    def holders(self, customer: str, group: str = OPEN) -> list[Member]:
        """Members who must hold the unit key of (customer, group)."""
        return [m for m in self.members.values() if self.reaches(m.fp, customer, group)]


def found(team_id: str, name: str, founder) -> Statement:
    body = {"name": name, "enc_pub": founder.enc_public.hex(),
            "sign_pub": founder.sign_public.hex()}
    return sign(Statement(team_id, 0, "", "found", body, founder.fingerprint), founder)


def sign(st: Statement, signer) -> Statement:
    return Statement(**{**st.__dict__, "signature": signer.sign(st.signed_bytes())})


def next_statement(state: TeamState, kind: str, body: dict, signer) -> Statement:
    """The statement that extends `state`'s chain by one, signed by `signer` (MemberKeys)."""
    st = Statement(state.team_id, state.seq + 1, state.head, kind, body, signer.fingerprint)
    st = sign(st, signer)
    apply(state.__class__(**{**state.__dict__, "members": dict(state.members),
                             "roles": dict(state.roles), "groups": dict(state.groups),
                             "revoked": set(state.revoked), "former": dict(state.former)}), st)  # refuse now, not at readers
    return st


def fold(statements: list[Statement], team_id: str, founder_fp: str,
         highest_seen: int = -1) -> TeamState:
    """Verify the whole chain and return the state it describes. `founder_fp` is what the member
    confirmed at join; `highest_seen` the last seq this member verified (a shorter chain is a
    rollback)."""
    if not statements or statements[0].kind != "found":
        raise TeamCryptoError("the team's statement chain has no founding statement")
    if len(statements) - 1 < highest_seen:
        raise TeamCryptoError(
            f"the statement chain ends at {len(statements) - 1}, before {highest_seen} already "
            "seen (statements withheld or rolled back by the server)"
        )
    state = None
    for st in statements:
        if state is None:
            state = _found_state(st, team_id, founder_fp)
        else:
            apply(state, st)
    return state


def _found_state(st: Statement, team_id: str, founder_fp: str) -> TeamState:
    try:
        enc_pub, sign_pub = bytes.fromhex(st.body["enc_pub"]), bytes.fromhex(st.body["sign_pub"])
        name = str(st.body["name"])
    except (KeyError, TypeError, ValueError):
        raise TeamCryptoError("the founding statement is malformed") from None
    fp = fingerprint(enc_pub, sign_pub)
    if st.team_id != team_id or st.seq != 0 or st.prev != "":
        raise TeamCryptoError("the founding statement belongs to another team")
    if not crypto.equal(fp, founder_fp) or st.signer != fp:
        raise TeamCryptoError("the founding statement is not the founder's (fingerprint differs)")
    if not crypto.ed25519_verify(sign_pub, st.signature, st.signed_bytes()):
        raise TeamCryptoError("the founding statement's signature is invalid")
    state = TeamState(team_id, name, fp, seq=0, head=st.digest())
    state.roles[FOUNDER_ROLE] = Role(FOUNDER_ROLE, ALL_CUSTOMERS, frozenset(PERMISSIONS))
    state.members[fp] = Member(fp, enc_pub, sign_pub, FOUNDER_ROLE, "founder")
    return state


def apply(state: TeamState, st: Statement) -> None:
    """Check one statement against the state before it, then apply it (in place)."""
    where = f"statement {st.seq} ({st.kind})"
    if st.team_id != state.team_id or st.seq != state.seq + 1 or st.prev != state.head:
        raise TeamCryptoError(f"{where} does not follow the chain (dropped, reordered or foreign)")
    signer = state.members.get(st.signer)
    if signer is None or not crypto.ed25519_verify(signer.sign_pub, st.signature,
                                                   st.signed_bytes()):
        raise TeamCryptoError(f"{where}: signature is invalid (altered or forged)")
    if not state.is_admin(st.signer):
        raise TeamCryptoError(f"{where}: signed by a member who is not an admin")
    try:
        _apply_body(state, st.kind, st.body)
    except (KeyError, TypeError, ValueError) as exc:
        raise TeamCryptoError(f"{where} is malformed ({exc})") from None
    state.seq, state.head = st.seq, st.digest()


def _apply_body(state: TeamState, kind: str, body: dict) -> None:
    if kind == "role_set":
        name, can = str(body["name"]), frozenset(body["can"])
        if not can <= set(PERMISSIONS) or name == FOUNDER_ROLE:
            raise ValueError("unknown permission or reserved role")
        customers = body["customers"]
        customers = ALL_CUSTOMERS if customers == ALL_CUSTOMERS else frozenset(map(str, customers))
        state.roles[name] = Role(name, customers, can)
    elif kind == "role_rm":
        name = str(body["name"])
        if any(m.role == name for m in state.members.values()) or name == FOUNDER_ROLE:
            raise ValueError("role still held by a member")
        del state.roles[name]
    elif kind == "group_set":
        roles = frozenset(map(str, body["roles"]))
        if not roles <= set(state.roles):
            raise ValueError("unknown role in group")
        state.groups[str(body["name"])] = roles
    elif kind == "group_rm":
        del state.groups[str(body["name"])]
    elif kind == "member_add":
        enc_pub, sign_pub = bytes.fromhex(body["enc_pub"]), bytes.fromhex(body["sign_pub"])
        fp = fingerprint(enc_pub, sign_pub)
        if fp in state.members or fp in state.revoked or body["role"] not in state.roles:
            raise ValueError("member exists, was revoked, or role unknown")
        state.members[fp] = Member(fp, enc_pub, sign_pub, body["role"], str(body.get("name", "")))
    elif kind == "member_role":
        member = state.members[body["fp"]]
        if body["role"] not in state.roles or member.fp == state.founder_fp:
            raise ValueError("role unknown, or the founder's role")
        state.members[member.fp] = Member(**{**member.__dict__, "role": body["role"]})
    elif kind == "member_revoke":
        if body["fp"] == state.founder_fp:
            raise ValueError("the founder cannot be revoked")
        state.former[body["fp"]] = state.members.pop(body["fp"])
        state.revoked.add(body["fp"])
    else:
        raise ValueError(f"unknown kind {kind!r}")
