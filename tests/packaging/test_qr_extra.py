"""Issue 10 item 12: reading QR images needs the `qr` extra (zxing-cpp, Pillow); without it, importing
an image is one clear line naming the extra, and everything else still works (showing a QR code
uses segno, a core dependency). The extra's modules are hidden from a real `otpc` subprocess by a
sitecustomize that refuses to import them, as on an install without the extra."""

from __future__ import annotations

import json

import pytest
import segno
from harness.cli_runner import one_line_error

pytestmark = pytest.mark.slow  # otpc subprocesses

HIDE = '''
import importlib.abc, sys

class NoQrExtra(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("zxingcpp", "PIL"):
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None

sys.meta_path.insert(0, NoQrExtra())
'''

URI = "otpauth://totp/Acme:tech?secret=JBSWY3DPEHPK3PXP&issuer=Acme"


def test_qr_image_without_the_extra_is_one_line(otpc, tmp_path):
    hidden = tmp_path / "hide"
    hidden.mkdir()
    (hidden / "sitecustomize.py").write_text(HIDE)
    image = tmp_path / "setup.png"
    segno.make(URI).save(str(image), scale=4)
    env = {"PYTHONPATH": str(hidden)}
    r = otpc.run("import", str(image), "--customer", "Acme", env=env)
    line = one_line_error(r)
    assert "otp-companion[qr]" in line and "otpauth://" in line
    assert r.code == 1
    # the same image imports when the extra is there, and the rest of otpc never needed it
    assert otpc.run("import", str(image), "--customer", "Acme").code == 0
    (entry,) = json.loads(otpc.run("entry", "list", "--json", env=env).out)
    png = tmp_path / "out.png"
    r = otpc.run("otp", "qr", entry["id"], "--yes", "--png", str(png), env=env)
    assert r.code == 0, r.err
    assert png.read_bytes().startswith(b"\x89PNG")
