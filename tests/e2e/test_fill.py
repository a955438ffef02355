"""Filling codes into local test pages through the popup's Fill button, in real Chromium with the real
companion: a single field among decoys, split inputs, Steam's five characters (frames of other
origins: test_fill_origin.py),
"submit after fill", and the audit log recording each fill and copy."""

from __future__ import annotations

import json

import pytest

pytestmark = pytest.mark.e2e

DECOYS = ["site-search", "email", "username", "password", "coupon", "zip", "captcha", "recovery"]


def fill_from_popup(browser, page_url: str, title: str) -> str:
    """Click Fill on the entry's row; returns the popup's toast text."""
    popup = browser.open_popup(page_url)
    try:
        row = popup.locator("li.row", has_text=title)
        row.locator("button[data-act=fill]").click()
        popup.wait_for_selector("#toast:not(.hidden)")
        return popup.inner_text("#toast")
    finally:
        popup.close()


def codes_now(companion, ref: str) -> set[str]:
    """The code `otpc code` gives now (a set, so a caller can add the neighbouring period's)."""
    return {companion.code(ref)}


def audit_actions(companion, ref: str) -> list[str]:
    events = json.loads(companion.cli("audit", "--entry", ref, "--json"))
    if isinstance(events, dict):
        events = events.get("events", [])
    return [e["action"] for e in events]


def test_single_field_is_filled_and_decoys_stay_empty(paired, companion, pages):
    url = pages("login.acme.test", "single.html")
    tab = paired.context.new_page()
    tab.goto(url)
    before = codes_now(companion, "Acme Corp/Admin portal")
    assert fill_from_popup(paired, url, "Admin portal") == "Filled"
    after = codes_now(companion, "Acme Corp/Admin portal")
    assert tab.input_value("#otp") in before | after
    for decoy in DECOYS:
        assert tab.input_value(f"#{decoy}") == "", decoy
    events = tab.evaluate("window.events")
    assert {"keydown:otp", "input:otp", "keyup:otp", "change:otp"} <= set(events)
    assert tab.evaluate("window.submitted") is False  # never submits unless enabled for the site
    assert "fill" in audit_actions(companion, "Acme Corp/Admin portal")
    tab.close()


def test_split_inputs_get_one_character_each(paired, companion, pages):
    url = pages("login.acme.test", "split.html")
    tab = paired.context.new_page()
    tab.goto(url)
    before = codes_now(companion, "Acme Corp/Mail")
    assert fill_from_popup(paired, url, "Mail") == "Filled"
    after = codes_now(companion, "Acme Corp/Mail")
    cells = [tab.input_value(f"#c{i}") for i in range(1, 7)]
    assert all(len(c) == 1 for c in cells)
    assert "".join(cells) in before | after
    assert tab.input_value("#promo") == ""
    tab.close()


def test_steam_five_characters(paired, companion, pages):
    url = pages("store.steam.test", "steam.html")
    tab = paired.context.new_page()
    tab.goto(url)
    before = codes_now(companion, "Globex/Steam")
    assert fill_from_popup(paired, url, "Steam") == "Filled"
    after = codes_now(companion, "Globex/Steam")
    code = "".join(tab.input_value(f"#s{i}") for i in range(1, 6))
    assert len(code) == 5 and code in before | after
    tab.close()


def test_page_without_a_code_field_says_so(paired, pages):
    url = pages("login.acme.test", "nothing.html")  # an Acme page with only a search box
    tab = paired.context.new_page()
    tab.goto(url)
    assert fill_from_popup(paired, url, "Admin portal") == "No one-time-code field found on this page."
    assert tab.input_value("#wiki-search") == ""
    tab.close()


def test_entry_without_otp_offers_no_fill(paired, pages):
    url = pages("wiki.globex.test", "nothing.html")
    tab = paired.context.new_page()
    tab.goto(url)
    popup = paired.open_popup(url)
    row = popup.locator("li.row", has_text="Wiki")
    row.wait_for()
    assert row.locator("button[data-act=fill]").count() == 0
    popup.close()
    tab.close()


def test_submit_after_fill_only_where_enabled(paired, companion, pages):
    url = pages("login.acme.test", "single.html")
    options = paired.context.new_page()
    options.goto(paired.url("options/options.html"))
    options.fill("#site", "login.acme.test")
    options.click("#site-form button")
    options.wait_for_selector("#submit-sites li:has-text('acme.test')")
    tab = paired.context.new_page()
    tab.goto(url)
    assert fill_from_popup(paired, url, "Admin portal") == "Filled and submitted"
    assert tab.evaluate("window.submitted") is True
    options.click("#submit-sites button[aria-label='Remove acme.test']")
    options.wait_for_selector("#submit-sites li:has-text('never submitted')")
    options.close()
    tab.close()


def test_copy_is_audited(paired, companion, pages):
    url = pages("login.acme.test", "single.html")
    tab = paired.context.new_page()
    tab.goto(url)
    paired.context.grant_permissions(["clipboard-read", "clipboard-write"])
    popup = paired.open_popup(url)
    row = popup.locator("li.row", has_text="Mail")
    row.locator(".code[data-code]").wait_for()
    shown = row.locator(".code").get_attribute("data-code")
    row.locator("button[data-act=copy]").click()
    popup.wait_for_selector("#toast:has-text('Copied')")
    assert popup.evaluate("navigator.clipboard.readText()") == shown
    assert "copy" in audit_actions(companion, "Acme Corp/Mail")
    popup.close()
    tab.close()
