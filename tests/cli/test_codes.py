"""`otpc otp set|rm|qr`, `otpc code` (the RFC tables through the real console script), `--watch`
in a real pseudo-terminal, and `otpc audit`."""

import base64
import json
import os
import pty
import re
import select
import subprocess
import time

import pytest
from cli_harness import OTPC, one_line_error

pytestmark = pytest.mark.slow  # ~40 tests, each running otpc (and its KDF) several times

SEEDS = {
    "SHA1": b"12345678901234567890",
    "SHA256": b"12345678901234567890123456789012",
    "SHA512": b"1234567890123456789012345678901234567890123456789012345678901234",
}
# RFC 6238 appendix B, typed in from the RFC.
RFC6238 = {
    59: {"SHA1": "94287082", "SHA256": "46119246", "SHA512": "90693936"},
    1111111109: {"SHA1": "07081804", "SHA256": "68084774", "SHA512": "25091201"},
    1111111111: {"SHA1": "14050471", "SHA256": "67062674", "SHA512": "99943326"},
    1234567890: {"SHA1": "89005924", "SHA256": "91819424", "SHA512": "93441116"},
    2000000000: {"SHA1": "69279037", "SHA256": "90698825", "SHA512": "38618901"},
    20000000000: {"SHA1": "65353130", "SHA256": "77737706", "SHA512": "47863826"},
}
# RFC 4226 appendix D, counters 0-9.
RFC4226 = [
    "755224",
    "287082",
    "359152",
    "969429",
    "338314",
    "254676",
    "287922",
    "162583",
    "399871",
    "520489",
]


def b32(seed: bytes) -> str:
    return base64.b32encode(seed).decode()


@pytest.fixture
def rfc(otpc):
    otpc.ok("customer", "add", "RFC")
    for algorithm, seed in SEEDS.items():
        otpc.ok("entry", "add", "--customer", "RFC", "--title", algorithm)
        otpc.ok(
            "otp",
            "set",
            f"RFC/{algorithm}",
            "--algorithm",
            algorithm.lower(),
            "--digits",
            "8",
            input=b32(seed) + "\n",
        )
    otpc.ok("entry", "add", "--customer", "RFC", "--title", "HOTP")
    return otpc


@pytest.mark.slow
def test_rfc6238_through_otpc_code_at(rfc):
    for at, codes in RFC6238.items():
        for algorithm, expected in codes.items():
            r = rfc.run("code", f"RFC/{algorithm}", "--at", str(at))
            assert r.code == 0, r.err
            assert r.out == expected + "\n", (at, algorithm)


@pytest.mark.slow
def test_rfc4226_counter_persists_and_advances(rfc):
    rfc.ok(
        "otp",
        "set",
        "RFC/HOTP",
        "--type",
        "hotp",
        "--counter",
        "0",
        input=b32(SEEDS["SHA1"]) + "\n",
    )
    shown = [rfc.run("code", "RFC/HOTP") for _ in range(10)]
    assert [r.out.strip() for r in shown] == RFC4226
    assert all(r.code == 0 for r in shown)
    data = json.loads(rfc.run("code", "RFC/HOTP", "--json").out)
    assert (data["type"], data["counter"], data["valid_until"], data["remaining"]) == (
        "hotp",
        10,
        None,
        0,
    )


def test_hotp_starting_counter_and_uri(rfc):
    uri = f"otpauth://hotp/RFC:hotp?secret={b32(SEEDS['SHA1']).lower()}&counter=5"
    r = rfc("otp", "set", "RFC/HOTP", input=uri + "\n")
    assert r.code == 0, r.err
    assert "lowercase" in r.err  # the normalisation note is shown
    assert [rfc.ok("code", "RFC/HOTP").strip() for _ in range(3)] == RFC4226[5:8]


def test_code_json_shape(rfc):
    data = json.loads(rfc.ok("code", "RFC/SHA1", "--at", "59", "--json"))
    assert data["code"] == "94287082"
    assert data["period"] == 30
    assert data["remaining"] == 1
    assert data["valid_until"] == 60
    assert data["digits"] == 8 and data["type"] == "totp"
    data = json.loads(rfc.ok("code", "RFC/SHA256", "--at", "1111111111.5", "--json"))
    assert (data["code"], data["valid_until"], data["remaining"]) == ("67062674", 1111111140, 28.5)


