"""Finding an entry (issue 10 item 2): one resolver (companion/resolve.py) for every command, in the
CLI and in the companion (so the stdlib fast path of `otpc code` resolves the same way)."""

from __future__ import annotations

import json
import unicodedata

import pytest
from cli_harness import one_line_error

from companion.errors import Ambiguous, NotFound, UserError
from companion.resolve import entry_ref, resolve_entry, split_ref
from companion.vault.model import Entry

SECRET = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"


def entries() -> list[Entry]:
    rows = [
        ("a1b2c3d4" + "0" * 24, "c1", "Acme", "Mail"),
        ("a1b2ffff" + "0" * 24, "c1", "Acme", "VPN"),
        ("0badcafe" + "0" * 24, "c2", "Beta", "Mailbox"),
        ("77777777" + "0" * 24, "c3", "R&D/Lab", "Git/Hub"),
        ("88888888" + "0" * 24, "c4", "Müller", "Portal"),
    ]
    return [Entry(i, c, name, title) for i, c, name, title in rows]


def title_of(ref: str, **kw) -> str:
    return resolve_entry(entries(), ref, **kw).title


def test_unique_substring_exact_names_ids_and_prefixes():
    assert title_of("vpn") == "VPN"
    assert title_of("hub") == "Git/Hub"
    assert title_of("beta/mail") == "Mailbox"  # a part of Customer/Title
    assert title_of("Mail") == "Mail"  # an exact title beats the longer "Mailbox"
    assert title_of("ACME/MAIL") == "Mail"
    assert title_of("a1b2c3") == "Mail"  # id prefix
    assert title_of("0badcafe" + "0" * 24) == "Mailbox"  # full id


def test_several_matches_are_listed_with_exit_2():
    with pytest.raises(Ambiguous) as caught:
        resolve_entry(entries(), "ma")
    message = str(caught.value)
    assert message.startswith("2 entries match 'ma': Acme/Mail (a1b2c3d4), Beta/Mailbox (0badcafe)")
    assert caught.value.exit_code == 2
    with pytest.raises(Ambiguous, match="2 entries match 'a1b2'"):
        resolve_entry(entries(), "a1b2")


def test_exact_is_for_scripts_no_search():
    assert title_of("Acme/Mail", exact=True) == "Mail"
    with pytest.raises(NotFound, match="--exact"):
        resolve_entry(entries(), "vpn", exact=True)
    with pytest.raises(NotFound):
        resolve_entry(entries(), "a1b2c3", exact=True)


def test_names_with_slashes_escaped_or_selected():
    assert split_ref(r"R&D\/Lab/Git\/Hub") == ("R&D/Lab/Git/Hub", [("R&D/Lab", "Git/Hub")])
    assert title_of(r"R&D\/Lab/Git\/Hub", exact=True) == "Git/Hub"
    assert title_of("R&D/Lab/Git/Hub", exact=True) == "Git/Hub"  # every split is tried
    assert entry_ref(entries()[3]) == r"R&D\/Lab/Git\/Hub"
    assert title_of(None, customer="r&d/lab", title="git/hub") == "Git/Hub"
    assert title_of("lab", customer="R&D/Lab") == "Git/Hub"
    with pytest.raises(NotFound, match="no entry titled 'Nope'"):
        resolve_entry(entries(), None, customer="Acme", title="Nope")
    with pytest.raises(UserError, match="not both"):
        resolve_entry(entries(), "Mail", title="Mail")


def test_names_are_compared_in_nfc():
    decomposed = unicodedata.normalize("NFD", "müller/portal")
    assert decomposed != "müller/portal"
    assert title_of(decomposed, exact=True) == "Portal"
    assert title_of(unicodedata.normalize("NFD", "MÜLLER")) == "Portal"


def test_short_id_prefix_and_nothing_found_say_why():
    with pytest.raises(NotFound, match="an id prefix needs at least 4 characters"):
        resolve_entry(entries(), "a1b")
    with pytest.raises(NotFound, match="'otpc entry list' shows them"):
        resolve_entry(entries(), "nothing-like-this")


# ---- through the real CLI (in-process and as a subprocess) -----------------------------------------
@pytest.fixture
def filled(otpc):
    otpc.ok("customer", "add", "Acme")
    otpc.ok("customer", "add", "R&D/Lab")
    otpc.ok("entry", "add", "--customer", "Acme", "--title", "Mail")
    otpc.ok("entry", "add", "--customer", "Acme", "--title", "Webmail")
    otpc.ok("entry", "add", "--customer", "R&D/Lab", "--title", "Git/Hub")
    for ref in ("Acme/Mail", r"R&D\/Lab/Git\/Hub"):
        otpc.ok("otp", "set", ref, "--exact", input=SECRET + "\n")
    return otpc


def test_cli_code_by_part_of_the_name(filled):
    assert filled.ok("code", "hub", "--at", "59") == "287082\n"
    assert filled.ok("code", "--exact", "Acme/Mail", "--at", "59") == "287082\n"
    r = filled("code", "mai", "--at", "59")
    assert r.code == 2
    line = one_line_error(r)
    assert "2 entries match 'mai': Acme/Mail (" in line and "Acme/Webmail (" in line
    assert "Acme/Mail" in filled.ok("entry", "show", "--customer", "acme", "--title", "MAIL")
    r = filled("entry", "show", "f0")  # in no name; a 2-character id prefix
    assert r.code == 2 and "id prefix needs at least 4" in one_line_error(r)


def test_cli_names_may_hold_slashes_and_are_one_in_nfc(filled):
    composed = "Müller"
    decomposed = unicodedata.normalize("NFD", composed)
    filled.ok("customer", "add", composed)
    r = filled("customer", "add", decomposed)
    assert "already exists" in one_line_error(r)
    filled.ok("entry", "add", "--customer", decomposed, "--title", "Portal")
    listed = json.loads(filled.ok("entry", "list", "--customer", composed, "--json"))
    assert [e["title"] for e in listed] == ["Portal"]
    r = filled("entry", "add", "--customer", composed, "--title", unicodedata.normalize("NFD", "Pörtal"))
    assert r.code == 0
    r = filled("entry", "add", "--customer", composed, "--title", "Pörtal")
    assert "already has an entry" in one_line_error(r)


@pytest.mark.slow
def test_fast_path_resolves_in_the_companion(served):
    """`otpc code mai` through the stdlib fast path: the companion runs the same resolver."""
    served.ok("entry", "add", "--customer", "Acme", "--title", "Webmail")
    r = served.run("code", "mail", "--at", "59", env={"OTPC_PASSWORD": None})
    assert r.code == 0 and r.out == "94287082\n", r.err  # "Mail" exactly, not "Webmail"
    r = served.run("code", "ma", env={"OTPC_PASSWORD": None})
    assert r.code == 2 and "2 entries match 'ma'" in one_line_error(r)
    r = served.run("code", "zzz", env={"OTPC_PASSWORD": None})
    assert r.code == 2 and "no entry 'zzz'" in one_line_error(r)
