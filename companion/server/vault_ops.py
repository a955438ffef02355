"""The control socket's `vault` op: the CLI's Vault calls, run on the companion's unlocked vault.

`{"op": "vault", "method": M, "args": {...}}` → `{"ok": true, "result": R}`. Only the methods in
METHODS exist; each names its arguments and their types, and anything else (another method, an unknown
or mistyped argument) is refused before the vault is touched. The actor of every audited call is
"cli": a caller cannot pick another one. Entries travel without their password (`has_password`
says whether there is one; `reveal_password` is the audited way to read it), codes and secrets only
through the audited `code`, `otp_params` and `reveal_password`.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace

from companion.errors import UserError
from companion.otp import OtpParams
from companion.otp_input import check_code_time
from companion.resolve import find_entry

ACTOR = "cli"
TEXT, FLAG, NUMBER, WHOLE, TEXTS, OBJECT, OBJECTS = (
    "text", "flag", "number", "whole", "texts", "object", "objects",
)
OTP_FIELDS = {"type": str, "secret": str, "algorithm": str, "digits": int, "period": int,
              "counter": int, "issuer": str, "account": str}
EXPORT_REASONS = ("export", "qr")


@dataclass(frozen=True)
class Method:
    run: Callable[..., object]
    required: dict[str, str]
    optional: dict[str, str]


def _is(kind: str, value: object) -> bool:
    if kind == TEXT:
        return isinstance(value, str)
    if kind == FLAG:
        return isinstance(value, bool)
    if kind == WHOLE:
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == NUMBER:
        return isinstance(value, int | float) and not isinstance(value, bool)
    if kind == TEXTS:
        return isinstance(value, list) and all(isinstance(v, str) for v in value)
    if kind == OBJECT:
        return isinstance(value, dict)
    if kind == OBJECTS:
        return isinstance(value, list) and all(isinstance(v, dict) for v in value)
    return False


def checked_args(method: str, spec: Method, args: object) -> dict:
    if not isinstance(args, dict):
        raise UserError("vault call: 'args' must be an object")
    known = {**spec.required, **spec.optional}
    unknown = sorted(set(args) - set(known))
    if unknown:
        raise UserError(f"vault call {method}: unknown argument {unknown[0]!r}")
    for name in spec.required:
        if args.get(name) is None:
            raise UserError(f"vault call {method}: missing argument {name!r}")
    for name, value in args.items():
        if value is not None and not _is(known[name], value):
            raise UserError(f"vault call {method}: argument {name!r} must be {known[name]}")
    return {k: v for k, v in args.items() if v is not None}


def otp_params(data: dict) -> OtpParams:
    """OtpParams from the wire (the CLI built and checked them; checked again here)."""
    for name, value in data.items():
        kind = OTP_FIELDS.get(name)
        if kind is None or not isinstance(value, kind) or isinstance(value, bool):
            raise UserError("vault call: malformed OTP parameters")
    return OtpParams(**data).checked()


# ---- results: the dataclasses as JSON (companion/cli/remote.py decodes them) ----------------------
def customer_json(c) -> dict:
    return asdict(c)


def entry_json(e) -> dict:
    return e.public()  # never the password: has_password says whether there is one


def _find_entry(vault, ref=None, exact=False, customer=None, title=None):
    return entry_json(find_entry(vault, ref, exact=exact, customer=customer, title=title))


def _code(vault, ref, at=None):
    entry = find_entry(vault, ref, exact=True)
    check_code_time(entry.otp.type if entry.otp else "", at)
    return {**vault.code(entry, at=at, actor=ACTOR).public(), "entry_id": entry.id}


def _otp_params(vault, ref, reason="export"):
    if reason not in EXPORT_REASONS:
        raise UserError(f"vault call otp_params: reason must be one of {', '.join(EXPORT_REASONS)}")
    return asdict(vault.otp_params(ref, actor=ACTOR, reason=reason))


def set_otp_from_text(vault, ref, text, *, force=False, **given):
    """`otpc otp set`: a bare secret or an otpauth:// URI built and checked by the one builder
    (companion.otp_input.from_text; `given` are its overrides, None = not given), the issuer
    defaulting to the entry's title and the account to its username (else its customer), then set.
    The CLI calls it on a vault file it opened, and through the companion (the `set_otp_from_text`
    method), so the agent path loads no OTP code. (entry, the HOTP counter, notes, warnings)."""
    from companion.otp_input import from_text

    entry = find_entry(vault, ref, exact=True)
    built = from_text(text, force=force, **given)
    params = built.params
    if not params.issuer and given.get("issuer") is None:
        params = replace(params, issuer=entry.title)
    if not params.account and given.get("account") is None:
        params = replace(params, account=entry.username or entry.customer)
    saved = vault.set_otp(entry.id, params, actor=ACTOR)
    return saved, params.counter, list(built.notes), list(built.warnings)


def _set_otp_from_text(vault, ref, text, **options):
    saved, counter, notes, warnings = set_otp_from_text(vault, ref, text, **options)
    return {"entry": entry_json(saved), "counter": counter, "notes": notes, "warnings": warnings}


def login_urls(urls) -> list[str]:
    """Entry URLs checked here (companion.normalize.login_url): the CLI checks them only when it
    opens the vault file itself, so its agent path does not load the normalizers."""
    from companion.normalize import login_url

    return [login_url(u) for u in urls]


def _add_entry(vault, customer, title, urls=(), **fields):
    return entry_json(vault.add_entry(customer, title, urls=login_urls(urls), **fields))


def _update_entry(vault, ref, **fields):
    if "urls" in fields:
        fields["urls"] = login_urls(fields["urls"])
    for name in ("urls", "tags"):
        if name in fields:
            fields[name] = tuple(fields[name])
    return entry_json(vault.update_entry(ref, **fields))


def _audit(vault, entry_id=None, limit=None):
    return [ev.public() for ev in vault.audit(entry_id=entry_id, limit=limit)]


def _known_otps(vault, keys):
    """Which of these import duplicate digests (hex) the vault already holds: the secrets stay in
    the companion, the client learns only "duplicate or not" for OTPs it already has."""
    from companion.formats.plan import duplicate_key

    held = {duplicate_key(p).hex() for p in vault.all_otp_params().values()}
    return [k for k in keys if k in held]


def _import_rows(vault, rows):
    from companion.imports import rows_from_wire, write_rows

    return write_rows(vault, rows_from_wire(rows))


METHODS: dict[str, Method] = {
    "customers": Method(lambda v: [customer_json(c) for c in v.customers()], {}, {}),
    "customer": Method(lambda v, ref: customer_json(v.customer(ref)), {"ref": TEXT}, {}),
    "add_customer": Method(lambda v, name, notes="": customer_json(v.add_customer(name, notes)),
                           {"name": TEXT}, {"notes": TEXT}),
    "update_customer": Method(
        lambda v, ref, **kw: customer_json(v.update_customer(ref, **kw)),
        {"ref": TEXT}, {"name": TEXT, "notes": TEXT}),
    "remove_customer": Method(
        lambda v, ref, force=False: v.remove_customer(ref, force=force, actor=ACTOR),
        {"ref": TEXT}, {"force": FLAG}),
    "entries": Method(
        lambda v, **kw: [entry_json(e) for e in v.entries(**kw)],
        {}, {"customer": TEXT, "search": TEXT}),
    "entry": Method(lambda v, ref: entry_json(v.entry(ref)), {"ref": TEXT}, {}),
    "find_entry": Method(_find_entry, {},
                         {"ref": TEXT, "exact": FLAG, "customer": TEXT, "title": TEXT}),
    "add_entry": Method(
        _add_entry, {"customer": TEXT, "title": TEXT},
        {"username": TEXT, "password": TEXT, "urls": TEXTS, "notes": TEXT, "tags": TEXTS}),
    "update_entry": Method(
        _update_entry, {"ref": TEXT},
        {"title": TEXT, "username": TEXT, "password": TEXT, "urls": TEXTS, "notes": TEXT,
         "tags": TEXTS, "customer": TEXT, "group": TEXT}),
    "remove_entry": Method(lambda v, ref: v.remove_entry(ref, actor=ACTOR), {"ref": TEXT}, {}),
    "set_otp": Method(
        lambda v, ref, params: entry_json(v.set_otp(ref, otp_params(params), actor=ACTOR)),
        {"ref": TEXT, "params": OBJECT}, {}),
    "set_otp_from_text": Method(
        _set_otp_from_text, {"ref": TEXT, "text": TEXT},
        {"force": FLAG, "type": TEXT, "algorithm": TEXT, "digits": WHOLE, "period": WHOLE,
         "counter": WHOLE, "issuer": TEXT, "account": TEXT}),
    "remove_otp": Method(lambda v, ref: v.remove_otp(ref, actor=ACTOR), {"ref": TEXT}, {}),
    "code": Method(_code, {"ref": TEXT}, {"at": NUMBER}),
    "reveal_password": Method(lambda v, ref: v.reveal_password(ref, actor=ACTOR),
                              {"ref": TEXT}, {}),
    "otp_params": Method(_otp_params, {"ref": TEXT}, {"reason": TEXT}),
    "audit": Method(_audit, {}, {"entry_id": TEXT, "limit": WHOLE}),
    "known_otps": Method(_known_otps, {"keys": TEXTS}, {}),
    "import_rows": Method(_import_rows, {"rows": OBJECTS}, {}),
}


def needs_team_server(request: dict) -> bool:
    """Calls that, in a team vault, talk to PostgreSQL before they answer (a new team customer, a
    move to another customer or group): the control socket runs them off the event loop."""
    method, args = request.get("method"), request.get("args")
    if method == "add_customer":
        return True
    return method == "update_entry" and isinstance(args, dict) and bool({"customer", "group"} & set(args))


def team_hotp_entry(vault, request: dict):
    """The entry of a `code` call when it is a team HOTP entry (its counter advances in
    PostgreSQL: the control socket does that step in a worker thread), else None."""
    if request.get("method") != "code":
        return None
    args = checked_args("code", METHODS["code"], request.get("args", {}))
    entry = find_entry(vault, args["ref"], exact=True)
    if not is_team_hotp(vault, entry):
        return None
    check_code_time("hotp", args.get("at"))  # refused: it would advance the counter
    return entry


def is_team_hotp(vault, entry) -> bool:
    if getattr(vault, "team", None) is None or vault.team() is None:
        return False
    from companion.team.view import TeamEntry

    return isinstance(entry, TeamEntry) and entry.otp is not None and entry.otp.type == "hotp"


def run(vault, request: dict) -> dict:
    """Run one `vault` op on the (unlocked) vault; UserError for anything not allowed."""
    method = request.get("method")
    spec = METHODS.get(method) if isinstance(method, str) else None
    if spec is None:
        shown = method if isinstance(method, str) and method.isidentifier() else "?"
        raise UserError(f"vault call: no method {shown[:40]!r}")
    args = checked_args(method, spec, request.get("args", {}))
    if "at" in args and not math.isfinite(args["at"]):
        raise UserError("'at' must be a finite number")
    return {"result": spec.run(vault, **args)}
