"""Issue 8 leftovers through the real `otpc` on a real PostgreSQL: renaming a team customer (admins;
a signed record) and moving entries between customers (team to team, team to local, local to
team), with the Forbidden paths (exit 6) and a hostile superuser or member altering names and moves.

Team of teamcli.make_team: founder (admin), alice (tech-a: CustA, view), bob (lead: every customer,
view, reveal, edit, delete; no admin)."""

import json

import pytest
import teamcli as tc

AT = 1_700_000_000.0


@pytest.fixture
def team(pg, tmp_path):
    return tc.make_team(pg, tmp_path)


def customers(tech) -> dict[str, str]:
    return {c["name"]: c["id"] for c in json.loads(tech.ok("customer", "list", "--json"))}


def one_line(r, code: int, words: str) -> None:
    assert r.code == code, (r.code, r.err)
    assert words in r.err and r.err.count("\n") == 1 and "Traceback" not in r.err, r.err


def all_rows_text(su) -> str:
    """Everything PostgreSQL holds in the team's schema, as text (the superuser's view)."""
    out = []
    for (table,) in su.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'otpc'"):
        out += [str(row) for row in su.execute(f"SELECT * FROM otpc.{table}").fetchall()]
    return "\n".join(out)


def session_of(tech):
    """A member's own team session in process (for the hostile-member tests): vault, session."""
    from companion.vault import Vault

    vault = Vault.open(tech.vault)
    vault.unlock(tc.MASTER)
    return vault, vault.team()


# -- renaming a team customer ------------------------------------------------------------------

def test_an_admin_renames_a_team_customer_others_see_it_and_non_admins_get_exit_6(team, pg):
    founder, alice, bob = team.founder, team.alice, team.bob
    cid = customers(founder)["CustA"]
    one_line(alice.run("customer", "rename", "CustA", "Acme North"), 6, "needs admin")
    one_line(bob.run("customer", "rename", "CustA", "Acme North"), 6, "needs admin")
    one_line(founder.run("customer", "rename", "CustA", "custb"), 1, "already exists")
    out = json.loads(founder.ok("customer", "rename", "CustA", "Acme North", "--json"))
    assert out["name"] == "Acme North" and out["id"] == cid
    for t in (alice, bob):
        t.ok("team", "sync")
        assert customers(t).get("Acme North") == cid and "CustA" not in customers(t)
    assert alice.titles() == {"Acme North/Mail"}
    assert alice.code("Acme North/Mail", AT) == tc.totp(tc.SECRET_A, AT)
    # The name lives only inside the sealed, signed customer record: not a column, not in clear.
    with tc.superuser(pg, team.db) as su:
        assert "Acme North" not in all_rows_text(su)
        version = su.execute("SELECT version FROM otpc.records WHERE record_id = %s",
                             (cid,)).fetchone()[0]
    assert version == 2


def test_a_superuser_who_alters_a_renamed_customer_row_is_refused(team, pg):
    founder, alice = team.founder, team.alice
    cid = customers(founder)["CustA"]
    other = customers(founder)["CustB"]
    with tc.superuser(pg, team.db) as su:
        old_row = su.execute("SELECT version, epoch, author, ciphertext, signature FROM"
                             " otpc.records WHERE record_id = %s", (cid,)).fetchone()
    founder.ok("customer", "rename", "CustA", "Acme North")
    alice.ok("team", "sync")
    short = f"record {cid[:8]}"
    attacks = [
        # the pre-rename row put back: a rollback to the old name
        (f"{short} v1 is older than v2", "UPDATE otpc.records SET version = %s, epoch = %s,"
         " author = %s, ciphertext = %s, signature = %s, change_xid = pg_current_xact_id()"
         " WHERE record_id = %s", (*old_row, cid)),
        # the name's ciphertext altered in place
        (f"{short} v1: signature is invalid", "UPDATE otpc.records SET ciphertext ="
         " set_byte(ciphertext, 20, get_byte(ciphertext, 20) # 1), change_xid ="
         " pg_current_xact_id() WHERE record_id = %s", (cid,)),
        # CustB's record (another name, validly signed) spliced into CustA's row
        (f"{short} v3: signature is invalid", "UPDATE otpc.records r SET version = 3,"
         " ciphertext = o.ciphertext, signature = o.signature, change_xid ="
         " pg_current_xact_id() FROM otpc.records o WHERE r.record_id = %s AND o.record_id = %s",
         (cid, other)),
    ]
    for expected, sql, args in attacks:
        with tc.superuser(pg, team.db) as su:
            su.execute(sql, args)
        alice.run("team", "sync")
        assert "Acme North" in customers(alice) and "CustA" not in customers(alice), expected
        assert alice.titles() == {"Acme North/Mail"}
        problems = json.loads(alice.ok("team", "status", "--json"))["problems"]
        assert any(expected in p for p in problems), (expected, problems)


