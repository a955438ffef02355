"""The toolbar popup in real headless Chromium against the real companion: its states, pairing with a
code from `otpc pair`, the same code as `otpc code`, the countdown bar, rollover and unlocking."""

from __future__ import annotations

import pytest

from .conftest import PASSWORD, free_port, unpair_through_options

pytestmark = pytest.mark.e2e


def popup_code(page, entry_title: str) -> str:
    row = page.locator("li.row", has_text=entry_title)
    row.locator(".code[data-code]").wait_for(timeout=10_000)
    return row.locator(".code").get_attribute("data-code")


def test_states_then_pairing_with_a_code_from_otpc_pair(browser, companion, artifacts):
    unpair_through_options(browser)

    browser.set_port(free_port())  # nothing listens there
    page = browser.open_popup()
    page.wait_for_selector("body[data-state=not_running]")
    assert "otpc serve --port" in page.inner_text("main")
    page.screenshot(path=artifacts / "popup-not-running.png")

    browser.set_port(companion.port)
    page.click("#retry")
    page.wait_for_selector("body[data-state=not_paired]")
    assert "otpc pair" in page.inner_text("main")

    # a mistyped code is refused in the browser, before anything is sent
    page.fill("#pair-code", "1234")
    page.click("#pair-submit")
    page.wait_for_selector("#pair-error:has-text('mistyped')")

    code = companion.pairing_code()
    page.fill("#pair-code", code.lower())  # typed carelessly: lower case still works
    page.screenshot(path=artifacts / "popup-not-paired.png")
    page.click("#pair-submit")
    page.wait_for_selector("body[data-state=ready]", timeout=10_000)
    clients = companion.cli("clients", "list", "--json")
    assert "chrome-extension://cnkaadljlgmmkjmloicginhokmgbpjom" in clients
    page.close()


def test_popup_shows_the_same_code_as_otpc_code(paired, companion, pages, artifacts):
    tab = paired.context.new_page()
    url = pages("login.acme.test", "single.html")
    tab.goto(url)
    page = paired.open_popup(url)
    page.wait_for_selector("body[data-state=ready]")
    assert page.inner_text("#site") == "acme.test"
    titles = page.locator("#matches li.row .title").all_inner_texts()
    assert titles == ["Admin portal", "Mail"]  # the two Acme entries, not Globex's
    for _ in range(3):  # a period may roll over between the two reads
        shown = popup_code(page, "Admin portal")
        cli = companion.code("Acme Corp/Admin portal")
        if shown == cli or popup_code(page, "Admin portal") == cli:
            break
    else:
        pytest.fail(f"popup shows {shown}, otpc code says {cli}")
    grouped = page.locator("li.row", has_text="Admin portal").locator(".code").inner_text()
    assert grouped == f"{shown[:3]} {shown[3:]}"
    page.screenshot(path=artifacts / "popup-ready.png")
    page.close()
    tab.close()


def test_countdown_bar_shrinks_warns_and_rolls_over(paired, companion, pages, artifacts):
    """The Initech entry has a 10 s period, so the warning and the rollover come quickly."""
    tab = paired.context.new_page()
    url = pages("sso.initech.test", "nothing.html")
    tab.goto(url)
    page = paired.open_popup(url)
    page.bring_to_front()
    row = page.locator("li.row", has_text="Fast token")
    row.locator(".code[data-code]").wait_for(timeout=10_000)
    page.evaluate("""() => {
        window.seen = [];
        const code = document.querySelector("li.row .code");
        new MutationObserver(() => window.seen.push(code.textContent))
          .observe(code, {childList: true, characterData: true, subtree: true});
    }""")
    bar = row.locator(".timebar")
    first_code = row.locator(".code").get_attribute("data-code")
    # wait for the bar to move, then for the last 5 seconds
    start = float(bar.get_attribute("data-fraction"))
    page.wait_for_function(
        "f => Number(document.querySelector('li.row .timebar').dataset.fraction) < f - 0.02", arg=start
    )
    page.wait_for_selector("li.row .timebar.warn", timeout=12_000)
    colour = page.evaluate(
        "getComputedStyle(document.querySelector('li.row .timebar > span')).backgroundColor"
    )
    normal = page.evaluate("getComputedStyle(document.querySelector('.site') || document.body).color")
    assert colour != normal
    page.screenshot(path=artifacts / "popup-warning.png")
    # the next period brings the next code, without the old one ever disappearing
    page.wait_for_function(
        "c => document.querySelector('li.row .code').dataset.code !== c", arg=first_code, timeout=15_000
    )
    for _ in range(3):  # 10 s periods: the CLI's read may straddle the next rollover
        if row.locator(".code").get_attribute("data-code") == companion.code("Initech/Fast token"):
            break
    else:
        pytest.fail("after the rollover the popup and `otpc code` disagree")
    assert all(text.strip() and text != "\u2026" for text in page.evaluate("window.seen"))
    page.wait_for_selector("li.row .timebar:not(.warn)")
    page.close()
    tab.close()


