"""Issue 12 item 7: KeePass groups never merge into one customer silently. Whatever rule maps groups
to customers (the full path, or --customer-from-group N), two different group paths landing on one
customer name are refused with both paths named, unless --merge."""

import io
import sys

import pytest
from importgen import B32_OTHER, B32_SHA1, kp_entry, kp_group, kp_xml, otpauth

from companion.cli.entry import main
from companion.formats import parse
from companion.formats.plan import GroupsWouldMerge, plan
from companion.vault import Vault

MASTER = "master pw"


def email(secret, user):
    return kp_entry({"Title": "Mail", "UserName": user, "Password": "pw",
                     "otp": otpauth("totp", f"Mail:{user}", secret)})


def two_customers_email() -> bytes:
    acme = kp_group("Acme", groups=[kp_group("Email", [email(B32_SHA1, "a@acme")])])
    beta = kp_group("Beta", groups=[kp_group("Email", [email(B32_OTHER, "b@beta")])])
    return kp_xml(kp_group("Root", groups=[kp_group("Customers", groups=[acme, beta])]))


@pytest.fixture
def vault_path(tmp_path, monkeypatch):
    path = tmp_path / "vault.sqlite"
    Vault.create(path, MASTER, kdf_ms=1).close()
    monkeypatch.setenv("OTPC_VAULT", str(path))
    monkeypatch.setenv("OTPC_PASSWORD", MASTER)
    monkeypatch.setenv("OTPC_SOCKET", str(tmp_path / "no-companion.sock"))
    return path


def run(monkeypatch, capsys, *args):
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"")))
    capsys.readouterr()
    status = main(list(args))
    out = capsys.readouterr()
    return status, out.out, out.err


def customers(path) -> dict:
    v = Vault.open(path)
    v.unlock(MASTER)
    try:
        return {c.name: sorted(e.username for e in v.entries(customer=c.id))
                for c in v.customers()}
    finally:
        v.close()


def test_nth_group_that_merges_two_paths_is_refused_unless_merge(vault_path, tmp_path,
                                                                  monkeypatch, capsys):
    f = tmp_path / "db.xml"
    f.write_bytes(two_customers_email())
    status, _, err = run(monkeypatch, capsys, "import", "--customer-from-group", "3", str(f))
    assert status == 1 and err.count("\n") == 1
    assert "'Customers/Acme/Email' and 'Customers/Beta/Email'" in err
    assert "customer 'Email'" in err and "--merge" in err
    assert customers(vault_path) == {}
    # the rule that keeps them apart works
    status, _, err = run(monkeypatch, capsys, "import", "--customer-from-group", "2", str(f))
    assert status == 0, err
    assert customers(vault_path) == {"Acme": ["a@acme"], "Beta": ["b@beta"]}


def test_merge_puts_them_together_when_asked(vault_path, tmp_path, monkeypatch, capsys):
    f = tmp_path / "db.xml"
    f.write_bytes(two_customers_email())
    status, _, err = run(monkeypatch, capsys, "import", "--customer-from-group", "3", "--merge",
                         str(f))
    assert status == 0, err
    assert customers(vault_path) == {"Email": ["a@acme", "b@beta"]}


def test_default_full_path_keeps_them_apart(vault_path, tmp_path, monkeypatch, capsys):
    f = tmp_path / "db.xml"
    f.write_bytes(two_customers_email())
    assert run(monkeypatch, capsys, "import", str(f))[0] == 0
    assert customers(vault_path) == {"Customers - Acme - Email": ["a@acme"],
                                     "Customers - Beta - Email": ["b@beta"]}


@pytest.mark.parametrize("first,second", [
    (("Acme",), ("ACME",)),  # customer names compare case-insensitively
    (("A - B",), ("A", "B")),  # the full path is joined with " - "
    (("A/B",), ("A-B",)),  # '/' cannot stand in a customer name and becomes '-'
])
def test_full_path_collisions_are_refused(first, second):
    def nest(names, entry):
        group = kp_group(names[-1], [entry])
        for name in reversed(names[:-1]):
            group = kp_group(name, groups=[group])
        return group

    data = kp_xml(kp_group("Root", groups=[nest(first, email(B32_SHA1, "one")),
                                           nest(second, email(B32_OTHER, "two"))]))
    items = parse(data).items
    with pytest.raises(GroupsWouldMerge, match="would both become customer"):
        plan(items, existing_otps=[], existing_titles={})
    rows = plan(items, existing_otps=[], existing_titles={}, merge=True)
    assert rows[0].customer == rows[1].customer
    # an explicit --customer puts everything in one customer on purpose
    rows = plan(items, existing_otps=[], existing_titles={}, customer="All")
    assert {r.customer for r in rows} == {"All"}
