"""The `otpc` command line. Empty on purpose: `otpc code`'s fast path (fast.py) imports this package
and must not pay for click; the click tree lives in main.py."""
