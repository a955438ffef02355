"""HOTP entries in real Chromium against the real companion. HOTP codes do not expire and each one
uses up the counter, so: no countdown bar, a "Next code" button, nothing fetched behind the user's
back (the popup opens without touching the counter), and every code shown is the next one of the
RFC 4226 sequence, which `otpc code` then continues."""

from __future__ import annotations

import pytest

from .conftest import RFC4226_CODES

pytestmark = pytest.mark.e2e


def shown_code(page, code_element, previous: str | None) -> str:
    """Wait until the code element shows a code other than `previous`; return it."""
    handle = code_element.element_handle() if hasattr(code_element, "element_handle") else page.wait_for_selector(code_element)
    page.wait_for_function(
        "([el, prev]) => el.dataset.code && el.dataset.code !== prev", arg=[handle, previous]
    )
    return handle.get_attribute("data-code")


def test_popup_hotp_row_has_no_countdown_and_uses_the_counter_only_on_request(
    paired, companion, pages, artifacts
):
    tab = paired.context.new_page()
    url = pages("door.umbrella.test", "single.html")
    tab.goto(url)
    page = paired.open_popup(url)
    row = page.locator("li.row", has_text="Door controller")
    row.wait_for()
    assert row.locator(".timebar").count() == 0  # an HOTP code never runs out
    assert row.locator(".code").get_attribute("data-code") is None  # no code made on opening
    assert "counter-based" in row.inner_text()
    assert row.locator("button[data-act=next]").inner_text() == "Next code"
    page.screenshot(path=artifacts / "popup-hotp-concealed.png")
    page.fill("#search", "door controller")  # search results do not make HOTP codes either
    found = page.locator("#results li.row", has_text="Door controller")
    found.wait_for()
    assert found.locator(".code").get_attribute("data-code") is None
    page.close()

    # a second opening still has not used up anything: the first code asked for is the RFC's first
    page = paired.open_popup(url)
    row = page.locator("li.row", has_text="Door controller")
    seen = []
    for _ in range(3):
        row.locator("button[data-act=next]").click()
        seen.append(shown_code(page, row.locator(".code"), seen[-1] if seen else None))
    assert seen == RFC4226_CODES[:3]
    assert row.locator(".code").inner_text() == "359 152"
    assert "no expiry" in row.inner_text()
    assert row.locator(".timebar").count() == 0
    page.screenshot(path=artifacts / "popup-hotp.png")

    # Fill uses the code on screen; it does not make another one
    row.locator("button[data-act=fill]").click()
    page.wait_for_selector("#toast:has-text('Filled')")
    assert tab.input_value("#otp") == RFC4226_CODES[2]
    page.close()

    # the companion's counter moved with every code shown: `otpc code` gives the next ones
    assert companion.code("Umbrella/Door controller") == RFC4226_CODES[3]
    assert companion.code("Umbrella/Door controller") == RFC4226_CODES[4]
    tab.close()


def test_manage_page_hotp_popup_and_details(paired, companion, artifacts):
    page = paired.context.new_page()
    page.set_viewport_size({"width": 1100, "height": 720})
    page.goto(paired.url("manage/manage.html"))
    page.click("#customers button:has-text('Umbrella')")
    row = page.locator("tr", has_text="Badge system")
    row.locator("button[data-act=otp]").click()  # the user asked for a code: this uses the counter
    seen = [shown_code(page, "#otp-code", None)]
    assert page.locator("#otp-bar").count() == 0
    assert "no expiry" in page.inner_text("#otp-secs")
    assert "null" not in page.inner_text("dialog")
    page.click("#otp-next")
    seen.append(shown_code(page, "#otp-code", seen[-1]))
    page.screenshot(path=artifacts / "manage-hotp-popup.png")
    page.click("dialog button:has-text('Close')")

    row.locator("button[data-act=details]").click()
    page.wait_for_selector("#otp-summary:has-text('HOTP')")
    assert page.get_attribute("#reveal-code", "data-code") is None
    page.click("#reveal-otp")
    seen.append(shown_code(page, "#reveal-code", None))
    assert page.inner_text("#reveal-otp") == "Next code"
    page.click("#reveal-otp")
    seen.append(shown_code(page, "#reveal-code", seen[-1]))
    assert not page.is_visible("#details .timebar")
    assert seen == RFC4226_CODES[:4]
    assert companion.code("Umbrella/Badge system") == RFC4226_CODES[4]
    page.close()
