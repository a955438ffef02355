"""The one error model: every error a user (or a web page) can cause, and how it travels.

Each class carries its process exit code, its HTTP status, its wire code (the JSON `error` of the HTTP
API and the `kind` of a control-socket reply). `to_reply`/`from_reply` are the one encoder and decoder
of control-socket errors; `http_error` is the one mapping to an HTTP refusal. Messages never contain
a secret, a password or a code.

Exit codes (the README's table): 0 ok, 1 error, 2 not found, 3 wrong password, 4 damaged or
rolled-back vault, 5 locked, 6 forbidden by a team role, 64 usage (bad option or argument), 130 interrupted.
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_USAGE = 64
EXIT_INTERRUPTED = 130


class UserError(Exception):
    """A problem the user can fix: bad input, wrong password, missing entry, corrupt file."""

    exit_code = 1
    http_status = 400
    kind = "bad_request"


class UsageError(UserError):
    """A command given the wrong arguments (e.g. no ENTRY and no --title): exit 64, as click's own
    usage errors."""

    exit_code = EXIT_USAGE
    kind = "usage"


class NotFound(UserError):
    """A named customer or entry does not exist (or is outside a client's scope)."""

    exit_code = 2
    http_status = 404
    kind = "not_found"


class Ambiguous(NotFound):
    """A name or search that matches several entries: the message lists them (exit 2, like a
    name that matches none: in both cases the user has to say which one)."""

    kind = "ambiguous"


class WrongPassword(UserError):
    """A wrong master password, or a wrong password of a file to import: one kind, one exit code."""

    exit_code = 3
    http_status = 403
    kind = "wrong_password"


class VaultCorrupt(UserError):
    """The vault file is tampered, truncated, foreign, rolled back or from a newer version."""

    exit_code = 4
    http_status = 409  # the file conflicts with what this machine has seen; never 500 (a bug)
    kind = "vault_damaged"


class Locked(UserError):
    exit_code = 5
    http_status = 423
    kind = "locked"


class Forbidden(UserError):
    """A team member's Login Role does not allow this (view, reveal, edit, delete or admin)."""

    exit_code = 6
    http_status = 403
    kind = "forbidden"


KINDS: dict[str, type[UserError]] = {
    cls.kind: cls
    for cls in (UserError, UsageError, NotFound, Ambiguous, WrongPassword, VaultCorrupt, Locked,
                Forbidden)
}
KINDS["error"] = UserError  # what companions before the error model sent


def to_reply(exc: BaseException) -> dict:
    """A control-socket error reply; anything but a UserError is an internal error (details logged
    by the caller, never sent)."""
    if isinstance(exc, UserError):
        return {"ok": False, "error": str(exc), "kind": exc.kind}
    return {"ok": False, "error": "internal error in the companion", "kind": UserError.kind}


def from_reply(reply: dict) -> UserError:
    """The exception a refused control-socket reply stands for (unknown kinds are plain errors)."""
    kind = reply.get("kind")
    cls = KINDS.get(kind, UserError) if isinstance(kind, str) else UserError
    return cls(str(reply.get("error") or "the companion refused the request"))


VAULT_DAMAGED_MESSAGE = "the vault looks rolled back or damaged: run `otpc unlock` in a terminal to see why"


def http_error(exc: UserError) -> tuple[int, str, str]:
    """(status, wire code, message) of an HTTP refusal. A damaged or rolled-back vault is 409
    "vault_damaged" with a fixed message (the details, which name the file, stay in the companion's
    log and the terminal); a wrong password never echoes anything."""
    if isinstance(exc, VaultCorrupt):
        return exc.http_status, exc.kind, VAULT_DAMAGED_MESSAGE
    if isinstance(exc, WrongPassword):
        return exc.http_status, exc.kind, "wrong master password"
    if isinstance(exc, Locked):
        return exc.http_status, exc.kind, "the vault is locked"
    return getattr(exc, "http_status", 400), getattr(exc, "kind", "bad_request"), str(exc)
