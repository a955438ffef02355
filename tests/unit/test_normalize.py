"""Secret normalisation: what we fix (and say so), what we refuse (and where), what we warn."""

import base64

import pytest

from companion.errors import UserError
from companion.normalize import SecretError, normalize_secret, secret_bytes

S160 = base64.b32encode(bytes(range(20))).decode()  # 32 characters, no padding needed


def test_canonical_secret_passes_untouched():
    n = normalize_secret(S160)
    assert n.secret == S160
    assert n.bits == 160
    assert n.notes == () and n.warnings == ()


def test_spaces_and_hyphens_removed_and_said():
    spaced = " ".join(S160[i : i + 4] for i in range(0, 32, 4))
    n = normalize_secret(spaced)
    assert n.secret == S160
    assert any("spaces" in note for note in n.notes)
    n = normalize_secret("-".join(S160[i : i + 4] for i in range(0, 32, 4)))
    assert n.secret == S160
    assert any("hyphens" in note for note in n.notes)
    n = normalize_secret(f"\t{S160}\r\n")
    assert n.secret == S160


def test_lowercase_converted_and_said():
    n = normalize_secret(S160.lower())
    assert n.secret == S160
    assert any("lowercase" in note and "uppercase" in note for note in n.notes)


def test_padding_removed_and_said():
    raw = base64.b32encode(b"0123456789abcdef").decode()  # 16 bytes -> 26 chars + 6 '='
    assert raw.endswith("======")
    n = normalize_secret(raw)
    assert n.secret == raw.rstrip("=")
    assert n.bits == 128
    assert any("'='" in note for note in n.notes)
    assert secret_bytes(n.secret) == b"0123456789abcdef"


def test_all_fixes_at_once():
    raw = base64.b32encode(b"0123456789abcdef").decode().lower()
    messy = f"{raw[:4]} {raw[4:8]}-{raw[8:]}"
    n = normalize_secret(messy)
    assert n.secret == raw.upper().rstrip("=")
    assert len(n.notes) == 3


@pytest.mark.parametrize(
    ("raw", "char", "position"),
    [
        ("JBSWY3DPEHPK3PX1", "1", 16),
        ("0BSWY3DPEHPK3PXP", "0", 1),
        ("JBSW8Y3DPEHPK3PXP", "8", 5),
        ("JBSWY3DP!HPK3PXP", "!", 9),
        ("JBSWY3DPEHPK=3PXP", "=", 13),
        ("JBSWY3DPÄHPK3PXP", "Ä", 9),
    ],
)
def test_bad_character_named_with_position(raw, char, position):
    with pytest.raises(SecretError) as info:
        normalize_secret(raw)
    msg = str(info.value)
    assert f"'{char}'" in msg
    assert f"position {position}" in msg
    assert raw not in msg and raw.upper() not in msg  # never echo the secret


def test_position_counts_after_stripping_separators():
    # Positions refer to the cleaned secret: 'JBSW Y3D1' -> the '1' is the 8th character.
    with pytest.raises(SecretError, match="position 8"):
        normalize_secret("JBSW Y3D1EHPK3PXP")


def test_invisible_character_is_shown_as_code_point():
    with pytest.raises(SecretError, match=r"U\+200B"):
        normalize_secret("JBSWY3DP\u200bEHPK3PXP")


def test_digit_hint():
    with pytest.raises(SecretError, match="no 0, 1, 8 or 9"):
        normalize_secret("JBSWY3DPEHPK3PX0")


def test_80_bits_accepted_with_warning():
    n = normalize_secret("JBSWY3DPEHPK3PXP")
    assert n.bits == 80
    assert any("80 bits" in w and "128" in w for w in n.warnings)


def test_under_80_bits_refused_unless_forced():
    short = base64.b32encode(b"12345678").decode().rstrip("=")  # 64 bits
    with pytest.raises(SecretError, match="only 64 bits.*--force"):
        normalize_secret(short)
    n = normalize_secret(short, force=True)
    assert n.bits == 64 and n.secret == short
    assert n.warnings


def test_128_bits_no_warning():
    n = normalize_secret(base64.b32encode(bytes(16)).decode())
    assert n.bits == 128 and n.warnings == ()


@pytest.mark.parametrize("length", [17, 19, 22, 25, 27, 30])
def test_impossible_lengths_refused(length):
    # length % 8 in {1, 3, 6} cannot come from whole bytes (RFC 4648 section 6)
    raw = ("JBSWY3DPEHPK3PXP" * 3)[:length]
    with pytest.raises(SecretError, match=f"impossible base32 length \\({length} characters\\)"):
        normalize_secret(raw)


@pytest.mark.parametrize("length", [16, 18, 20, 21, 23, 24, 26, 32])
def test_possible_lengths_accepted(length):
    raw = ("JBSWY3DPEHPK3PXP" * 3)[:length]
    n = normalize_secret(raw)
    assert n.secret == raw
    assert n.bits == len(secret_bytes(raw)) * 8 >= 80


@pytest.mark.parametrize("raw", ["", "   ", "----", "===="])
def test_empty_refused(raw):
    with pytest.raises(SecretError, match="empty"):
        normalize_secret(raw)


def test_secret_error_is_a_user_error():
    assert issubclass(SecretError, UserError)
    with pytest.raises(UserError):
        normalize_secret(None)  # type: ignore[arg-type]