def test_a_rename_signed_by_a_member_without_admin_is_refused_by_the_others(team):
    """Bob (edit on every customer, no admin) bypasses his companion's check and pushes a renamed
    customer record of his own through his database login: the others refuse it."""
    from companion.team import pgstore
    from companion.team.outbox import newest_epoch
    from companion.team.records import seal_record

    founder, alice, bob = team.founder, team.alice, team.bob
    cid = customers(founder)["CustA"]
    vault, session = session_of(bob)
    try:
        rec, content = session.replica.contents[cid]
        epoch = newest_epoch(session.replica.unit_keys, rec.unit)
        forged = seal_record(session.team_id, cid, "customer", cid, "", epoch, rec.version + 1,
                             {**content, "name": "Bob's Corp"},
                             session.replica.unit_keys[(rec.unit, epoch)], session.me)
        with session.connect() as conn:
            assert pgstore.push(conn, forged, rec.version).ok  # RLS lets him: he holds the unit
    finally:
        vault.close()
    for t in (alice, founder):
        t.run("team", "sync")
        assert "CustA" in customers(t) and "Bob's Corp" not in customers(t)
        problems = json.loads(t.ok("team", "status", "--json"))["problems"]
        assert any("may not admin" in p and cid[:8] in p for p in problems), problems


# -- moving entries ----------------------------------------------------------------------------

def test_moving_a_team_entry_to_another_team_customer_reseals_it_there(team, pg):
    founder, alice, bob = team.founder, team.alice, team.bob
    ids = customers(founder)
    mail = json.loads(bob.ok("entry", "show", "CustA/Mail", "--json"))
    founder.ok("entry", "add", "--customer", "CustA", "--title", "VPN")
    founder.ok("otp", "set", "CustA/VPN", "--type", "hotp", "--counter", "5",
               input=tc.SECRET_B + "\n")
    bob.ok("team", "sync")
    assert json.loads(bob.ok("code", "CustA/VPN", "--json"))["counter"] == 5
    with tc.superuser(pg, team.db) as su:
        before = dict(su.execute("SELECT record_id, version FROM otpc.records").fetchall())
        old_row = su.execute("SELECT version, unit, epoch, author, ciphertext, signature FROM"
                             " otpc.records WHERE record_id = %s", (mail["id"],)).fetchone()
    moved = json.loads(bob.ok("entry", "edit", "CustA/Mail", "--customer", "CustB", "--json"))
    assert moved["customer"] == "CustB" and moved["id"] == mail["id"]
    bob.ok("entry", "edit", "CustA/VPN", "--customer", "CustB", "--title", "VPN 2")
    for t in (founder, alice):
        t.ok("team", "sync")
    assert {"CustB/Mail", "CustB/VPN 2"} <= founder.titles()
    assert not any(t.startswith("CustA/") for t in founder.titles())
    assert founder.code("CustB/Mail", AT) == tc.totp(tc.SECRET_A, AT)
    # the HOTP counter moved with the secret: the next technician gets the next counter
    assert json.loads(founder.ok("code", "CustB/VPN 2", "--json"))["counter"] == 6
    assert alice.titles() == set()  # alice reaches CustA only: the entry left her replica
    one_line(alice.run("code", "CustB/Mail"), 2, "no entry")
    with tc.superuser(pg, team.db) as su:
        rows = su.execute("SELECT record_id, unit, kind, version, length(ciphertext)"
                          " FROM otpc.records").fetchall()
        counters = su.execute("SELECT unit FROM otpc.hotp_counters").fetchall()
    # nothing of the moved entries is left under CustA's unit: only CustA's own record
    assert [(r[2], r[0]) for r in rows if r[1] == ids["CustA"] + "/"] == [("customer",
                                                                          ids["CustA"])]
    mail_rows = [r for r in rows if r[0] == mail["id"]]
    assert mail_rows[0][1] == ids["CustB"] + "/" and mail_rows[0][3] == before[mail["id"]] + 1
    assert counters == [(ids["CustB"] + "/",)]
    audit = json.loads(founder.ok("team", "audit", "--member", "bob", "--json"))
    assert any(e["action"] == "edit" and e["customer"] == "CustB" for e in audit)
    # a superuser putting the pre-move row back (a rollback to CustA) is refused
    with tc.superuser(pg, team.db) as su:
        su.execute("UPDATE otpc.records SET version = %s, unit = %s, epoch = %s, author = %s,"
                   " ciphertext = %s, signature = %s, change_xid = pg_current_xact_id()"
                   " WHERE record_id = %s", (*old_row, mail["id"]))
    founder.run("team", "sync")
    assert "CustB/Mail" in founder.titles() and "CustA/Mail" not in founder.titles()
    problems = json.loads(founder.ok("team", "status", "--json"))["problems"]
    assert any(f"{mail['id'][:8]} v{old_row[0]} is older" in p for p in problems), problems


