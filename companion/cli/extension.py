"""`otpc extension path|zip`: the browser extension shipped inside the package, for users who
installed otpc with pip or pipx and have no checkout to load it from.

The zip is written with the standard library (no web-ext, no node): the same files as the folder,
manifest.json at the root, without package.json (it only marks the JS as ES modules for node's test
runner). Firefox reads the gecko id from browser_specific_settings (extension/manifest.json); Chromium
ignores that key, and Firefox ignores Chromium's `key`, so one manifest serves both.
"""

from __future__ import annotations

import json
import os
import zipfile
from pathlib import Path

import click

from companion.errors import UserError

LEFT_OUT = {"package.json"}
# A fixed timestamp: the same extension gives the same zip, byte for byte.
ZIP_TIME = (2020, 1, 1, 0, 0, 0)


def _files(root: Path) -> list[Path]:
    found = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith(".") and d != "node_modules")
        for name in sorted(filenames):
            path = Path(dirpath) / name
            if name.startswith(".") or (path.parent == root and name in LEFT_OUT):
                continue
            found.append(path)
    return found


def manifest(root: Path) -> dict:
    try:
        return json.loads((root / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise UserError(f"{root / 'manifest.json'} is missing or unreadable: {exc}") from None


def write_zip(root: Path, target: Path, browser: str) -> int:
    """Write the package; returns how many files it holds. manifest.json first, at the root."""
    data = manifest(root)
    if browser == "firefox" and not (data.get("browser_specific_settings") or {}).get("gecko", {}).get("id"):
        raise UserError("the manifest has no browser_specific_settings.gecko.id, which Firefox needs")
    files = _files(root)
    files.sort(key=lambda p: (p.relative_to(root).as_posix() != "manifest.json", p.relative_to(root).as_posix()))
    tmp = target.with_name(f".{target.name}.tmp")
    try:
        with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for path in files:
                info = zipfile.ZipInfo(path.relative_to(root).as_posix(), date_time=ZIP_TIME)
                info.compress_type = zipfile.ZIP_DEFLATED
                info.external_attr = 0o644 << 16
                archive.writestr(info, path.read_bytes())
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    return len(files)


@click.group()
def extension() -> None:
    """The browser extension shipped with otpc: where it is, and a package to install."""


@extension.command("path")
def path_cmd() -> None:
    """Print the extension folder: load it unpacked (Chromium: chrome://extensions, Developer mode,
    'Load unpacked'; Firefox: about:debugging, 'Load Temporary Add-on', its manifest.json)."""
    from companion.paths import extension_dir

    click.echo(str(extension_dir()))


@extension.command("zip")
@click.option("--browser", type=click.Choice(["chrome", "firefox"]), default="chrome", show_default=True,
              help="chrome: Chromium, Chrome, Edge (unzip and 'Load unpacked', or a store upload); "
                   "firefox: an unsigned add-on for 'Install Add-on From File' (ESR/Developer/Nightly "
                   "with xpinstall.signatures.required off) or a temporary add-on.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Where to write it (default: otp-companion-BROWSER-VERSION.zip here).")
@click.option("--force", is_flag=True, help="Replace an existing file.")
def zip_cmd(browser: str, output: Path | None, force: bool) -> None:
    """Write the extension as a zip package a browser installs (manifest.json at its root)."""
    from companion.paths import extension_dir

    root = extension_dir()
    version = manifest(root).get("version", "0")
    target = output or Path(f"otp-companion-{browser}-{version}.zip")
    if target.exists() and not force:
        raise UserError(f"{target} exists; use --force to replace it")
    count = write_zip(root, target, browser)
    click.echo(f"Wrote {target} ({count} files, version {version}, for {browser}).")
