"""Is a new master password strong enough? zxcvbn (Dropbox's estimator, maintained on PyPI) judges it
from dictionaries, keyboard patterns, dates and repeats; we never write such rules ourselves.

The master password guards every customer's secrets against anyone who copies the vault file, so a
weak one is refused unless the user says --force; an empty one is always refused, with the reason.
"""

from __future__ import annotations

from companion.errors import UserError

# zxcvbn's scale: 3 = "safely unguessable: moderate protection from an offline slow-hash scenario"
# (~10^10 guesses), which with Argon2id at ~0.5 s per guess is centuries for one attacker's machine.
MIN_SCORE = 3
# zxcvbn's matching grows fast with the length; the first 100 characters judge a password enough
# (more characters only ever make it stronger).
JUDGED_CHARS = 100


class WeakPassword(UserError):
    """A new master password the estimator rates below MIN_SCORE (exit 1: an input to fix)."""


def check_new_password(password: str, *, force: bool, override: str = "--force") -> None:
    """Refuse an empty password always, a weak one unless `force`; the message quotes the
    estimator's own feedback (never the password) and names `override`."""
    if not password:
        raise UserError(
            "an empty master password is refused: anyone who copies the vault file could open it"
        )
    if force:
        return
    from zxcvbn import zxcvbn

    result = zxcvbn(password[:JUDGED_CHARS])
    score = result["score"]
    if score >= MIN_SCORE:
        return
    feedback = result.get("feedback") or {}
    said = [feedback.get("warning") or "", *(feedback.get("suggestions") or [])]
    advice = " ".join(s.strip() for s in said if s and s.strip()) or "Use a longer passphrase."
    raise WeakPassword(
        f"the new master password is too weak (zxcvbn score {score} of 4, {MIN_SCORE} needed): "
        f"{advice} ({override} keeps it anyway)"
    )
