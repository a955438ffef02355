"""Issue 10 item 8, the small parts: `entry edit` with nothing to change says so (exit 64, a usage
error), HOTP with --at is refused before the counter moves, entry URLs must be http(s) URLs."""

from __future__ import annotations

import json

import pytest
from cli_harness import one_line_error

from companion.errors import EXIT_USAGE

SECRET = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"  # RFC 4226 seed: HOTP 0 = 755224, 1 = 287082


@pytest.fixture
def one(otpc):
    otpc.ok("customer", "add", "Acme")
    otpc.ok("entry", "add", "--customer", "Acme", "--title", "VPN", "--url", "https://vpn.acme.example")
    otpc.ok("otp", "set", "VPN", "--type", "hotp", input=SECRET + "\n")
    return otpc


def test_edit_with_nothing_to_change_is_a_usage_error(one):
    before = json.loads(one.ok("entry", "show", "VPN", "--json"))
    r = one("entry", "edit", "VPN")
    assert r.code == EXIT_USAGE
    assert "nothing to change" in one_line_error(r)
    assert json.loads(one.ok("entry", "show", "VPN", "--json")) == before
    assert "--url or --clear-urls" in one_line_error(
        one("entry", "edit", "VPN", "--url", "https://a.example", "--clear-urls")
    )


def test_hotp_with_at_is_refused_and_the_counter_does_not_move(one):
    r = one("code", "VPN", "--at", "1000")
    assert r.code == 1
    assert "HOTP" in one_line_error(r) and "--at" in one_line_error(r)
    assert one.ok("code", "VPN") == "755224\n"  # still counter 0: the refusal advanced nothing
    assert one.ok("code", "VPN") == "287082\n"


@pytest.mark.slow
def test_hotp_with_at_is_refused_through_the_companion_too(served):
    nopw = {"OTPC_PASSWORD": None}
    r = served.run("code", "Acme/VPN", "--at", "1000", env=nopw)  # the stdlib fast path
    assert r.code == 1 and "HOTP" in one_line_error(r)
    assert served.run("code", "Acme/VPN", env=nopw).out == "755224\n"


@pytest.mark.parametrize(
    "url, hint",
    [
        ("vpn.acme.example", "did you mean https://vpn.acme.example?"),
        ("javascript:alert(1)", "not an http(s) URL"),
        ("ftp://files.acme.example", "not an http(s) URL"),
        ("https://", "not an http(s) URL"),
        ("file:///etc/passwd", "not an http(s) URL"),
    ],
)
def test_entry_urls_must_be_http_urls(one, url, hint):
    r = one("entry", "add", "--customer", "Acme", "--title", "New", "--url", url)
    assert hint in one_line_error(r)
    r = one("entry", "edit", "VPN", "--url", url)
    assert hint in one_line_error(r)
    titles = [e["title"] for e in json.loads(one.ok("entry", "list", "--json"))]
    assert titles == ["VPN"]  # nothing added
    shown = json.loads(one.ok("entry", "show", "VPN", "--json"))
    assert shown["urls"] == ["https://vpn.acme.example"]  # nothing changed


def test_http_and_https_urls_are_accepted(one):
    one.ok("entry", "edit", "VPN", "--url", "http://10.0.0.1:8080/login", "--url",
           "  https://vpn.acme.example/  ")
    shown = json.loads(one.ok("entry", "show", "VPN", "--json"))
    assert shown["urls"] == ["http://10.0.0.1:8080/login", "https://vpn.acme.example/"]
