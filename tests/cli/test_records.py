"""customer / entry commands: JSON shapes, tables, passwords never as arguments, name resolution,
confirmations (in-process through companion.cli.entry.main against a real vault file)."""

import json

from cli_harness import one_line_error

from companion.vault import Vault

LIST_KEYS = {"id", "customer", "title", "username", "urls", "has_otp"}


def add_entry(otpc, customer="ACME", title="Mail", *extra, password=None):
    args = ["entry", "add", "--customer", customer, "--title", title, "--json", *extra]
    if password is not None:
        return json.loads(otpc.ok(*args, "--password-prompt", input=password + "\n"))
    return json.loads(otpc.ok(*args))


def test_customer_add_list_rename_rm(otpc):
    added = json.loads(otpc.ok("customer", "add", "ACME", "--notes", "main office", "--json"))
    assert added["name"] == "ACME" and len(added["id"]) == 32
    otpc.ok("customer", "add", "Beta [bold]")
    listed = json.loads(otpc.ok("customer", "list", "--json"))
    assert [c["name"] for c in listed] == ["ACME", "Beta [bold]"]
    assert listed[0]["notes"] == "main office" and listed[0]["entries"] == 0
    table = otpc.ok("customer", "list")
    assert "ACME" in table and "Beta [bold]" in table  # user text is never markup
    otpc.ok("customer", "rename", "acme", "ACME Corp")
    assert json.loads(otpc.ok("customer", "list", "--json"))[0]["name"] == "ACME Corp"
    assert "already exists" in one_line_error(otpc("customer", "add", "acme corp"))
    otpc.ok("customer", "rm", added["id"][:6], "--yes")
    assert [c["name"] for c in json.loads(otpc.ok("customer", "list", "--json"))] == ["Beta [bold]"]


def test_customer_rm_with_entries_needs_force_and_yes(otpc):
    otpc.ok("customer", "add", "ACME")
    add_entry(otpc)
    assert "--force" in one_line_error(otpc("customer", "rm", "ACME", "--yes"))
    assert "--yes" in one_line_error(otpc("customer", "rm", "ACME", "--force"))
    otpc.ok("customer", "rm", "ACME", "--force", "--yes")
    assert json.loads(otpc.ok("entry", "list", "--json")) == []


def test_entry_add_list_json_shape(otpc):
    otpc.ok("customer", "add", "ACME")
    e = add_entry(
        otpc,
        "acme",
        "Mail",
        "--username",
        "bob",
        "--url",
        "https://mail.acme.test",
        "--url",
        "https://webmail.acme.test",
        "--notes",
        "n",
        "--tag",
        "ops",
        password="hunter2 with spaces",
    )
    assert e["customer"] == "ACME" and e["has_password"] is True
    listed = json.loads(otpc.ok("entry", "list", "--json"))
    assert len(listed) == 1
    row = listed[0]
    assert LIST_KEYS <= set(row)
    assert row["id"] == e["id"]
    assert (row["customer"], row["title"], row["username"]) == ("ACME", "Mail", "bob")
    assert row["urls"] == ["https://mail.acme.test", "https://webmail.acme.test"]
    assert row["has_otp"] is False
    assert "hunter2" not in json.dumps(listed)
    table = otpc.ok("entry", "list")
    assert "Mail" in table and "bob" in table and "hunter2" not in table


def test_entry_password_read_from_stdin_line_and_revealed(otpc):
    otpc.ok("customer", "add", "ACME")
    add_entry(otpc, password="s3cret pass")
    shown = otpc.ok("entry", "show", "ACME/Mail")
    assert "s3cret" not in shown and "--reveal-password" in shown
    data = json.loads(otpc.ok("entry", "show", "acme/mail", "--json"))
    assert "password" not in data
    data = json.loads(otpc.ok("entry", "show", "acme/mail", "--json", "--reveal-password"))
    assert data["password"] == "s3cret pass"
    events = json.loads(otpc.ok("audit", "--json"))
    assert [ev["action"] for ev in events] == ["password"]
    assert events[0]["entry_id"] == data["id"] and events[0]["actor"] == "cli"


def test_entry_password_after_master_password_line(otpc):
    otpc.ok("customer", "add", "ACME")
    from cli_harness import PASSWORD

    r = otpc(
        "--password-stdin",
        "entry",
        "add",
        "--customer",
        "ACME",
        "--title",
        "T",
        "--password-prompt",
        input=f"{PASSWORD}\nentry-pw\n",
        env={"OTPC_PASSWORD": None},
    )
    assert r.code == 0, r.err
    data = json.loads(otpc.ok("entry", "show", "ACME/T", "--json", "--reveal-password"))
    assert data["password"] == "entry-pw"


