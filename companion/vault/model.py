"""The vault's records as plain dataclasses, and their JSON (de)serialisation.

Customer → Entry → optional OTP. An entry carries an `OtpSummary` (no secret, no counter) so that
listing and searching never decrypt a secret; the full `OtpParams` live in a record of their own,
which is what deleting an OTP erases.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from companion.otp import OtpParams


@dataclass(frozen=True)
class Customer:
    id: str
    name: str
    notes: str = ""
    created: int = 0
    updated: int = 0

    def content(self) -> dict:
        return {"name": self.name, "notes": self.notes}


@dataclass(frozen=True)
class OtpSummary:
    """What may be shown about an entry's OTP without touching its secret."""

    type: str
    issuer: str = ""
    account: str = ""
    algorithm: str = "SHA1"
    digits: int = 6
    period: int = 30

    @classmethod
    def of(cls, p: OtpParams) -> OtpSummary:
        return cls(p.type, p.issuer, p.account, p.algorithm, p.digits, p.period)


@dataclass(frozen=True)
class Entry:
    id: str
    customer_id: str
    customer: str  # the customer's name, resolved when the entry is read
    title: str
    username: str = ""
    password: str = ""
    urls: tuple[str, ...] = ()
    notes: str = ""
    tags: tuple[str, ...] = ()
    otp: OtpSummary | None = None
    created: int = 0
    updated: int = 0

    @property
    def has_otp(self) -> bool:
        return self.otp is not None

    @property
    def ref(self) -> str:
        return f"{self.customer}/{self.title}"

    def content(self) -> dict:
        """What is encrypted in the entry record (the customer name is not: it is the customer's)."""
        return {
            "title": self.title,
            "username": self.username,
            "password": self.password,
            "urls": list(self.urls),
            "notes": self.notes,
            "tags": list(self.tags),
            "otp": dict(vars(self.otp)) if self.otp else None,  # flat: asdict's deep copy is slow
        }

    def public(self) -> dict:
        """Metadata for listings (CLI --json, HTTP API): never the password, never a secret."""
        return {
            "id": self.id,
            "customer_id": self.customer_id,
            "customer": self.customer,
            "title": self.title,
            "username": self.username,
            "urls": list(self.urls),
            "notes": self.notes,
            "tags": list(self.tags),
            "has_otp": self.has_otp,
            "has_password": bool(self.password),
            "otp": asdict(self.otp) if self.otp else None,
            "created": self.created,
            "updated": self.updated,
        }


def entry_from_content(
    id: str, customer_id: str, customer: str, content: dict, created: int, updated: int
) -> Entry:
    otp = content.get("otp")
    return Entry(
        id=id,
        customer_id=customer_id,
        customer=customer,
        title=content["title"],
        username=content.get("username", ""),
        password=content.get("password", ""),
        urls=tuple(content.get("urls", ())),
        notes=content.get("notes", ""),
        tags=tuple(content.get("tags", ())),
        otp=OtpSummary(**otp) if otp else None,
        created=created,
        updated=updated,
    )


def otp_content(p: OtpParams) -> dict:
    return dict(vars(p))  # flat (str and int fields): what asdict gives, without its deep copy


def otp_from_content(content: dict) -> OtpParams:
    return OtpParams(**content)


@dataclass(frozen=True)
class CodeResult:
    """A code as shown to someone: never stored, only returned."""

    code: str
    type: str
    period: int  # 30 for Steam; the TOTP period; 0 for HOTP
    remaining: float  # seconds until it expires (0 for HOTP)
    valid_until: int | None  # unix second it stops being current (None for HOTP)
    server_time: float
    counter: int | None = None  # the HOTP counter this code was made from
    digits: int = 6

    def public(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class AuditEvent:
    seq: int
    ts: float
    action: str  # "code", "password", "otp_set", "otp_remove", "export", "fill", "copy", ...
    actor: str  # "cli" or "client:<id>"
    entry_id: str | None = None
    detail: str = ""
    extra: dict = field(default_factory=dict)

    def public(self) -> dict:
        return asdict(self)
