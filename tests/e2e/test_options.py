"""The options page drives the extension, in real Chromium against the real companion: the port typed
into the page is the one the popup then talks to, and the clipboard delay typed into the page is the
one after which a copied code is cleared (only if the clipboard still holds it)."""

from __future__ import annotations

import time

import pytest

from .conftest import free_port

pytestmark = pytest.mark.e2e


@pytest.fixture
def options(paired):
    page = paired.context.new_page()
    page.goto(paired.url("options/options.html"))
    page.wait_for_selector("#pairing-name")
    yield page
    paired.set_port(paired.companion_port)
    page.evaluate("chrome.storage.local.set({clearClipboard: true, clipboardSeconds: 30})")
    page.close()


def save_port(options, port: int) -> None:
    options.fill("#port", str(port))
    options.click("#port-form button[type=submit]")
    options.wait_for_selector(f"#toast:has-text('127.0.0.1:{port}')")


def test_port_typed_on_the_options_page_is_the_one_the_popup_uses(options, paired, companion, pages):
    url = pages("login.acme.test", "single.html")
    tab = paired.context.new_page()
    tab.goto(url)
    elsewhere = free_port()  # nothing listens there
    save_port(options, elsewhere)
    popup = paired.open_popup(url)
    popup.wait_for_selector("body[data-state=not_running]")
    assert f"otpc serve --port {elsewhere}" in popup.inner_text("main")
    popup.close()

    save_port(options, companion.port)
    options.reload()
    assert options.input_value("#port") == str(companion.port)
    popup = paired.open_popup(url)
    popup.wait_for_selector("body[data-state=ready]")
    popup.locator("li.row", has_text="Admin portal").locator(".code[data-code]").wait_for()
    popup.close()

    options.fill("#port", "70000")  # out of range: refused with the reason, nothing saved
    options.evaluate("document.getElementById('port').removeAttribute('max')")
    options.click("#port-form button[type=submit]")
    options.wait_for_selector("#toast.bad:has-text('1 to 65535')")
    assert options.evaluate("chrome.storage.local.get('port')") == {"port": companion.port}
    tab.close()


def clipboard_text(page) -> str:
    page.bring_to_front()
    return page.evaluate("navigator.clipboard.readText()")


def clear_pending(paired) -> bool:
    """Is a clearing still due? (the worker keeps the code's hash until it has run)"""
    return bool(paired.worker.evaluate("chrome.storage.session.get('clipboardHash')"))


def clearing_finished(paired) -> bool:
    """Has the worker's clearing run to its end? It drops the code's hash and its alarm first, then
    reads (and maybe empties) the clipboard in an offscreen document that it closes at the end."""
    return paired.worker.evaluate("""async () => {
        const { clipboardHash } = await chrome.storage.session.get('clipboardHash');
        const alarm = await chrome.alarms.get('otpc-clear-clipboard');
        const open = await chrome.runtime.getContexts({ contextTypes: ['OFFSCREEN_DOCUMENT'] });
        return !clipboardHash && !alarm && open.length === 0;
    }""")


def wait_until(condition, page, what: str, seconds: float = 45) -> None:
    """Poll `condition` until it holds. The clearing is due after the delay; when the worker was
    stopped meanwhile, the alarm fallback fires no sooner than 30 s after the copy."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"{what} within {seconds:g} s")
        page.wait_for_timeout(250)


def copy_code(popup, title: str) -> str:
    row = popup.locator("li.row", has_text=title)
    row.locator(".code[data-code]").wait_for()
    row.locator("button[data-act=copy]").click()
    popup.wait_for_selector("#toast:has-text('Copied')")
    return row.locator(".code").get_attribute("data-code")


def test_clipboard_cleared_after_the_delay_set_on_the_options_page(options, paired, pages, artifacts):
    options.fill("#clipboard-seconds", "3")  # below the range: refused with the range
    options.evaluate("document.getElementById('clipboard-seconds').removeAttribute('min')")
    options.click("#clipboard-save")
    options.wait_for_selector("#toast.bad:has-text('from 5 to 300')")
    options.fill("#clipboard-seconds", "5")
    options.click("#clipboard-save")
    options.wait_for_selector("#toast:has-text('cleared after 5 s')")
    options.screenshot(path=artifacts / "options.png", full_page=True)

    # CDP refuses an origin for chrome-extension:// pages ("opaque origin"): grant for the context
    paired.context.grant_permissions(["clipboard-read", "clipboard-write"])
    url = pages("login.acme.test", "single.html")
    tab = paired.context.new_page()
    tab.goto(url)
    popup = paired.open_popup(url)

    # copied something else meanwhile: left alone
    code = copy_code(popup, "Admin portal")
    assert "cleared from the clipboard in 5 s" in popup.inner_text("#toast")
    assert clipboard_text(popup) == code
    popup.evaluate("navigator.clipboard.writeText('the user copied this')")
    assert clear_pending(paired)
    wait_until(lambda: clearing_finished(paired), popup, "the clipboard clearing never ran")
    assert clipboard_text(popup) == "the user copied this"  # the user's own copy is left alone

    # still holding the code: cleared
    code = copy_code(popup, "Mail")
    assert clipboard_text(popup) == code
    wait_until(lambda: clipboard_text(popup) == "", popup, "the code was not cleared")
    assert not clear_pending(paired)
    popup.close()
    tab.close()


def test_clipboard_clearing_can_be_switched_off(options, paired, pages):
    # A copy made by an earlier test (30 s by default) may still have its clearing due: let it run
    # first, so that a pending clearing below can only come from this copy.
    wait_until(lambda: clearing_finished(paired), options, "an earlier clearing never ran")
    options.uncheck("#clear-clipboard")
    options.wait_for_selector("#toast:has-text('stay on the clipboard')")
    assert options.is_disabled("#clipboard-seconds")
    paired.context.grant_permissions(["clipboard-read", "clipboard-write"])
    url = pages("login.acme.test", "single.html")
    tab = paired.context.new_page()
    tab.goto(url)
    popup = paired.open_popup(url)
    code = copy_code(popup, "Admin portal")
    assert popup.inner_text("#toast") == "Copied"
    assert not clear_pending(paired)
    assert clipboard_text(popup) == code
    popup.close()
    tab.close()
