"""One-time codes: TOTP, HOTP and Steam Guard from a secret, its parameters and a time or counter.

pyotp does the HMAC work. We call its HOTP for everything, because a TOTP code is the HOTP code of
floor(t / period), and pyotp's own TOTP refuses periods over 120 s and secrets under 112 bits.
"""

from __future__ import annotations

import functools
import hashlib
import math
import time
from dataclasses import dataclass, replace

from companion.errors import UserError

TYPES = ("totp", "hotp", "steam")
ALGORITHMS = {"SHA1": hashlib.sha1, "SHA256": hashlib.sha256, "SHA512": hashlib.sha512}
# What a vault holds: 4 to 10 digits, the range OTP apps use (Aegis and KeePassXC allow 1-10,
# pyotp has no minimum; 4- and 5-digit codes exist on some hardware-token replacements).
MIN_DIGITS, MAX_DIGITS = 4, 10
# Below this a code is easy to guess (1 in 10,000 for 4 digits): `otp set` and `import` ask for
# --force, as they do for secrets under 80 bits. Our own export restores them without it.
USUAL_MIN_DIGITS = 6
MAX_PERIOD = 86_400
STEAM_ALPHABET = "23456789BCDFGHJKMNPQRTVWXY"
STEAM_DIGITS = 5


class OtpError(UserError):
    """Parameters no code can be made from."""


@functools.cache
def _hotp_class() -> type:
    """pyotp's HOTP, loaded on the first code: the CLI's agent path uses OtpParams, not the maths."""
    import pyotp

    class _HOTP(pyotp.HOTP):
        # Services still issue 80-bit secrets; normalize.py decides what is too short, not pyotp.
        min_secret_length_bits = 0  # pyotp >= 2.10 reads this attribute

    return _HOTP


@dataclass(frozen=True)
class OtpParams:
    """Everything needed to produce codes for one account. `secret` is canonical base32."""

    type: str = "totp"
    secret: str = ""
    algorithm: str = "SHA1"
    digits: int = 6
    period: int = 30
    counter: int = 0
    issuer: str = ""
    account: str = ""

    def checked(self) -> OtpParams:
        """Return self with the algorithm name canonical, or raise OtpError."""
        kind = self.type.lower()
        if kind not in TYPES:
            raise OtpError(f"unknown OTP type {self.type!r}: expected totp, hotp or steam")
        algorithm = canonical_algorithm(self.algorithm)
        if kind == "steam":
            if algorithm != "SHA1" or self.period != 30:
                raise OtpError("Steam Guard codes always use SHA1 and a 30 s period")
            return replace(self, type=kind, algorithm=algorithm, digits=STEAM_DIGITS)
        if not MIN_DIGITS <= int(self.digits) <= MAX_DIGITS:
            raise OtpError(f"digits must be {MIN_DIGITS} to {MAX_DIGITS}, not {self.digits}")
        if kind == "totp" and not 1 <= int(self.period) <= MAX_PERIOD:
            raise OtpError(f"period must be 1 to {MAX_PERIOD} seconds, not {self.period}")
        if not 0 <= int(self.counter) < 2**64:
            raise OtpError("counter must be 0 to 2^64-1 (an 8-byte HOTP counter)")
        if kind == self.type and algorithm == self.algorithm:
            return self  # already canonical (imports check each OTP twice; replace() is slow)
        return replace(self, type=kind, algorithm=algorithm)


def require_usual_digits(params: OtpParams, *, force: bool) -> None:
    """OtpError for a 4- or 5-digit TOTP/HOTP unless forced (Steam's 5 characters are its own)."""
    if params.type != "steam" and int(params.digits) < USUAL_MIN_DIGITS and not force:
        raise OtpError(
            f"{params.digits}-digit codes are easy to guess; {USUAL_MIN_DIGITS} or more are usual "
            "(use --force to accept them)"
        )


def canonical_algorithm(name: str) -> str:
    """'sha256', 'HMAC-SHA256', 'SHA-256' → 'SHA256'."""
    key = str(name).upper().replace("HMAC-", "").replace("HMAC", "").replace("-", "")
    if key not in ALGORITHMS:
        raise OtpError(f"unsupported algorithm {name!r}: expected SHA1, SHA256 or SHA512")
    return key


def hotp_code(secret: str, counter: int, algorithm: str = "SHA1", digits: int = 6) -> str:
    """RFC 4226 HOTP value for `counter`, zero-padded to `digits`."""
    digest = ALGORITHMS[canonical_algorithm(algorithm)]
    padded = secret + "=" * (-len(secret) % 8)
    if digits >= 6:
        return _hotp_class()(padded, digits=digits, digest=digest).at(counter)
    # pyotp makes 6 to 10 digits only. Ten digits of the 31-bit truncated value are the value
    # itself (it is < 2**31 < 10**10), so fewer digits are its last ones, as RFC 4226 defines.
    value = int(_hotp_class()(padded, digits=10, digest=digest).at(counter))
    return str(value % 10**digits).zfill(digits)


def time_step(at: float, period: int) -> int:
    """floor(at / period), the RFC 6238 T; OtpError for times no code can be made for."""
    if not isinstance(at, int | float) or not math.isfinite(at) or at < 0:
        raise OtpError("time must be a finite, non-negative number of unix seconds")
    step = int(at // period)
    if step >= 2**64:
        raise OtpError("time is too far in the future for an 8-byte TOTP counter")
    return step


def totp_code(
    secret: str, at: float, algorithm: str = "SHA1", digits: int = 6, period: int = 30
) -> str:
    """RFC 6238 TOTP value at unix time `at`."""
    return hotp_code(secret, time_step(at, period), algorithm, digits)


def steam_code(secret: str, at: float) -> str:
    """Steam Guard: the 31-bit truncated HOTP value spelled in Steam's 26-character alphabet."""
    # Ten digits of a 31-bit value are the value itself (it is < 2**31 < 10**10).
    value = int(hotp_code(secret, time_step(at, 30), "SHA1", 10))
    out = []
    for _ in range(STEAM_DIGITS):
        value, index = divmod(value, len(STEAM_ALPHABET))
        out.append(STEAM_ALPHABET[index])
    return "".join(out)


def code(params: OtpParams, at: float | None = None) -> str:
    """The code for `params` at time `at` (now if None); HOTP uses `params.counter`."""
    at = time.time() if at is None else at
    if params.type == "hotp":
        return hotp_code(params.secret, params.counter, params.algorithm, params.digits)
    if params.type == "steam":
        return steam_code(params.secret, at)
    return totp_code(params.secret, at, params.algorithm, params.digits, params.period)


def period_of(params: OtpParams) -> int:
    return 30 if params.type == "steam" else params.period


def remaining(params: OtpParams, at: float) -> float:
    """Seconds until the code shown at `at` expires (0 for HOTP, which does not expire)."""
    if params.type == "hotp":
        return 0.0
    period = period_of(params)
    return period - (at % period)


def valid_until(params: OtpParams, at: float) -> int | None:
    """Unix second at which the code shown at `at` stops being current (None for HOTP)."""
    if params.type == "hotp":
        return None
    period = period_of(params)
    return (time_step(at, period) + 1) * period
