"""Issue 11.6, the manage page in real Chromium against the real companion: three panes side by side
(customers | entries | details) in a wide window, stacked in a narrow one; number fields as wide as
what they take; error messages that start with a capital and count positions as the user typed them.
Each state is photographed into docs/screenshots/."""

from __future__ import annotations

import io
import json

import pytest
from PIL import Image

from tests.e2e.test_screenshots import shot

pytestmark = pytest.mark.e2e


def columns(page) -> int:
    return len(page.evaluate("getComputedStyle(document.getElementById('layout')).gridTemplateColumns").split())


def box(page, selector: str) -> dict:
    b = page.locator(selector).bounding_box()
    assert b, f"{selector} is not on screen"
    return b


def open_manage(paired, width: int, height: int = 800):
    page = paired.context.new_page()
    page.set_viewport_size({"width": width, "height": height})
    page.goto(paired.url("manage/manage.html"))
    page.wait_for_selector("#customers button")
    page.click("#customers button:has-text('Acme Corp')")
    page.locator("tr", has_text="Admin portal").locator("button[data-act=details]").click()
    page.wait_for_selector("#details")
    return page


def test_wide_window_shows_customers_entries_and_details_side_by_side(paired):
    page = open_manage(paired, 1400)
    assert columns(page) == 3
    customers, entries, detail = box(page, ".sidebar"), box(page, "#main"), box(page, "#detail")
    assert customers["x"] + customers["width"] <= entries["x"] < entries["x"] + entries["width"] <= detail["x"]
    assert abs(entries["y"] - detail["y"]) < 2  # one row of panes
    assert detail["x"] + detail["width"] > 1300  # the width is used, up to the right edge
    assert page.locator("tr[aria-selected=true]").inner_text().startswith("Admin portal")
    shot(page, "manage-wide")
    page.close()


def test_narrow_window_stacks_the_panes(paired):
    page = open_manage(paired, 600, 1000)
    assert columns(page) == 1
    customers, entries, detail = box(page, ".sidebar"), box(page, "#main"), box(page, "#detail")
    assert customers["y"] + customers["height"] <= entries["y"]
    assert entries["y"] + entries["height"] <= detail["y"]
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")  # no sideways scrolling
    shot(page, "manage-narrow")
    page.close()


def test_number_fields_are_as_wide_as_their_content(paired):
    page = open_manage(paired, 1400)
    page.click("#edit-otp")
    secret = box(page, "#otp-secret")
    digits, period = box(page, "#otp-digits"), box(page, "#otp-period")
    assert digits["width"] < 100 and period["width"] < 130
    assert digits["width"] < period["width"] < secret["width"] / 2
    page.select_option("#otp-type", "hotp")
    assert page.is_visible("#otp-counter") and not page.is_visible("#otp-period")
    assert box(page, "#otp-counter")["width"] < secret["width"] / 2
    page.select_option("#otp-type", "steam")
    assert not page.is_visible("#otp-digits") and page.is_visible("#steam-note")
    page.close()


def test_secret_errors_count_positions_as_typed_and_start_with_a_capital(paired, companion):
    before = json.loads(companion.cli("entry", "list", "--json"))
    page = open_manage(paired, 1400)
    page.click("#edit-otp")
    page.fill("#otp-secret", "JBS WY1DPEHPK3PXP")  # the "1" is the 7th character typed, counting the space
    page.click("#otp-save")
    page.wait_for_selector("#otp-error:not(:empty)")
    error = page.inner_text("#otp-error")
    assert error.startswith("Character 7 (\u201c1\u201d) is not base32"), error
    assert "check for O, I or B" in error
    shot(page, "manage-otp-error")
    # the companion's own refusals read as sentences too
    page.fill("#otp-secret", "otpauth://totp/Acme?secret=JBSWY3DPEHPK3PXP&digits=12")
    page.click("#otp-save")
    # Typing clears the old error at once: wait for the companion's refusal, not for that blank.
    page.wait_for_function("() => { const t = document.getElementById('otp-error').textContent;"
                           " return t !== '' && !t.startsWith('Character'); }")
    error = page.inner_text("#otp-error")
    assert error[0].isupper() and error.endswith("."), error
    assert "`" not in error
    assert json.loads(companion.cli("entry", "list", "--json")) == before  # nothing was changed
    page.close()


def test_a_toast_from_the_otp_pop_up_shows_above_the_dialog(paired):
    """A modal dialog covers the page; the toast its Copy button raises must still be seen, and in the
    top bar, not over the code."""
    page = open_manage(paired, 1400)
    page.locator("tr", has_text="Admin portal").locator("button[data-act=otp]").click()
    page.wait_for_selector("#otp-code[data-code]")
    shot(page, "manage-otp-popup")
    page.add_style_tag(content="#toast { background: rgb(0, 200, 0) !important; }")  # a colour nothing else has
    page.locator("dialog button[data-act=copy]").click()
    page.wait_for_selector("#toast:has-text('Copied'):not(.hidden)")
    toast, code = box(page, "#toast"), box(page, "#otp-code")
    # what is painted there: the toast's own colour, not the page dimmed by the dialog's backdrop
    # (hit-testing cannot tell: a modal dialog makes everything outside it inert)
    corner = Image.open(io.BytesIO(page.screenshot(clip={"x": toast["x"] + 2, "y": toast["y"] + toast["height"] - 4,
                                                         "width": 1, "height": 1}))).convert("RGB").getpixel((0, 0))
    assert corner == (0, 200, 0), corner
    assert toast["y"] + toast["height"] <= box(page, "header.top")["height"] + 1
    assert toast["y"] + toast["height"] <= code["y"]
    page.close()
