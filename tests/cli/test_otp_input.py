"""One builder of OTP parameters (issue 10 item 14): `otpc otp set`, the HTTP API's /v1/otp/set and
the importers' fields all go through companion.otp_input, so the same input gives the same stored
parameters on every path, Steam included. Checked end to end: a real companion, the real CLI (through
the companion), a real paired client over HTTP, and the importers' helper."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from cli_harness import OTPC

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "server"))
from companion_harness import _companion  # noqa: E402

from companion.formats.records import otp_from_fields  # noqa: E402
from companion.otp import OtpParams  # noqa: E402
from companion.otp_input import from_fields, from_text  # noqa: E402

RAW = "gezd gnbv gy3t qojq gezd gnbv gy3t qojq"  # spaces, lowercase: normalised everywhere
CANONICAL = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"

# (fields as a user or a file states them, the parameters every path must store)
CASES = [
    ({"type": "steam", "digits": 6, "algorithm": "SHA256", "period": 60},
     OtpParams("steam", CANONICAL, "SHA1", 5, 30, 0, "Valve", "gabe")),
    ({"type": "totp", "digits": 8, "period": 60, "counter": 9},
     OtpParams("totp", CANONICAL, "SHA1", 8, 60, 0, "Valve", "gabe")),
    ({"type": "hotp", "counter": 5, "period": 60, "algorithm": "sha512"},
     OtpParams("hotp", CANONICAL, "SHA512", 6, 30, 5, "Valve", "gabe")),
]


def test_the_builder_fixes_what_steam_fixes_and_says_so():
    built = from_fields(RAW, type="steam", digits=6, issuer=" Valve ", account="gabe")
    assert built.params == CASES[0][1]
    assert any("Steam Guard" in w and "digits 6" in w for w in built.warnings)
    assert "removed spaces and hyphens" in built.notes
    # Stated values that agree with Steam's are no warning; a URI's encoder=steam is Steam too.
    assert not from_fields(CANONICAL, type="steam", digits=5, algorithm="SHA1").warnings
    via_uri = from_text(f"otpauth://totp/Valve:gabe?secret={CANONICAL}&encoder=steam&digits=5")
    assert via_uri.params == CASES[0][1]


@pytest.fixture
def running(tmp_path):
    companion = _companion(tmp_path)
    companion.start()
    yield companion
    companion.stop()


def _stored(companion, entry_id: str) -> OtpParams:
    reply = companion.control({"op": "vault", "method": "otp_params",
                               "args": {"ref": entry_id, "reason": "export"}})
    assert reply["ok"], reply
    return OtpParams(**reply["result"])


@pytest.mark.slow
def test_cli_api_and_importers_store_the_same_parameters(running):
    client = running.paired_client()
    env = {k: v for k, v in os.environ.items() if not k.startswith("OTPC_")}
    for number, (fields, expected) in enumerate(CASES, start=1):
        # 1. the importers' helper (a JSON export's fields)
        from_file, _ = otp_from_fields(number, "x", kind=fields["type"], secret=RAW,
                                       algorithm=fields.get("algorithm", "SHA1"),
                                       digits=fields.get("digits", ""),
                                       period=fields.get("period", ""),
                                       counter=fields.get("counter", ""),
                                       issuer="Valve", account="gabe")
        # 2. the HTTP API, from a paired client
        status, body = client.call("/v1/entries/create",
                                   {"customer_id": running.ids["acme"], "title": f"api{number}"})
        assert status == 200, body
        api_id = body["entry"]["id"]
        status, body = client.call("/v1/otp/set", {
            "entry_id": api_id, "secret": client.seal("otp-secret", RAW),
            "issuer": "Valve", "account": "gabe", **fields})
        assert status == 200, body
        # 3. the CLI, through the running companion (no password)
        status, body = client.call("/v1/entries/create",
                                   {"customer_id": running.ids["acme"], "title": f"cli{number}"})
        cli_id = body["entry"]["id"]
        options = [f"--{k}={v}" for k, v in fields.items()]
        done = subprocess.run(
            [str(OTPC), "--vault", str(running.vault), "otp", "set", cli_id, *options,
             "--issuer", "Valve", "--account", "gabe"],
            input=RAW + "\n", capture_output=True, text=True, env=env, timeout=60)
        assert done.returncode == 0, done.stderr
        assert from_file == _stored(running, api_id) == _stored(running, cli_id) == expected