def test_code_is_audited(rfc):
    rfc.ok("code", "RFC/SHA1", "--at", "59")
    events = json.loads(rfc.ok("audit", "--entry", "RFC/SHA1", "--json"))
    assert [e["action"] for e in events] == ["otp_set", "code"]
    assert "94287082" not in json.dumps(events)
    assert len(json.loads(rfc.ok("audit", "--json", "--limit", "1"))) == 1
    table = rfc.ok("audit")
    assert "RFC/SHA1" in table and "otp_set" in table
    entry_id = json.loads(rfc.ok("entry", "show", "RFC/SHA1", "--json"))["id"]
    rfc.ok("entry", "rm", "RFC/SHA1", "--yes")
    gone = json.loads(rfc.ok("audit", "--entry", entry_id, "--json"))
    assert [e["action"] for e in gone] == ["otp_set", "code", "otp_remove"]
    assert f"{entry_id[:8]} (removed)" in rfc.ok("audit")


def test_secret_argument_works_but_warns(otpc):
    otpc.ok("customer", "add", "C")
    otpc.ok("entry", "add", "--customer", "C", "--title", "T")
    r = otpc("otp", "set", "C/T", "jbsw y3dp-ehpk 3pxp")
    assert r.code == 0, r.err
    assert "shell history" in r.err and "process list" in r.err
    assert "removed spaces and hyphens" in r.err
    assert "lowercase" in r.err
    assert "80 bits" in r.err  # < 128 bits warns
    assert "JBSWY3DPEHPK3PXP" not in r.err + r.out


def test_secret_dash_reads_stdin_without_warning(otpc):
    otpc.ok("customer", "add", "C")
    otpc.ok("entry", "add", "--customer", "C", "--title", "T")
    r = otpc("otp", "set", "C/T", "-", input=b32(SEEDS["SHA1"]) + "\n")
    assert r.code == 0 and "shell history" not in r.err
    assert otpc.ok("code", "C/T", "--at", "59") == "287082\n"


def test_bad_secrets_are_one_line_and_leave_nothing(otpc):
    otpc.ok("customer", "add", "C")
    otpc.ok("entry", "add", "--customer", "C", "--title", "T")
    line = one_line_error(otpc("otp", "set", "C/T", input="JBSWY3DPEHPK3PX1\n"))
    assert "'1' at position 16" in line
    line = one_line_error(otpc("otp", "set", "C/T", input="GEZDGNBVGY3TQOI\n"))
    assert "--force" in line
    assert "impossible" in one_line_error(otpc("otp", "set", "C/T", input="JBSWY3DPEHPK3PXPJ\n"))
    assert "unsupported OTP type" in one_line_error(
        otpc("otp", "set", "C/T", input="otpauth://motp/x?secret=JBSWY3DPEHPK3PXP\n")
    )
    assert "digits" in one_line_error(
        otpc("otp", "set", "C/T", "--digits", "12", input="JBSWY3DPEHPK3PXP\n")
    )
    assert "period" in one_line_error(
        otpc("otp", "set", "C/T", "--period", "0", input="JBSWY3DPEHPK3PXP\n")
    )
    assert "stdin" in one_line_error(otpc("otp", "set", "C/T", input=""))
    assert json.loads(otpc.ok("entry", "show", "C/T", "--json"))["has_otp"] is False
    r = otpc("otp", "set", "C/T", "--force", input="GEZDGNBVGY3TQOI\n")
    assert r.code == 0 and "72 bits" in r.err


def test_long_period_ten_digits_and_steam(otpc):
    otpc.ok("customer", "add", "C")
    for title in ("Day", "Steam"):
        otpc.ok("entry", "add", "--customer", "C", "--title", title)
    otpc.ok(
        "otp",
        "set",
        "C/Day",
        "--period",
        "86400",
        "--digits",
        "10",
        input=b32(SEEDS["SHA1"]) + "\n",
    )
    # counter 0 for the whole first day: the 31-bit value of RFC 4226 counter 0, as 10 digits
    assert otpc.ok("code", "C/Day", "--at", "86399") == "1284755224\n"
    data = json.loads(otpc.ok("code", "C/Day", "--at", "86400", "--json"))
    assert (data["code"], data["period"], data["valid_until"]) == ("1094287082", 86400, 172800)
    uri = f"otpauth://totp/Steam:gamer?secret={b32(SEEDS['SHA1'])}&issuer=Steam&encoder=steam"
    otpc.ok("otp", "set", "C/Steam", input=uri + "\n")
    steam = otpc.ok("code", "C/Steam", "--at", "59").strip()
    assert len(steam) == 5 and set(steam) <= set("23456789BCDFGHJKMNPQRTVWXY")
    import pyotp.contrib

    assert steam == pyotp.contrib.Steam(b32(SEEDS["SHA1"])).at(59)


