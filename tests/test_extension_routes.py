"""The extension and the server agree on the API (issue 11.10): every path the extension's code names
is a route the companion serves, and the worker's allow-list for its pages (API_PATHS in
background/main.js) plus the few paths the worker calls itself cover every signed route exactly, so a
route added on one side and forgotten on the other fails here."""

from __future__ import annotations

import re
from pathlib import Path

from companion.server import api
from companion.server.guard import OPENAPI_PATH, PAIR_PATHS

EXTENSION = Path(__file__).resolve().parents[1] / "extension"
MAIN_JS = EXTENSION / "background" / "main.js"
# Signed routes the worker calls on its own, never on a page's behalf (not in API_PATHS on purpose).
WORKER_ONLY = {"/v1/unlock", "/v1/audit/record"}


def allowed_for_pages() -> set[str]:
    text = MAIN_JS.read_text()
    block = re.search(r"const API_PATHS = new Set\(\[(.*?)\]\);", text, re.S)
    assert block, "API_PATHS not found in background/main.js"
    return set(re.findall(r'"(/v1/[a-z/_.]+)"', block.group(1)))


def test_page_allow_list_plus_worker_calls_are_exactly_the_signed_routes():
    pages = allowed_for_pages()
    assert pages.isdisjoint(WORKER_ONLY)
    assert pages | WORKER_ONLY == set(api.ROUTES)


def test_every_path_named_in_the_extension_is_served():
    served = set(api.ROUTES) | set(PAIR_PATHS) | {OPENAPI_PATH}
    named = {
        (path, js.relative_to(EXTENSION).as_posix())
        for js in EXTENSION.rglob("*.js")
        for path in re.findall(r"[\"'`}](/v1/[a-z/_.]+)", js.read_text())
    }
    assert named, "no /v1 path found: the pattern no longer reads the extension"
    assert {(path, where) for path, where in named if path not in served} == set()
