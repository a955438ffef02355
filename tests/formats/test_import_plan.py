"""The import plan: duplicates, refusals, customers and titles, decided before any write."""

from importgen import B32_OTHER, B32_SHA1

from companion.formats.plan import DUPLICATE, IMPORT, REFUSED, clean_name, plan, summary
from companion.formats.records import Item
from companion.otp import OtpParams


def item(n, title, account, secret=B32_SHA1, kind="totp", customer="", refused=""):
    otp = None if refused else OtpParams(type=kind, secret=secret, account=account,
                                         digits=5 if kind == "steam" else 6)
    return Item(number=n, label=title, title=title, customer=customer, otp=otp, refused=refused)


def test_duplicates_need_same_secret_type_and_account():
    existing = [OtpParams(secret=B32_SHA1, account="Alice")]
    rows = plan(
        [
            item(1, "A", "alice"),  # same secret, type, account (case-insensitive) → duplicate
            item(2, "B", "bob"),  # other account → imported
            item(3, "C", "alice", secret=B32_OTHER),  # other secret → imported
            item(4, "D", "alice", kind="steam"),  # other type → imported
            item(5, "E", "bob"),  # duplicate of item 2, inside the same file
            item(6, "F", "x", refused="motp entries are not supported"),
        ],
        existing_otps=existing,
        existing_titles={},
    )
    assert [r.status for r in rows] == [DUPLICATE, IMPORT, IMPORT, IMPORT, DUPLICATE, REFUSED]
    assert summary(rows) == {IMPORT: 3, DUPLICATE: 2, REFUSED: 1}
    assert rows[5].reason == "motp entries are not supported"


def test_customers_and_titles():
    rows = plan(
        [
            item(1, "Mail", "a", customer="Group/One"),
            item(2, "Mail", "b", secret=B32_OTHER, customer="group-one"),
            item(3, "", "c", secret=B32_OTHER + "AAAAAAAA"),
            item(4, "Bad\ttitle\x00", "d", secret=B32_SHA1 + "AAAAAAAA"),
        ],
        existing_otps=[],
        existing_titles={"imported": {"entry 3"}},
    )
    assert [(r.customer, r.title) for r in rows] == [
        ("Group-One", "Mail"),
        ("Group-One", "Mail (b)"),  # customers match case-insensitively; titles stay distinct
        ("Imported", "Entry 3 (c)"),
        ("Imported", "Bad title"),
    ]
    forced = plan([item(1, "Mail", "a", customer="X")], existing_otps=[], existing_titles={},
                  customer="Chosen")
    assert forced[0].customer == "Chosen"


def test_clean_name_limits():
    assert clean_name("a" * 300, "x") == "a" * 200
    assert clean_name(" \x01 ", "fallback") == "fallback"
