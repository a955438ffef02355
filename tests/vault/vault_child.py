"""A separate process using the vault, for the SIGKILL and concurrency tests.

    python vault_child.py writer VAULT START   # add entries / set OTPs / take HOTP codes forever
    python vault_child.py hotp VAULT COUNT     # take COUNT codes of the entry "Acme/Token"

The master password comes on stdin (never in argv). Every line "ack ..." is printed only after the
write it acknowledges has returned, i.e. after its commit.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from companion.otp import OtpParams  # noqa: E402
from companion.vault import Vault  # noqa: E402

SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def say(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def writer(v: Vault, start: int) -> None:
    i = start
    while True:
        e = v.add_entry("Acme", f"E{i}", password=f"pw{i}")
        say(f"ack {i} E{i} add")
        if i % 3 == 0:
            v.set_otp(e.id, OtpParams(type="totp", secret=SECRET, account=f"a{i}"))
            say(f"ack {i} E{i} otp")
        r = v.code("Acme/Token")
        say(f"ack {i} Token code {r.counter} {r.code}")
        i += 1


def hotp(v: Vault, count: int) -> None:
    say("ready")
    sys.stdin.readline()  # "go": both takers start together
    for _ in range(count):
        r = v.code("Acme/Token", actor="client:child")
        say(f"code {r.counter} {r.code}")


def main() -> None:
    mode, path, number = sys.argv[1], Path(sys.argv[2]), int(sys.argv[3])
    password = sys.stdin.readline().rstrip("\n")
    v = Vault.open(path)
    v.unlock(password)
    if mode == "writer":
        say("ready")
        writer(v, number)
    else:
        hotp(v, number)
    v.close()


if __name__ == "__main__":
    main()
