"""otpauth:// URIs: every parameter in and out, labels, issuers, real-world spellings, errors."""

from urllib.parse import quote

import pytest

from companion.errors import UserError
from companion.otp import OtpParams
from companion.otpauth import OtpauthError, build_uri, parse_uri

SECRET = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"  # base32 of "12345678901234567890"


def test_full_totp_uri():
    uri = (
        f"otpauth://totp/ACME%20Co:john.doe@example.com?secret={SECRET}&issuer=ACME%20Co"
        "&algorithm=SHA256&digits=8&period=60"
    )
    params, warnings = parse_uri(uri)
    assert params == OtpParams(
        type="totp",
        secret=SECRET,
        algorithm="SHA256",
        digits=8,
        period=60,
        issuer="ACME Co",
        account="john.doe@example.com",
    )
    assert warnings == []


def test_defaults():
    params, _ = parse_uri(f"otpauth://totp/alice?secret={SECRET}")
    assert (params.algorithm, params.digits, params.period, params.issuer) == ("SHA1", 6, 30, "")
    assert params.account == "alice"


def test_hotp_with_counter():
    params, warnings = parse_uri(f"otpauth://hotp/Bank:bob?secret={SECRET}&counter=42&digits=7")
    assert (params.type, params.counter, params.digits, params.issuer) == ("hotp", 42, 7, "Bank")
    assert warnings == []


def test_hotp_without_counter_starts_at_zero_with_warning():
    params, warnings = parse_uri(f"otpauth://hotp/Bank:bob?secret={SECRET}")
    assert params.counter == 0
    assert any("counter" in w for w in warnings)


def test_counter_ignored_for_totp():
    params, _ = parse_uri(f"otpauth://totp/x?secret={SECRET}&counter=9")
    assert params.counter == 0


@pytest.mark.parametrize("sep", [":", "%3A", "%3a"])
def test_label_issuer_separator_plain_or_encoded(sep):
    params, _ = parse_uri(f"otpauth://totp/Example{sep}alice%40example.com?secret={SECRET}")
    assert params.issuer == "Example"
    assert params.account == "alice@example.com"


def test_label_with_spaces_around_colon():
    params, _ = parse_uri(f"otpauth://totp/Example%3A%20alice?secret={SECRET}")
    assert (params.issuer, params.account) == ("Example", "alice")


def test_issuer_param_wins_over_label_with_warning():
    params, warnings = parse_uri(f"otpauth://totp/Old:alice?secret={SECRET}&issuer=New")
    assert params.issuer == "New"
    assert params.account == "alice"
    assert any("'New'" in w and "'Old'" in w for w in warnings)


def test_issuer_param_only():
    params, warnings = parse_uri(f"otpauth://totp/alice?secret={SECRET}&issuer=Solo")
    assert (params.issuer, params.account, warnings) == ("Solo", "alice", [])


def test_same_issuer_in_label_and_param_no_warning():
    params, warnings = parse_uri(f"otpauth://totp/Same:alice?secret={SECRET}&issuer=Same")
    assert params.issuer == "Same" and warnings == []


def test_plus_in_query_is_space_but_plus_in_label_is_plus():
    params, _ = parse_uri(f"otpauth://totp/A+B:c+d?secret={SECRET}&issuer=Air+Canada")
    assert params.issuer == "Air Canada"
    assert params.account == "c+d"


def test_lowercase_secret_and_spaces_in_secret():
    params, warnings = parse_uri(f"otpauth://totp/x?secret={SECRET.lower()}")
    assert params.secret == SECRET
    params, _ = parse_uri(f"otpauth://totp/x?secret={SECRET[:8]}%20{SECRET[8:]}")
    assert params.secret == SECRET


@pytest.mark.parametrize(
    ("spelled", "canonical"),
    [
        ("sha1", "SHA1"),
        ("sha256", "SHA256"),
        ("SHA512", "SHA512"),
        ("HMAC-SHA256", "SHA256"),
        ("hmac-sha512", "SHA512"),
        ("", "SHA1"),
    ],
)
def test_algorithm_spellings(spelled, canonical):
    params, _ = parse_uri(f"otpauth://totp/x?secret={SECRET}&algorithm={spelled}")
    assert params.algorithm == canonical


def test_uppercase_scheme_type_and_keys():
    params, _ = parse_uri(f"OTPAUTH://TOTP/x?SECRET={SECRET}&Digits=8&PERIOD=45")
    assert (params.type, params.digits, params.period, params.secret) == ("totp", 8, 45, SECRET)


def test_steam_host():
    params, _ = parse_uri(f"otpauth://steam/Steam:gamer?secret={SECRET}")
    assert (params.type, params.digits, params.algorithm, params.period) == ("steam", 5, "SHA1", 30)
    assert (params.issuer, params.account) == ("Steam", "gamer")


def test_encoder_steam_on_totp_uri():
    params, _ = parse_uri(
        f"otpauth://totp/Steam:gamer?secret={SECRET}&issuer=Steam&encoder=steam&digits=5"
    )
    assert params.type == "steam" and params.digits == 5