def test_a_move_signed_by_a_member_who_may_not_edit_the_source_is_refused(team, pg):
    """Bob, narrowed to CustB, signs a record that puts CustA's Mail in CustB (where he may edit)
    and a colluding superuser writes it over Mail's row: a member holding both units refuses it."""
    from companion.team.outbox import newest_epoch
    from companion.team.records import seal_record

    founder, bob = team.founder, team.bob
    ids = customers(founder)
    mail = json.loads(founder.ok("entry", "show", "CustA/Mail", "--json"))
    founder.ok("team", "role", "add", "lead-b", "--customers", "CustB", "--can",
               "view,reveal,edit,delete")
    founder.ok("team", "member", "role", "bob", "lead-b")
    bob.ok("team", "sync")
    assert not any(t.startswith("CustA/") for t in bob.titles())
    with tc.superuser(pg, team.db) as su:
        version = su.execute("SELECT version FROM otpc.records WHERE record_id = %s",
                             (mail["id"],)).fetchone()[0]
    vault, session = session_of(bob)
    try:
        unit = ids["CustB"] + "/"
        epoch = newest_epoch(session.replica.unit_keys, unit)
        forged = seal_record(session.team_id, mail["id"], "entry", ids["CustB"], "", epoch,
                             version + 1, {"title": "Mail", "username": "", "password": "taken",
                                           "urls": [], "notes": "", "tags": []},
                             session.replica.unit_keys[(unit, epoch)], session.me)
    finally:
        vault.close()
    with tc.superuser(pg, team.db) as su:
        su.execute("UPDATE otpc.records SET version = %s, unit = %s, epoch = %s, author = %s,"
                   " ciphertext = %s, signature = %s, change_xid = pg_current_xact_id()"
                   " WHERE record_id = %s", (forged.version, forged.unit, forged.epoch,
                                             forged.author, forged.ciphertext, forged.signature,
                                             mail["id"]))
    founder.run("team", "sync")
    assert "CustA/Mail" in founder.titles() and "CustB/Mail" not in founder.titles()
    assert founder.code("CustA/Mail", AT) == tc.totp(tc.SECRET_A, AT)
    problems = json.loads(founder.ok("team", "status", "--json"))["problems"]
    assert any("may not move it away" in p and mail["id"][:8] in p for p in problems), problems


def test_moves_a_role_does_not_allow_are_refused_with_exit_6_and_change_nothing(team):
    founder, alice, bob = team.founder, team.alice, team.bob
    founder.ok("team", "role", "add", "ed-a", "--customers", "CustA", "--can", "view,edit")
    founder.ok("team", "member", "role", "alice", "ed-a")
    alice.ok("team", "sync")
    # a team customer outside her role: the same line as a customer that does not exist
    r = alice.run("entry", "edit", "CustA/Mail", "--customer", "CustB")
    one_line(r, 6, "your team role may move")
    nowhere = alice.run("entry", "edit", "CustA/Mail", "--customer", "Nowhere")
    assert nowhere.err.replace("Nowhere", "CustB") == r.err and nowhere.code == 6
    # out of the team into her own vault: needs reveal and delete
    alice.ok("customer", "add", "Mine", "--local")
    one_line(alice.run("entry", "edit", "CustA/Mail", "--customer", "Mine", "--title", "X"), 6,
             "(reveal)")
    # renaming needs admin
    one_line(alice.run("customer", "rename", "CustA", "Other"), 6, "needs admin")
    # a local entry into a team customer her role only views
    founder.ok("team", "member", "role", "alice", "tech-a")
    alice.ok("team", "sync")
    alice.ok("entry", "add", "--customer", "Mine", "--title", "Router")
    alice.ok("otp", "set", "Mine/Router", input=tc.SECRET_NEW + "\n")
    one_line(alice.run("entry", "edit", "Mine/Router", "--customer", "CustA"), 6,
             "may not add entries")
    assert alice.titles() == {"CustA/Mail", "Mine/Router"}
    assert alice.code("Mine/Router", AT) == tc.totp(tc.SECRET_NEW, AT)
    for t in (founder, bob):
        t.ok("team", "sync")
        assert t.titles() >= {"CustA/Mail", "CustB/Portal"} and "CustB/Mail" not in t.titles()
        assert t.code("CustA/Mail", AT) == tc.totp(tc.SECRET_A, AT)


