"""Screenshots of every popup state and of the manage and options pages, written to docs/screenshots/
(checked in, so the README and reviewers see what users see). Each shot is taken only once the page
reached the state it is named after."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.conftest import PASSWORD, ROOT, pair_through_popup, unpair_through_options

pytestmark = pytest.mark.e2e

SHOTS = ROOT / "docs" / "screenshots"


def shot(page, name: str) -> Path:
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    page.screenshot(path=path)
    assert path.stat().st_size > 1000, name
    return path


def test_every_state_is_photographed(browser, companion, pages):
    browser.set_port(companion.port)
    tab = browser.context.new_page()
    url = pages("login.acme.test", "single.html")
    tab.goto(url)

    browser.set_port(1)  # nothing listens on port 1
    page = browser.open_popup()
    page.wait_for_selector("body[data-state=not_running]", timeout=10_000)
    shot(page, "popup-not-running")
    page.close()
    browser.set_port(companion.port)

    unpair_through_options(browser)
    page = browser.open_popup()
    page.wait_for_selector("body[data-state=not_paired]", timeout=10_000)
    shot(page, "popup-not-paired")
    page.fill("#pair-code", "1234")  # mistyped: refused in the browser, in words
    page.click("#pair-submit")
    page.wait_for_selector("#pair-error:not(:empty)")
    shot(page, "popup-pair-error")
    page.close()
    pair_through_popup(browser, companion)

    companion.cli("lock")
    page = browser.open_popup(url)
    page.wait_for_selector("body[data-state=locked]", timeout=10_000)
    shot(page, "popup-locked")
    page.fill("#unlock-password", PASSWORD)
    page.click("#unlock-submit")
    page.wait_for_selector("body[data-state=ready]", timeout=10_000)
    page.locator("li.row .code[data-code]").first.wait_for()
    shot(page, "popup-ready")
    page.locator("li.row", has_text="Admin portal").locator("button[data-act=details]").click()
    page.wait_for_selector("#details #reveal-code[data-code]")
    shot(page, "popup-details")
    page.close()

    other = browser.context.new_page()
    nowhere = pages("nowhere.test", "nothing.html")
    other.goto(nowhere)
    page = browser.open_popup(nowhere)
    page.wait_for_selector("#no-match")
    shot(page, "popup-no-match")
    page.fill("#search", "globex")
    page.wait_for_selector("#results li.row")
    shot(page, "popup-search")
    page.close()
    other.close()

    for name, path, ready in (("manage", "manage/manage.html", "#customers button"),
                              ("options", "options/options.html", "#pairing-name")):
        page = browser.context.new_page()
        page.set_viewport_size({"width": 1100, "height": 720})
        page.goto(browser.url(path))
        page.wait_for_selector(ready)
        shot(page, name)
        page.close()
    tab.close()
