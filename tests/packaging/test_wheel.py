"""Issue 10 item 11: the wheel ships the extension and the docs. Built with `pip wheel`, installed into
a fresh venv (its dependencies borrowed from the test venv through a .pth line, so nothing is
downloaded and the checkout is not importable), and by `pipx install` (which fetches the dependencies
as a user's install does); then used as a pip/pipx user would: `otpc extension
path`, `otpc extension zip`, the systemd unit's documentation link, and `otpc serve`."""

from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import sys
import sysconfig
import time
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    dist = tmp_path_factory.mktemp("dist")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                    "--disable-pip-version-check", "-q", "-w", str(dist), str(ROOT)],
                   check=True, timeout=300, capture_output=True)
    (found,) = dist.glob("otp_companion-*.whl")
    return found


@pytest.fixture(scope="module", params=["pip", "pipx"])
def installed(request, wheel, tmp_path_factory) -> Path:
    """The bin/ folder holding `otpc` of a fresh install of only the built wheel: into a new venv by
    pip, or by `pipx install` (its own venv, `otpc` exposed in PIPX_BIN_DIR)."""
    tmp = tmp_path_factory.mktemp(request.param)
    if request.param == "pipx":
        return pipx_install(wheel, tmp)
    venv = tmp / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    py = venv / "bin" / "python"
    subprocess.run([sys.executable, "-m", "pip", "--python", str(py), "install", "--no-deps", "-q",
                    "--disable-pip-version-check", str(wheel)], check=True, timeout=300,
                   capture_output=True)
    site = Path(subprocess.check_output([str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                                        text=True).strip())
    # Dependencies only: a plain path line (the test venv's own .pth files, among them the editable
    # install of this checkout, are not processed from it).
    (site / "zz_test_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return venv / "bin"


def pipx_install(wheel: Path, tmp: Path) -> Path:
    """`pipx install` as a user runs it. pipx resolves the dependencies itself (pinned by
    constraints.txt; pip's cache or the package index, like `make install`)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OTPC_", "PIPX_", "VIRTUAL_ENV"))
           and k != "PYTHONPATH"}
    env.update(PIPX_HOME=str(tmp / "home"), PIPX_BIN_DIR=str(tmp / "bin"), PIPX_MAN_DIR=str(tmp / "man"))
    done = subprocess.run([str(Path(sys.executable).with_name("pipx")), "install", "--python",
                           sys.executable, "--pip-args", f"-c {ROOT / 'constraints.txt'}", str(wheel)],
                          capture_output=True, text=True, timeout=600, env=env, cwd=tmp)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    exposed = tmp / "bin" / "otpc"
    assert exposed.is_symlink() and exposed.resolve().is_relative_to(tmp / "home"), list(tmp.iterdir())
    return exposed.resolve().parent


def run(bin_dir: Path, *args: str, env: dict | None = None, cwd: Path | None = None):
    clean = {k: v for k, v in os.environ.items() if not k.startswith("OTPC_") and k != "PYTHONPATH"}
    return subprocess.run([str(bin_dir / "otpc"), *args], capture_output=True, text=True, timeout=120,
                          env={**clean, **(env or {})}, cwd=cwd or bin_dir, stdin=subprocess.DEVNULL)


def test_the_package_comes_from_the_wheel(installed):
    where = subprocess.check_output([str(installed / "python"), "-c",
                                     "import companion; print(companion.__file__)"], text=True,
                                    cwd=installed)  # not the checkout: `python -c` imports from cwd
    assert where.startswith(str(installed.parent)) and str(ROOT / "companion") not in where


def test_extension_path_is_a_loadable_folder(installed):
    done = run(installed, "extension", "path")
    assert done.returncode == 0, done.stderr
    folder = Path(done.stdout.strip())
    assert folder.is_relative_to(installed.parent) and folder.name == "extension"
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["manifest_version"] == 3
    assert (folder / manifest["action"]["default_popup"]).exists()
    assert (folder / manifest["background"]["service_worker"]).exists()


@pytest.mark.parametrize("browser", ["chrome", "firefox"])
def test_extension_zip_has_the_manifest_at_its_root(installed, tmp_path, browser):
    target = tmp_path / f"{browser}.zip"
    done = run(installed, "extension", "zip", "--browser", browser, "-o", str(target))
    assert done.returncode == 0, done.stderr
    with zipfile.ZipFile(target) as archive:
        names = archive.namelist()
        manifest = json.loads(archive.read("manifest.json"))
    assert names[0] == "manifest.json" and "package.json" not in names
    assert all(not n.startswith("/") and ".." not in n for n in names)
    assert "popup/popup.html" in names and "background/main.js" in names
    if browser == "firefox":
        assert manifest["browser_specific_settings"]["gecko"]["id"]
    again = run(installed, "extension", "zip", "--browser", browser, "-o", str(target))
    assert again.returncode == 1 and "--force" in again.stderr


def test_unit_documentation_link_points_at_a_shipped_file(installed, tmp_path):
    done = run(installed, "--vault", str(tmp_path / "v.sqlite"), "service", "install", "--no-start",
               env={"XDG_CONFIG_HOME": str(tmp_path)})
    assert done.returncode == 0, done.stderr
    unit = (tmp_path / "systemd" / "user" / "otpc.service").read_text()
    link = next(line for line in unit.splitlines() if line.startswith("Documentation="))
    target = Path(link.removeprefix("Documentation=file://"))
    assert target.is_file() and target.is_relative_to(installed.parent)
    assert "OTP Companion" in target.read_text()


def test_otpc_serve_starts_from_the_wheel(installed, tmp_path):
    from harness.ports import free_port

    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("OTPC_") and k != "PYTHONPATH"}
    env.update(OTPC_PASSWORD="wheel install first run", OTPC_SOCKET=str(tmp_path / "control.sock"))
    proc = subprocess.Popen([str(installed / "otpc"), "--vault", str(tmp_path / "vault.sqlite"), "serve",
                             "--port", str(port)], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, env=env, cwd=tmp_path)
    log = b""
    try:
        deadline = time.monotonic() + 60
        while b"2. In another terminal" not in log and time.monotonic() < deadline:
            ready, _, _ = select.select([proc.stderr], [], [], 0.5)
            if ready:
                chunk = os.read(proc.stderr.fileno(), 4096)
                assert chunk, log.decode()
                log += chunk
        text = log.decode()
        assert f"listening on http://127.0.0.1:{port}" in text, text
        assert str(installed.parent) in text  # "Load unpacked, choose <the shipped extension folder>"
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(20)
