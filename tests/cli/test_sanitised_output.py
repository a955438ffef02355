"""Issue 9 item 16: text from imports or the API reaches the terminal escaped, never raw."""

import json

from companion.cli.common import printable

OSC52 = "\x1b]52;c;aGVsbG8=\x07"  # writes "hello" to the terminal's clipboard
BIDI = "\u202egnp.exe"


def test_printable_escapes_c0_c1_del_and_bidi():
    assert printable(OSC52) == "\\x1b]52;c;aGVsbG8=\\x07"
    assert printable("a\x9bb\x7f") == "a\\x9bb\\x7f"
    assert printable(BIDI) == "\\u202egnp.exe"
    assert printable("Müller/Mail ✓") == "Müller/Mail ✓"


def test_show_and_list_never_print_control_sequences(otpc):
    otpc.ok("customer", "add", "Acme")
    otpc.ok("entry", "add", "--customer", "Acme", "--title", "mail", "--username", "bob" + OSC52,
            "--notes", "line one\nline two " + OSC52, "--tag", BIDI)
    otpc.ok("otp", "set", "Acme/mail", "-", "--issuer", "Evil" + OSC52,
            input="JBSWY3DPEHPK3PXP\n")
    for args in (("entry", "show", "Acme/mail"), ("entry", "list")):
        out = otpc.ok(*args)
        assert "\x1b" not in out and "\x07" not in out and "\u202e" not in out
        assert "\\x1b]52" in out
    show = otpc.ok("entry", "show", "Acme/mail")
    assert "line one" in show and "line two" in show
    # JSON is for programs: the data stays exactly as stored.
    data = json.loads(otpc.ok("entry", "show", "Acme/mail", "--json"))
    assert data["username"] == "bob" + OSC52 and data["otp"]["issuer"] == "Evil" + OSC52
