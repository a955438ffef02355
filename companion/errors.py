"""The exception every layer raises for something a user (or a web page) caused.

The CLI prints `str(error)` as one line and exits non-zero; the server maps it to a JSON error body.
Messages never contain a secret, a password or a code.
"""


class UserError(Exception):
    """A problem the user can fix: bad input, wrong password, missing entry, corrupt file."""

    exit_code = 1


class NotFound(UserError):
    """A named customer or entry does not exist (or is outside a client's scope)."""

    exit_code = 2


class WrongPassword(UserError):
    exit_code = 3


class VaultCorrupt(UserError):
    """The vault file is tampered, truncated, foreign or from a newer version."""

    exit_code = 4


class Locked(UserError):
    exit_code = 5
