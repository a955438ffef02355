"""Parse and build `otpauth://` URIs (Google's Key URI format): tolerant on input, canonical on output.

pyotp's parse_uri refuses short secrets, long periods, lowercase algorithms and `otpauth://steam/`,
all of which real exports contain, so this module parses the URI itself and leaves the maths to otp.py.
"""

from __future__ import annotations

from urllib.parse import parse_qsl, quote, unquote, urlsplit

from companion.errors import UserError
from companion.normalize import normalize_secret
from companion.otp import OtpError, OtpParams
from companion.otp_input import from_fields

MAX_URI_LENGTH = 4096


class OtpauthError(UserError):
    """A URI that is not a usable otpauth:// URI."""


def _int_param(query: dict[str, str], name: str) -> int | None:
    raw = query.get(name)
    if raw is None or raw == "":
        return None
    try:
        return int(raw)
    except ValueError:
        raise OtpauthError(f"otpauth URI: {name} must be a whole number") from None


def parse_uri(uri: str, *, force: bool = False) -> tuple[OtpParams, list[str]]:
    """Return the parameters in `uri` and warnings worth showing the user.

    Raises OtpauthError (never echoing the secret) for anything that cannot be used.
    """
    if not isinstance(uri, str):
        raise OtpauthError("otpauth URI must be text")
    uri = uri.strip()
    if len(uri) > MAX_URI_LENGTH:
        raise OtpauthError("otpauth URI is too long")
    try:
        parts = urlsplit(uri)
    except ValueError:
        raise OtpauthError("malformed otpauth URI") from None
    if parts.scheme.lower() != "otpauth":
        raise OtpauthError("not an otpauth:// URI")
    kind = parts.netloc.lower()
    if kind not in ("totp", "hotp", "steam"):
        shown = kind if kind.isalnum() and len(kind) < 20 else "?"
        raise OtpauthError(f"unsupported OTP type '{shown}' in otpauth URI: expected totp, hotp or steam")
    warnings: list[str] = []
    # The query is form-encoded ('+' is a space in "Air+Canada"); keep the last of repeated keys.
    query = {k.lower(): v for k, v in parse_qsl(parts.query, keep_blank_values=True)}
    if "secret" not in query or not query["secret"].strip():
        raise OtpauthError("otpauth URI has no secret")
    # The label is percent-encoded but not form-encoded: a '+' in a path is a plus.
    label = unquote(parts.path.lstrip("/"))
    label_issuer, account = "", label.strip()
    if ":" in label:
        label_issuer, account = (s.strip() for s in label.split(":", 1))
    issuer = query.get("issuer", "").strip()
    if issuer and label_issuer and issuer != label_issuer:
        warnings.append(
            f"issuer parameter '{issuer}' differs from the label's '{label_issuer}'; using the parameter"
        )
    if query.get("encoder", "").lower() == "steam":
        kind = "steam"
    if kind == "hotp" and "counter" not in query:
        warnings.append("hotp URI has no counter; starting at 0")
    try:
        built = from_fields(
            query["secret"],
            type=kind,
            algorithm=query.get("algorithm") or None,
            digits=_int_param(query, "digits"),
            period=_int_param(query, "period"),
            counter=_int_param(query, "counter"),
            issuer=issuer or label_issuer,
            account=account,
            force=force,
        )
    except OtpError as exc:
        raise OtpauthError(f"otpauth URI: {exc}") from None
    return built.params, list(built.warnings) + warnings


def uri_notes(uri: str) -> tuple[str, ...]:
    """What normalising the secret of `uri` (already parsed by parse_uri) changed, for the user."""
    query = {k.lower(): v for k, v in parse_qsl(urlsplit(uri.strip()).query, keep_blank_values=True)}
    return normalize_secret(query["secret"], force=True).notes


def build_uri(params: OtpParams) -> str:
    """The canonical URI for `params`: label `Issuer:account`, every parameter spelled out."""
    p = params.checked()
    # The label's issuer prefix is a courtesy for old apps; the issuer parameter is authoritative.
    # An issuer containing ':' cannot stand in the label, and an account containing ':' needs a
    # (possibly empty) prefix so that parsing splits at the right colon.
    prefix = p.issuer if ":" not in p.issuer else ""
    label_text = f"{prefix}:{p.account}" if prefix or ":" in p.account else p.account
    # The separator stays a literal ':' (pyotp and several apps read '%3A' as part of the name).
    label = quote(label_text, safe=":")
    query = [("secret", p.secret)]
    if p.issuer:
        query.append(("issuer", p.issuer))
    if p.type == "steam":
        query.append(("encoder", "steam"))
    else:
        query += [("algorithm", p.algorithm), ("digits", str(p.digits))]
        if p.type == "hotp":
            query.append(("counter", str(p.counter)))
        else:
            query.append(("period", str(p.period)))
    encoded = "&".join(f"{k}={quote(v, safe='')}" for k, v in query)
    return f"otpauth://{p.type}/{label}?{encoded}"
