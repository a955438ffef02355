"""Start-at-login files for the companion: a systemd user unit (Linux) or a launchd agent (macOS).

Pure text generation plus writing the file; `otpc service` (cli/service.py) decides what to run.
The unit never carries a password: the companion starts locked (or unlocks from the keyring slot).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from xml.sax.saxutils import escape

UNIT_NAME = "otpc.service"
AGENT_LABEL = "com.otp-companion.otpc"


def command_line(vault: Path, port: int | None = None) -> list[str]:
    serve = ["serve"] if port is None else ["serve", "--port", str(port)]
    return [sys.executable, "-m", "companion.cli.entry", "--vault", str(vault), *serve]


def systemd_unit_path() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "systemd" / "user" / UNIT_NAME


def launchd_agent_path() -> Path:
    return Path.home() / "Library" / "LaunchAgents" / f"{AGENT_LABEL}.plist"


def _systemd_quote(arg: str) -> str:
    if arg and all(c.isalnum() or c in "/._-+:=@" for c in arg):
        return arg
    return '"' + arg.replace("\\", "\\\\").replace('"', '\\"') + '"'


def documentation_url() -> str:
    """The README shipped with the package (a checkout's own README in an editable install)."""
    from companion.paths import docs_dir

    readme = docs_dir() / "README.md"
    if not readme.exists():  # a checkout: docs/ holds the documents, the README sits above it
        readme = docs_dir().parent / "README.md"
    return readme.as_uri()


def systemd_unit(vault: Path, port: int | None = None) -> str:
    exec_start = " ".join(_systemd_quote(a) for a in command_line(vault, port))
    return (
        "[Unit]\n"
        "Description=OTP Companion: localhost code service for the browser extension\n"
        f"Documentation={documentation_url()}\n"
        "\n"
        "[Service]\n"
        "Type=simple\n"
        f"ExecStart={exec_start}\n"
        "Restart=on-failure\n"
        "RestartSec=3\n"
        "NoNewPrivileges=true\n"
        "UMask=0077\n"
        "\n"
        "[Install]\n"
        "WantedBy=default.target\n"
    )


def launchd_plist(vault: Path, port: int | None = None) -> str:
    args = "\n".join(f"    <string>{escape(a)}</string>" for a in command_line(vault, port))
    log = escape(str(Path.home() / "Library" / "Logs" / "otpc.log"))
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" '
        '"http://www.apple.com/DTDs/PropertyList-1.0.dtd">\n'
        '<plist version="1.0">\n<dict>\n'
        f"  <key>Label</key>\n  <string>{AGENT_LABEL}</string>\n"
        f"  <key>ProgramArguments</key>\n  <array>\n{args}\n  </array>\n"
        "  <key>RunAtLoad</key>\n  <true/>\n"
        "  <key>KeepAlive</key>\n  <dict><key>SuccessfulExit</key><false/></dict>\n"
        f"  <key>StandardErrorPath</key>\n  <string>{log}</string>\n"
        "</dict>\n</plist>\n"
    )


def is_macos() -> bool:
    return sys.platform == "darwin"


def unit_path() -> Path:
    return launchd_agent_path() if is_macos() else systemd_unit_path()


def unit_text(vault: Path, port: int | None = None) -> str:
    return launchd_plist(vault, port) if is_macos() else systemd_unit(vault, port)


def write_unit(vault: Path, port: int | None = None) -> Path:
    """Write the unit through fsutil's writer: a random O_EXCL|O_NOFOLLOW temp name (the old fixed
    `NAME.tmp` could be pre-created or symlinked by another user), 0600, atomic rename."""
    from companion.fsutil import write_private

    path = unit_path()
    write_private(path, unit_text(vault, port).encode(), overwrite=True)
    return path


def start_commands() -> list[list[str]]:
    if is_macos():
        return [["launchctl", "load", "-w", str(launchd_agent_path())]]
    return [["systemctl", "--user", "daemon-reload"], ["systemctl", "--user", "enable", "--now", UNIT_NAME]]


def stop_commands() -> list[list[str]]:
    if is_macos():
        return [["launchctl", "unload", "-w", str(launchd_agent_path())]]
    return [["systemctl", "--user", "disable", "--now", UNIT_NAME], ["systemctl", "--user", "daemon-reload"]]
