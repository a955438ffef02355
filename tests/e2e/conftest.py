"""Fixtures for the end-to-end tests: a real vault, the real companion (`otpc serve`) on a free port,
local test pages served over HTTPS (a throw-away self-signed certificate; Chromium ignores certificate
errors) and Debian's headless Chromium with the real extension loaded.

Test pages live under tests/e2e/pages/ and are reached as https://<name>.test:PORT/… (or plain http on a
second port, for the scheme checks); Chromium maps every *.test host to 127.0.0.1, so entries can carry
real-looking site URLs, https like the real ones (an https entry never fills an http page).
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from harness.ports import free_port  # noqa: F401  (the one harness; bench/popup_latency imports it from here)

ROOT = Path(__file__).resolve().parents[2]
EXTENSION = ROOT / "extension"
PAGES = Path(__file__).parent / "pages"
ARTIFACTS = ROOT / "tests" / "artifacts"
OTPC = Path(sys.executable).with_name("otpc")
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
EXTENSION_ID = "cnkaadljlgmmkjmloicginhokmgbpjom"
PASSWORD = "e2e correct horse battery"

# Known secrets for the seeded entries (base32), so tests can compare with `otpc code`.
SECRET_ACME = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
SECRET_ACME_2 = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
SECRET_GLOBEX = "MFRGGZDFMZTWQ2LKNNWG23TPOBYXE43U"
SECRET_STEAM = "KRSXG5CTMVRXEZLUKRSXG5CTMVRXEZLU"
SECRET_FAST = "ONSWG4TFOQYTEMZUGU3DOOBZGAYTEMZU"
SECRET_HOOLI = "NBXW63DJMJQWI3LJNZSGKZDBOJ2GS3TH"
SECRET_WAYNE = "O5QXS3TFMVXHIZLSOBZGS43FOMYTEMZU"
# An entry title longer than a popup row: it must stay readable (issue 11.5).
LONG_TITLE = "Microsoft 365 global administrator (break-glass) for the Wayne Enterprises production tenant"
# RFC 4226 appendix D: the secret "12345678901234567890" and its HOTP codes for counters 0, 1, 2, ...
SECRET_RFC4226 = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
RFC4226_CODES = ["755224", "287082", "359152", "969429", "338314",
                 "254676", "287922", "162583", "520489", "399871"]


def wait_for_port(port: int, proc: subprocess.Popen, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"otpc serve exited early:\n{proc.stderr.read().decode(errors='replace')}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            return
        time.sleep(0.05)
    raise RuntimeError(f"otpc serve did not listen on {port}")


def otpc(vault: Path, *args: str, **kw) -> subprocess.CompletedProcess:
    env = {**os.environ, "OTPC_PASSWORD": PASSWORD}
    return subprocess.run(
        [str(OTPC), "--vault", str(vault), *args],
        capture_output=True, text=True, env=env, timeout=30, check=True, **kw,
    )


def seed_vault(path: Path) -> None:
    from companion.otp import OtpParams
    from companion.vault import Vault

    v = Vault.create(path, PASSWORD, kdf_ms=1)
    v.add_customer("Acme Corp")
    v.add_customer("Globex")
    v.add_entry("Acme Corp", "Admin portal", username="it@acme.test",
                urls=["https://login.acme.test/"], notes="Break-glass account")
    v.set_otp("Acme Corp/Admin portal", OtpParams(type="totp", secret=SECRET_ACME).checked())
    v.add_entry("Acme Corp", "Mail", username="it@acme.test", urls=["https://mail.acme.test/"])
    v.set_otp("Acme Corp/Mail", OtpParams(type="totp", secret=SECRET_ACME_2).checked())
    v.add_entry("Globex", "VPN", username="tech", urls=["https://vpn.globex.test/"])
    v.set_otp("Globex/VPN", OtpParams(type="totp", secret=SECRET_GLOBEX).checked())
    v.add_entry("Globex", "Steam", username="globex_games", urls=["https://store.steam.test/"])
    v.set_otp("Globex/Steam", OtpParams(type="steam", secret=SECRET_STEAM, period=30).checked())
    v.add_entry("Globex", "Wiki", username="tech", urls=["https://wiki.globex.test/"])
    v.add_customer("Initech")
    v.add_entry("Initech", "Fast token", username="ops", urls=["https://sso.initech.test/"])
    v.set_otp("Initech/Fast token", OtpParams(type="totp", secret=SECRET_FAST, period=10).checked())
    v.add_customer("Hooli")  # exactly one entry for hooli.test: the shortcut fills without asking
    v.add_entry("Hooli", "Console", username="ops@hooli.test", urls=["https://console.hooli.test/"])
    v.set_otp("Hooli/Console", OtpParams(type="totp", secret=SECRET_HOOLI).checked())
    v.add_customer("Wayne Enterprises")  # a long title; two entries with an OTP and one without, one site
    v.add_entry("Wayne Enterprises", LONG_TITLE, username="breakglass@wayne.test", urls=["https://portal.wayne.test/"])
    v.set_otp(f"Wayne Enterprises/{LONG_TITLE}", OtpParams(type="totp", secret=SECRET_WAYNE).checked())
    v.add_entry("Wayne Enterprises", "Azure portal", username="ops@wayne.test", urls=["https://portal.wayne.test/"])
    v.set_otp("Wayne Enterprises/Azure portal", OtpParams(type="totp", secret=SECRET_ACME).checked())
    v.add_entry("Wayne Enterprises", "Intranet wiki", username="ops", urls=["https://wiki.wayne.test/"])
    v.add_customer("Umbrella")  # HOTP, counters at 0; one entry per test file that uses them up
    for title, host in (("Door controller", "door"), ("Badge system", "badge")):
        v.add_entry("Umbrella", title, username="facilities", urls=[f"https://{host}.umbrella.test/"])
        v.set_otp(f"Umbrella/{title}", OtpParams(type="hotp", secret=SECRET_RFC4226, counter=0).checked())
    v.close()


class Companion:
    def __init__(self, vault: Path, port: int, proc: subprocess.Popen):
        self.vault, self.port, self.proc = vault, port, proc

    def cli(self, *args: str) -> str:
        return otpc(self.vault, *args).stdout

    def pairing_code(self, *options: str) -> str:
        """Open a pairing window (`otpc pair [--read-only] [--customers A]`) and return its code."""
        out = self.cli("pair", *options)
        match = re.search(r"\b([0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4})\b", out)
        assert match, "otpc pair printed no code"
        return match.group(1)

    def code(self, ref: str) -> str:
        return self.cli("code", ref).strip().split()[-1].replace(" ", "")


@pytest.fixture(scope="session")
def companion(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("vault")
    vault = tmp / "vault.otpc"
    seed_vault(vault)
    port = free_port()
    env = {**os.environ, "OTPC_PASSWORD": PASSWORD}  # one control socket per vault path
    proc = subprocess.Popen(
        [str(OTPC), "--vault", str(vault), "serve", "--port", str(port)],
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
    )
    try:
        wait_for_port(port, proc)
        yield Companion(vault, port, proc)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):  # keep pytest output clean
        pass


def _serve(server: http.server.ThreadingHTTPServer) -> threading.Thread:
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return thread


@pytest.fixture(scope="session")
def pages(tmp_path_factory):
    """Serve tests/e2e/pages over HTTPS (and HTTP on a second port); returns a function
    (host, page, scheme="https") -> URL on a *.test host."""
    import ssl

    certdir = tmp_path_factory.mktemp("tls")
    key, cert = certdir / "key.pem", certdir / "cert.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                    "-nodes", "-days", "2", "-subj", "/CN=pages.test", "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True)
    tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    tls.load_cert_chain(cert, key)
    handler = functools.partial(_QuietHandler, directory=str(PAGES))
    secure = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), handler)
    secure.socket = tls.wrap_socket(secure.socket, server_side=True)
    plain = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), handler)
    ports = {"https": secure.server_address[1], "http": plain.server_address[1]}
    _serve(secure), _serve(plain)
    try:
        yield lambda host, page, scheme="https": f"{scheme}://{host}:{ports[scheme]}/{page}"
    finally:
        for server in (secure, plain):
            server.shutdown()
            server.server_close()


class Browser:
    """One persistent Chromium context with the extension; helpers to reach its pages."""

    def __init__(self, context, worker):
        self.context, self.worker = context, worker
        self.extension_id = worker.url.split("/")[2]

    def url(self, path: str) -> str:
        return f"chrome-extension://{self.extension_id}/{path}"

    companion_port: int | None = None  # the shared companion's port, once paired with it

    def set_port(self, port: int) -> None:
        self.worker.evaluate("port => chrome.storage.local.set({port})", port)

    def tab_id(self, url: str) -> int:
        return self.tab(url)["id"]

    def tab(self, url: str) -> dict:
        """The browser's tab object for the page at `url` (what listeners receive as `tab`)."""
        return self.worker.evaluate(
            "async u => (await chrome.tabs.query({})).find(t => t.url === u)", url
        )

    def page_with(self, fragment: str, timeout: float = 10.0):
        """The page (tab or window) whose URL contains `fragment`, waiting for it to open."""
        from playwright.sync_api import TimeoutError as PlaywrightTimeout

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for page in self.context.pages:
                if fragment in page.url:
                    return page
            with contextlib.suppress(PlaywrightTimeout):  # lets Playwright take in new pages meanwhile
                self.context.wait_for_event("page", timeout=200)
        raise AssertionError(f"no page with {fragment!r} in its URL opened")

    def open_popup(self, tab_url: str | None = None, width: int = 380):
        page = self.context.new_page()
        page.set_viewport_size({"width": width, "height": 600})
        query = f"?tab={self.tab_id(tab_url)}" if tab_url else ""
        page.goto(self.url(f"popup/popup.html{query}"))
        return page


