"""Each format, plain: files built by tests/formats/importgen.py, parsed by companion.formats,
codes checked at fixed times against RFC values or an independent hmac computation."""

import base64
import json

import pytest
from importgen import (
    B32_OTHER,
    B32_SHA1,
    B32_SHA256,
    B32_SHA512,
    BW_CSV_HEADER,
    KP_CSV_HEADER,
    OTHER,
    RFC4226_HOTP,
    RFC6238_AT_59,
    SEED_SHA1,
    SEED_SHA256,
    aegis_entry,
    aegis_file,
    andotp_account,
    bw_json,
    bw_login,
    kp_entry,
    kp_group,
    kp_xml,
    migration_uri,
    otpauth,
    qr_png,
    ref_steam,
    ref_totp,
    twofas_file,
    twofas_service,
    write_csv,
)

from companion.formats import parse
from companion.formats.detect import detect
from companion.otp import code

T = 1_111_111_109  # an RFC 6238 test time


def test_otpauth_list_tolerant_forms():
    lines = [
        otpauth("totp", "ACME:alice", B32_SHA1.lower(), issuer="ACME", digits=8),
        "otpauth://totp/Big%20Co%3A%20bob?secret=" + B32_SHA256 + "&algorithm=sha256&digits=8",
        otpauth("totp", "carol", B32_SHA512, issuer="Air Canada", algorithm="HMAC-SHA512",
                digits=8, image="https://x/y.png", codeDisplay="x").replace("Air%20Canada", "Air+Canada"),
        otpauth("steam", "Steam:dave", B32_OTHER),
        otpauth("totp", "Valve:erin", B32_OTHER, encoder="steam"),
        otpauth("hotp", "Bank:frank", B32_SHA1, counter=3),
        "",
        "# a comment",
        otpauth("totp", "Spaced", "GEZD GNBV-GY3T QOJQ GEZD GNBV GY3T QOJQ====", period=60, digits=7),
    ]
    parsed = parse("\n".join(lines).encode())
    assert parsed.format == "otpauth"
    a, b, c, d, e, f, g = parsed.items
    assert (a.otp.issuer, a.otp.account, a.title) == ("ACME", "alice", "ACME")
    assert code(a.otp, 59) == RFC6238_AT_59["SHA1"]
    assert (b.otp.issuer, b.otp.account, b.otp.algorithm) == ("Big Co", "bob", "SHA256")
    assert code(b.otp, 59) == RFC6238_AT_59["SHA256"]
    assert c.otp.issuer == "Air Canada" and code(c.otp, 59) == RFC6238_AT_59["SHA512"]
    for steam in (d, e):
        assert steam.otp.type == "steam" and code(steam.otp, T) == ref_steam(OTHER, T)
    assert f.otp.type == "hotp" and f.otp.counter == 3 and code(f.otp) == RFC4226_HOTP[3]
    assert g.otp.digits == 7 and g.otp.period == 60
    assert code(g.otp, T) == ref_totp(SEED_SHA1, T, digits=7, period=60)
    assert [i.number for i in parsed.items] == [1, 2, 3, 4, 5, 6, 7]


def test_single_uri_and_detection():
    uri = otpauth("totp", "X:y", B32_SHA1).encode()
    assert detect(uri) == "otpauth"
    assert parse(uri).items[0].otp.secret == B32_SHA1


ACCOUNTS = [
    {"secret": SEED_SHA1, "name": "ACME:alice", "issuer": "ACME", "digits": 2},
    {"secret": SEED_SHA256, "name": "bob@example.com", "issuer": "Big Co", "algorithm": 2,
     "digits": 2},
    {"secret": OTHER, "name": "Bank:carol", "type": 1, "counter": 4},
]


def test_google_authenticator_migration_batches_and_plus_trap():
    # Pick a batch id whose payload's base64 holds a '+' (the trap needs one).
    batch_id = next(b for b in range(-1, -5000, -1)
                    if "%2B" in migration_uri(ACCOUNTS[:2], 2, 0, batch_id=b))
    uris = [migration_uri(ACCOUNTS[:2], 2, 0, batch_id), migration_uri(ACCOUNTS[2:], 2, 1, batch_id)]
    # the '+'→space trap: an unencoded '+' in data, as some QR readers hand it over
    raw = uris[0].replace("%2B", "+").replace("%2F", "/").replace("%3D", "=")
    assert "+" in raw
    parsed = parse(("\n".join([raw.replace("+", " "), uris[1]])).encode())
    assert parsed.format == "google-authenticator"
    a, b, c = parsed.items
    assert (a.otp.issuer, a.otp.account, a.otp.digits) == ("ACME", "alice", 8)
    assert code(a.otp, 59) == RFC6238_AT_59["SHA1"]
    assert (b.otp.issuer, b.otp.account, b.otp.algorithm) == ("Big Co", "bob@example.com", "SHA256")
    assert code(b.otp, 59) == RFC6238_AT_59["SHA256"]
    assert c.otp.type == "hotp" and c.otp.counter == 4 and c.otp.issuer == "Bank"
    assert parsed.notes == []


