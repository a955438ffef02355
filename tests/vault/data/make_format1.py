"""How format1.sqlite was made: a format-1 vault written by the code before issue 9.8.

    git archive 594a629 companion | tar -x -C /tmp/oldcode
    PYTHONPATH=/tmp/oldcode python tests/vault/data/make_format1.py tests/vault/data/format1.sqlite

Password "format one password". It prints the two HOTP codes it took (RFC 4226 counters 0 and 1:
755224, 287082), so the next one is counter 2's, 359152.
"""

import sys
from pathlib import Path

from companion.otp import OtpParams
from companion.vault import Vault

out = Path(sys.argv[1])
v = Vault.create(out, "format one password", kdf_ms=1)
v.add_customer("Acme", notes="HQ")
m = v.add_entry(
    "Acme", "Mail", username="bob", password="pw-mail", urls=["https://mail.acme.example"]
)
t = v.add_entry("Acme", "Token", username="tok")
v.add_customer("Globex")
v.add_entry("Globex", "VPN", username="dave", password="pw-vpn")
v.set_otp(
    m.id,
    OtpParams(type="totp", secret="JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP", issuer="Acme", account="bob"),
)
v.set_otp(t.id, OtpParams(type="hotp", secret="GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ", counter=0))
print([v.code(t.id).code for _ in range(2)])
v.close()
