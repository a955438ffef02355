"""The keyboard shortcut (Alt+Shift+O) and the context-menu item, in real Chromium against the real
companion. Headless Chromium can neither press browser shortcuts nor click context-menu items, so
the tests call, inside the service worker, the very functions the two listeners hand over to
(`self.otpcTestHooks.fillFromCommand(tab)`, `.fillFromContextMenu(info, tab)`), with the real tab.
One entry for the site → filled; several → a picker window asks (nothing filled meanwhile); none →
the picker says so and offers search."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.e2e

COMMAND = "tab => self.otpcTestHooks.fillFromCommand(tab)"
PICKER_SIZE = {"width": 400, "height": 580}
CONTEXT_MENU = "([info, tab]) => self.otpcTestHooks.fillFromContextMenu(info, tab)"


def codes_around(companion, ref: str, read) -> tuple[str, set[str]]:
    """Read a value, bracketed by `otpc code` before and after (a period may roll over between)."""
    before = companion.code(ref)
    value = read()
    return value, {before, companion.code(ref)}


def open_tab(browser, url: str):
    tab = browser.context.new_page()
    tab.goto(url)
    return tab, browser.tab(url)


def test_context_menu_item_is_registered_for_editable_fields(paired):
    items = paired.worker.evaluate("self.otpcTestHooks.menuItems()")
    assert items == [{"id": "otpc-fill", "title": "Fill one-time code", "contexts": ["editable"]}]
    # the menu really exists in the browser: updating an unknown id would fail
    paired.worker.evaluate("chrome.contextMenus.update('otpc-fill', {contexts: ['editable']})")
    with pytest.raises(Exception, match="otpc-nothing"):
        paired.worker.evaluate("chrome.contextMenus.update('otpc-nothing', {})")


def test_shortcut_fills_when_one_entry_matches(paired, companion, pages):
    tab, info = open_tab(paired, pages("console.hooli.test", "context.html"))
    result, codes = codes_around(companion, "Hooli/Console", lambda: paired.worker.evaluate(COMMAND, info))
    assert result["filled"] == 1 and "code" not in result  # the code never travels back to the caller
    assert tab.input_value("#otp") in codes
    assert tab.input_value("#answer") == ""
    tab.close()


def test_shortcut_on_a_page_without_a_field_marks_the_toolbar_icon(paired, pages):
    tab, info = open_tab(paired, pages("console.hooli.test", "nothing.html"))
    result = paired.worker.evaluate(COMMAND, info)
    assert result["filled"] == 0
    assert paired.worker.evaluate("tabId => chrome.action.getBadgeText({tabId})", info["id"]) == "!"
    assert "no one-time-code field" in paired.worker.evaluate("tabId => chrome.action.getTitle({tabId})", info["id"])
    assert tab.input_value("#wiki-search") == ""
    tab.close()


def test_context_menu_fills_the_field_that_was_right_clicked(paired, companion, pages):
    tab, info = open_tab(paired, pages("console.hooli.test", "context.html"))
    tab.click("#answer", button="right")  # a field detection would skip: the user chose it
    menu_info = {"menuItemId": "otpc-fill", "frameId": 0, "editable": True, "pageUrl": info["url"]}
    _, codes = codes_around(companion, "Hooli/Console",
                            lambda: paired.worker.evaluate(CONTEXT_MENU, [menu_info, info]))
    assert tab.input_value("#answer") in codes
    assert tab.input_value("#otp") == ""
    tab.close()


def test_several_matches_open_a_picker_and_nothing_is_filled_until_the_user_picks(
    paired, companion, pages, artifacts
):
    url = pages("login.acme.test", "single.html")
    tab, info = open_tab(paired, url)
    result = paired.worker.evaluate(COMMAND, info)
    assert result == {"picker": True, "reason": "several"}
    picker = paired.page_with("mode=pick")
    picker.set_viewport_size(PICKER_SIZE)  # headless ignores the window size windows.create asks for
    picker.wait_for_selector("#pick-note")
    assert "2 entries with a one-time code match acme.test" in picker.inner_text("#pick-note")
    assert picker.locator("#matches .title").all_inner_texts() == ["Admin portal", "Mail"]
    assert tab.input_value("#otp") == ""  # no silent guess
    picker.screenshot(path=artifacts / "picker-several.png")
    row = picker.locator("li.row", has_text="Mail")
    row.locator(".code[data-code]").wait_for()
    before = companion.code("Acme Corp/Mail")
    with picker.expect_event("close"):  # the picker closes itself once it has filled
        row.locator("button[data-act=fill]").click()
    assert tab.input_value("#otp") in {before, companion.code("Acme Corp/Mail")}
    assert tab.input_value("#email") == ""
    tab.close()


def test_no_match_says_so_and_offers_search(paired, pages, artifacts):
    url = pages("nowhere.test", "single.html")
    tab, info = open_tab(paired, url)
    assert paired.worker.evaluate(COMMAND, info) == {"picker": True, "reason": "none"}
    picker = paired.page_with("mode=pick")
    picker.set_viewport_size(PICKER_SIZE)  # headless ignores the window size windows.create asks for
    picker.wait_for_selector("#no-match")
    assert "No entry for nowhere.test" in picker.inner_text("#no-match")
    assert "Nothing was filled" in picker.inner_text("#no-match")
    assert picker.evaluate("document.activeElement.id") == "search"
    picker.keyboard.type("hooli")
    picker.wait_for_selector("#results li.row:has-text('Console') .code[data-code]")
    assert "null" not in picker.inner_text("main")
    picker.screenshot(path=artifacts / "picker-none.png")
    asked: list[str] = []
    picker.once("dialog", lambda d: (asked.append(d.message), d.accept()))  # not Hooli's site: say so
    with picker.expect_event("close"):
        picker.locator("#results li.row", has_text="Console").locator("button[data-act=fill]").click()
    assert asked and asked[0].startswith(f"Fill on {url.rsplit('/', 1)[0]} anyway?")
    assert len(tab.input_value("#otp")) == 6
    assert tab.input_value("#email") == ""
    tab.close()