def test_google_authenticator_missing_batch_is_noted_and_md5_refused():
    md5 = {"secret": SEED_SHA1, "name": "Old:x", "algorithm": 4}
    parsed = parse(migration_uri(ACCOUNTS[:1] + [md5], 3, 0).encode())
    assert len(parsed.notes) == 1 and "2, 3" in parsed.notes[0]
    assert parsed.items[1].refused and parsed.items[1].otp is None


def test_qr_image_with_several_codes():
    png = qr_png(otpauth("totp", "ACME:alice", B32_SHA1, digits=8), migration_uri(ACCOUNTS[1:2]))
    assert detect(png) == "qr"
    parsed = parse(png)
    assert sorted(i.otp.account for i in parsed.items) == ["alice", "bob@example.com"]
    for item in parsed.items:
        expected = RFC6238_AT_59[item.otp.algorithm]
        assert code(item.otp, 59) == expected


def test_qr_jpeg():
    from io import BytesIO

    from PIL import Image

    png = qr_png(otpauth("totp", "J:peg", B32_SHA1), scale=8)
    out = BytesIO()
    Image.open(BytesIO(png)).convert("RGB").save(out, format="JPEG", quality=90)
    assert parse(out.getvalue()).items[0].otp.secret == B32_SHA1


def test_aegis_plain_v3_groups_types():
    groups = [("g-1", "Customer A")]
    entries = [
        aegis_entry("totp", "ACME", "alice", B32_SHA1.lower(), digits=8, groups=["g-1"], note="n"),
        aegis_entry("hotp", "Bank", "bob", B32_SHA1, counter=5),
        aegis_entry("steam", "Steam", "carol", B32_OTHER, digits=5),
        aegis_entry("totp", "Big", "dave", B32_SHA512, algo="SHA512", digits=8, period=60),
        aegis_entry("motp", "M", "erin", B32_OTHER),
    ]
    data = aegis_file(entries, groups)
    assert detect(data) == "aegis"
    parsed = parse(data)
    a, b, c, d, e = parsed.items
    assert a.customer == "Customer A" and a.notes == "n" and code(a.otp, 59) == "94287082"
    assert b.otp.counter == 5 and code(b.otp) == RFC4226_HOTP[5]
    assert c.otp.type == "steam" and code(c.otp, T) == ref_steam(OTHER, T)
    assert d.otp.period == 60 and code(d.otp, T) == ref_totp(
        base64.b32decode(B32_SHA512), T, "SHA512", 8, 60)
    assert e.refused and e.otp is None


def test_aegis_v2_group_name():
    entry = aegis_entry("totp", "ACME", "alice", B32_SHA1)
    del entry["groups"]
    entry["group"] = "Old Group"
    assert parse(aegis_file([entry], db_version=2)).items[0].customer == "Old Group"


@pytest.mark.parametrize("schema", [1, 2, 3, 4])
def test_2fas_schemas(schema):
    services = [twofas_service("ACME", B32_SHA1, schema, account="alice", digits=8,
                               group_id="grp")]
    if schema >= 3:
        services.append(twofas_service("Steam", B32_OTHER, schema, account="bob",
                                       token_type="STEAM", digits=5))
    if schema >= 4:
        services.append(twofas_service("Bank", B32_SHA1, schema, account="c", token_type="HOTP",
                                       counter=6))
    data = twofas_file(services, schema, groups=[("grp", "Customer B")])
    assert detect(data) == "2fas"
    items = parse(data).items
    first = items[0]
    assert (first.otp.issuer, first.otp.account, first.customer) == ("ACME", "alice", "Customer B")
    expected = "94287082" if schema >= 2 else "287082"  # schema 1: no digits field → 6
    assert code(first.otp, 59) == expected
    if schema >= 3:
        assert items[1].otp.type == "steam" and code(items[1].otp, T) == ref_steam(OTHER, T)
    if schema >= 4:
        assert items[2].otp.type == "hotp" and code(items[2].otp) == RFC4226_HOTP[6]