def test_uri_options_override_and_issuer_warning(otpc):
    otpc.ok("customer", "add", "C")
    otpc.ok("entry", "add", "--customer", "C", "--title", "T", "--username", "u")
    uri = f"otpauth://totp/Old%3Aalice?secret={b32(SEEDS['SHA256'])}&issuer=New&algorithm=sha256&digits=8"
    r = otpc("otp", "set", "C/T", "--period", "60", "--json", input=uri + "\n")
    assert r.code == 0, r.err
    assert "using the parameter" in r.err
    otp = json.loads(r.out)["otp"]
    assert otp == {
        "type": "totp",
        "issuer": "New",
        "account": "alice",
        "algorithm": "SHA256",
        "digits": 8,
        "period": 60,
    }


def test_replacing_an_otp_needs_yes(rfc):
    line = one_line_error(rfc("otp", "set", "RFC/SHA1", input=b32(SEEDS["SHA256"]) + "\n"))
    assert "--yes" in line
    assert rfc.ok("code", "RFC/SHA1", "--at", "59") == "94287082\n"
    rfc.ok(
        "otp",
        "set",
        "RFC/SHA1",
        "--yes",
        "--algorithm",
        "SHA256",
        "--digits",
        "8",
        input=b32(SEEDS["SHA256"]) + "\n",
    )
    assert rfc.ok("code", "RFC/SHA1", "--at", "59") == "46119246\n"


def test_otp_rm_refuses_without_yes_then_erases(rfc):
    r = rfc.run("otp", "rm", "RFC/SHA1")
    assert "--yes" in one_line_error(r)
    assert rfc.run("code", "RFC/SHA1", "--at", "59").out == "94287082\n"
    r = rfc.run("otp", "rm", "RFC/SHA1", "--yes")
    assert r.code == 0, r.err
    assert "has no OTP" in one_line_error(rfc.run("code", "RFC/SHA1", "--at", "59"))
    assert "has no OTP" in one_line_error(rfc.run("otp", "rm", "RFC/SHA1", "--yes"))
    assert json.loads(rfc.ok("entry", "show", "RFC/SHA1", "--json"))["has_otp"] is False


def test_otp_rm_confirmation_text_in_a_terminal(rfc):
    """On a terminal the question says it cannot be undone; answering no changes nothing."""
    out, code = run_in_pty(rfc, ["otp", "rm", "RFC/SHA1"], answer=b"n\n")
    assert "cannot be undone" in out and "cannot be recovered" in out
    assert "still sign in" in out
    assert code != 0
    assert rfc.run("code", "RFC/SHA1", "--at", "59").out == "94287082\n"


def test_otp_qr(rfc):
    assert "--yes" in one_line_error(rfc("otp", "qr", "RFC/SHA1"))
    out = rfc.ok("otp", "qr", "RFC/SHA1", "--yes")
    assert len(out.splitlines()) > 10
    assert b32(SEEDS["SHA1"]) not in out
    assert [e["action"] for e in json.loads(rfc.ok("audit", "--json"))][-1] == "qr"
    assert "has no OTP" in one_line_error(rfc("otp", "qr", "RFC/HOTP", "--yes"))


