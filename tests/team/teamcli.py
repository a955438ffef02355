"""Technicians as separate vaults driven through the real `otpc` console script (subprocesses), on
one throwaway cluster: a founder (admin), alice (role `tech-a`: customer CustA, view only) and bob
(role `lead`: every customer, view, reveal, edit, delete). Each test gets its own database.

The set-up (`make_team`, `enrol`: twenty commands per team) runs the same CLI in this process
(`Tech.here`), with the environment, stdin and keyring a subprocess would have: a subprocess per
command spent most of its time starting Python. What the tests check goes through `Tech.run`."""

from __future__ import annotations

import contextlib
import io
import os
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import psycopg

OTPC = Path(sys.executable).with_name("otpc")
MASTER = "team test master password"
SUPER_PASSWORD = "cluster superuser password"
SECRET_A = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
SECRET_B = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
SECRET_NEW = "KRSXG5CTMVRXEZLUKRSXG5CTMVRXEZLU"


@dataclass
class Result:
    code: int
    out: str
    err: str


class Tech:
    def __init__(self, name: str, root: Path):
        self.name = name
        self.dir = root / name
        self.vault = self.dir / "vault.sqlite"

    def env(self) -> dict:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("OTPC_", "PG"))}
        env.update(OTPC_PASSWORD=MASTER, PGPASSWORD=SUPER_PASSWORD, COLUMNS="200",
                   PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring")
        return env

    def run(self, *args: str, input: str = "") -> Result:
        p = subprocess.run([str(OTPC), "--vault", str(self.vault), *args], input=input,
                           capture_output=True, text=True, env=self.env(), timeout=120)
        return Result(p.returncode, p.stdout, p.stderr)

    def ok(self, *args: str, input: str = "") -> str:
        r = self.run(*args, input=input)
        assert r.code == 0, f"otpc {' '.join(args)} -> {r.code}: {r.err}"
        return r.out

    def here(self, *args: str, input: str = "") -> str:
        """`ok`, run in this process: companion.cli.entry.main with this member's environment only,
        `input` as stdin, no OS keyring; stdout returned, and stderr in the failure message."""
        import keyring
        import keyring.backends.fail

        from companion.cli.entry import main

        out, err = io.StringIO(), io.StringIO()
        saved_env, saved_stdin, saved_ring = dict(os.environ), sys.stdin, keyring.get_keyring()
        os.environ.clear()
        os.environ.update(self.env())
        sys.stdin = io.StringIO(input)
        keyring.set_keyring(keyring.backends.fail.Keyring())
        try:
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                try:
                    code = main(["--vault", str(self.vault), *args])
                except SystemExit as exc:
                    code = exc.code
        finally:
            os.environ.clear()
            os.environ.update(saved_env)
            sys.stdin = saved_stdin
            keyring.set_keyring(saved_ring)
        assert code == 0, f"otpc {' '.join(args)} -> {code}: {err.getvalue()}"
        return out.getvalue()

    def code(self, ref: str, at: float | None = None) -> str:
        extra = ["--at", str(at)] if at is not None else []
        return self.ok("code", ref, *extra).strip()

    def titles(self) -> set[str]:
        import json

        return {f"{e['customer']}/{e['title']}" for e in json.loads(self.ok("entry", "list",
                                                                          "--json"))}

    def db_login(self) -> dict:
        """This member's own database login, read from its vault (for raw-SQL checks)."""
        from companion.vault import Vault

        vault = Vault.open(self.vault)
        try:
            vault.unlock(MASTER)
            return dict(vault.team().info["conn"])
        finally:
            vault.close()


def super_url(pg, db: str) -> str:
    return f"postgresql://postgres@127.0.0.1:{pg.port}/{db}"


def new_database(pg) -> str:
    db = "t_" + uuid.uuid4().hex[:10]
    with psycopg.connect(pg.super_url, autocommit=True) as su:
        su.execute(f"ALTER ROLE postgres PASSWORD '{SUPER_PASSWORD}'")
        su.execute(f'CREATE DATABASE "{db}"')
    return db


def superuser(pg, db: str):
    return psycopg.connect(pg.super_url.replace("dbname=postgres", f"dbname={db}"),
                           autocommit=True)


def enrol(founder: Tech, tech: Tech, role: str) -> None:
    token = founder.here("team", "invite", tech.name, "--role", role).strip()
    tech.here("team", "join", input=token + "\n")
    founder.here("team", "approve", tech.name, "--yes")
    tech.here("team", "sync")


@dataclass
class Team:
    db: str
    founder: Tech
    alice: Tech
    bob: Tech


def make_team(pg, root: Path, *, with_bob: bool = True) -> Team:
    db = new_database(pg)
    founder, alice, bob = Tech("founder", root), Tech("alice", root), Tech("bob", root)
    for t in (founder, alice, bob):
        t.here("init", "--kdf-ms", "1")
    founder.here("team", "create", "--db", super_url(pg, db), "--name", "Acme IT")
    founder.here("customer", "add", "CustA")
    founder.here("customer", "add", "CustB")
    founder.here("entry", "add", "--customer", "CustA", "--title", "Mail", "--url",
               "https://mail.custa.example")
    founder.here("otp", "set", "CustA/Mail", input=SECRET_A + "\n")
    founder.here("entry", "add", "--customer", "CustB", "--title", "Portal", "--url",
               "https://portal.custb.example")
    founder.here("otp", "set", "CustB/Portal", input=SECRET_B + "\n")
    founder.here("team", "role", "add", "tech-a", "--customers", "CustA", "--can", "view")
    founder.here("team", "role", "add", "lead", "--all-customers", "--can",
               "view,reveal,edit,delete")
    enrol(founder, alice, "tech-a")
    if with_bob:
        enrol(founder, bob, "lead")
    return Team(db, founder, alice, bob)


def totp(secret: str, at: float) -> str:
    from companion import otp
    from companion.otp import OtpParams

    return otp.code(OtpParams(secret=secret), at)


def wait_for(predicate, seconds: float = 30.0):
    """Poll until predicate() is truthy and return its value; AssertionError after `seconds`."""
    deadline = time.time() + seconds
    while time.time() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError("condition not reached in time")
