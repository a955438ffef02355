"""Issue 11.7: `otpc pair` tells the user exactly what the popup shows. Every label the command quotes
is on the popup's screen; then the printed code pairs this browser through that screen."""

from __future__ import annotations

import re

import pytest

from tests.e2e.conftest import is_paired, unpair_through_options

pytestmark = pytest.mark.e2e


def test_otpc_pair_names_only_what_the_popup_shows(browser, companion):
    browser.set_port(companion.port)
    unpair_through_options(browser)
    out = companion.cli("pair")
    labels = re.findall(r"'([^']+)'", out)
    code = re.search(r"\b([0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4})\b", out).group(1)
    assert str(companion.port) in out
    page = browser.open_popup()
    try:
        page.wait_for_selector("body[data-state=not_paired]", timeout=10_000)
        screen = page.inner_text("body")
        not_paired_labels = [label for label in labels if label not in (
            "The companion is not running", "Change port")]  # those belong to the not-running screen
        assert len(not_paired_labels) == 3
        for label in not_paired_labels:
            assert label in screen, f"otpc pair names {label!r}; the popup does not show it"
        page.fill("#pair-code", code)
        page.click(f"button:has-text('{not_paired_labels[-1]}')")
        page.wait_for_selector("body[data-state=ready]", timeout=10_000)
    finally:
        page.close()
    assert is_paired(browser)
    page = browser.open_popup()
    browser.set_port(1)  # nothing listens on port 1: the not-running screen
    page.reload()
    try:
        page.wait_for_selector("body[data-state=not_running]", timeout=10_000)
        screen = page.inner_text("body")
        assert "The companion is not running" in screen and "Change port" in screen
    finally:
        browser.set_port(companion.port)
        page.close()
