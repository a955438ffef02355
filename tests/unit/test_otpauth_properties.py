"""Property tests: build -> parse gives the same parameters back; garbage gives only UserError."""

import base64

from hypothesis import given, settings
from hypothesis import strategies as st

from companion.errors import UserError
from companion.normalize import normalize_secret
from companion.otp import OtpParams
from companion.otpauth import build_uri, parse_uri

# Labels and issuers as people type them: unicode, spaces, colons, percent signs, '+', '&', '/'.
# Leading/trailing whitespace is not meaningful in a label and is stripped on parsing.
ALPHABET = st.one_of(
    st.characters(blacklist_categories=("Cs",)),
    st.sampled_from(list(" :%+&=/?#@ü€😀")),
)
label_text = st.text(ALPHABET, max_size=30).map(str.strip)
secret_bytes = st.binary(min_size=16, max_size=64)


@st.composite
def otp_params(draw):
    kind = draw(st.sampled_from(["totp", "hotp", "steam"]))
    return OtpParams(
        type=kind,
        secret=base64.b32encode(draw(secret_bytes)).decode().rstrip("="),
        algorithm=draw(st.sampled_from(["SHA1", "SHA256", "SHA512", "sha256", "HMAC-SHA512"]))
        if kind != "steam"
        else "SHA1",
        digits=draw(st.integers(6, 10)),
        period=draw(st.integers(1, 86_400)) if kind == "totp" else 30,
        counter=draw(st.integers(0, 2**63 - 1)) if kind == "hotp" else 0,
        issuer=draw(label_text),
        account=draw(label_text),
    )


@settings(max_examples=300, deadline=None)
@given(otp_params())
def test_build_parse_round_trip(params):
    parsed, warnings = parse_uri(build_uri(params))
    assert parsed == params.checked()
    assert warnings == []


@settings(max_examples=200, deadline=None)
@given(otp_params())
def test_build_is_canonical(params):
    uri = build_uri(params)
    assert build_uri(parse_uri(uri)[0]) == uri


@settings(max_examples=200, deadline=None)
@given(label_text, label_text, secret_bytes)
def test_label_issuer_with_or_without_parameter(issuer, account, key):
    secret = base64.b32encode(key).decode()
    base = build_uri(OtpParams(secret=secret, issuer=issuer, account=account))
    without_param = base.replace("&issuer=", "&x-dropped=") if ":" not in issuer else base
    parsed, _ = parse_uri(without_param)
    assert parsed.account == account
    assert parsed.issuer == issuer


@settings(max_examples=200, deadline=None)
@given(secret_bytes, st.sampled_from([" ", "-", "  "]), st.integers(1, 8), st.booleans())
def test_messy_secret_normalises_to_canonical(key, sep, group, lower):
    canonical = base64.b32encode(key).decode().rstrip("=")
    padded = base64.b32encode(key).decode()
    messy = sep.join(padded[i : i + group] for i in range(0, len(padded), group))
    if lower:
        messy = messy.lower()
    n = normalize_secret(messy)
    assert n.secret == canonical
    assert n.bits == len(key) * 8
    again = normalize_secret(n.secret)
    assert again.secret == canonical and again.notes == ()


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=200))
def test_arbitrary_text_only_user_errors(text):
    for candidate in (
        text,
        "otpauth://totp/" + text,
        "otpauth://" + text,
        f"otpauth://totp/x?{text}",
    ):
        try:
            params, _ = parse_uri(candidate)
        except UserError:
            continue
        assert params.secret


@settings(max_examples=200, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from(
            ["secret", "issuer", "algorithm", "digits", "period", "counter", "encoder", "image"]
        ),
        st.text(max_size=20),
    ),
    st.sampled_from(["totp", "hotp", "steam"]),
)
def test_arbitrary_parameters_only_user_errors(query, kind):
    from urllib.parse import urlencode

    try:
        parse_uri(f"otpauth://{kind}/Issuer:acct?{urlencode(query)}")
    except UserError:
        pass
