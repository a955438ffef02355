"""Constants and small helpers shared by the vault tests (fixtures are in conftest.py)."""

from __future__ import annotations

import keyring.backend
import keyring.errors

from companion.otp import OtpParams

PASSWORD = "correct horse battery staple"
SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"  # 160 bits, canonical base32
HOTP_SECRET = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"  # RFC 4226's "12345678901234567890"
AT = 1_700_000_015.0  # a fixed moment: 15 s into a 30 s step


class MemoryKeyring(keyring.backend.KeyringBackend):
    """A test double of the OS keyring (the OS keyring is not ours): a dict in this process."""

    priority = 1

    def __init__(self):
        super().__init__()
        self.items: dict[tuple[str, str], str] = {}

    def get_password(self, service, username):
        return self.items.get((service, username))

    def set_password(self, service, username, password):
        self.items[(service, username)] = password

    def delete_password(self, service, username):
        if (service, username) not in self.items:
            raise keyring.errors.PasswordDeleteError("not found")
        del self.items[(service, username)]


def totp(secret: str = SECRET, **kw) -> OtpParams:
    return OtpParams(type="totp", secret=secret, **kw)


def hotp(secret: str = HOTP_SECRET, counter: int = 0, **kw) -> OtpParams:
    return OtpParams(type="hotp", secret=secret, counter=counter, **kw)


def steam(secret: str = SECRET) -> OtpParams:
    return OtpParams(type="steam", secret=secret)
