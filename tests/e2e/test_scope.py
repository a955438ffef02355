"""Scoped clients in real Chromium against the real companion: a browser paired with
`otpc pair --read-only` sees no edit controls on the manage page, and the companion refuses its
writes anyway (driven through the page's own client call, bypassing the hidden controls); a browser
paired with `--customers "Acme Corp"` sees only that customer and cannot add customers. The browser
is re-paired for each and unpaired afterwards, so the other tests pair it read-write again."""

from __future__ import annotations

import json

import pytest

from .conftest import pair_through_popup, unpair_through_options

pytestmark = pytest.mark.e2e

API = "([path, body]) => chrome.runtime.sendMessage({op: 'api', path, body})"


def entry_ids(companion) -> dict[str, str]:
    entries = json.loads(companion.cli("entry", "list", "--json"))
    entries = entries["entries"] if isinstance(entries, dict) else entries
    return {f"{e['customer']}/{e['title']}": e["id"] for e in entries}


def customer_names(companion) -> str:
    return companion.cli("customer", "list")


@pytest.fixture
def repaired(browser, companion):
    """Pair the shared browser with the scope given by `otpc pair OPTIONS`; unpair afterwards."""
    def pair(*options: str):
        unpair_through_options(browser)
        pair_through_popup(browser, companion, *options)
        page = browser.context.new_page()
        page.set_viewport_size({"width": 1100, "height": 720})
        page.goto(browser.url("manage/manage.html"))
        page.wait_for_selector("#customers button")
        return page

    yield pair
    unpair_through_options(browser)


def test_read_only_client_sees_no_edit_controls_and_its_writes_are_refused(repaired, companion, artifacts):
    page = repaired("--read-only")
    assert {"Acme Corp", "Globex", "Initech"} <= set(page.locator("#customers button").all_inner_texts())
    assert "read-only" in page.inner_text("#who")
    assert "otpc pair --read-only" in page.inner_text("#scope-note")
    assert not page.is_visible("#add-customer") and not page.is_visible("#new-customer")
    page.click("#customers button:has-text('Acme Corp')")
    page.wait_for_selector("table.entries")
    assert not page.is_visible("#add-entry")
    assert page.is_visible("tr:has-text('Admin portal') button[data-act=otp]")  # codes are still there
    page.screenshot(path=artifacts / "manage-read-only.png")
    page.locator("tr", has_text="Admin portal").locator("button[data-act=details]").click()
    page.wait_for_selector("#reveal-otp")
    for control in ("#edit-otp", "#delete-otp", ".trash"):
        assert page.locator(control).count() == 0 or not page.locator(control).is_visible(), control
    page.click("#reveal-otp")
    page.wait_for_selector("#reveal-code[data-code]")
    page.screenshot(path=artifacts / "manage-read-only-details.png")

    # the companion refuses writes anyway: through the page's own client, past the hidden controls
    ids = entry_ids(companion)
    reply = page.evaluate(API, ["/v1/otp/delete", {"entry_id": ids["Acme Corp/Admin portal"]}])
    assert reply["ok"] is False and reply["kind"] == "read_only"
    assert reply["error"].startswith("The companion refused the change: this client is read-only.")
    reply = page.evaluate(API, ["/v1/entries/create", {"customer_id": "x", "title": "Sneaky"}])
    assert reply["kind"] == "read_only"
    # and the manage page says so in words when a (forced-visible) control is used
    page.evaluate("document.body.classList.remove('read-only')")
    page.fill("#new-customer", "Sneaky Ltd")
    page.click("#add-customer button")
    page.wait_for_selector("#toast:has-text('refused the change')")
    assert "read-only" in page.inner_text("#toast")
    assert "Sneaky" not in customer_names(companion)
    assert companion.code("Acme Corp/Admin portal")  # the OTP is still there
    page.close()


def test_customer_limited_client_sees_only_its_customers(repaired, browser, companion, pages, artifacts):
    page = repaired("--customers", "Acme Corp")
    assert page.locator("#customers button").all_inner_texts() == ["Acme Corp"]
    assert "1 customer only" in page.inner_text("#who")
    assert not page.is_visible("#add-customer")  # the companion refuses customers/create for it
    assert page.is_visible("#add-entry")  # but it may edit within Acme Corp
    assert page.locator("table.entries .title").all_inner_texts() == ["Admin portal", "Mail"]
    page.screenshot(path=artifacts / "manage-limited.png")

    ids = entry_ids(companion)
    reply = page.evaluate(API, ["/v1/customers/create", {"name": "Sneaky Ltd"}])
    assert reply["kind"] == "read_only" and "limited to listed customers" in reply["error"]
    reply = page.evaluate(API, ["/v1/entry", {"entry_id": ids["Globex/VPN"]}])
    assert reply["ok"] is False and reply["error"] == "no such entry"  # outside the scope = not there
    assert "Sneaky" not in customer_names(companion)
    page.close()

    # the popup's search over all entries finds only what the scope allows
    url = pages("nowhere.test", "nothing.html")
    tab = browser.context.new_page()
    tab.goto(url)
    popup = browser.open_popup(url)
    popup.wait_for_selector("#search")
    popup.fill("#search", "globex")
    popup.wait_for_selector("#results li.empty")
    popup.fill("#search", "a")
    popup.wait_for_selector("#results li.row")
    assert set(popup.locator("#results .customer").all_text_contents()) == {"Acme Corp"}
    popup.close()
    tab.close()