def test_bitwarden_json_plain():
    items = [
        bw_login("ACME portal", username="alice", password="pw1", uris=["https://acme.example"],
                 totp=otpauth("totp", "ACME:alice", B32_SHA1, digits=8), folder_id="f1",
                 notes="note"),
        bw_login("Steam", username="bob", totp="steam://" + B32_OTHER),
        bw_login("Bare", username="carol", totp=B32_SHA1.lower()),
        bw_login("No OTP", username="dave", password="pw4"),
        {"id": "x", "type": 2, "name": "A note", "notes": "secret note", "secureNote": {}},
    ]
    data = json.dumps(bw_json(items, folders=[("f1", "Customer C")])).encode()
    assert detect(data) == "bitwarden-json"
    a, b, c, d, e = parse(data).items
    assert (a.title, a.username, a.password, a.urls, a.notes, a.customer) == (
        "ACME portal", "alice", "pw1", ("https://acme.example",), "note", "Customer C")
    assert code(a.otp, 59) == "94287082"
    assert b.otp.type == "steam" and code(b.otp, T) == ref_steam(OTHER, T)
    assert c.otp.issuer == "Bare" and code(c.otp, 59) == "287082"
    assert d.otp is None and d.password == "pw4"
    assert e.refused


def test_bitwarden_csv():
    rows = [
        ["Customer D", "", "login", "ACME", "n", "", "0", "https://a.example,https://b.example",
         "alice", "pw", otpauth("totp", "ACME:alice", B32_SHA1, digits=8)],
        ["", "", "login", "Nothing", "", "", "0", "", "bob", "pw2", ""],
        ["", "", "note", "A note", "text", "", "0", "", "", "", ""],
    ]
    data = write_csv(BW_CSV_HEADER, rows)
    assert detect(data) == "bitwarden-csv"
    a, b, c = parse(data).items
    assert a.urls == ("https://a.example", "https://b.example") and a.customer == "Customer D"
    assert code(a.otp, 59) == "94287082"
    assert b.otp is None and b.password == "pw2"
    assert c.refused


def test_keepassxc_csv():
    rows = [
        ["Root/Customer E", "ACME", "alice", "pw", "https://acme.example", "notes",
         otpauth("totp", "ACME:alice", B32_SHA1, digits=8, period=30), "0", "", ""],
        ["Root", "Plain", "bob", "pw2", "", "", "", "0", "", ""],
    ]
    data = write_csv(KP_CSV_HEADER, rows)
    assert detect(data) == "keepassxc-csv"
    a, b = parse(data).items
    assert (a.customer, a.title, a.username, a.password) == ("Customer E", "ACME", "alice", "pw")
    assert code(a.otp, 59) == "94287082"
    assert b.customer == "" and b.otp is None


def test_keepass_xml_all_otp_forms():
    recycle = "UmVjeWNsZUJpbkdyb3VwSUQ="
    entries = [
        kp_entry({"Title": "URI", "UserName": "alice", "Password": "p", "URL": "https://u.example",
                  "Notes": "multi\nline", "otp": otpauth("totp", "URI:alice", B32_SHA1, digits=8)},
                 tags="a;b"),
        kp_entry({"Title": "KeeOtp", "UserName": "bob",
                  "otp": f"key={B32_SHA256}&size=8&step=30&otpHashMode=Sha256"}),
        kp_entry({"Title": "Legacy", "UserName": "carol", "TOTP Seed": B32_SHA1,
                  "TOTP Settings": "30;8", "otp": otpauth("totp", "ignored", B32_OTHER)}),
        kp_entry({"Title": "LegacySteam", "TOTP Seed": B32_OTHER, "TOTP Settings": "30;S"}),
        kp_entry({"Title": "KP247", "TimeOtp-Secret-Base32": B32_SHA512, "TimeOtp-Length": "8",
                  "TimeOtp-Period": "30", "TimeOtp-Algorithm": "HMAC-SHA-512"}),
        kp_entry({"Title": "KP247hex", "TimeOtp-Secret-Hex": SEED_SHA1.hex()}),
        kp_entry({"Title": "No OTP", "UserName": "dave", "Password": "pw"}),
    ]
    trash = kp_group("Recycle Bin", [kp_entry({"Title": "Deleted", "otp": "garbage"})],
                     uuid_b64=recycle)
    inner = kp_group("Customer F", entries)
    data = kp_xml(kp_group("Passwords", [], [inner, trash]), recycle)
    assert detect(data) == "keepass-xml"
    items = parse(data).items
    assert len(items) == 7  # history entries and the recycle bin skipped
    uri, keeotp, legacy, steam, kp247, kphex, plain = items
    assert uri.customer == "Customer F" and uri.tags == ("a", "b") and uri.notes == "multi\nline"
    assert code(uri.otp, 59) == "94287082"
    assert keeotp.otp.algorithm == "SHA256" and code(keeotp.otp, 59) == "46119246"
    assert code(legacy.otp, 59) == "94287082"  # TOTP Seed wins over otp
    assert steam.otp.type == "steam" and code(steam.otp, T) == ref_steam(OTHER, T)
    assert code(kp247.otp, 59) == "90693936"
    assert code(kphex.otp, 59) == "287082"
    assert plain.otp is None and plain.password == "pw"


