"""Team entries in real Chromium with the real extension, against real companions that are members
of a real team (PostgreSQL cluster of its own, members enrolled through the `otpc` CLI, as in
tests/team): alice's Login Role `tech-a` may only view CustA's codes. The popup and the manage page
show the entry with a Team badge and its live code; Add entry, Edit OTP and Delete OTP are disabled
with a tooltip naming the missing permission; a Delete forced past the disabled button is refused by
the companion (403 "forbidden") and shown as one sentence, and the OTP is still there afterwards.
carol's role `editor` (edit only) gets no code anywhere: "no access" in the popup, OTP and Reveal OTP
disabled on the manage page, Edit OTP and Add entry enabled, Delete OTP disabled."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.e2e.conftest import (
    OTPC,
    free_port,
    pair_through_popup,
    unpair_through_options,
    wait_for_port,
)

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "team"))
import teamcli as tc  # noqa: E402
from pgcluster import Cluster  # noqa: E402

pytestmark = pytest.mark.e2e

AT = 1_700_000_000.0
FORBIDDEN_SENTENCE = "Your team role may not delete in CustA/Mail: ask a team admin if you need it."


class MemberCompanion:
    """`otpc serve` on a team member's vault (the member's own database login, from the vault)."""

    def __init__(self, tech: tc.Tech):
        self.tech, self.port = tech, free_port()
        env = {**tech.env(), "PGPASSWORD": ""}
        self.proc = subprocess.Popen([str(OTPC), "--vault", str(tech.vault), "serve", "--port", str(self.port)],
                                     stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.PIPE, env=env)
        wait_for_port(self.port, self.proc, timeout=40)

    def pairing_code(self, *options: str) -> str:
        import re

        out = self.tech.ok("pair", *options)
        match = re.search(r"\b([0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4})\b", out)
        assert match, "otpc pair printed no code"
        return match.group(1)

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


@pytest.fixture(scope="module")
def team(tmp_path_factory):
    cluster = Cluster().start()
    try:
        yield tc.make_team(cluster, tmp_path_factory.mktemp("team"), with_bob=False)
    finally:
        cluster.stop()


@pytest.fixture(scope="module")
def carol(team, tmp_path_factory):
    """A member whose role (`editor`) may edit CustA's entries but not see their codes."""
    tech = tc.Tech("carol", tmp_path_factory.mktemp("carol"))
    tech.ok("init", "--kdf-ms", "1")
    team.founder.ok("team", "role", "add", "editor", "--customers", "CustA", "--can", "edit")
    tc.enrol(team.founder, tech, "editor")
    return tech


def paired_with(browser, tech: tc.Tech):
    """The shared browser paired with `tech`'s companion; unpaired afterwards so that the other
    tests' `paired` fixture pairs it with the shared companion again."""
    companion = MemberCompanion(tech)
    try:
        unpair_through_options(browser)
        pair_through_popup(browser, companion)
        yield browser
        unpair_through_options(browser)
    finally:
        browser.companion_port = None
        companion.stop()


@pytest.fixture
def alice_paired(browser, team):
    yield from paired_with(browser, team.alice)


@pytest.fixture
def carol_paired(browser, carol):
    yield from paired_with(browser, carol)


def current_codes(secret: str) -> set[str]:
    now = time.time()
    return {tc.totp(secret, now), tc.totp(secret, now - 30)}


