"""Vault at scale: 1,000 and 10,000 entries, each with a TOTP secret. Prints figures; asserts nothing.

Run: .venv/bin/python bench/vault_scale.py [--entries N ...]

Each size runs in a fresh child process (so peak RSS is that size's own). The vault lives in a
temporary directory on the normal disk (not tmpfs): writes are durable (WAL, synchronous=FULL).
Figures are medians of several runs. "unlock (no KDF)" is: Vault.open (header check, SQLite
quick_check) + unlock through the OS-keyring slot (an in-memory keyring here: no Argon2id; unwraps
the customer keys) + the first entries() listing (decrypts every customer and entry record).
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PASSWORD = "bench password"
ENTRIES_PER_CUSTOMER = 50


def median_ms(fn, runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def install_memory_keyring() -> None:
    import keyring
    import keyring.backend

    class MemoryKeyring(keyring.backend.KeyringBackend):
        priority = 1
        items: dict = {}

        def get_password(self, service, username):
            return self.items.get((service, username))

        def set_password(self, service, username, password):
            self.items[(service, username)] = password

        def delete_password(self, service, username):
            self.items.pop((service, username), None)

    keyring.set_keyring(MemoryKeyring())


def run_size(n: int) -> None:
    import pyotp

    from companion.otp import OtpParams
    from companion.vault import Vault

    install_memory_keyring()
    with tempfile.TemporaryDirectory(prefix="otpc-bench-", dir=os.environ.get("BENCH_DIR")) as d:
        path = Path(d) / "vault.sqlite"
        v = Vault.create(path, PASSWORD, kdf_ms=1)
        v.enable_keyring()
        start = time.perf_counter()
        with v.batch():
            for i in range(n):
                c = i // ENTRIES_PER_CUSTOMER
                if i % ENTRIES_PER_CUSTOMER == 0:
                    v.add_customer(f"Customer {c:05d}")
                e = v.add_entry(
                    f"Customer {c:05d}",
                    f"Entry {i:06d}",
                    username=f"user{i}@c{c}.example",
                    password=f"pw-{i}",
                    urls=[f"https://login.customer{c}.com/app{i}"],
                )
                v.set_otp(e.id, OtpParams(type="totp", secret=pyotp.random_base32(32)))
        build_s = time.perf_counter() - start
        v.close()
        size_mb = path.stat().st_size / 1e6

        def unlock_and_list():
            vv = Vault.open(path)
            assert vv.unlock_with_keyring()
            assert len(vv.entries()) == n
            vv.close()

        def kdf_unlock():
            vv = Vault.open(path)
            vv.unlock(PASSWORD)
            vv.close()

        unlock_ms = median_ms(unlock_and_list, 5)
        kdf_ms = median_ms(kdf_unlock, 3) - median_ms(lambda: Vault.open(path).close(), 3)
        t0 = time.perf_counter()
        vv = Vault.open(path)
        open_ms = (time.perf_counter() - t0) * 1000
        t0 = time.perf_counter()
        vv.unlock_with_keyring()
        keyring_ms = (time.perf_counter() - t0) * 1000
        t0 = time.perf_counter()
        vv.entries()
        list_ms = (time.perf_counter() - t0) * 1000

        counter = iter(range(10**6))
        add_ms = median_ms(lambda: vv.add_entry("Customer 00000", f"added {next(counter)}"), 9)
        needle = f"user{n // 2}@"
        search_ms = median_ms(lambda: vv.entries(search=needle), 21)
        site = f"https://sso.customer{(n // 2) // ENTRIES_PER_CUSTOMER}.com/"  # one customer's domain
        site_ms = median_ms(lambda: vv.entries_for_site(site), 21)
        target = vv.entries(search=needle)[0].id
        code_ms = median_ms(lambda: vv.code(target), 51)
        listing_ms = median_ms(lambda: vv.entries(), 21)
        vv.close()
        rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    print(f"{n:>6} entries  (vault file {size_mb:.1f} MB; built in one batch() in {build_s:.1f} s)")
    print(f"  unlock excluding KDF (open + keyring slot + first listing): {unlock_ms:8.1f} ms")
    print(
        f"    of which open {open_ms:.1f} ms, keyring-slot unlock {keyring_ms:.1f} ms, "
        f"first entries() {list_ms:.1f} ms (one sample each)"
    )
    print(f"  Argon2id at the floor (19 MiB, 2 passes), for comparison:    {kdf_ms:8.1f} ms")
    print(f"  add one entry (durable commit):                             {add_ms:8.1f} ms")
    print(f"  entries(search=...):                                        {search_ms:8.2f} ms")
    print(f"  entries_for_site(...):                                      {site_ms:8.2f} ms")
    print(f"  entries() again (cached):                                   {listing_ms:8.2f} ms")
    print(f"  code() (TOTP, audited):                                     {code_ms:8.2f} ms")
    print(f"  peak RSS:                                                   {rss_mb:8.1f} MB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, nargs="*", default=[1000, 10000])
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        run_size(args.entries[0])
        return
    for n in args.entries:
        subprocess.run(
            [sys.executable, __file__, "--child", "--entries", str(n)], check=True, cwd=ROOT
        )


if __name__ == "__main__":
    main()
