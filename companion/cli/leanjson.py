"""JSON for the control socket without `import json`.

`import json` imports `re` (and with it enum and functools): about a third of what `otpc code` costs
beyond a bare interpreter. The JSON parser and string escaper `json` itself runs are the C module
`_json`; this module drives them directly, so `otpc code` parses the companion's reply with exactly
the parser `json.loads` would use. Where `_json` is missing (another interpreter), `json` is used.
tests/unit/test_leanjson.py checks both functions against `json` on generated values.
"""

from __future__ import annotations

try:
    import _json
except ImportError:  # pragma: no cover - CPython always has it
    _json = None

_WHITESPACE = " \t\n\r"  # JSON's whitespace (str.strip() would also strip e.g. \x0b)


def _no_constants(name: str):
    raise ValueError(f"JSON has no {name}")


class _Context:
    """The attributes `_json.make_scanner` reads (the ones `json.JSONDecoder` would pass)."""

    strict = True
    object_hook = None
    object_pairs_hook = None
    parse_float = float
    parse_int = int
    parse_constant = staticmethod(_no_constants)  # NaN / Infinity: not JSON, refused
    memo: dict = {}


_scan = _json.make_scanner(_Context()) if _json is not None else None


def loads(text: str):
    """Like `json.loads(text)` (raises ValueError on anything that is not one JSON value), except
    that NaN and Infinity are refused."""
    if _scan is None:
        import json

        return json.loads(text, parse_constant=_no_constants)
    body = text.strip(_WHITESPACE)
    try:
        value, end = _scan(body, 0)
    except StopIteration:
        raise ValueError("not JSON") from None
    if end != len(body):
        raise ValueError("extra data after the JSON value")
    return value


def dumps_flat(obj: dict) -> str:
    """`json.dumps(obj)` for an object whose values are str, int, float, bool or None (the shape of
    `otpc code`'s request); TypeError for anything else, so the caller can use `json` instead."""
    if _json is None or not isinstance(obj, dict):
        raise TypeError("not a flat object")
    quote = _json.encode_basestring_ascii
    parts = []
    for key, value in obj.items():
        if not isinstance(key, str):
            raise TypeError("keys must be strings")
        if value is None:
            text = "null"
        elif value is True or value is False:
            text = "true" if value else "false"
        elif isinstance(value, str):
            text = quote(value)
        elif isinstance(value, int):
            text = int.__repr__(value)
        elif isinstance(value, float) and value - value == 0.0:  # finite
            text = float.__repr__(value)
        else:
            raise TypeError(f"{type(value).__name__} is not a flat JSON value")
        parts.append(f"{quote(key)}: {text}")
    return "{" + ", ".join(parts) + "}"