def test_a_team_entry_moved_to_a_local_customer_leaves_the_team(team, pg):
    founder, bob = team.founder, team.bob
    portal = json.loads(bob.ok("entry", "show", "CustB/Portal", "--json"))
    bob.ok("customer", "add", "Bench", "--local")
    bob.ok("entry", "edit", "CustB/Portal", "--customer", "Bench")
    assert "Bench/Portal" in bob.titles() and "CustB/Portal" not in bob.titles()
    assert bob.code("Bench/Portal", AT) == tc.totp(tc.SECRET_B, AT)
    founder.ok("team", "sync")
    assert "CustB/Portal" not in founder.titles()
    with tc.superuser(pg, team.db) as su:
        rows = su.execute("SELECT kind, length(ciphertext) FROM otpc.records WHERE unit = %s"
                          " AND kind <> 'customer'", (portal["customer_id"] + "/",)).fetchall()
    assert sorted(rows) == [("tombstone", 0), ("tombstone", 0)]  # the entry and its secret
    audit = json.loads(founder.ok("team", "audit", "--member", "bob", "--json"))
    assert {e["action"] for e in audit if e["customer"] == "CustB"} >= {
        "reveal", "delete"}


def test_a_local_entry_moved_into_a_team_customer_reaches_the_others(team):
    founder, alice = team.founder, team.alice
    founder.ok("customer", "add", "Home", "--local")
    founder.ok("entry", "add", "--customer", "Home", "--title", "Router", "--username", "admin")
    founder.ok("otp", "set", "Home/Router", input=tc.SECRET_NEW + "\n")
    one_line(founder.run("entry", "edit", "Home/Router", "--customer", "CustA", "--title",
                         "Mail"), 1, "already has an entry")
    assert "Home/Router" in founder.titles()  # refused before anything was written
    founder.ok("entry", "edit", "Home/Router", "--customer", "CustA")
    assert "Home/Router" not in founder.titles() and "CustA/Router" in founder.titles()
    alice.ok("team", "sync")
    assert alice.titles() == {"CustA/Mail", "CustA/Router"}
    assert alice.code("CustA/Router", AT) == tc.totp(tc.SECRET_NEW, AT)
    shown = json.loads(alice.ok("entry", "show", "CustA/Router", "--json"))
    assert shown["username"] == "admin" and shown["team"]["can"] == ["view"]


def test_the_hotp_counter_follows_an_entry_out_of_a_group(team):
    """A HOTP entry used inside group vip, then taken out of it: alice (CustA, not in vip) gets
    the next counter (the counter row's unit moved with the secret; PostgreSQL's RLS checks it)."""
    founder, alice, bob = team.founder, team.alice, team.bob
    founder.ok("entry", "add", "--customer", "CustA", "--title", "VPN")
    founder.ok("otp", "set", "CustA/VPN", "--type", "hotp", "--counter", "5",
               input=tc.SECRET_B + "\n")
    founder.ok("team", "group", "add", "vip", "--roles", "lead")
    founder.ok("entry", "edit", "CustA/VPN", "--group", "vip")
    bob.ok("team", "sync")
    assert json.loads(bob.ok("code", "CustA/VPN", "--json"))["counter"] == 5
    founder.ok("entry", "edit", "CustA/VPN", "--no-group")
    alice.ok("team", "sync")
    assert json.loads(alice.ok("code", "CustA/VPN", "--json"))["counter"] == 6
