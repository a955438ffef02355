"""The team format's cryptographic core, attacked the way a hostile PostgreSQL superuser would:
swapped, moved, replayed, forged and altered rows must all fail to verify."""

from dataclasses import replace

import pytest

from companion.team import statements as S
from companion.team.keys import MemberKeys
from companion.team.records import open_record, seal_record
from companion.team.units import OPEN, TeamCryptoError, grant, open_grant, unit_id

TEAM = "t" * 32


@pytest.fixture(scope="module")
def people():
    return {n: MemberKeys.generate() for n in ("founder", "alice", "bob", "mallory")}


@pytest.fixture()
def chain(people):
    f, a, b = people["founder"], people["alice"], people["bob"]
    state = S.fold([S.found(TEAM, "Acme IT", f)], TEAM, f.fingerprint)
    sts = [S.found(TEAM, "Acme IT", f)]

    def add(kind, body, signer=f):
        st = S.next_statement(state, kind, body, signer)
        S.apply(state, st)
        sts.append(st)

    add("role_set", {"name": "tech-a", "customers": ["A"], "can": ["view"]})
    add("role_set", {"name": "lead", "customers": "*", "can": ["view", "edit", "admin"]})
    add("group_set", {"name": "vip", "roles": ["lead"]})
    add("member_add", {**a.public(), "role": "tech-a", "name": "alice"})
    add("member_add", {**b.public(), "role": "lead", "name": "bob"})
    return sts


def test_role_limited_to_a_reaches_only_a_and_not_its_groups(chain, people):
    state = S.fold(chain, TEAM, people["founder"].fingerprint)
    a, b = people["alice"].fingerprint, people["bob"].fingerprint
    assert state.may(a, "view", "A") and not state.may(a, "view", "B")
    assert not state.may(a, "edit", "A")
    assert not state.reaches(a, "A", "vip") and state.reaches(b, "A", "vip")
    assert {m.fp for m in state.holders("B")} == {people["founder"].fingerprint, b}


def test_altered_role_statement_is_detected(chain, people):
    forged = replace(chain[1], body={"name": "tech-a", "customers": "*", "can": ["view"]})
    with pytest.raises(TeamCryptoError, match="signature is invalid"):
        S.fold([chain[0], forged, *chain[2:]], TEAM, people["founder"].fingerprint)


def test_dropped_statement_is_detected(chain, people):
    with pytest.raises(TeamCryptoError, match="does not follow the chain"):
        S.fold([chain[0], *chain[2:]], TEAM, people["founder"].fingerprint)


def test_withheld_tail_is_detected(chain, people):
    with pytest.raises(TeamCryptoError, match="rolled back"):
        S.fold(chain[:-1], TEAM, people["founder"].fingerprint, highest_seen=len(chain) - 1)


def test_statement_by_a_non_admin_is_refused(chain, people):
    state = S.fold(chain, TEAM, people["founder"].fingerprint)
    st = S.Statement(TEAM, state.seq + 1, state.head, "role_set",
                     {"name": "tech-a", "customers": "*", "can": ["view"]},
                     people["alice"].fingerprint)
    with pytest.raises(TeamCryptoError, match="not an admin"):
        S.apply(state, S.sign(st, people["alice"]))
    with pytest.raises(TeamCryptoError, match="not an admin"):
        S.next_statement(state, "role_rm", {"name": "lead"}, people["alice"])


def test_a_non_member_cannot_sign_statements(chain, people):
    state = S.fold(chain, TEAM, people["founder"].fingerprint)
    st = S.Statement(TEAM, state.seq + 1, state.head, "member_add",
                     {**people["mallory"].public(), "role": "lead"}, people["founder"].fingerprint)
    with pytest.raises(TeamCryptoError, match="signature is invalid"):
        S.apply(state, S.sign(st, people["mallory"]))  # claims the founder, signed by mallory


def test_a_substituted_founder_is_refused(people):
    fake = S.found(TEAM, "Acme IT", people["mallory"])
    with pytest.raises(TeamCryptoError, match="not the founder"):
        S.fold([fake], TEAM, people["founder"].fingerprint)


def test_revoked_member_leaves_and_cannot_come_back(chain, people):
    state = S.fold(chain, TEAM, people["founder"].fingerprint)
    st = S.next_statement(state, "member_revoke", {"fp": people["alice"].fingerprint},
                          people["founder"])
    S.apply(state, st)
    assert not state.may(people["alice"].fingerprint, "view", "A")
    with pytest.raises(TeamCryptoError, match="malformed"):
        S.next_statement(state, "member_add", {**people["alice"].public(), "role": "tech-a"},
                         people["founder"])


