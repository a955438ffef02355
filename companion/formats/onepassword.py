"""1Password exports: 1PUX (a zip holding `export.data`) and CSV.

1PUX (support.1password.com/1pux-format): `export.data` is JSON `{"accounts": [{"attrs", "vaults":
[{"attrs": {"name", "type", …}, "items": [item]}]}]}`. An item: `uuid`, `categoryUuid` ("001"
login, "005" password, …), `state` ("active"/"archived"; older files `trashed: true`), `overview
{title, url, urls: [{label, url}], tags}`, `details {loginFields: [{designation: username|password,
value}], password, notesPlain, sections: [{title, fields: [{id, title, value: {totp|string|
concealed|…}}]}]}`. One-time passwords are section fields whose value is `{"totp": …}`: an otpauth
URI or a bare secret. Older exports wrap each item as `{"item": {...}}`.

Mapping: the vault is the customer (and the one-level group path, so `--customer-from-group 1`
means the same); archived items are imported, tagged `archived` with a warning; trashed items are
skipped and counted in a note.

CSV (1Password 8): `Title,Url,Username,Password,OTPAuth,Favorite,Archived,Tags,Notes`; older
exports name the OTP column "One-time password". No vault column: `--customer` names one.
"""

from __future__ import annotations

from companion.formats.archives import ONEPUX_DATA, is_zip, open_zip, read_member
from companion.formats.csvfile import header_names, rows
from companion.formats.logins import login_items, split_urls
from companion.formats.records import (
    FormatError,
    Item,
    Parsed,
    check_count,
    item_error,
    load_json,
    text,
)

WHAT = "1Password export (1PUX)"
WHAT_CSV = "1Password CSV export"

LOGIN_CATEGORIES = {
    "001": "login", "005": "password", "102": "database", "109": "wireless router",
    "110": "server", "111": "email account", "112": "API credential",
}
OTHER_CATEGORIES = {
    "002": "credit card", "003": "secure note", "004": "identity", "006": "document",
    "100": "software license", "101": "bank account", "103": "driver license",
    "104": "outdoor license", "105": "membership", "106": "passport", "107": "rewards program",
    "108": "social security number", "113": "medical record", "114": "SSH key",
}
OTP_COLUMNS = ("otpauth", "one-time password", "one-time password (totp)")


def looks_like(doc: object) -> bool:
    """A bare `export.data` (the 1PUX unpacked)."""
    return (isinstance(doc, dict) and isinstance(doc.get("accounts"), list)
            and all(isinstance(a, dict) and "vaults" in a for a in doc["accounts"][:3]))


def is_csv(data: bytes) -> bool:
    names = header_names(data)
    return "title" in names and any(c in names for c in OTP_COLUMNS)


# --- 1PUX -----------------------------------------------------------------------------------------


def parse_1pux(data: bytes, password=None) -> Parsed:
    if is_zip(data):
        data = read_member(open_zip(data, WHAT), ONEPUX_DATA, WHAT)
    doc = load_json(data, WHAT)
    if not looks_like(doc):
        raise FormatError(f"{WHAT}: export.data holds no account list")
    assert isinstance(doc, dict)
    parsed = Parsed("1password-1pux")
    trashed = 0
    number = 0
    for account in doc["accounts"]:
        if not isinstance(account, dict):
            raise FormatError(f"{WHAT}: an account is not a JSON object")
        for vault in _list(account.get("vaults"), "vaults"):
            if not isinstance(vault, dict):
                raise FormatError(f"{WHAT}: a vault is not a JSON object")
            attrs = vault.get("attrs") if isinstance(vault.get("attrs"), dict) else {}
            vault_name = _text(attrs.get("name")).strip()
            items = _list(vault.get("items"), "items")
            check_count(number + len(items), WHAT)  # before any work on a huge file
            for entry in items:
                wrapped = isinstance(entry, dict) and isinstance(entry.get("item"), dict)
                item = entry["item"] if wrapped else entry
                if _is_trashed(item):
                    trashed += 1
                    continue
                number += 1
                check_count(number, WHAT)
                parsed.items.extend(onepux_item(number, item, vault_name))
    if trashed:
        parsed.notes.append(f"{trashed} item(s) in 1Password's trash were skipped")
    return parsed


def _list(value: object, what: str) -> list:
    if value is None:
        return []
    if not isinstance(value, list):
        raise FormatError(f"{WHAT}: {what} is not a list")
    return value


def _listed(value: object) -> list:
    """A list field of an item, or [] when it is missing or malformed."""
    return value if isinstance(value, list) else []


