"""OTP parameters from what a person or a file gives: the one builder behind `otpc otp set`, the
HTTP API's /v1/otp/set, otpauth:// URIs and every importer (issue 10 item 14).

Rules, in one place:
- the secret is normalised (companion.normalize: spaces, case, padding; < 80 bits only with force);
- a value not given takes its default (totp, SHA1, 6 digits, 30 s, counter 0);
- Steam Guard always uses SHA1, 30 s and 5 characters: given values that differ are replaced, with a
  warning naming them; HOTP has no period (30 is stored) and only HOTP keeps a counter;
- issuer and account are trimmed; the result is OtpParams.checked(), and 4-5 digit codes need force.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from companion.normalize import normalize_secret
from companion.otp import STEAM_DIGITS, OtpParams, require_usual_digits

DEFAULTS = {"type": "totp", "algorithm": "SHA1", "digits": 6, "period": 30, "counter": 0}
STEAM_FIXED = {"algorithm": "SHA1", "period": 30, "digits": STEAM_DIGITS}


@dataclass(frozen=True)
class OtpInput:
    params: OtpParams
    notes: tuple[str, ...] = ()  # what normalising changed (for the user, not problems)
    warnings: tuple[str, ...] = ()


def typed(params: OtpParams, given: dict) -> tuple[OtpParams, tuple[str, ...]]:
    """Apply what the OTP type fixes; `given` holds the values the input really stated."""
    kind = params.type.lower()
    warnings: list[str] = []
    if kind == "steam":
        ignored = []
        for name, value in STEAM_FIXED.items():
            stated = given.get(name)
            if stated is not None and str(stated).upper().replace("-", "") != str(value):
                ignored.append(f"{name} {stated}")
        if ignored:
            warnings.append("Steam Guard codes always use SHA1, 30 s and 5 characters; ignored "
                            + ", ".join(ignored))
        params = replace(params, **STEAM_FIXED)
    # replace() only what differs: it is slow, and a 10,000-URI import comes through here.
    if kind != "hotp" and params.counter != 0:
        params = replace(params, counter=0)
    elif kind == "hotp" and params.period != DEFAULTS["period"]:
        params = replace(params, period=DEFAULTS["period"])
    return (params if params.type == kind else replace(params, type=kind)), tuple(warnings)


def from_fields(
    secret: str,
    *,
    type: str | None = None,
    algorithm: str | None = None,
    digits: int | None = None,
    period: int | None = None,
    counter: int | None = None,
    issuer: str | None = None,
    account: str | None = None,
    force: bool = False,
) -> OtpInput:
    """Checked parameters from separate fields (None = not given)."""
    normalized = normalize_secret(secret, force=force)
    given = {"type": type, "algorithm": algorithm or None, "digits": digits, "period": period,
             "counter": counter}
    values = {k: (v if v is not None else DEFAULTS[k]) for k, v in given.items()}
    params = OtpParams(secret=normalized.secret, issuer=(issuer or "").strip(),
                       account=(account or "").strip(), **values)
    params, warnings = typed(params, given)
    return OtpInput(usual(params, force), normalized.notes, normalized.warnings + warnings)


def from_text(raw: str, *, force: bool = False, **overrides) -> OtpInput:
    """A bare secret or an otpauth:// URI; fields in `overrides` (None = not given) override what a
    URI says, and complete a bare secret."""
    given = {k: v for k, v in overrides.items() if v is not None}
    if not raw.strip().lower().startswith("otpauth:"):
        return from_fields(raw, force=force, **given)
    from companion.otpauth import parse_uri, uri_notes

    params, warnings = parse_uri(raw, force=force)
    notes = uri_notes(raw)
    if not given:
        return OtpInput(params, notes, tuple(warnings))
    notes += (f"options override the URI's {', '.join(sorted(given))}",)
    params, more = typed(replace(params, **given), given)
    return OtpInput(usual(params, force), notes, tuple(warnings) + more)


def usual(params: OtpParams, force: bool) -> OtpParams:
    """Checked parameters; 4- and 5-digit codes only when forced (companion.otp)."""
    params = params.checked()
    require_usual_digits(params, force=force)
    return params


def check_code_time(kind: str, at: float | None) -> None:
    """A code asked for at a given time (`otpc code --at`) exists only for TOTP and Steam: an HOTP
    code comes from the counter, and making one to look at would advance it."""
    if kind == "hotp" and at is not None:
        from companion.errors import UserError

        raise UserError("an HOTP code has no time (--at): it comes from the counter, and asking "
                        "for one would advance it")
