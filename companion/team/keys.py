"""A member's own key pairs: X25519 to receive unit keys, Ed25519 to sign what they write.

Generated on the member's machine; the private halves are stored sealed in their local vault (the
vault's job), never sent anywhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from companion import crypto
from companion.team.canon import fingerprint


@dataclass(frozen=True)
class MemberKeys:
    enc_private: bytes
    enc_public: bytes
    sign_private: bytes
    sign_public: bytes

    @classmethod
    def generate(cls) -> MemberKeys:
        enc_priv, enc_pub = crypto.x25519_generate()
        sign_priv, sign_pub = crypto.ed25519_generate()
        return cls(enc_priv, enc_pub, sign_priv, sign_pub)

    @cached_property
    def fingerprint(self) -> str:
        return fingerprint(self.enc_public, self.sign_public)

    def public(self) -> dict:
        return {"enc_pub": self.enc_public.hex(), "sign_pub": self.sign_public.hex()}

    def private_json(self) -> dict:
        """For sealing into the local vault only."""
        return {
            "enc_priv": self.enc_private.hex(),
            "enc_pub": self.enc_public.hex(),
            "sign_priv": self.sign_private.hex(),
            "sign_pub": self.sign_public.hex(),
        }

    @classmethod
    def from_private_json(cls, d: dict) -> MemberKeys:
        return cls(
            bytes.fromhex(d["enc_priv"]),
            bytes.fromhex(d["enc_pub"]),
            bytes.fromhex(d["sign_priv"]),
            bytes.fromhex(d["sign_pub"]),
        )

    @cached_property
    def _signer(self):
        return crypto.ed25519_signer(self.sign_private)

    def sign(self, message: bytes) -> bytes:
        return self._signer.sign(message)