def _text(value: object) -> str:
    try:
        return text(value)
    except ValueError:
        return ""


def _field_value(value: object, what: str) -> str:
    """A login field's value: text, or (linked accounts) an object holding it."""
    if isinstance(value, dict):
        value = value.get("string") or value.get("email_address")
    return text(value, what)


def _is_trashed(item: object) -> bool:
    return isinstance(item, dict) and (
        item.get("trashed") is True or item.get("state") in ("trashed", "deleted")
    )


def onepux_item(number: int, item: object, vault: str) -> list[Item]:
    if not isinstance(item, dict):
        return [_refused(number, "", "item is not a JSON object")]
    overview = item.get("overview") if isinstance(item.get("overview"), dict) else {}
    title = _text(overview.get("title")).strip()
    try:
        return _onepux_item(number, item, overview, title, vault)
    except ValueError as exc:
        return [_refused(number, title, str(exc))]


def _onepux_item(number: int, item: dict, overview: dict, title: str, vault: str) -> list[Item]:
    details = item.get("details") if isinstance(item.get("details"), dict) else {}
    username = password = ""
    for login_field in _listed(details.get("loginFields")):
        if not isinstance(login_field, dict):
            continue
        if login_field.get("designation") == "username" and not username:
            username = _field_value(login_field.get("value"), "username").strip()
        elif login_field.get("designation") == "password" and not password:
            password = _field_value(login_field.get("value"), "password")
    otps: list[str] = []
    for section in _listed(details.get("sections")):
        for section_field in _listed(section.get("fields") if isinstance(section, dict) else None):
            if not isinstance(section_field, dict) or not isinstance(section_field.get("value"),
                                                                      dict):
                continue
            value = section_field["value"]
            if value.get("totp"):
                otps.append(text(value["totp"], "one-time password"))
            # Server, database and router items keep their credentials in sections.
            elif section_field.get("id") == "username" and not username:
                username = text(value.get("string"), "username").strip()
            elif section_field.get("id") == "password" and not password:
                password = text(value.get("concealed"), "password")
    password = password or text(details.get("password"), "password")
    category = str(item.get("categoryUuid") or "001")
    if category not in LOGIN_CATEGORIES and not otps:
        kind = OTHER_CATEGORIES.get(category, "unknown")
        return [_refused(number, title, f"a {kind} item, not a login")]
    urls = [_text(u.get("url")).strip() for u in _listed(overview.get("urls"))
            if isinstance(u, dict)]
    if not any(urls) and overview.get("url"):
        urls = [_text(overview.get("url")).strip()]
    tags = tuple(t.strip() for t in _listed(overview.get("tags")) if isinstance(t, str) and t.strip())
    warnings: tuple[str, ...] = ()
    if item.get("state") == "archived":
        tags += ("archived",)
        warnings = ("archived in 1Password",)
    if item.get("favIndex") == 1:
        tags += ("favorite",)
    return login_items(
        number,
        title=text(overview.get("title"), "title").strip(),
        username=username,
        password=password,
        urls=tuple(urls),
        notes=text(details.get("notesPlain"), "notes"),
        otps=otps,
        customer=vault,
        group_path=(vault,) if vault else (),
        tags=tags,
        warnings=warnings,
    )


def _refused(number: int, label: str, reason: str) -> Item:
    err = item_error(number, label, reason)
    return Item(number=number, label=err.label, refused=err.reason)


# --- CSV --------------------------------------------------------------------------------------------


def parse_csv(data: bytes, password=None) -> Parsed:
    parsed = Parsed("1password-csv")
    for number, row in enumerate(rows(data, WHAT_CSV), start=1):
        otp = next((row[c] for c in OTP_COLUMNS if row.get(c, "").strip()), "")
        tags = tuple(t.strip() for t in row.get("tags", "").replace(";", ",").split(",")
                     if t.strip())
        warnings: tuple[str, ...] = ()
        if row.get("archived", "").strip().lower() == "true":
            tags += ("archived",)
            warnings = ("archived in 1Password",)
        if row.get("favorite", "").strip().lower() == "true":
            tags += ("favorite",)
        parsed.items.extend(login_items(
            number,
            title=row.get("title", "").strip(),
            username=row.get("username", "").strip(),
            password=row.get("password", ""),
            urls=split_urls(row.get("url", "") or row.get("website", "")),
            notes=row.get("notes", ""),
            otps=[otp],
            tags=tags,
            warnings=warnings,
        ))
    return parsed
