"""The manage page in real Chromium against the real companion: customers → entries → OTP pop-up with
the live code → add an entry → set an OTP (lowercase secret converted and said so) → edit it → delete it
after the irreversible-deletion warning. The companion's CLI checks every result."""

from __future__ import annotations

import json
import subprocess
import time

import pyotp
import pytest

pytestmark = pytest.mark.e2e

NEW_SECRET = "mzxw6ytboi4dqnrqgeztqmrrgaytemzu"  # typed in lower case on purpose
EDITED_SECRET = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"


def entry_json(companion, ref: str) -> dict:
    entries = json.loads(companion.cli("entry", "list", "--json"))
    if isinstance(entries, dict):
        entries = entries["entries"]
    return next(e for e in entries if f"{e['customer']}/{e['title']}" == ref)


def matches_secret(companion, ref: str, secret: str) -> bool:
    totp = pyotp.TOTP(secret.upper())
    for _ in range(3):
        code = companion.code(ref)
        if code in (totp.now(), totp.at(time.time() - 30)):
            return True
    return False


@pytest.fixture
def manage(paired):
    page = paired.context.new_page()
    page.set_viewport_size({"width": 1100, "height": 720})
    page.goto(paired.url("manage/manage.html"))
    page.wait_for_selector("#customers button")
    yield page
    page.close()


def test_otp_popup_shows_the_live_code(manage, companion, artifacts):
    manage.click("#customers button:has-text('Acme Corp')")
    row = manage.locator("tr", has_text="Admin portal")
    row.locator("button[data-act=otp]").click()
    manage.wait_for_selector("#otp-code[data-code]")
    for _ in range(3):
        if manage.get_attribute("#otp-code", "data-code") == companion.code("Acme Corp/Admin portal"):
            break
    else:
        pytest.fail("the OTP pop-up and `otpc code` disagree")
    assert manage.is_visible("#otp-bar")
    manage.screenshot(path=artifacts / "manage-otp-popup.png")
    manage.click("dialog button:has-text('Close')")


def test_add_entry_set_edit_and_delete_otp(manage, companion, artifacts):
    manage.click("#customers button:has-text('Globex')")
    manage.click("#add-entry")
    manage.fill("#entry-title", "Router")
    manage.fill("#entry-username", "admin")
    manage.fill("#entry-urls", "https://router.globex.test/")
    manage.click("#entry-save")
    manage.wait_for_selector("#details >> text=none")
    assert entry_json(companion, "Globex/Router")["has_otp"] is False

    # set: a lowercase secret is accepted, converted, and the user is told
    manage.click("#edit-otp")
    manage.fill("#otp-secret", NEW_SECRET)
    assert "uppercase" in manage.inner_text("#otp-hint")
    manage.screenshot(path=artifacts / "manage-edit-otp.png")
    manage.click("#otp-save")
    manage.wait_for_selector("#notice:has-text('uppercase')")
    assert matches_secret(companion, "Globex/Router", NEW_SECRET)
    manage.click("#reveal-otp")
    manage.wait_for_selector("#reveal-code[data-code]")
    manage.screenshot(path=artifacts / "manage-details.png")

    # edit: change the secret
    manage.click("#edit-otp")
    manage.fill("#otp-secret", EDITED_SECRET)
    manage.click("#otp-save")
    manage.wait_for_selector("#reveal-otp")
    assert matches_secret(companion, "Globex/Router", EDITED_SECRET)

    # delete: the confirmation says it cannot be undone; cancelling keeps the OTP
    manage.click("#delete-otp")
    warning = manage.inner_text("dialog")
    assert "cannot be undone" in warning and "cannot be recovered" in warning
    assert "still reach the account" in warning
    manage.screenshot(path=artifacts / "manage-delete-confirm.png")
    manage.click("dialog button:has-text('Cancel')")
    assert entry_json(companion, "Globex/Router")["has_otp"] is True
    manage.click("#delete-otp")
    manage.click("#confirm-delete")
    manage.wait_for_selector("#otp-summary:has-text('none')")
    assert entry_json(companion, "Globex/Router")["has_otp"] is False
    with pytest.raises(subprocess.CalledProcessError):
        companion.code("Globex/Router")


def test_search_within_a_customer(manage):
    manage.click("#customers button:has-text('Globex')")
    manage.wait_for_selector(".toolbar h2:has-text('Globex')")
    manage.fill("#entry-search", "vpn")
    manage.wait_for_function("() => document.querySelectorAll('table.entries tbody tr').length === 1")
    assert manage.inner_text("table.entries tbody").startswith("VPN")
