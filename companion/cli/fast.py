"""`otpc code` through a running, unlocked companion, using the standard library only.

Handles exactly `otpc [--vault P] code REF [--json] [--at T]`; anything else (other commands, --watch,
unknown flags, no companion, a locked one) returns None so click takes over.
"""

from __future__ import annotations

import math
import sys


def parse(args: list[str]) -> tuple[str | None, str, bool, float | None] | None:
    """(vault, ref, as_json, at) for the one shape we handle, else None."""
    vault = None
    rest = list(args)
    if rest and rest[0].startswith("--vault"):
        head = rest.pop(0)
        if head.startswith("--vault="):
            vault = head[len("--vault=") :]
        elif head == "--vault" and rest:
            vault = rest.pop(0)
        else:
            return None
        if not vault:
            return None
    if not rest or rest.pop(0) != "code":
        return None
    ref, as_json, at = None, False, None
    while rest:
        arg = rest.pop(0)
        if arg == "--json":
            as_json = True
        elif arg == "--at" or arg.startswith("--at="):
            text = arg[len("--at=") :] if arg.startswith("--at=") else (rest.pop(0) if rest else "")
            try:
                at = float(text)
            except ValueError:
                return None
            if not math.isfinite(at):
                return None
        elif arg.startswith("-") or ref is not None:
            return None
        else:
            ref = arg
    if not ref:
        return None
    return vault, ref, as_json, at


def grouped(code: str) -> str:
    """'755224' -> '755 224', '94287082' -> '9428 7082' (easier to read off a screen)."""
    n = len(code)
    if n < 6:
        return code
    size = 3 if n % 3 == 0 else 4 if n % 4 == 0 else math.ceil(n / 2)
    return " ".join(code[i : i + size] for i in range(0, n, size))


def try_fast_path(args: list[str]) -> int | None:
    parsed = parse(args)
    if parsed is None:
        return None
    vault, ref, as_json, at = parsed
    from companion.cli.control import call
    from companion.paths import vault_file

    try:
        path = vault_file(vault)
        reply = call(path, {"op": "code", "vault": path, "entry": ref, "at": at})
    except Exception as exc:
        # companion.errors only now: an answered `otpc code` never pays for importing it.
        from companion.errors import Locked, UserError

        if isinstance(exc, Locked):
            return None  # the normal path opens the vault itself (or asks to unlock the companion)
        if not isinstance(exc, UserError):
            raise
        print(f"otpc: error: {exc}", file=sys.stderr)
        return exc.exit_code
    if reply is None:
        return None
    result = {k: v for k, v in reply.items() if k != "ok"}
    if "code" not in result:
        return None
    print_code(result, as_json)
    return 0


def print_code(result: dict, as_json: bool) -> None:
    """The one way a code is printed (this fast path and `otpc code` through click): JSON; on a
    terminal grouped with the seconds left; else the bare code (scripts, pipes)."""
    if as_json:
        import json  # only here: json imports re, a third of the fast path's start-up

        print(json.dumps(result, indent=2, ensure_ascii=False, default=str))
    elif sys.stdout.isatty():
        left = ""
        if result.get("valid_until") is not None:
            left = f"  ({math.ceil(result['remaining'])} s left)"
        print(f"{grouped(result['code'])}{left}")
    else:
        print(result["code"])
