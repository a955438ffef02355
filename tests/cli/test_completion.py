"""Issue 10 item 4: shell completion of commands and entry names (bash run for real: the script that
`otpc completion bash` prints, sourced, its completion function called as bash would), and
`otpc help COMMAND` as complete as a man page."""

from __future__ import annotations

import os
import subprocess

import pytest
from cli_harness import OTPC, one_line_error

from companion.cli.main import COMMANDS

pytestmark = pytest.mark.slow  # bash runs the completion script against a real companion

SPACED = "Müller & Co/Web mail"


@pytest.fixture(scope="module")
def companion(tmp_path_factory):
    from harness.companion_process import seeded

    running = seeded(tmp_path_factory.mktemp("completion"))
    from harness.companion_process import PASSWORD, SECRET

    from companion.otp import OtpParams
    from companion.vault import Vault

    vault = Vault.open(running.vault)
    vault.unlock(PASSWORD)
    customer, title = SPACED.split("/")
    vault.add_customer(customer)
    vault.set_otp(vault.add_entry(customer, title).id, OtpParams(secret=SECRET))
    vault.add_entry(customer, "No secret here")
    vault.close()
    running.start()
    yield running
    running.stop()


def bash_complete(words: list[str], env: dict | None = None) -> list[str]:
    """What bash offers for the last of `words` (an empty string: TAB after a space)."""
    quoted = " ".join("'" + w.replace("'", "'\\''") + "'" for w in words)
    script = (
        'source <(otpc completion bash)\n'
        f"COMP_WORDS=({quoted})\n"
        f"COMP_CWORD={len(words) - 1}\n"
        "_otpc_completion otpc\n"
        'printf "%s\\n" "${COMPREPLY[@]}"\n'
    )
    full_env = {**os.environ, "PATH": f"{OTPC.parent}:{os.environ['PATH']}", **(env or {})}
    full_env.pop("OTPC_PASSWORD", None)
    done = subprocess.run(["bash", "-c", script], capture_output=True, text=True, timeout=60,
                          env=full_env, stdin=subprocess.DEVNULL)
    assert done.returncode == 0 and done.stderr == "", done.stderr
    return [line for line in done.stdout.splitlines() if line]


def test_commands_complete():
    assert bash_complete(["otpc", "co"]) == ["code", "completion"]
    assert set(bash_complete(["otpc", "otp", ""])) == {"qr", "rm", "set"}
    assert "--copy" in bash_complete(["otpc", "code", "--c"])


def test_entry_names_come_from_the_running_companion(companion):
    vault = str(companion.vault)
    # `code` offers entries with a secret (all three have one); the title alone finds the entry too
    assert bash_complete(["otpc", "--vault", vault, "code", "a"]) == ["Acme/Mail", "Acme/VPN"]
    assert len(bash_complete(["otpc", "--vault", vault, "code", ""])) == 4  # not "No secret here"
    assert len(bash_complete(["otpc", "--vault", vault, "entry", "show", ""])) == 5
    assert bash_complete(["otpc", "--vault", vault, "code", "glo"]) == ["Globex/Portal"]
    assert bash_complete(["otpc", "--vault", vault, "code", "port"]) == ["Globex/Portal"]
    assert bash_complete(["otpc", "code", "acme/v"], env={"OTPC_VAULT": vault}) == ["Acme/VPN"]
    assert bash_complete(["otpc", "--vault", vault, "entry", "show", "A"]) == ["Acme/Mail", "Acme/VPN"]
    assert bash_complete(["otpc", "--vault", vault, "audit", "--entry", "Acme/M"]) == ["Acme/Mail"]
    assert bash_complete(["otpc", "--vault", vault, "entry", "list", "--customer", ""]) == [
        "Acme", "Globex", r"M\üller\ \&\ Co"]


def test_names_with_spaces_are_escaped_for_bash(companion):
    """bash inserts the candidate as typed text: read back by the shell it is the name again."""
    offered = bash_complete(["otpc", "--vault", str(companion.vault), "code", "mü"])
    assert offered == [r"M\üller\ \&\ Co/Web\ mail"]
    done = subprocess.run(["bash", "-c", f"set -- {offered[0]}; printf '%s' \"$1\""],
                          capture_output=True, text=True, timeout=30)
    assert done.stdout == SPACED


def test_locked_or_absent_companion_offers_no_names_and_never_asks(companion, tmp_path):
    absent = str(tmp_path / "no-such-vault.sqlite")
    assert bash_complete(["otpc", "--vault", absent, "code", ""]) == []
    assert companion.control({"op": "lock"})["ok"]
    try:
        assert bash_complete(["otpc", "--vault", str(companion.vault), "code", ""]) == []
    finally:
        from harness.companion_process import PASSWORD

        assert companion.control({"op": "unlock", "password": PASSWORD})["ok"]


@pytest.mark.parametrize("shell,marker", [("zsh", "compdef _otpc_completion otpc"),
                                           ("fish", "complete --no-files --command otpc")])
def test_other_shells_get_their_script(shell, marker):
    done = subprocess.run([str(OTPC), "completion", shell], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and marker in done.stdout and "_OTPC_COMPLETE" in done.stdout


def test_help_is_a_complete_manual(bare):
    page = bare.ok("help", "code")
    for part in ("Usage: otpc code [OPTIONS] [ENTRY]", "--copy", "--watch", "--at", "Examples",
                 "Global options", "--vault", "OTPC_CLIP_TIME", "Exit status", "wrong password"):
        assert part in page, part
    group = bare.ok("help", "otp")
    assert "Usage: otpc otp set" in group and "--period" in group and "Usage: otpc otp qr" in group
    assert "Usage: otpc otp set" in bare.ok("help", "otp", "set")


def test_every_command_has_a_manual_page(bare):
    whole = bare.ok("help")
    for name in COMMANDS:
        assert f"Usage: otpc {name} " in whole, name


def test_help_of_an_unknown_command_is_a_usage_error(bare):
    r = bare("help", "nosuch")
    assert r.code == 64 and "no command 'otpc nosuch'" in one_line_error(r)
