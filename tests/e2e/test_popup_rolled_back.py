"""The popup's unlock on a rolled-back vault (an older copy of the file put back) says so, in words
that point to the terminal, not "Wrong password." nor a generic failure. Real companion over a real
vault file rolled back on disk, the real extension in Chromium, paired through its popup; the shared
browser is unpaired afterwards, so the other tests pair it with the shared companion again."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

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


@pytest.fixture
def rolled_back(tmp_path, monkeypatch):
    """A locked companion over a vault whose older copy (before Globex was added) was put back."""
    from companion.vault import Vault

    monkeypatch.setenv("OTPC_STATE_DIR", str(tmp_path / "state"))  # the companion and CLI inherit it
    vault = tmp_path / "vault.otpc"
    v = Vault.create(vault, PASSWORD, kdf_ms=1)
    v.add_customer("Acme Corp")
    v.close()
    shutil.copy(vault, tmp_path / "old.otpc")
    v = Vault.open(vault)
    v.unlock(PASSWORD)
    v.add_customer("Globex")
    v.close()
    for suffix in ("-wal", "-shm"):
        Path(f"{vault}{suffix}").unlink(missing_ok=True)
    shutil.copy(tmp_path / "old.otpc", vault)
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k != "OTPC_PASSWORD"}  # it starts locked
    proc = subprocess.Popen([str(OTPC), "--vault", str(vault), "serve", "--port", str(port)],
                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            env=env)
    try:
        wait_for_port(port, proc)
        yield Companion(vault, port, proc)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


def test_the_popup_names_a_rolled_back_vault(browser, rolled_back):
    browser.set_port(rolled_back.port)
    unpair_through_options(browser)
    page = browser.open_popup()
    try:
        page.wait_for_selector("body[data-state=not_paired]", timeout=10_000)
        page.fill("#pair-code", rolled_back.pairing_code())
        page.click("#pair-submit")
        page.wait_for_selector("body[data-state=locked]", timeout=10_000)
        page.fill("#unlock-password", PASSWORD)
        page.click("#unlock-submit")
        page.wait_for_selector("#unlock-error:not(:empty)")
        said = page.inner_text("#unlock-error")
        assert "rolled back" in said and "otpc unlock" in said, said
        assert "Wrong password" not in said and "internal" not in said.lower()
        assert page.is_visible("#unlock-password")  # still the locked view: nothing was opened
    finally:
        page.close()
        unpair_through_options(browser)
