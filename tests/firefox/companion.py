"""The real parts the Firefox end-to-end test (extension.test.mjs) drives: a temporary vault, the real
companion (`otpc serve`) on a free port, and the test pages over HTTP on another free port.

Run by the node test as `.venv/bin/python tests/firefox/companion.py PAGES_JSON`. Prints one JSON line
({"port", "pages_port"}), then answers one JSON line per request line on stdin:
  pair            -> {"code": "XXXX-XXXX-XXXX"}   (`otpc pair`)
  code REF        -> {"code": "123456"}           (`otpc code REF`)
  clients         -> {"clients": [...]}           (`otpc clients list --json`)
Stops the companion and removes the vault when stdin closes (the node test exiting included).
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OTPC = Path(sys.executable).with_name("otpc")
PASSWORD = "firefox e2e correct horse"
SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
CUSTOMER = "Firefox e2e"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def seed_vault(path: Path, hosts: dict[str, str]) -> None:
    """One entry per page host (TOTP, or Steam when the page says "otp": "steam"), titled with the
    host, so the popup lists exactly one per page."""
    sys.path.insert(0, str(ROOT))
    from companion.otp import OtpParams
    from companion.vault import Vault

    vault = Vault.create(path, PASSWORD, kdf_ms=1)
    vault.add_customer(CUSTOMER)
    for host, kind in sorted(hosts.items()):
        # the page server speaks plain http: an https:// entry would (rightly) ask "Fill on … anyway?"
        # before filling an http page (issue 9.2), so the entries name the scheme the pages use
        vault.add_entry(CUSTOMER, host, username="tech", urls=[f"http://{host}/"])
        vault.set_otp(f"{CUSTOMER}/{host}", OtpParams(type=kind, secret=SECRET).checked())
    vault.close()


class Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):  # the node test's output stays readable
        pass


def otpc(vault: Path, *args: str) -> str:
    env = {**os.environ, "OTPC_PASSWORD": PASSWORD}
    return subprocess.run([str(OTPC), "--vault", str(vault), *args], capture_output=True, text=True,
                          env=env, timeout=30, check=True).stdout


def answer(vault: Path, line: str) -> dict:
    op, _, arg = line.strip().partition(" ")
    if op == "pair":
        match = re.search(r"\b([0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4})\b", otpc(vault, "pair"))
        return {"code": match.group(1)} if match else {"error": "otpc pair printed no code"}
    if op == "code":
        return {"code": otpc(vault, "code", arg).strip().split()[-1].replace(" ", "")}
    if op == "clients":
        return {"clients": json.loads(otpc(vault, "clients", "list", "--json"))}
    return {"error": f"unknown request {op!r}"}


def wait_for_port(port: int, proc: subprocess.Popen) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit("otpc serve exited early")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            return
        time.sleep(0.05)
    raise SystemExit(f"otpc serve did not listen on {port}")


def main() -> None:
    spec = json.loads(Path(sys.argv[1]).read_text())
    root = (ROOT / spec["root"]).resolve()
    tmp = Path(tempfile.mkdtemp(prefix="otpc-firefox-"))
    vault = tmp / "vault.otpc"
    seed_vault(vault, {page["host"]: page.get("otp", "totp") for page in spec["pages"]})
    port = free_port()
    env = {**os.environ, "OTPC_PASSWORD": PASSWORD}
    proc = subprocess.Popen([str(OTPC), "--vault", str(vault), "serve", "--port", str(port)],
                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=open(tmp / "companion.log", "wb"), env=env)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(root)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        wait_for_port(port, proc)
        print(json.dumps({"port": port, "pages_port": server.server_address[1]}), flush=True)
        for line in sys.stdin:
            try:
                reply = answer(vault, line)
            except subprocess.CalledProcessError as err:
                reply = {"error": (err.stderr or "").strip().splitlines()[-1:]}
            print(json.dumps(reply), flush=True)
    finally:
        server.shutdown()
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
