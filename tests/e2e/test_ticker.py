"""Issue 9.3 in real Chromium with the real companion: the ticker asks for the next code only while its
page is visible, and marks the refreshes nobody asked for `"passive": true` in the signed body (the
companion then need not count them as activity, so an open popup or manage page cannot keep the vault
from auto-locking). The worker's fetch is wrapped to read what is sent; the companion is the real one."""

from __future__ import annotations

import time

import pytest

pytestmark = pytest.mark.e2e

RECORD = """() => {
  self.otpcSentCodes = [];
  if (!self.otpcRealFetch) self.otpcRealFetch = self.fetch;
  self.fetch = (url, init) => {
    if (String(url).endsWith("/v1/code")) self.otpcSentCodes.push(JSON.parse(init.body));
    return self.otpcRealFetch(url, init);
  };
}"""
SENT = "() => self.otpcSentCodes"
RESTORE = "() => { if (self.otpcRealFetch) self.fetch = self.otpcRealFetch; }"


def test_ticker_refreshes_are_passive_and_stop_while_hidden(paired, pages):
    url = pages("sso.initech.test", "single.html")  # "Fast token": 10 s periods
    for stale in [p for p in paired.context.pages if "/popup/popup.html" in p.url]:
        stale.close()  # a popup an earlier test left open would tick into the record below
    tab = paired.context.new_page()
    tab.goto(url)
    paired.worker.evaluate(RECORD)
    try:
        page = paired.open_popup(url)
        row = page.locator("li.row", has_text="Fast token")
        row.locator(".code[data-code]").wait_for(timeout=10_000)
        opened = paired.worker.evaluate(SENT)
        assert opened and all("passive" not in body for body in opened)  # opening the popup is a person
        first = row.locator(".code").get_attribute("data-code")
        page.wait_for_function("c => document.querySelector('li.row .code').dataset.code !== c",
                               arg=first, timeout=15_000)
        refreshes = paired.worker.evaluate(SENT)[len(opened):]
        assert refreshes and all(body.get("passive") is True for body in refreshes)
        # now the page is hidden: a whole period passes without a request or a new code
        page.evaluate("() => Object.defineProperty(document, 'visibilityState', "
                      "{configurable: true, get: () => 'hidden'})")
        # count only this popup's entries: pages other tests left open in the shared browser tick too
        ours = {body["entry_id"] for body in opened}
        before = sum(body["entry_id"] in ours for body in paired.worker.evaluate(SENT))
        hidden_code = row.locator(".code").get_attribute("data-code")
        time.sleep(11)
        assert sum(body["entry_id"] in ours for body in paired.worker.evaluate(SENT)) == before
        assert row.locator(".code").get_attribute("data-code") == hidden_code
        page.evaluate("() => delete document.visibilityState")  # visible again: it catches up
        page.wait_for_function("c => document.querySelector('li.row .code').dataset.code !== c",
                               arg=hidden_code, timeout=10_000)
        page.close()
    finally:
        paired.worker.evaluate(RESTORE)
    tab.close()