def test_locked_state_and_unlock_from_the_popup(paired, companion, pages, artifacts):
    companion.cli("lock")
    tab = paired.context.new_page()
    url = pages("login.acme.test", "single.html")
    tab.goto(url)
    page = paired.open_popup(url)
    page.wait_for_selector("body[data-state=locked]")
    page.screenshot(path=artifacts / "popup-locked.png")
    page.fill("#unlock-password", "not the password")
    page.click("#unlock-submit")
    page.wait_for_selector("#unlock-error:not(:empty)")
    page.fill("#unlock-password", PASSWORD)
    page.click("#unlock-submit")
    page.wait_for_selector("body[data-state=ready]")
    page.locator("li.row .code[data-code]").first.wait_for()
    page.close()
    tab.close()


def test_search_and_keyboard(paired, pages):
    tab = paired.context.new_page()
    url = pages("nowhere.test", "nothing.html")
    tab.goto(url)
    page = paired.open_popup(url)
    page.wait_for_selector("#no-match")
    assert page.evaluate("document.activeElement.id") == "search"
    page.keyboard.type("globex")
    page.wait_for_selector("#results li.row")
    assert {"VPN", "Steam", "Wiki"} <= set(page.locator("#results .title").all_inner_texts())
    page.keyboard.press("ArrowDown")
    assert page.evaluate("document.activeElement.classList.contains('row')")
    page.close()
    tab.close()


def test_details_view_follows_the_lists_rule_for_showing_a_code(paired, companion, pages, artifacts):
    """One rule for the list and the details view: a time-based code is shown as soon as the entry is,
    the same code in both, and the view says why."""
    tab = paired.context.new_page()
    url = pages("login.acme.test", "single.html")
    tab.goto(url)
    page = paired.open_popup(url)
    in_list = popup_code(page, "Admin portal")
    page.locator("li.row", has_text="Admin portal").locator("button[data-act=details]").click()
    page.wait_for_selector("#details")
    assert page.inner_text("#details h2") == "Admin portal"
    assert page.inner_text("#detail-username") == "it@acme.test"
    assert page.inner_text("#detail-urls") == "https://login.acme.test/"
    assert page.inner_text("#detail-notes") == "Break-glass account"
    assert page.inner_text("#detail-otp") == "TOTP \u00b7 6 digits \u00b7 30 s"
    page.wait_for_selector("#reveal-code[data-code]")
    for _ in range(3):  # a period may roll over between the reads
        shown = page.get_attribute("#reveal-code", "data-code")
        cli = companion.code("Acme Corp/Admin portal")
        if shown in (in_list, cli):
            break
    else:
        pytest.fail(f"details view shows {shown}, the list showed {in_list}, `otpc code` says {cli}")
    assert page.is_visible("#details .timebar")
    assert "Time-based codes show at once" in page.inner_text("#why-shown")
    assert page.locator("#details button[data-act=fill]").is_visible()
    page.screenshot(path=artifacts / "popup-details.png")
    page.click("#back")
    page.wait_for_selector("#matches li.row")
    page.close()
    tab.close()
