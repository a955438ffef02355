"""Issue 9.1 and 9.2 as attacks in real Chromium with the real companion: a code goes only to a document
whose origin matches the entry's URLs, checked when Fill is pressed, and anything else needs the user to
accept "Fill on <origin> anyway?" naming it. Playwright dismisses an unhandled dialog, which is the
"no" answer; the tests that say yes accept it explicitly."""

from __future__ import annotations

import pytest

from tests.e2e.test_fill import codes_now

pytestmark = pytest.mark.e2e


def fill_answering(browser, page_url: str, title: str, accept: bool) -> tuple[str, list[str]]:
    """Click Fill on the entry's row, answer the confirmation; returns (toast, dialog messages)."""
    popup = browser.open_popup(page_url)
    asked: list[str] = []

    def answer(dialog):
        asked.append(dialog.message)
        dialog.accept() if accept else dialog.dismiss()

    popup.on("dialog", answer)
    try:
        popup.locator("li.row", has_text=title).locator("button[data-act=fill]").click()
        popup.wait_for_selector("#toast:not(.hidden)")
        return popup.inner_text("#toast"), asked
    finally:
        popup.close()


def test_cross_origin_frame_gets_nothing_the_real_field_gets_the_code(paired, companion, pages):
    url = pages("login.acme.test", "framed-attack.html")
    tab = paired.context.new_page()
    tab.goto(url)
    frame = tab.frame_locator("#ad")
    frame.locator("#mfa").wait_for(state="attached")
    before = codes_now(companion, "Acme Corp/Admin portal")
    toast, asked = fill_answering(paired, url, "Admin portal", accept=False)
    after = codes_now(companion, "Acme Corp/Admin portal")
    assert toast == "Filled" and asked == []
    assert tab.input_value("#otp") in before | after
    assert frame.locator("#mfa").input_value() == ""
    tab.close()


def test_cross_origin_frame_only_after_a_confirmation_naming_it(paired, companion, pages):
    url = pages("vpn.globex.test", "outer.html")  # the sign-in form lives in another site's frame
    idp = url.split("//")[0] + "//idp.sso-provider.test:" + url.split(":")[2].split("/")[0]
    tab = paired.context.new_page()
    tab.goto(url)
    frame = tab.frame_locator("#sso")
    frame.locator("#mfa").wait_for()
    toast, asked = fill_answering(paired, url, "VPN", accept=False)
    assert asked and asked[0].startswith(f"Fill on {idp} anyway?")
    assert toast.startswith("Not filled") and frame.locator("#mfa").input_value() == ""
    before = codes_now(companion, "Globex/VPN")
    toast, asked = fill_answering(paired, url, "VPN", accept=True)
    after = codes_now(companion, "Globex/VPN")
    assert toast == "Filled" and len(asked) == 1
    assert frame.locator("#mfa").input_value() in before | after
    tab.close()


def test_navigation_between_popup_and_fill_is_caught(paired, pages):
    url = pages("login.acme.test", "single.html")
    elsewhere = pages("evil-acme.test", "single.html")
    tab = paired.context.new_page()
    tab.goto(url)
    popup = paired.open_popup(url)  # opened on the real site: its rows are the Acme entries
    asked: list[str] = []
    popup.on("dialog", lambda d: (asked.append(d.message), d.dismiss()))
    row = popup.locator("li.row", has_text="Admin portal")
    row.wait_for()
    tab.goto(elsewhere)  # the tab moves on before Fill is pressed
    row.locator("button[data-act=fill]").click()
    popup.wait_for_selector("#toast:not(.hidden)")
    origin = elsewhere.rsplit("/", 1)[0]
    assert asked and asked[0].startswith(f"Fill on {origin} anyway?")
    assert popup.inner_text("#toast").startswith("Not filled")
    assert tab.input_value("#otp") == ""
    popup.close()
    tab.close()


def test_look_alike_host_found_by_search_needs_confirmation(paired, pages):
    url = pages("login.acme-secure.test", "single.html")  # a look-alike of login.acme.test
    tab = paired.context.new_page()
    tab.goto(url)
    popup = paired.open_popup(url)
    asked: list[str] = []
    popup.on("dialog", lambda d: (asked.append(d.message), d.dismiss()))
    popup.fill("#search", "Admin portal")
    row = popup.locator("li.row", has_text="Admin portal")
    row.locator("button[data-act=fill]").click()
    popup.wait_for_selector("#toast:not(.hidden)")
    assert asked and asked[0].startswith(f"Fill on {url.rsplit('/', 1)[0]} anyway?")
    assert tab.input_value("#otp") == ""
    popup.close()
    tab.close()


def test_https_entry_never_fills_an_http_page_silently(paired, pages):
    url = pages("login.acme.test", "single.html", scheme="http")  # right host, scheme dropped
    tab = paired.context.new_page()
    tab.goto(url)
    toast, asked = fill_answering(paired, url, "Admin portal", accept=False)
    assert asked and asked[0].startswith(f"Fill on {url.rsplit('/', 1)[0]} anyway?")
    assert tab.input_value("#otp") == "" and toast.startswith("Not filled")
    tab.close()