def test_unit_key_grant_opens_only_for_its_member_unit_and_epoch(people):
    f, a, b = people["founder"], people["alice"], people["bob"]
    key = bytes(range(32))
    g = grant(TEAM, unit_id("A"), 1, key, a.enc_public, a.fingerprint, f)
    assert open_grant(g, a, f.sign_public) == key
    with pytest.raises(TeamCryptoError, match="someone else"):
        open_grant(g, b, f.sign_public)
    for moved in (replace(g, unit=unit_id("B")), replace(g, epoch=2)):
        with pytest.raises(TeamCryptoError, match="signature is invalid"):
            open_grant(moved, a, f.sign_public)
    # The server re-signs nothing: a grant it made itself carries no admin signature.
    with pytest.raises(TeamCryptoError, match="signature is invalid"):
        open_grant(g, a, people["mallory"].sign_public)
    # Bob's wrapped key relabelled to alice (signature re-made by a would-be admin key) won't open.
    gb = grant(TEAM, unit_id("A"), 1, key, b.enc_public, b.fingerprint, f)
    relabelled = grant(TEAM, unit_id("A"), 1, key, a.enc_public, a.fingerprint, f)
    relabelled = replace(relabelled, wrapped=gb.wrapped)
    relabelled = replace(relabelled, signature=f.sign(relabelled.signed_bytes()))
    with pytest.raises(TeamCryptoError, match="does not open"):
        open_grant(relabelled, a, f.sign_public)


def _two_records(author):
    key = bytes(32)
    r1 = seal_record(TEAM, "r1", "otp", "A", OPEN, 1, 1, {"secret": "AAAA"}, key, author)
    r2 = seal_record(TEAM, "r2", "otp", "A", OPEN, 1, 1, {"secret": "BBBB"}, key, author)
    return key, r1, r2


def test_record_round_trip_and_tombstone(people):
    f = people["founder"]
    key, r1, _ = _two_records(f)
    assert open_record(r1, TEAM, key, f.sign_public, 0) == {"secret": "AAAA"}
    tomb = seal_record(TEAM, "r1", "tombstone", "A", OPEN, 1, 2, None, None, f)
    assert tomb.ciphertext == b"" and open_record(tomb, TEAM, key, f.sign_public, 1) is None


def test_swapped_ciphertext_is_detected(people):
    f = people["founder"]
    key, r1, r2 = _two_records(f)
    with pytest.raises(TeamCryptoError, match="signature is invalid"):
        open_record(replace(r1, ciphertext=r2.ciphertext), TEAM, key, f.sign_public, 0)


@pytest.mark.parametrize("field,value", [("unit", "B/"), ("unit", "A/vip"), ("epoch", 2),
                                         ("version", 5), ("record_id", "r3"), ("kind", "entry")])
def test_record_moved_anywhere_is_detected(people, field, value):
    f = people["founder"]
    key, r1, _ = _two_records(f)
    with pytest.raises(TeamCryptoError):
        open_record(replace(r1, **{field: value}), TEAM, key, f.sign_public, 0)


def test_record_resigned_by_its_author_but_moved_does_not_open(people):
    """Even with a valid signature (an insider re-signing), the AAD keeps the ciphertext in place."""
    f = people["founder"]
    key, r1, _ = _two_records(f)
    moved = replace(r1, record_id="r2")
    moved = replace(moved, signature=f.sign(moved.signed_bytes()))
    with pytest.raises(TeamCryptoError, match="does not open"):
        open_record(moved, TEAM, key, f.sign_public, 0)


def test_replayed_older_version_is_detected(people):
    f = people["founder"]
    key, r1, _ = _two_records(f)
    with pytest.raises(TeamCryptoError, match="rolled back"):
        open_record(r1, TEAM, key, f.sign_public, highest_seen=2)


def test_record_forged_by_a_non_member_is_detected(people):
    key, r1, _ = _two_records(people["mallory"])
    forged = replace(r1, author=people["founder"].fingerprint)
    with pytest.raises(TeamCryptoError, match="signature is invalid"):
        open_record(forged, TEAM, key, people["founder"].sign_public, 0)


def test_record_from_another_team_is_refused(people):
    f = people["founder"]
    key, r1, _ = _two_records(f)
    with pytest.raises(TeamCryptoError, match="another team"):
        open_record(r1, "u" * 32, key, f.sign_public, 0)