def test_unknown_params_ignored():
    params, _ = parse_uri(f"otpauth://totp/x?secret={SECRET}&image=https%3A%2F%2Fx%2Fy.png&foo=bar")
    assert params.secret == SECRET


def test_long_period_and_ten_digits():
    params, _ = parse_uri(f"otpauth://totp/x?secret={SECRET}&period=86400&digits=10")
    assert (params.period, params.digits) == (86400, 10)


def test_80_bit_secret_warns():
    params, warnings = parse_uri("otpauth://totp/x?secret=JBSWY3DPEHPK3PXP")
    assert params.secret == "JBSWY3DPEHPK3PXP"
    assert any("80 bits" in w for w in warnings)


def test_short_secret_needs_force():
    with pytest.raises(UserError, match="--force"):
        parse_uri("otpauth://totp/x?secret=GEZDGNBVGY3TQOI")
    params, _ = parse_uri("otpauth://totp/x?secret=GEZDGNBVGY3TQOI", force=True)
    assert params.secret == "GEZDGNBVGY3TQOI"


@pytest.mark.parametrize(
    ("uri", "match"),
    [
        (f"otpauth://motp/x?secret={SECRET}", "unsupported OTP type 'motp'"),
        (f"otpauth://yubikey-very-long-and-strange-type/x?secret={SECRET}", "unsupported OTP type"),
        (f"https://totp/x?secret={SECRET}", "not an otpauth"),
        (SECRET, "not an otpauth"),
        ("otpauth://totp/x", "no secret"),
        ("otpauth://totp/x?secret=", "no secret"),
        ("otpauth://totp/x?secret=%20%20", "no secret"),
        (f"otpauth://totp/x?secret={SECRET}&digits=six", "digits must be a whole number"),
        (f"otpauth://totp/x?secret={SECRET}&period=1.5", "period must be a whole number"),
        (f"otpauth://hotp/x?secret={SECRET}&counter=-3", "counter"),
        (f"otpauth://totp/x?secret={SECRET}&digits=12", "digits must be 4 to 10"),
        (f"otpauth://totp/x?secret={SECRET}&digits=5", "5-digit codes are easy to guess"),
        (f"otpauth://totp/x?secret={SECRET}&period=0", "period must be 1 to 86400"),
        (f"otpauth://totp/x?secret={SECRET}&period=90000", "period must be 1 to 86400"),
        (f"otpauth://totp/x?secret={SECRET}&algorithm=MD5", "unsupported algorithm"),
        ("otpauth://totp/x?secret=JBSWY3DPEHPK3PX1", "'1' at position 16"),
        ("otpauth://[::1/x?secret=AAAA", "malformed"),
        ("otpauth://totp/x?secret=" + "A" * 5000, "too long"),
    ],
)
def test_bad_uris_give_clear_errors(uri, match):
    with pytest.raises(UserError, match=match) as info:
        parse_uri(uri)
    assert SECRET not in str(info.value)


def test_error_never_echoes_secret():
    bad = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJ1"
    with pytest.raises(UserError) as info:
        parse_uri(f"otpauth://totp/x?secret={bad}")
    assert bad not in str(info.value)


def test_non_text_refused():
    with pytest.raises(OtpauthError):
        parse_uri(None)  # type: ignore[arg-type]


# ---- building ----


def test_build_totp_canonical():
    p = OtpParams(
        secret=SECRET,
        issuer="ACME Co",
        account="john@example.com",
        digits=8,
        period=60,
        algorithm="sha256",
    )
    uri = build_uri(p)
    assert uri == (
        "otpauth://totp/ACME%20Co:john%40example.com"
        f"?secret={SECRET}&issuer=ACME%20Co&algorithm=SHA256&digits=8&period=60"
    )
    assert parse_uri(uri) == (p.checked(), [])


def test_build_hotp_has_counter_not_period():
    uri = build_uri(OtpParams(type="hotp", secret=SECRET, counter=7, account="a"))
    assert "counter=7" in uri and "period" not in uri
    assert uri.startswith("otpauth://hotp/a?")


def test_build_steam():
    p = OtpParams(type="steam", secret=SECRET, issuer="Steam", account="gamer")
    uri = build_uri(p)
    assert uri.startswith("otpauth://steam/Steam:gamer?")
    assert "encoder=steam" in uri
    assert parse_uri(uri)[0] == p.checked()


def test_build_issuer_with_colon_round_trips():
    p = OtpParams(secret=SECRET, issuer="A:B", account="c:d")
    parsed, warnings = parse_uri(build_uri(p))
    assert (parsed.issuer, parsed.account) == ("A:B", "c:d")
    assert warnings == []


def test_build_refuses_bad_params():
    with pytest.raises(UserError):
        build_uri(OtpParams(secret=SECRET, digits=3))


def test_label_is_percent_encoded():
    uri = build_uri(OtpParams(secret=SECRET, issuer="Ümlaut & Co", account="50% off/ja"))
    label = uri.split("/", 3)[3].split("?", 1)[0]
    assert label == quote("Ümlaut & Co", safe="") + ":" + quote("50% off/ja", safe="")
