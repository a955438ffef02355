"""Issue 9 #4 and #5: files that hold secrets, written next to another local user.

The attacker's moves are performed for real in the file system: pre-creating the temp name a
writer would use (as a readable file it holds open, or as a symlink to a file it owns), and
letting the tool write into shared folders it did not create."""

from __future__ import annotations

import os
import stat
import subprocess
import sys

import pytest

from companion.fsutil import make_private_dirs, shared_dir_warning, write_private

SECRET = b'{"otp": "otpauth://totp/x?secret=JBSWY3DPEHPK3PXP"}\n'


def _mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_a_pre_created_temp_file_never_receives_the_secret(tmp_path):
    """The old writer used .NAME.PID.tmp opened without O_EXCL: a file planted there 0666
    (held open by the attacker) received the plaintext."""
    target = tmp_path / "export.json"
    planted = tmp_path / f".{target.name}.{os.getpid()}.tmp"
    fd = os.open(planted, os.O_RDWR | os.O_CREAT, 0o666)
    os.chmod(planted, 0o666)
    try:
        write_private(target, SECRET, overwrite=True)
        assert os.pread(fd, 4096, 0) == b""  # the attacker's open file got nothing
    finally:
        os.close(fd)
    assert target.read_bytes() == SECRET and _mode(target) == 0o600


def test_a_planted_symlink_is_not_followed(tmp_path):
    target = tmp_path / "export.json"
    loot = tmp_path / "attacker-owned"
    loot.write_bytes(b"")
    (tmp_path / f".{target.name}.{os.getpid()}.tmp").symlink_to(loot)
    write_private(target, SECRET, overwrite=True)
    assert loot.read_bytes() == b""
    assert not target.is_symlink() and target.read_bytes() == SECRET


def test_the_file_is_0600_whatever_the_umask_and_no_temp_is_left(tmp_path):
    old = os.umask(0)
    try:
        write_private(tmp_path / "a.json", SECRET, overwrite=True)
        write_private(tmp_path / "a.json", SECRET + b"2", overwrite=True)
    finally:
        os.umask(old)
    assert _mode(tmp_path / "a.json") == 0o600
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.json"]


def test_a_shared_folder_keeps_its_mode_and_sticky_bit(tmp_path):
    """Exporting into a shared 2775 folder made it 0700; a 1777 folder lost its sticky bit."""
    team, drop = tmp_path / "team", tmp_path / "drop"
    team.mkdir()
    drop.mkdir()
    os.chmod(team, 0o2775)
    os.chmod(drop, 0o1777)
    write_private(team / "export.json", SECRET, overwrite=True)
    write_private(drop / "export.json", SECRET, overwrite=True)
    assert _mode(team) == 0o2775 and _mode(drop) == 0o1777
    assert _mode(team / "export.json") == 0o600


def test_directories_the_tool_creates_are_0700_parents_too(tmp_path):
    old = os.umask(0o022)
    try:
        make_private_dirs(tmp_path / "a" / "b" / "c")
    finally:
        os.umask(old)
    assert [_mode(tmp_path / p) for p in ("a", "a/b", "a/b/c")] == [0o700] * 3


@pytest.mark.slow
def test_a_vault_in_a_readable_folder_warns_and_leaves_the_folder_alone(tmp_path):
    home = tmp_path / "shared"
    home.mkdir()
    os.chmod(home, 0o755)
    assert "chmod 700" in shared_dir_warning(home)
    env = {**os.environ, "OTPC_PASSWORD": "correct horse battery staple"}
    run = subprocess.run(
        [sys.executable, "-m", "companion.cli.entry", "--vault", str(home / "v.sqlite"),
         "init", "--kdf-ms", "5"], env=env, capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    assert _mode(home) == 0o755
    warning = [line for line in run.stderr.splitlines() if "chmod 700" in line]
    assert len(warning) == 1 and "Traceback" not in run.stderr
    os.chmod(home, 0o700)
    assert shared_dir_warning(home) is None


def test_the_service_unit_writer_ignores_a_planted_temp_file_and_symlink(tmp_path, monkeypatch):
    """`otpc service install` wrote the unit through a fixed `otpc.service.tmp`: a file planted
    there 0666 (held open) received the unit, a symlink there was followed."""
    from companion.cli import autostart

    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    monkeypatch.setattr(autostart, "is_macos", lambda: False)
    unit = autostart.systemd_unit_path()
    unit.parent.mkdir(parents=True)
    planted = unit.with_name(unit.name + ".tmp")
    fd = os.open(planted, os.O_RDWR | os.O_CREAT, 0o666)
    os.chmod(planted, 0o666)
    try:
        assert autostart.write_unit(tmp_path / "v.sqlite") == unit
        assert os.pread(fd, 4096, 0) == b""
    finally:
        os.close(fd)
    planted.unlink()
    loot = tmp_path / "attacker-owned"
    loot.write_bytes(b"")
    planted.symlink_to(loot)
    autostart.write_unit(tmp_path / "v2.sqlite")
    assert loot.read_bytes() == b"" and planted.is_symlink()
    assert not unit.is_symlink() and "v2.sqlite" in unit.read_text() and _mode(unit) == 0o600


def test_without_overwrite_an_existing_name_is_refused_even_a_dangling_symlink(tmp_path):
    import pytest

    from companion.errors import UserError

    target = tmp_path / "export.json"
    target.symlink_to(tmp_path / "nowhere")
    with pytest.raises(UserError, match="already exists"):
        write_private(target, SECRET, overwrite=False)
    assert target.is_symlink() and not (tmp_path / "nowhere").exists()
    write_private(tmp_path / "new" / "x.json", SECRET, overwrite=False, mode=0o640)
    assert _mode(tmp_path / "new" / "x.json") == 0o640 and _mode(tmp_path / "new") == 0o700
    assert sorted(p.name for p in (tmp_path / "new").iterdir()) == ["x.json"]


def test_the_config_and_clients_files_are_0600_whatever_the_umask(tmp_path):
    """The companion's own side files go through write_private too (not a forwarder in paths.py)."""
    from companion.paths import clients_path, config_path
    from companion.server.clients import Client, ClientStore
    from companion.server.config import ServerConfig, save_config

    vault = tmp_path / "vault.otpc"
    old = os.umask(0)
    try:
        save_config(vault, ServerConfig(idle_lock_minutes=1))
        ClientStore(vault).add(Client("c1", "Firefox", "moz-extension://x", b"m" * 32, b"e" * 32))
    finally:
        os.umask(old)
    assert _mode(config_path(vault)) == 0o600
    assert _mode(clients_path(vault)) == 0o600
