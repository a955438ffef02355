"""The default vault folder is platformdirs.user_data_dir("otpc"), written out so that `otpc code`
does not import platformdirs; the two must agree."""

from __future__ import annotations

import os
import sys

import platformdirs
import pytest

from companion import paths

linux = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the Linux rule (XDG)")


@linux
@pytest.mark.parametrize("xdg", [None, "", "   ", "/srv/data", "relative/dir", "/tmp/with space"])
def test_user_data_dir_is_platformdirs_answer(monkeypatch, tmp_path, xdg):
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    if xdg is None:
        monkeypatch.delenv("XDG_DATA_HOME", raising=False)
    else:
        monkeypatch.setenv("XDG_DATA_HOME", xdg)
    assert paths.user_data_dir() == platformdirs.user_data_dir("otpc")


@linux
def test_default_vault_is_in_the_user_data_dir(monkeypatch, tmp_path):
    monkeypatch.delenv("OTPC_VAULT", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert paths.vault_file() == os.path.realpath(tmp_path / "xdg" / "otpc" / "vault.sqlite")
