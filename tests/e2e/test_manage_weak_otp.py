"""The manage page's OTP form keeps the companion's rule for weak codes (protocol § 8, /v1/otp/set):
4-5 digits (or a secret under 80 bits) are saved only after the user ticks "Accept a weak code",
which sends `"force": true`; otherwise nothing is saved and the form says why. Real Chromium, the
real extension, the real companion; `otpc code` checks what was stored against RFC 6238."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import struct
import time

import pytest

pytestmark = pytest.mark.e2e

SECRET = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
REF = "Globex/Door keypad"


def rfc_totp(at: float, digits: int) -> str:
    key = base64.b32decode(SECRET)
    mac = hmac.new(key, struct.pack(">Q", int(at // 30)), hashlib.sha1).digest()
    offset = mac[-1] & 0x0F
    value = struct.unpack(">I", mac[offset:offset + 4])[0] & 0x7FFFFFFF
    return str(value % 10**digits).zfill(digits)


def stored_code_matches(companion, digits: int) -> bool:
    for _ in range(3):
        code = companion.code(REF)
        now = time.time()
        if code in {rfc_totp(now + d, digits) for d in (-30, 0)}:
            return True
    return False


@pytest.fixture
def keypad(companion):
    companion.cli("entry", "add", "--customer", "Globex", "--title", "Door keypad")
    yield REF
    companion.cli("entry", "rm", "--exact", REF, "--yes")


@pytest.fixture
def manage(paired):
    page = paired.context.new_page()
    page.set_viewport_size({"width": 1100, "height": 720})
    page.goto(paired.url("manage/manage.html"))
    page.wait_for_selector("#customers button")
    yield page
    page.close()


def open_otp_form(manage):
    manage.click("#customers button:has-text('Globex')")
    manage.locator("tr", has_text="Door keypad").locator("button[data-act=details]").click()
    manage.click("#edit-otp")
    manage.wait_for_selector("#otp-form")


def has_otp(companion) -> bool:
    entries = json.loads(companion.cli("entry", "list", "--json"))
    if isinstance(entries, dict):
        entries = entries["entries"]
    return next(e for e in entries if f"{e['customer']}/{e['title']}" == REF)["has_otp"]


def test_four_digits_need_the_box_ticked(manage, companion, keypad, artifacts):
    open_otp_form(manage)
    assert manage.get_attribute("#otp-digits", "min") == "4"
    assert not manage.is_visible("#otp-weak-row")
    manage.fill("#otp-secret", SECRET)
    manage.fill("#otp-digits", "4")
    manage.wait_for_selector("#otp-weak-row", state="visible")
    manage.click("#otp-save")
    error = manage.inner_text("#otp-error")
    assert "4-digit codes are easy to guess" in error and "Accept a weak code" in error
    assert not has_otp(companion)  # nothing was saved
    manage.check("#otp-weak")
    manage.screenshot(path=artifacts / "manage-weak-otp.png")
    manage.click("#otp-save")
    manage.wait_for_selector("#reveal-otp")
    assert stored_code_matches(companion, 4)


def test_a_five_digit_uri_is_refused_by_the_companion_then_accepted(manage, companion, keypad):
    open_otp_form(manage)
    manage.fill("#otp-secret", f"otpauth://totp/Globex:door?secret={SECRET}&digits=5")
    assert not manage.is_visible("#otp-weak-row")  # the page cannot tell from a URI: the companion does
    manage.click("#otp-save")
    manage.wait_for_selector("#otp-error:has-text('5-digit codes are easy to guess')")
    error = manage.inner_text("#otp-error")
    assert "Accept a weak code" in error and "force" not in error
    assert manage.is_visible("#otp-weak-row")
    assert not has_otp(companion)
    manage.check("#otp-weak")
    manage.click("#otp-save")
    manage.wait_for_selector("#reveal-otp")
    assert stored_code_matches(companion, 5)