def test_view_only_member_sees_badge_and_code_but_no_edit_or_delete(alice_paired, team, artifacts):
    browser = alice_paired

    # The popup: a search finds the team entry; it carries the badge and its live code.
    popup = browser.open_popup()
    try:
        popup.wait_for_selector("body[data-state=ready]", timeout=15_000)
        popup.fill("#search", "Mail")
        row = popup.locator("#results li.row", has_text="Mail")
        row.locator(".team-badge").wait_for(timeout=10_000)
        assert row.locator(".team-badge").inner_text().strip().lower() == "team"
        popup.wait_for_function("() => document.querySelector('#results li.row .code[data-code]')", timeout=10_000)
        assert row.locator(".code").get_attribute("data-code") in current_codes(tc.SECRET_A)
        popup.screenshot(path=artifacts / "team-popup-view-only.png")
    finally:
        popup.close()

    # The manage page: badge on the row and in the details; Reveal OTP (a code) allowed, the rest not.
    manage = browser.context.new_page()
    try:
        manage.set_viewport_size({"width": 1100, "height": 720})
        manage.goto(browser.url("manage/manage.html"))
        manage.click("#customers button:has-text('CustA')")
        add = manage.locator("#add-entry")
        add.wait_for()
        assert add.is_disabled()
        assert "\u201cedit\u201d permission" in add.get_attribute("title")
        row = manage.locator("tr", has_text="Mail")
        assert row.locator(".team-badge").is_visible()
        row.locator("button[data-act=details]").click()
        manage.wait_for_selector("#details .team-badge")

        edit, delete = manage.locator("#edit-otp"), manage.locator("#delete-otp")
        assert edit.is_disabled() and delete.is_disabled()
        assert edit.get_attribute("title") == "Your team role lacks the \u201cedit\u201d permission: it may not edit it."
        assert delete.get_attribute("title") == ("Your team role lacks the \u201cdelete\u201d permission: "
                                                 "it may not delete its OTP.")
        manage.click("#reveal-otp")
        manage.wait_for_selector("#reveal-code[data-code]")
        assert manage.get_attribute("#reveal-code", "data-code") in current_codes(tc.SECRET_A)
        manage.screenshot(path=artifacts / "team-manage-view-only.png")

        # Forced past the disabled button (as a stale page would): the companion answers 403 and
        # the page says so in one sentence, not the raw answer.
        manage.evaluate("() => { const b = document.getElementById('delete-otp');"
                        " b.disabled = false; delete b.dataset.forbidden; }")
        delete.click()
        manage.click("#confirm-delete")
        toast = manage.locator("#toast")
        toast.wait_for(state="visible")
        manage.wait_for_function("t => document.getElementById('toast').textContent === t", arg=FORBIDDEN_SENTENCE)
        assert "{" not in toast.inner_text() and "403" not in toast.inner_text()
    finally:
        manage.close()
    # Nothing lost: alice still gets CustA/Mail's code from her vault.
    assert team.alice.code("CustA/Mail", AT) == tc.totp(tc.SECRET_A, AT)


def test_member_without_view_gets_no_code_controls(carol_paired, artifacts):
    browser = carol_paired
    popup = browser.open_popup()
    try:
        popup.wait_for_selector("body[data-state=ready]", timeout=15_000)
        popup.fill("#search", "Mail")
        row = popup.locator("#results li.row", has_text="Mail")
        row.locator(".team-badge").wait_for(timeout=10_000)
        label = row.locator(".no-otp-label")
        assert label.inner_text() == "no access"
        assert label.get_attribute("title") == ("Your team role lacks the \u201cview\u201d permission: "
                                                "it may not show its codes.")
        assert row.locator(".code, [data-act=fill], [data-act=copy]").count() == 0
    finally:
        popup.close()

    manage = browser.context.new_page()
    try:
        manage.set_viewport_size({"width": 1100, "height": 720})
        manage.goto(browser.url("manage/manage.html"))
        manage.click("#customers button:has-text('CustA')")
        manage.locator("#add-entry").wait_for()
        assert manage.locator("#add-entry").is_enabled()
        row = manage.locator("tr", has_text="Mail")
        assert row.locator("button[data-act=otp]").is_disabled()
        row.locator("button[data-act=details]").click()
        manage.wait_for_selector("#details .team-badge")
        assert manage.locator("#reveal-otp").is_disabled()
        assert "\u201cview\u201d permission" in manage.get_attribute("#reveal-otp", "title")
        assert manage.locator("#edit-otp").is_enabled()
        assert manage.locator("#delete-otp").is_disabled()
        manage.screenshot(path=artifacts / "team-manage-edit-only.png")
    finally:
        manage.close()