def run_in_pty(otpc, args, answer: bytes = b"", timeout: float = 60, expect=()) -> tuple[str, int]:
    """Run the real otpc with a pseudo-terminal as stdin/stdout/stderr; return (output, exit code).
    `expect`: (text, reply) pairs: type `reply` once `text` has appeared (after a prompt, so that a
    hidden prompt really hides it). A process still running after `timeout` (e.g. stuck at a
    prompt) is killed and fails the test."""
    leader, follower = pty.openpty()
    proc = subprocess.Popen(
        [str(OTPC), "--vault", str(otpc.vault), *args],
        stdin=follower,
        stdout=follower,
        stderr=follower,
        env=otpc.env,
        close_fds=True,
    )
    os.close(follower)
    if answer:
        os.write(leader, answer)
    chunks: list[bytes] = []
    answered: list = []
    answered_upto = [0]
    deadline = time.monotonic() + timeout
    while True:
        ready, _, _ = select.select([leader], [], [], max(0.0, deadline - time.monotonic()))
        if not ready:
            proc.kill()
            proc.wait()
            os.close(leader)
            pytest.fail(f"otpc {' '.join(args)} did not finish: {b''.join(chunks)!r}")
        try:
            data = os.read(leader, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
        pending = list(expect)[len(answered) :]
        if pending and pending[0][0].encode() in b"".join(chunks)[answered_upto[0] :]:
            answered.append(pending[0])
            answered_upto[0] = len(b"".join(chunks))
            os.write(leader, pending[0][1])
    os.close(leader)
    code = proc.wait(timeout=timeout)
    return b"".join(chunks).decode("utf-8", "replace"), code


ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


@pytest.mark.slow
def test_watch_renders_countdown_and_rolls_over(rfc):
    # 1111111109 is the last second of its 30 s step: the bar is red, then the next code comes up.
    # Frames come every 0.25 s of real time, so a loaded machine may show a frame late: what is
    # checked is what each frame must show whenever it comes, not how many seconds a frame says.
    out, code = run_in_pty(
        rfc, ["code", "RFC/SHA1", "--watch", "--at", "1111111109", "--count", "8"]
    )
    assert code == 0, out
    plain = ANSI.sub("", out)
    assert "0708 1804" in plain  # grouped for reading on a terminal
    assert "1405 0471" in plain  # rolled over to the next step's code
    rollover = plain.index("1405 0471")
    assert plain.index("0708 1804") < rollover
    assert "━" in plain  # the indicator line
    before = [int(s) for s in re.findall(r"\b(\d+) s\b", plain[:rollover])]
    after = [int(s) for s in re.findall(r"\b(\d+) s\b", plain[rollover:])]
    assert before and set(before) <= {0, 1}, before  # the last second of the step (0: shown late)
    assert 1 in before, before  # the first frame is drawn at --at itself, 1 s before the end
    assert after and 20 <= after[0] <= 30, after  # a new code restarts the bar at (almost) 30 s
    assert after == sorted(after, reverse=True), after  # and counts down
    red = ("\x1b[31m", "\x1b[1;31m")
    assert any(r in out[: out.index("1405 0471")] for r in red)  # warning colour in the last 5 s
    assert not any(r in out[out.index("1405 0471"):] for r in red)  # 20+ s left: not red


def test_watch_refuses_hotp_and_json(rfc):
    rfc.ok("otp", "set", "RFC/HOTP", "--type", "hotp", input=b32(SEEDS["SHA1"]) + "\n")
    r = rfc("code", "RFC/HOTP", "--watch", "--count", "1")
    assert r.out == RFC4226[0] + "\n"  # shown once (and counted), then a clear refusal
    assert "do not expire" in one_line_error(r)
    assert "--json" in one_line_error(rfc("code", "RFC/SHA1", "--watch", "--json"))


def test_code_on_a_terminal_is_grouped(rfc):
    out, code = run_in_pty(rfc, ["code", "RFC/SHA512", "--at", "59"])
    assert code == 0
    assert "9069 3936" in ANSI.sub("", out)


def test_unknown_entry_is_one_line(rfc):
    line = one_line_error(rfc.run("code", "RFC/Nope"))
    assert "no entry 'RFC/Nope'" in line


@pytest.mark.parametrize("at", ["nan", "inf", "-5", "1e300"])
def test_impossible_at_is_one_line(rfc, at):
    assert "time" in one_line_error(rfc("code", "RFC/SHA1", f"--at={at}"))


def test_secret_prompt_is_hidden(otpc):
    otpc.ok("customer", "add", "C")
    otpc.ok("entry", "add", "--customer", "C", "--title", "T")
    out, code = run_in_pty(
        otpc,
        ["otp", "set", "C/T"],
        expect=[("OTP secret or otpauth:// URI", b"jbswy3dpehpk3pxp\r")],
    )
    assert code == 0, out
    assert "OTP secret or otpauth:// URI" in out
    assert "jbswy3dpehpk3pxp" not in out.lower()  # not echoed
    plain = ANSI.sub("", out)
    assert "lowercase" in plain and "OTP set for C/T" in plain
    assert otpc.ok("code", "C/T", "--at", "0") == "282760\n"


def test_init_in_a_terminal_asks_twice(bare):
    env = {k: v for k, v in bare.env.items() if k != "OTPC_PASSWORD"}
    bare.env = env
    out, code = run_in_pty(
        bare,
        ["init", "--kdf-ms", "1"],
        expect=[
            ("New master password", b"typed pw 1\r"),
            ("Repeat for confirmation", b"typed pw 1\r"),
        ],
    )
    assert code == 0, out
    assert "typed pw 1" not in out
    r = bare("customer", "list", "--json", env={"OTPC_PASSWORD": "typed pw 1"})
    assert r.code == 0 and json.loads(r.out) == []