def test_password_prompt_without_input_is_an_error(otpc):
    otpc.ok("customer", "add", "ACME")
    line = one_line_error(
        otpc("entry", "add", "--customer", "ACME", "--title", "T", "--password-prompt", input="")
    )
    assert "stdin" in line
    assert json.loads(otpc.ok("entry", "list", "--json")) == []


def test_entry_list_filters(otpc):
    for name in ("ACME", "Beta"):
        otpc.ok("customer", "add", name)
    add_entry(otpc, "ACME", "Mail", "--url", "https://mail.acme.test")
    add_entry(otpc, "ACME", "VPN", "--username", "vpnuser")
    add_entry(otpc, "Beta", "Portal", "--tag", "billing")

    def titles(*args):
        return [
            (e["customer"], e["title"])
            for e in json.loads(otpc.ok("entry", "list", "--json", *args))
        ]

    assert titles() == [("ACME", "Mail"), ("ACME", "VPN"), ("Beta", "Portal")]
    assert titles("--customer", "beta") == [("Beta", "Portal")]
    assert titles("--search", "VPNUSER") == [("ACME", "VPN")]
    assert titles("--search", "acme.test") == [("ACME", "Mail")]
    assert titles("--search", "billing") == [("Beta", "Portal")]
    assert titles("--search", "nothing-matches") == []
    assert "no customer" in one_line_error(otpc("entry", "list", "--customer", "Gamma"))


def test_name_resolution_id_prefix_and_customer_title(otpc):
    otpc.ok("customer", "add", "ACME")
    e = add_entry(otpc, "ACME", "Mail")
    for ref in (e["id"], e["id"][:4], e["id"][:10], "ACME/Mail", "acme/MAIL"):
        assert json.loads(otpc.ok("entry", "show", ref, "--json"))["id"] == e["id"]
    line = one_line_error(otpc("entry", "show", "ACME/Nope"))
    assert "no entry" in line and "Customer/Title" in line


def test_ambiguous_id_prefix_is_a_clear_error(otpc):
    from cli_harness import PASSWORD

    vault = Vault.open(otpc.vault)
    vault.unlock(PASSWORD)
    seen: dict[str, str] = {}
    clash = None
    with vault.batch():
        vault.add_customer("Many")
        for i in range(5000):
            eid = vault.add_entry("Many", f"e{i}").id
            if eid[:4] in seen:
                clash = eid[:4]
                break
            seen[eid[:4]] = eid
    vault.close()
    assert clash is not None
    line = one_line_error(otpc("entry", "show", clash))
    assert f"2 entries match '{clash}'" in line
    assert otpc("entry", "show", seen[clash]).code == 0


def test_entry_edit(otpc):
    for name in ("ACME", "Beta"):
        otpc.ok("customer", "add", name)
    e = add_entry(
        otpc, "ACME", "Mail", "--url", "https://a.test", "--username", "u1", password="p1"
    )
    out = json.loads(
        otpc.ok(
            "entry",
            "edit",
            "ACME/Mail",
            "--title",
            "Webmail",
            "--url",
            "https://b.test",
            "--url",
            "https://c.test",
            "--json",
        )
    )
    assert (out["title"], out["username"], out["urls"]) == (
        "Webmail",
        "u1",
        ["https://b.test", "https://c.test"],
    )
    otpc.ok("entry", "edit", e["id"][:8], "--password-prompt", input="p2\n")
    assert (
        json.loads(otpc.ok("entry", "show", "ACME/Webmail", "--json", "--reveal-password"))[
            "password"
        ]
        == "p2"
    )
    moved = json.loads(otpc.ok("entry", "edit", "ACME/Webmail", "--customer", "Beta", "--json"))
    assert moved["customer"] == "Beta" and moved["id"] == e["id"]
    cleared = json.loads(otpc.ok("entry", "edit", "Beta/Webmail", "--clear-urls", "--json"))
    assert cleared["urls"] == []


def test_entry_rm_needs_yes_off_a_terminal(otpc):
    otpc.ok("customer", "add", "ACME")
    add_entry(otpc)
    assert "--yes" in one_line_error(otpc("entry", "rm", "ACME/Mail"))
    assert len(json.loads(otpc.ok("entry", "list", "--json"))) == 1
    otpc.ok("entry", "rm", "ACME/Mail", "--yes")
    assert json.loads(otpc.ok("entry", "list", "--json")) == []
    assert "no entry" in one_line_error(otpc("entry", "rm", "ACME/Mail", "--yes"))
