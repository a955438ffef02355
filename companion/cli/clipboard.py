"""`otpc code -c`: put a code on the clipboard and clear it after a while if it still holds it, as
`pass otp -c` does.

The platform's own tool does the work (pbcopy on macOS, wl-copy on Wayland, xclip or xsel on X11):
they are what pass uses too, they keep serving the selection after we exit (X11 and Wayland hand the
clipboard over only while its owner lives), and a Python library would only run them for us. The code
goes to them on stdin, never as an argument (other users can read process arguments).

The clearing runs in a detached process (`python -m companion.cli.clipboard`, its own session, so
closing the terminal does not stop it) that gets the code on stdin, sleeps, and clears the clipboard
only if it still holds that code: something the user copied since is left alone.

Standard library only: the clearer starts in a fresh interpreter and should not pay for click.
"""

from __future__ import annotations

import hmac
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass

CLEAR_SECONDS = 30
CLEAR_ENV = "OTPC_CLIP_TIME"  # like pass's PASSWORD_STORE_CLIP_TIME
TOOL_TIMEOUT = 10


class NoClipboard(Exception):
    """No clipboard to copy to (the caller turns it into a UserError)."""


@dataclass(frozen=True)
class Tool:
    name: str
    copy: list[str]  # reads the text on stdin
    paste: list[str]  # prints the clipboard's text
    clear: list[str] | None  # None: copy an empty text instead


def find_tool() -> Tool:
    """The clipboard tool for this session, or NoClipboard saying what is missing."""
    if sys.platform == "darwin":
        return Tool("pbcopy", ["pbcopy"], ["pbpaste"], None)
    if os.environ.get("WAYLAND_DISPLAY") and shutil.which("wl-copy") and shutil.which("wl-paste"):
        return Tool("wl-copy", ["wl-copy"], ["wl-paste", "--no-newline"], ["wl-copy", "--clear"])
    if os.environ.get("DISPLAY"):
        if shutil.which("xclip"):
            return Tool("xclip", ["xclip", "-selection", "clipboard", "-in"],
                        ["xclip", "-selection", "clipboard", "-out"], None)
        if shutil.which("xsel"):
            return Tool("xsel", ["xsel", "--clipboard", "--input"], ["xsel", "--clipboard", "--output"],
                        ["xsel", "--clipboard", "--clear"])
    if not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        raise NoClipboard("no clipboard here (no graphical session: DISPLAY and WAYLAND_DISPLAY are "
                          "unset); print the code without -c")
    raise NoClipboard("no clipboard tool found: install wl-clipboard (Wayland), or xclip or xsel (X11)")


def _run(tool: Tool, argv: list[str], text: str | None) -> str:
    """Run a clipboard command. Its stderr goes to a file, not a pipe: xclip and wl-copy fork a child
    that keeps serving the clipboard (and would hold a pipe open until the clipboard changes hands)."""
    with tempfile.TemporaryFile() as errors:
        try:
            done = subprocess.run(
                argv,
                input=None if text is None else text.encode("utf-8"),
                stdout=subprocess.PIPE if text is None else subprocess.DEVNULL,
                stderr=errors,
                timeout=TOOL_TIMEOUT,
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise NoClipboard(f"{tool.name} did not work: {exc.__class__.__name__}") from None
        if done.returncode != 0:
            errors.seek(0)
            said = errors.read(400).decode("utf-8", "replace").strip().splitlines()
            reason = said[0] if said else f"exit status {done.returncode}"
            raise NoClipboard(f"{tool.name} could not use the clipboard: {reason}")
    return "" if text is not None else done.stdout.decode("utf-8", "replace")


def copy(text: str, tool: Tool | None = None) -> Tool:
    tool = tool or find_tool()
    _run(tool, tool.copy, text)
    return tool


def paste(tool: Tool | None = None) -> str:
    tool = tool or find_tool()
    return _run(tool, tool.paste, None)


def clear(tool: Tool | None = None) -> None:
    tool = tool or find_tool()
    if tool.clear is None:
        _run(tool, tool.copy, "")
    else:
        _run(tool, tool.clear, None)


def clear_seconds() -> float:
    """OTPC_CLIP_TIME (seconds, > 0) or 30."""
    try:
        seconds = float(os.environ.get(CLEAR_ENV, CLEAR_SECONDS))
    except ValueError:
        return CLEAR_SECONDS
    return seconds if 0 < seconds < 86400 else CLEAR_SECONDS


def copy_and_clear_later(text: str) -> float:
    """Copy `text`, start the detached clearer, return after how many seconds it clears."""
    copy(text)
    seconds = clear_seconds()
    clearer = subprocess.Popen(
        [sys.executable, "-m", "companion.cli.clipboard", "--clear-after", str(seconds)],
        stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        start_new_session=True, close_fds=True,
    )
    try:
        clearer.stdin.write(text.encode("utf-8") + b"\n")
        clearer.stdin.close()
    except OSError:
        pass  # it died at once: then the code stays until replaced, as without -c
    return seconds


def _clear_if_unchanged(seconds: float) -> int:
    """The detached clearer: the copied text arrives on stdin."""
    copied = sys.stdin.buffer.readline().rstrip(b"\n")
    sys.stdin.close()
    time.sleep(seconds)
    try:
        tool = find_tool()
        now = paste(tool).rstrip("\n").encode("utf-8")
        if hmac.compare_digest(now, copied):
            clear(tool)
    except NoClipboard:
        return 1
    return 0


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--clear-after":
        sys.exit(_clear_if_unchanged(float(sys.argv[2])))
    sys.exit(64)
