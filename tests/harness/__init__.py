"""The one test harness, shared by the tests and the benches (issue 10 item 15).

- `harness.ports.free_port()`: a free TCP port on 127.0.0.1.
- `harness.companion_process`: a temp vault (kdf_ms=1) and a real `otpc serve` subprocess on a free
  port (`RunningCompanion`), its stderr captured so tests can check what the logs hold.
- `harness.cli_runner`: the real `otpc`, in a subprocess or in-process (`Otpc`), and
  `one_line_error()` for the never-a-traceback rule.
- `harness.protoclient`: a client of the companion written only from docs/protocol.md.

pytest finds it through `pythonpath = ["tests"]` (pyproject.toml); scripts outside pytest (bench/,
tests/vectors/) put `tests/` on sys.path themselves. The old module names (tests/cli/cli_harness.py,
tests/server/companion_harness.py, tests/server/protoclient.py) stay as aliases of these modules.
"""
