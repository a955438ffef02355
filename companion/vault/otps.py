"""The OTP half of the Vault API: setting and removing secrets, codes, exports of a secret.

A mixin of Vault (vault.py), split off to keep each module readable. The rules: a replaced or
removed secret is erased for good (secure_delete + WAL truncate); an HOTP counter is advanced and
committed before its code is returned, and never goes below what this machine has handed out
(generation.py remembers it outside the file, so a restored row cannot make a code repeat);
every reveal of a secret is audited.
"""

from __future__ import annotations

import time
from dataclasses import replace

from companion import otp as otpmath
from companion.errors import UserError, VaultCorrupt
from companion.otp import OtpParams
from companion.vault.model import CodeResult, Entry, OtpSummary, otp_content, otp_from_content
from companion.vault.records import ENTRY, OTP
from companion.vault.validate import shown


class OtpMethods:
    def set_otp(self, ref: str, params: OtpParams, *, actor: str = "cli") -> Entry:
        entry = self.entry(ref)
        params = params.checked()
        if not params.secret:
            raise UserError("an OTP needs a secret")
        with self.store.write():
            self._r.put(OTP, entry.id, entry.customer_id, otp_content(params))
            self._r.put(
                ENTRY,
                entry.id,
                entry.customer_id,
                replace(entry, otp=OtpSummary.of(params)).content(),
                created=entry.created,
            )
            self._r.append_audit("otp_set", entry, actor)
            self._gen.hotp_reset(entry.id, params.counter if params.type == "hotp" else None)
        if entry.has_otp:
            self.store.checkpoint_truncate()  # the replaced secret must not linger in the WAL
        return self.entry(entry.id)

    def remove_otp(self, ref: str, *, actor: str = "cli") -> bool:
        """Erase an entry's OTP secret for good: the row is deleted with secure_delete on, then the
        WAL is checkpointed and truncated. Returns False if another process kept the WAL from being
        truncated (the secret is then out of the live file, but old WAL frames may still hold it)."""
        entry = self.entry(ref)
        if not entry.has_otp:
            raise UserError(f"entry {shown(entry.ref)} has no OTP")
        with self.store.write():
            self._r.delete("kind = ? AND id = ?", (OTP, entry.id))
            self._r.put(
                ENTRY,
                entry.id,
                entry.customer_id,
                replace(entry, otp=None).content(),
                created=entry.created,
            )
            self._r.append_audit("otp_remove", entry, actor)
            self._gen.hotp_reset(entry.id, None)
        return self.store.checkpoint_truncate()

    def _params(self, entry: Entry) -> tuple[OtpParams, int]:
        row = self._r.get(OTP, entry.id)
        if row is None:
            # Called inside a write: this entry record is current. If it names an OTP whose record
            # is gone, the file was tampered with or damaged (not just "no OTP").
            current = self._r.get(ENTRY, entry.id)
            if current is not None and current[2].get("otp"):
                raise VaultCorrupt(f"{self.path}: otp record {entry.id[:8]} is missing")
            raise UserError(f"entry {shown(entry.ref)} has no OTP")
        try:
            params = otp_from_content(row[2]).checked()
        except (TypeError, KeyError, UserError):
            raise VaultCorrupt(f"{self.path}: otp record {entry.id[:8]} is malformed") from None
        floor = self._gen.hotp_floor.get(entry.id, 0)
        if params.type == "hotp" and params.counter < floor:
            # A row from an older copy (a rollback accepted): its codes were handed out already.
            params = replace(params, counter=floor)
        return params, row[1]

    def code(self, ref: str | Entry, *, at: float | None = None, actor: str = "cli") -> CodeResult:
        """The current code, audited. HOTP: counter+1 is on disk before the code is returned.
        `ref` may be an Entry just looked up (the companion does, to check a client's scope)."""
        entry = ref if isinstance(ref, Entry) else self.entry(ref)
        if not entry.has_otp:
            raise UserError(f"entry {shown(entry.ref)} has no OTP")
        if entry.otp.type == "hotp" and self.store.in_write:
            # A batch that rolled back would rewind the counter and show this code again.
            raise UserError("HOTP codes cannot be taken inside a batch")
        server_time = time.time()
        when = server_time if at is None else float(at)
        with self.store.write(durable=entry.otp.type == "hotp"):
            params, created = self._params(entry)
            value = otpmath.code(params, when)
            counter = None
            if params.type == "hotp":
                counter = params.counter
                advanced = otp_content(replace(params, counter=counter + 1))
                self._r.put(OTP, entry.id, entry.customer_id, advanced, created=created)
                self._gen.hotp_used(entry.id, counter + 1)
            self._r.append_audit("code", entry, actor)
        return CodeResult(
            code=value,
            type=params.type,
            period=0 if params.type == "hotp" else otpmath.period_of(params),
            remaining=otpmath.remaining(params, when),
            valid_until=otpmath.valid_until(params, when),
            server_time=server_time,
            counter=counter,
            digits=len(value),
        )

    def reveal_password(self, ref: str, *, actor: str = "cli") -> str:
        entry = self.entry(ref)
        with self.store.write():
            self._r.append_audit("password", entry, actor)
        return entry.password

    def otp_params(self, ref: str, *, actor: str = "cli", reason: str = "export") -> OtpParams:
        """The full secret, for exporters and `otpc otp qr` only (never over HTTP); audited."""
        entry = self.entry(ref)
        with self.store.write():
            params, _ = self._params(entry)
            self._r.append_audit(reason, entry, actor)
        return params

    def all_otp_params(self) -> dict[str, OtpParams]:
        """Entry id → params of every OTP (for import duplicate checks; not shown to anyone)."""
        self._r.need()
        return {rid: otp_from_content(c) for rid, _cid, _cr, _up, c in self._r.of_kind(OTP)}

