"""Issue 11.6: a locked vault on the manage page shows an unlock form and clear steps, and the page
recovers by itself when the vault is unlocked elsewhere; no "reload the page"."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import PASSWORD
from tests.e2e.test_screenshots import shot

pytestmark = pytest.mark.e2e


def test_locked_manage_page_unlocks_from_its_form(paired, companion):
    companion.cli("lock")
    page = paired.context.new_page()
    page.goto(paired.url("manage/manage.html"))
    page.wait_for_selector("#waiting[data-state=locked]")
    assert "reload" not in page.inner_text("body").lower()
    assert "otpc unlock" in page.inner_text("#waiting")
    shot(page, "manage-locked")
    page.fill("#manage-unlock-password", "not the password")
    page.click("#manage-unlock-submit")
    page.wait_for_selector("#manage-unlock-error:not(:empty)")
    page.fill("#manage-unlock-password", PASSWORD)
    page.click("#manage-unlock-submit")
    page.wait_for_selector("#customers button:has-text('Acme Corp')")
    assert page.locator("#waiting").count() == 0
    page.close()


def test_locked_manage_page_recovers_when_unlocked_in_a_terminal(paired, companion):
    companion.cli("lock")
    page = paired.context.new_page()
    page.goto(paired.url("manage/manage.html"))
    page.wait_for_selector("#waiting[data-state=locked]")
    companion.cli("unlock")  # OTPC_PASSWORD from the harness: nobody touches the page
    page.wait_for_selector("#customers button:has-text('Acme Corp')", timeout=15_000)
    assert page.locator("#waiting").count() == 0
    page.close()
