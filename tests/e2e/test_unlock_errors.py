"""The unlock forms name each refusal truthfully: "Wrong password." only for the companion's
wrong_password; the rate limit (after 10 wrong passwords, protocol § 5) says to wait and how long;
unlocking switched off in the config (`"allow_http_unlock": false`) says how to switch it on. Real
companion over a real locked vault on a real port, the real extension in Chromium, paired through its
popup; each test pairs anew (a new client id, so a fresh failure count) and leaves the shared browser
unpaired, so the other tests pair it with the shared companion again."""

from __future__ import annotations

import json
import os
import re
import subprocess

import pytest

from tests.e2e.conftest import (
    OTPC,
    PASSWORD,
    Companion,
    free_port,
    unpair_through_options,
    wait_for_port,
)

pytestmark = pytest.mark.e2e

WRONG = "not the master password"
FAILS_PER_CLIENT = 10  # companion/server/auth.py: the 10th wrong password starts the 60 s penalty


class LockedCompanion(Companion):
    """`otpc serve` over a locked vault; stop() and start() again on the same port keep the pairing."""

    def start(self) -> None:
        env = {k: v for k, v in os.environ.items() if k != "OTPC_PASSWORD"}  # it starts locked
        self.proc = subprocess.Popen(
            [str(OTPC), "--vault", str(self.vault), "serve", "--port", str(self.port)],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
        wait_for_port(self.port, self.proc)

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()

    def write_config(self, settings: dict) -> None:
        path = self.vault.with_name(self.vault.stem + ".config.json")  # companion.paths.config_path
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            json.dump(settings, f)


@pytest.fixture
def locked(tmp_path, monkeypatch):
    from companion.vault import Vault

    monkeypatch.setenv("OTPC_STATE_DIR", str(tmp_path / "state"))  # the companion and CLI inherit it
    vault = tmp_path / "vault.otpc"
    Vault.create(vault, PASSWORD, kdf_ms=1).close()
    companion = LockedCompanion(vault, free_port(), None)
    companion.start()
    try:
        yield companion
    finally:
        companion.stop()


@pytest.fixture
def popup(browser, locked):
    """The popup of the browser freshly paired with the locked companion, showing the unlock form."""
    browser.set_port(locked.port)
    unpair_through_options(browser)
    page = browser.open_popup()
    try:
        page.wait_for_selector("body[data-state=not_paired]", timeout=10_000)
        page.fill("#pair-code", locked.pairing_code())
        page.click("#pair-submit")
        page.wait_for_selector("body[data-state=locked] #unlock-password", timeout=10_000)
        yield page
    finally:
        page.close()
        unpair_through_options(browser)


def unlock_says(page, password: str, field: str = "#unlock-password", button: str = "#unlock-submit",
                error: str = "#unlock-error") -> str:
    """Submit the form and return what its error line says once the answer came."""
    page.fill(field, password)
    page.eval_on_selector(error, "el => { el.textContent = ''; }")  # the manage form keeps no busy state
    page.click(button)
    page.wait_for_function("([b, e]) => !document.querySelector(b).disabled && document.querySelector(e).textContent",
                           arg=[button, error], timeout=10_000)
    return page.inner_text(error)


def test_a_wrong_password_says_so_in_the_popup_and_on_the_manage_page(browser, popup):
    assert unlock_says(popup, WRONG) == "Wrong password."
    manage = browser.context.new_page()
    try:
        manage.goto(browser.url("manage/manage.html"))
        manage.wait_for_selector("#manage-unlock-password", timeout=10_000)
        said = unlock_says(manage, WRONG, "#manage-unlock-password", "#manage-unlock-submit", "#manage-unlock-error")
        assert said == "Wrong password."  # the same words as the popup (lib/refusals.js)
        assert manage.is_visible("#manage-unlock-password")
    finally:
        manage.close()


def test_the_rate_limit_says_to_wait_not_wrong_password(popup):
    for attempt in range(1, FAILS_PER_CLIENT + 1):
        assert unlock_says(popup, WRONG) == "Wrong password.", f"attempt {attempt}"
    said = unlock_says(popup, PASSWORD)  # even the right password now waits: the companion refuses the client
    assert "Wrong password" not in said, said
    match = re.search(r"Wait (\d+) seconds, then try again\.$", said)
    assert match and 1 <= int(match.group(1)) <= 61, said  # the companion's Retry-After (60 s penalty)
    assert said.startswith("Too many failed attempts"), said
    assert popup.is_visible("#unlock-password")  # still locked, nothing opened


def test_unlock_switched_off_says_how_to_switch_it_on(browser, popup, locked: LockedCompanion):
    # The popup showed the form; meanwhile someone switches unlocking over HTTP off and restarts.
    locked.stop()
    locked.write_config({"allow_http_unlock": False})
    locked.start()
    said = unlock_says(popup, PASSWORD)
    assert "Wrong password" not in said, said
    assert "switched off" in said and "\u201callow_http_unlock\u201d to true" in said, said
    assert "vault.config.json" in said and "otpc unlock" in said, said
    assert popup.is_visible("#unlock-password")  # the right password was refused, not used
    # Opened now, the popup and the manage page know from the status: no form, the same how-to.
    again = browser.open_popup()
    manage = browser.context.new_page()
    try:
        again.wait_for_selector("body[data-state=locked] #unlock-off", timeout=10_000)
        assert again.locator("#unlock-password").count() == 0
        manage.goto(browser.url("manage/manage.html"))
        manage.wait_for_selector("#waiting[data-state=locked] #manage-unlock-off", timeout=10_000)
        assert manage.locator("#manage-unlock-password").count() == 0
        for shown in (again.inner_text("#unlock-off"), manage.inner_text("#manage-unlock-off")):
            assert "\u201callow_http_unlock\u201d to true" in shown and "vault.config.json" in shown, shown
    finally:
        again.close()
        manage.close()
