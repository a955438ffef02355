"""Field detection over the corpus (tests/corpus/): recall and false fills, in real headless Chromium
with the real extension. Recall: code pages whose every code field received its part of the code.
False fills: inputs marked "must stay empty" that changed (decoy pages and decoys beside code fields).
Goals (the gate test enforces them): recall >= 95 %, zero false fills, every length mismatch refused.

    .venv/bin/python bench/detect_corpus.py [-v]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))  # tests/harness, which the e2e fixtures use

from tests.e2e.conftest import CHROMIUM, EXTENSION  # noqa: E402
from tests.e2e.corpus_runner import run_corpus  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-v", "--verbose", action="store_true", help="one line per page")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as profile, sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            profile, executable_path=CHROMIUM, headless=True,
            args=["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync",
                  f"--disable-extensions-except={EXTENSION}", f"--load-extension={EXTENSION}",
                  "--host-resolver-rules=MAP *.test 127.0.0.1"])
        workers = [w for w in context.service_workers if w.url.startswith("chrome-extension://")]
        worker = workers[0] if workers else context.wait_for_event("serviceworker", timeout=15_000)
        result = run_corpus(context, worker)
        context.close()
    if args.verbose:
        for p in result.pages:
            status = "ok" if (p.found or not p.expected) and not p.false_fills else "FAIL"
            print(f"  {status:4} {p.name:45} fill={p.expected} false={p.false_fills} reply={p.reply}")
    code_pages = result.code_pages
    print(f"detection corpus: {len(result.pages)} pages ({len(code_pages)} with a code field, "
          f"{len(result.decoy_pages)} decoy pages, {len(result.refusal_pages)} length mismatches)")
    print(f"  recall:       {result.recall:.1%} ({sum(p.found for p in code_pages)}/{len(code_pages)})"
          + (f"  missed: {', '.join(result.missed())}" if result.missed() else ""))
    print(f"  false fills:  {result.false_fills}"
          + (f"  on: {', '.join(result.falsely_filled())}" if result.falsely_filled() else ""))
    refused = len(result.refusal_pages) - len(result.wrong_refusals())
    print(f"  refusals:     {refused}/{len(result.refusal_pages)} length mismatches refused with their message")
    print(f"  time:         {result.seconds:.1f} s for the corpus in one Chromium")


if __name__ == "__main__":
    main()
