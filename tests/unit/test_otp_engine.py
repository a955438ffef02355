"""Steam Guard, short secrets, long periods, digit counts, parameter checks, timing helpers."""

import base64
import hashlib
import hmac
import struct

import pyotp
import pyotp.contrib
import pytest

from companion.otp import (
    OtpError,
    OtpParams,
    canonical_algorithm,
    code,
    hotp_code,
    remaining,
    steam_code,
    totp_code,
    valid_until,
)

STEAM_CHARS = "23456789BCDFGHJKMNPQRTVWXY"


def reference_hotp_value(key: bytes, counter: int, digest=hashlib.sha1) -> int:
    """RFC 4226 dynamic truncation, written out with the standard library only."""
    mac = hmac.new(key, struct.pack(">Q", counter), digest).digest()
    offset = mac[-1] & 0x0F
    return struct.unpack(">I", mac[offset : offset + 4])[0] & 0x7FFFFFFF


def reference_steam(key: bytes, at: float) -> str:
    value = reference_hotp_value(key, int(at // 30))
    chars = []
    for _ in range(5):
        chars.append(STEAM_CHARS[value % 26])
        value //= 26
    return "".join(chars)


STEAM_KEY = bytes(range(1, 21))  # 160 bits, accepted by pyotp's Steam (>= 112)
STEAM_SECRET = base64.b32encode(STEAM_KEY).decode()
TIMES = [0, 29, 30, 59, 1_111_111_109, 1_234_567_890, 1_700_000_000, 2_000_000_000, 20_000_000_000]


@pytest.mark.parametrize("at", TIMES)
def test_steam_matches_pyotp_contrib(at):
    assert steam_code(STEAM_SECRET, at) == pyotp.contrib.Steam(STEAM_SECRET).at(at)


@pytest.mark.parametrize("at", TIMES)
def test_steam_matches_independent_computation(at):
    got = code(OtpParams(type="steam", secret=STEAM_SECRET).checked(), at)
    assert got == reference_steam(STEAM_KEY, at)
    assert len(got) == 5 and set(got) <= set(STEAM_CHARS)


def test_steam_rfc_seed_known_value():
    # RFC 4226 counter 1 truncates to 1094287082; in Steam's alphabet, least significant first:
    value, chars = 1094287082, []
    for _ in range(5):
        value, i = divmod(value, 26)
        chars.append(STEAM_CHARS[i])
    secret = base64.b32encode(b"12345678901234567890").decode()
    assert steam_code(secret, 30) == "".join(chars) == steam_code(secret, 59)


def test_steam_params_forced_to_steam_shape():
    p = OtpParams(type="STEAM", secret=STEAM_SECRET, digits=8).checked()
    assert (p.type, p.digits, p.algorithm, p.period) == ("steam", 5, "SHA1", 30)
    with pytest.raises(OtpError):
        OtpParams(type="steam", secret=STEAM_SECRET, algorithm="SHA256").checked()
    with pytest.raises(OtpError):
        OtpParams(type="steam", secret=STEAM_SECRET, period=60).checked()


def test_80_bit_secret_works():
    secret = "JBSWY3DPEHPK3PXP"  # 10 bytes: "Hello!\xde\xad\xbe\xef"
    key = base64.b32decode(secret)
    assert len(key) * 8 == 80
    for at in (0, 59, 1_700_000_000):
        expected = f"{reference_hotp_value(key, int(at // 30)) % 10**6:06d}"
        assert totp_code(secret, at) == expected
        assert code(OtpParams(secret=secret).checked(), at) == expected
    # pyotp by itself refuses it; we must not.
    with pytest.raises(ValueError):
        pyotp.TOTP(secret).at(0)


@pytest.mark.parametrize("period", [1, 15, 30, 60, 121, 3600, 86_400])
def test_any_period_up_to_a_day(period):
    secret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
    key = base64.b32decode(secret)
    at = 1_700_000_123.5
    params = OtpParams(secret=secret, period=period, digits=8).checked()
    expected = f"{reference_hotp_value(key, int(at // period)) % 10**8:08d}"
    assert code(params, at) == expected
    assert remaining(params, at) == pytest.approx(period - (at % period))
    assert valid_until(params, at) == (int(at // period) + 1) * period
    assert valid_until(params, at) - at == pytest.approx(remaining(params, at))


def test_period_and_digit_limits():
    s = "JBSWY3DPEHPK3PXP"
    for bad in (0, -1, 86_401):
        with pytest.raises(OtpError, match="period"):
            OtpParams(secret=s, period=bad).checked()
    for bad in (3, 11, 0):
        with pytest.raises(OtpError, match="digits"):
            OtpParams(secret=s, digits=bad).checked()
    for good in range(4, 11):
        assert len(code(OtpParams(secret=s, digits=good).checked(), 0)) == good
    for bad in (-1, 2**64):
        with pytest.raises(OtpError, match="counter"):
            OtpParams(type="hotp", secret=s, counter=bad).checked()
    assert OtpParams(type="hotp", secret=s, counter=2**64 - 1).checked().counter == 2**64 - 1
    with pytest.raises(OtpError, match="unknown OTP type"):
        OtpParams(type="motp", secret=s).checked()


@pytest.mark.parametrize(
    ("name", "canonical"),
    [
        ("SHA1", "SHA1"),
        ("sha1", "SHA1"),
        ("HMAC-SHA1", "SHA1"),
        ("sha-256", "SHA256"),
        ("HmacSHA256", "SHA256"),
        ("hmac-sha512", "SHA512"),
    ],
)
def test_canonical_algorithm(name, canonical):
    assert canonical_algorithm(name) == canonical


@pytest.mark.parametrize("name", ["MD5", "SHA224", "", "SHA3-256"])
def test_unsupported_algorithm_is_a_user_error(name):
    with pytest.raises(OtpError, match="unsupported algorithm"):
        canonical_algorithm(name)


def test_hotp_params_do_not_expire():
    p = OtpParams(type="hotp", secret="JBSWY3DPEHPK3PXP", counter=5).checked()
    assert remaining(p, 123.0) == 0
    assert valid_until(p, 123.0) is None
    assert code(p, 0) == code(p, 10_000) == hotp_code("JBSWY3DPEHPK3PXP", 5)


def test_steam_timing_uses_30_seconds():
    p = OtpParams(type="steam", secret=STEAM_SECRET).checked()
    assert valid_until(p, 31) == 60
    assert remaining(p, 31) == 29


@pytest.mark.parametrize("at", [float("nan"), float("inf"), -1, -0.5, 1e300, "59"])
def test_impossible_times_are_user_errors(at):
    with pytest.raises(OtpError, match="time"):
        code(OtpParams(secret="JBSWY3DPEHPK3PXP").checked(), at)
    with pytest.raises(OtpError, match="time"):
        steam_code("JBSWY3DPEHPK3PXP", at)


def test_time_zero_and_fractional_seconds():
    p = OtpParams(secret="GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ", digits=8).checked()
    assert code(p, 0) == code(p, 29.999) == "84755224"
    assert code(p, 59) == "94287082"
