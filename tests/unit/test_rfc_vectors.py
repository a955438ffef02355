"""The reference tables of RFC 4226 (appendix D) and RFC 6238 (appendix B), through companion.otp.

The values are typed in from the RFCs, not produced by our code: they are the reference.
"""

import base64

import pytest

from companion.otp import OtpParams, code, hotp_code, totp_code

RFC4226_SECRET = base64.b32encode(b"12345678901234567890").decode()

# RFC 4226 appendix D: counter -> (truncated 31-bit value in decimal, 6-digit HOTP)
RFC4226 = [
    (0, 1284755224, "755224"),
    (1, 1094287082, "287082"),
    (2, 137359152, "359152"),
    (3, 1726969429, "969429"),
    (4, 1640338314, "338314"),
    (5, 868254676, "254676"),
    (6, 1918287922, "287922"),
    (7, 82162583, "162583"),
    (8, 673399871, "399871"),
    (9, 645520489, "520489"),
]

# RFC 6238 appendix B: each hash has its own seed (20, 32 and 64 ASCII bytes).
RFC6238_SEEDS = {
    "SHA1": b"12345678901234567890",
    "SHA256": b"12345678901234567890123456789012",
    "SHA512": b"1234567890123456789012345678901234567890123456789012345678901234",
}
RFC6238 = [
    (59, "SHA1", "94287082"),
    (59, "SHA256", "46119246"),
    (59, "SHA512", "90693936"),
    (1111111109, "SHA1", "07081804"),
    (1111111109, "SHA256", "68084774"),
    (1111111109, "SHA512", "25091201"),
    (1111111111, "SHA1", "14050471"),
    (1111111111, "SHA256", "67062674"),
    (1111111111, "SHA512", "99943326"),
    (1234567890, "SHA1", "89005924"),
    (1234567890, "SHA256", "91819424"),
    (1234567890, "SHA512", "93441116"),
    (2000000000, "SHA1", "69279037"),
    (2000000000, "SHA256", "90698825"),
    (2000000000, "SHA512", "38618901"),
    (20000000000, "SHA1", "65353130"),
    (20000000000, "SHA256", "77737706"),
    (20000000000, "SHA512", "47863826"),
]


def seed_b32(algorithm: str) -> str:
    return base64.b32encode(RFC6238_SEEDS[algorithm]).decode().rstrip("=")


def test_seed_lengths_are_the_rfcs():
    assert [len(RFC6238_SEEDS[a]) for a in ("SHA1", "SHA256", "SHA512")] == [20, 32, 64]


@pytest.mark.parametrize(("counter", "_value", "expected"), RFC4226)
def test_rfc4226_hotp(counter, _value, expected):
    assert hotp_code(RFC4226_SECRET, counter) == expected
    params = OtpParams(type="hotp", secret=RFC4226_SECRET, counter=counter).checked()
    assert code(params) == expected


@pytest.mark.parametrize(("counter", "value", "_six"), RFC4226)
def test_rfc4226_ten_digits_is_the_whole_truncated_value(counter, value, _six):
    # 10 digits of a 31-bit value are the value itself, zero-padded.
    params = OtpParams(type="hotp", secret=RFC4226_SECRET, counter=counter, digits=10).checked()
    assert code(params) == f"{value:010d}"


@pytest.mark.parametrize(("counter", "value", "_six"), RFC4226)
@pytest.mark.parametrize("digits", [7, 8, 9])
def test_rfc4226_other_digit_counts(counter, value, _six, digits):
    assert hotp_code(RFC4226_SECRET, counter, digits=digits) == f"{value % 10**digits:0{digits}d}"


@pytest.mark.parametrize(("at", "algorithm", "expected"), RFC6238)
def test_rfc6238_totp(at, algorithm, expected):
    secret = seed_b32(algorithm)
    assert totp_code(secret, at, algorithm, 8, 30) == expected
    params = OtpParams(type="totp", secret=secret, algorithm=algorithm, digits=8).checked()
    assert code(params, at) == expected


@pytest.mark.parametrize(("at", "algorithm", "expected"), RFC6238)
def test_rfc6238_lowercase_and_hmac_algorithm_names(at, algorithm, expected):
    secret = seed_b32(algorithm)
    for spelled in (algorithm.lower(), f"HMAC-{algorithm}", f"hmac-{algorithm.lower()}"):
        params = OtpParams(secret=secret, algorithm=spelled, digits=8).checked()
        assert params.algorithm == algorithm
        assert code(params, at) == expected


def test_rfc6238_code_is_hotp_of_time_step():
    # T = floor(59 / 30) = 1 -> the RFC 4226 counter-1 value, as 8 digits.
    assert totp_code(RFC4226_SECRET, 59, digits=8) == "94287082"
    assert hotp_code(RFC4226_SECRET, 1, digits=8) == "94287082"