def test_andotp_plain_new_and_old_labels():
    accounts = [
        andotp_account(B32_SHA1 + "====", "ACME", "alice", digits=8, tags=["work"]),
        andotp_account(B32_SHA1, "", "Old Bank - bob", kind="HOTP", counter=2),
        andotp_account(B32_OTHER, "Steam", "carol", kind="STEAM", digits=5),
    ]
    data = json.dumps(accounts).encode()
    assert detect(data) == "andotp"
    a, b, c = parse(data).items
    assert a.tags == ("work",) and code(a.otp, 59) == "94287082"
    assert (b.otp.issuer, b.otp.account, b.otp.type) == ("Old Bank", "bob", "hotp")
    assert code(b.otp) == RFC4226_HOTP[2]
    assert code(c.otp, T) == ref_steam(OTHER, T)


def test_keepassxc_csv_skips_recycle_bin_and_keeps_full_group_paths():
    """Issue 12 defects 6 and 7: deleted entries stay deleted; two customers' "Email" groups
    never merge into one customer (unless the user asks for --customer-from-group)."""
    uri = otpauth("totp", "Mail:a", B32_SHA1)
    rows = [
        ["Root/Customers/Acme/Email", "Mail", "a", "", "", "", uri, "0", "", ""],
        ["Root/Customers/Beta/Email", "Mail", "b", "", "", "", otpauth("totp", "Mail:b", B32_OTHER),
         "0", "", ""],
        ["Root/Recycle Bin", "Deleted", "x", "", "", "", uri, "0", "", ""],
        ["Root/Recycle Bin/Old", "Deleted too", "y", "", "", "", "", "0", "", ""],
    ]
    items = parse(write_csv(KP_CSV_HEADER, rows)).items
    assert [i.title for i in items] == ["Mail", "Mail"]
    assert [i.customer for i in items] == ["Customers - Acme - Email", "Customers - Beta - Email"]
    assert [i.number for i in items] == [1, 2]
    from companion.formats.plan import GroupsWouldMerge, plan

    planned = plan(items, existing_otps=[], existing_titles={}, customer_from_group=2)
    assert [r.customer for r in planned] == ["Acme", "Beta"]

    with pytest.raises(GroupsWouldMerge, match="Customers/Acme/Email.*Customers/Beta/Email"):
        plan(items, existing_otps=[], existing_titles={}, customer_from_group=9)
    planned = plan(items, existing_otps=[], existing_titles={}, customer_from_group=9, merge=True)
    assert [r.customer for r in planned] == ["Email", "Email"]  # deepest, merged on request


def test_keepass_xml_nested_groups_keep_their_path():
    acme = kp_group("Acme", [], [kp_group("Email", [kp_entry({"Title": "A", "UserName": "a"})])])
    beta = kp_group("Beta", [], [kp_group("Email", [kp_entry({"Title": "B", "UserName": "b"})])])
    data = kp_xml(kp_group("Root", [], [kp_group("Customers", [], [acme, beta])]))
    a, b = parse(data).items
    assert (a.customer, b.customer) == ("Customers - Acme - Email", "Customers - Beta - Email")
    assert a.group_path == ("Customers", "Acme", "Email")


def test_one_broken_entry_is_refused_not_fatal():
    lines = [otpauth("totp", "A:a", B32_SHA1), otpauth("totp", "B:b", "ABC1DEFG"),
             "not a uri at all", otpauth("totp", "C:c", B32_OTHER)]
    items = parse("\n".join(lines).encode()).items
    assert [bool(i.refused) for i in items] == [False, True, True, False]
    assert "invalid character" in items[1].refused and items[1].label == "B:b"
    assert "ABC1DEFG" not in items[1].refused
