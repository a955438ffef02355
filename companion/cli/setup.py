"""`otpc init`, `passwd`, `status`, `keyring enable|disable|status`: creating, re-keying and
describing the vault."""

from __future__ import annotations

import os

import click

from companion.cli.common import State, console, pass_state
from companion.cli.strength import check_new_password
from companion.errors import UserError

KDF_MS_HELP = (
    "Target unlock time of the password KDF in milliseconds (Argon2id, never below OWASP's "
    "19 MiB / 2 passes); like keepassxc-cli's --decryption-time. Default 500."
)


def _new_password(state: State, *, first: bool) -> str:
    """The new master password: --password-stdin / OTPC_PASSWORD for `init`; for `passwd` the next
    stdin line or OTPC_NEW_PASSWORD; otherwise a hidden prompt asked twice."""
    if first:
        return state.read_password("New master password", confirm=True)
    env = os.environ.get("OTPC_NEW_PASSWORD")
    if env is not None:
        return env
    return state.read_secret("New master password", confirm=True)


FORCE_HELP = "Accept a master password the strength estimator (zxcvbn) rates weak."


@click.command()
@click.option("--kdf-ms", type=click.IntRange(1, 60_000), default=500, show_default=True,
              help=KDF_MS_HELP)
@click.option("--force", is_flag=True, help=FORCE_HELP)
@pass_state
def init(state: State, kdf_ms: int, force: bool) -> None:
    """Create a new, empty vault (asks for its master password twice)."""
    from companion.paths import ensure_private_dir
    from companion.vault import Vault

    path = state.path
    if Vault.exists(path) or path.exists():
        raise UserError(f"a vault already exists at {path}; refusing to overwrite it")
    password = _new_password(state, first=True)
    check_new_password(password, force=force)
    ensure_private_dir(path.parent)
    vault = Vault.create(path, password, kdf_ms=kdf_ms)
    vault.close()
    os.chmod(path, 0o600)
    console().print(f"Created vault [bold]{path}[/] (unlock tuned to about {kdf_ms} ms).", soft_wrap=True)
    console().print("Next: [bold]otpc customer add NAME[/], then [bold]otpc entry add[/].", soft_wrap=True)


@click.command()
@click.option("--kdf-ms", type=click.IntRange(1, 60_000), default=None,
              help=KDF_MS_HELP.replace("Default 500.", "Default: keep the current cost."))
@click.option("--force", is_flag=True, help=FORCE_HELP)
@click.option("--rotate-keys", is_flag=True,
              help="Also replace every key: a new master key and new customer keys, every record "
              "re-encrypted, the old keys erased from the file. Use it when a key may have leaked "
              "(a compromised machine that had the vault unlocked, a leaked keyring item or copy "
              "of the file together with the password).")
@pass_state
def passwd(state: State, kdf_ms: int | None, force: bool, rotate_keys: bool) -> None:
    """Change the master password (rewraps the master key; records are not re-encrypted, unless
    --rotate-keys).

    The current password comes first (prompt, --password-stdin's first line or OTPC_PASSWORD),
    then the new one (prompt, the next stdin line or OTPC_NEW_PASSWORD)."""
    vault = state.local_vault()  # keys and slots: the file itself, never through a companion
    if vault.is_locked:
        raise UserError("the vault is locked")
    password = _new_password(state, first=False)
    check_new_password(password, force=force)
    if not rotate_keys:
        vault.change_password(password, kdf_ms=kdf_ms)
        console().print("Master password changed.", soft_wrap=True)
        return
    companion_locked = _lock_running_companion(state)  # it holds the old master key
    from companion.server.clients import KEY_PURPOSE, reseal_after_key_rotation

    old_clients_key = vault.derive_key(KEY_PURPOSE)
    compacted = vault.rotate_keys(password, kdf_ms=kdf_ms)
    # the paired browsers' file is MACed under a key derived from the master key (issue 9 #6)
    reseal_after_key_rotation(state.path, old_clients_key, vault.derive_key(KEY_PURPOSE))
    console().print(
        "Master password changed and every key rotated: the old master key, customer keys and "
        "key slots open nothing in this file any more.", soft_wrap=True
    )
    if not compacted:
        console().print(
            "Another process kept the file from being compacted: old (now useless) pages may "
            "remain until it closes; run 'otpc passwd --rotate-keys' again to be sure.",
            soft_wrap=True,
        )
    if companion_locked:
        console().print("The running companion was locked: unlock it again ('otpc unlock').",
                        soft_wrap=True)


def _lock_running_companion(state: State) -> bool:
    """A running companion holds the old master key: lock it first, so it unlocks anew."""
    from companion.cli.control import ask

    reply = ask(state.path, {"op": "lock"})
    return isinstance(reply, dict) and bool(reply.get("ok"))


@click.group(name="keyring")
def keyring_group() -> None:
    """Unlock without typing the password, through the OS keyring (Secret Service, Keychain, ...)."""


@keyring_group.command()
@pass_state
def enable(state: State) -> None:
    """Add a key slot whose key lives in the OS keyring."""
    vault = state.local_vault()  # keys and slots: the file itself, never through a companion
    vault.enable_keyring()
    console().print("Keyring unlock enabled: this account's OS keyring can now open the vault.", soft_wrap=True)


@keyring_group.command()
@pass_state
def disable(state: State) -> None:
    """Remove the keyring key slot (and its key from the keyring)."""
    vault = state.local_vault()  # keys and slots: the file itself, never through a companion
    vault.disable_keyring()
    console().print("Keyring unlock disabled: the master password is needed again.", soft_wrap=True)


@keyring_group.command("status")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@pass_state
def keyring_status(state: State, as_json: bool) -> None:
    """Whether keyring unlock is enabled for this vault."""
    from companion.cli.common import emit_json

    enabled = bool(state.local_vault(unlock=False).keyring_enabled)
    if as_json:
        emit_json({"keyring_enabled": enabled})
    else:
        console().print(f"Keyring unlock is {'enabled' if enabled else 'disabled'}.", soft_wrap=True)


@click.command(name="status")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@pass_state
def status(state: State, as_json: bool) -> None:
    """The vault file and its protection: format, Argon2id parameters, keyring, the last
    generation seen here (rollback detection), and whether a companion runs. Needs no password."""
    from companion.cli.common import emit_json, esc
    from companion.cli.control import ask

    info = state.vault(unlock=False).describe()
    reply = ask(state.path, {"op": "status"})
    running = isinstance(reply, dict) and reply.get("ok")
    info["companion"] = {"running": bool(running), "locked": reply.get("locked") if running else None}
    if as_json:
        emit_json(info)
        return
    kdf = info["kdf"]
    companion = (
        "not running" if not running
        else f"running, {'locked' if info['companion']['locked'] else 'unlocked'}"
    )
    lines = [
        f"Vault:       {esc(info['path'])} (format {info['format']}, id {info['vault_id']})",
        f"Unlock KDF:  Argon2id, {kdf['memory_kib'] // 1024} MiB, {kdf['iterations']} passes, "
        f"{kdf['lanes']} lanes (change with 'otpc passwd --kdf-ms N')",
        f"Keyring:     {'enabled' if info['keyring_enabled'] else 'disabled'}",
        f"Generation:  {info['generation_last_seen']} last seen on this machine "
        f"({esc(info['state_file'])}); an older copy is refused",
        f"Companion:   {companion}",
    ]
    for line in lines:
        console().print(line, soft_wrap=True)