@pytest.fixture(scope="session")
def browser(tmp_path_factory):
    from playwright.sync_api import sync_playwright

    profile = tmp_path_factory.mktemp("profile")
    with sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            str(profile),
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                f"--disable-extensions-except={EXTENSION}", f"--load-extension={EXTENSION}",
                "--host-resolver-rules=MAP *.test 127.0.0.1", "--ignore-certificate-errors",
            ],
            ignore_https_errors=True,
        )
        try:
            workers = [w for w in context.service_workers if w.url.startswith("chrome-extension://")]
            worker = workers[0] if workers else context.wait_for_event("serviceworker", timeout=15_000)
            yield Browser(context, worker)
        finally:
            context.close()


def unpair_through_options(browser: Browser) -> None:
    """Forget the pairing the way a person does: the options page's Unpair button."""
    page = browser.context.new_page()
    page.goto(browser.url("options/options.html"))
    page.wait_for_selector("#pairing-name, #pairing:has-text('Not paired')")
    if page.is_visible("#unpair"):
        page.once("dialog", lambda d: d.accept())
        page.click("#unpair")
        page.wait_for_selector("#unpair", state="hidden")
    page.close()


def pair_through_popup(browser: Browser, companion: Companion, *options: str) -> None:
    """Pair the browser with the companion the way a person does: `otpc pair`, then the popup."""
    browser.set_port(companion.port)
    page = browser.open_popup()
    try:
        page.wait_for_selector("body[data-state=not_paired]", timeout=10_000)
        page.fill("#pair-code", companion.pairing_code(*options))
        page.click("#pair-submit")
        page.wait_for_selector("body[data-state=ready]", timeout=10_000)
    finally:
        page.close()


@pytest.fixture
def paired(browser, companion) -> Browser:
    """The shared browser, paired with the shared companion (pairs through the popup if needed)."""
    browser.set_port(companion.port)
    browser.companion_port = companion.port
    if not is_paired(browser):
        pair_through_popup(browser, companion)
    return browser


def is_paired(browser: Browser) -> bool:
    return browser.worker.evaluate("""() => new Promise(resolve => {
        const req = indexedDB.open("otpc", 1);
        req.onupgradeneeded = () => req.result.createObjectStore("pairing");
        req.onsuccess = () => {
          const get = req.result.transaction("pairing").objectStore("pairing").get("current");
          get.onsuccess = () => resolve(Boolean(get.result));
        };
      })""")


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS
