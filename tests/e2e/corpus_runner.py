"""Runs the detection corpus (tests/corpus/) through the real extension in one Chromium.

For each page: open it, let the extension's content scripts find the best field in every frame (the
probe background/frames.js sends), send the fill message the popup's Fill button ends in, then read
every input of every frame (open shadow roots included) and compare with the page's data-expect marks.
Used by bench/detect_corpus.py (prints the figures) and tests/e2e/test_detect_corpus.py (the gate).
"""

from __future__ import annotations

import functools
import http.server
import re
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

CORPUS = Path(__file__).resolve().parents[1] / "corpus"
HOST = "mfa.corpus.test"
CODES = {"totp": "492817", "steam": "K7M2Q"}

# Mirrors bestFrame() in background/frames.js: the best-scoring frame wins, the top frame on ties.
_FILL_IN_WORKER = """async ({url, code}) => {
  const tab = (await chrome.tabs.query({})).find(t => t.url === url);
  const probe = () => {
    const t = globalThis.OTPC_DETECT && globalThis.OTPC_FILL_LOADED
      ? globalThis.OTPC_DETECT.findTarget(document) : undefined;
    if (t === undefined) return {missing: true};
    return t ? {kind: t.kind, score: t.score} : null;
  };
  let results = [];
  for (let i = 0; i < 100; i++) {
    results = await chrome.scripting.executeScript({target: {tabId: tab.id, allFrames: true}, func: probe});
    if (!results.some(r => r.result?.missing)) break;
    await new Promise(r => setTimeout(r, 30));
  }
  const found = results.filter(r => r.result && !r.result.missing)
    .map(r => ({frameId: r.frameId, ...r.result}))
    .sort((a, b) => b.score - a.score || a.frameId - b.frameId);
  if (!found.length) return {filled: 0};
  const reply = await chrome.tabs.sendMessage(tab.id,
    {op: "otpc-fill", code, submit: false, useContextTarget: false}, {frameId: found[0].frameId});
  return reply ?? {filled: 0};
}"""

_READ_INPUTS = """() => {
  const out = [];
  const walk = (root) => {
    for (const el of root.querySelectorAll("*")) {
      if (el.tagName !== "INPUT") { if (el.shadowRoot) walk(el.shadowRoot); continue; }
      const box = el.type === "checkbox" || el.type === "radio";
      out.push({expect: el.dataset.expect || "empty", value: box ? String(el.checked) : el.value,
        initial: box ? String(el.defaultChecked) : el.defaultValue});
      if (el.shadowRoot) walk(el.shadowRoot);
    }
  };
  walk(document);
  return out;
}"""


@dataclass
class PageResult:
    name: str
    expected: int  # inputs marked fill
    found: bool  # every fill input got its part of the code
    false_fills: int  # inputs marked empty whose value changed
    refusal: str | None = None  # the refusal the page expects, if any
    reply: dict = field(default_factory=dict)


@dataclass
class CorpusResult:
    pages: list[PageResult]
    seconds: float

    @property
    def code_pages(self) -> list[PageResult]:
        return [p for p in self.pages if p.expected and not p.refusal]

    @property
    def recall(self) -> float:
        pages = self.code_pages
        return sum(p.found for p in pages) / len(pages)

    @property
    def false_fills(self) -> int:
        return sum(p.false_fills for p in self.pages)

    @property
    def decoy_pages(self) -> list[PageResult]:
        return [p for p in self.pages if not p.expected and not p.refusal]

    @property
    def refusal_pages(self) -> list[PageResult]:
        return [p for p in self.pages if p.refusal]

    def missed(self) -> list[str]:
        return [p.name for p in self.code_pages if not p.found]

    def falsely_filled(self) -> list[str]:
        return [p.name for p in self.pages if p.false_fills]

    def wrong_refusals(self) -> list[str]:
        return [p.name for p in self.refusal_pages if not p.found]


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


class CorpusServer:
    """Serves tests/corpus on a free port (one origin for a page and its frames)."""

    def __enter__(self):
        handler = functools.partial(_QuietHandler, directory=str(CORPUS))
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def url(self, name: str) -> str:
        return f"http://{HOST}:{self.port}/{name}"

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


def corpus_pages() -> list[Path]:
    return sorted(CORPUS.glob("*.html"))


def _attr(html: str, name: str) -> str | None:
    match = re.search(rf'<html[^>]*\b{name}="([^"]*)"', html)
    return match.group(1) if match else None


def run_page(context, worker, url: str, path: Path, tab) -> PageResult:
    html = path.read_text(encoding="utf-8")
    code = CODES[_attr(html, "data-code") or "totp"]
    refusal = _attr(html, "data-refuse")
    tab.goto(url)
    reply = worker.evaluate(_FILL_IN_WORKER, {"url": url, "code": code})
    inputs = [i for frame in tab.frames for i in frame.evaluate(_READ_INPUTS)]
    to_fill = [i for i in inputs if i["expect"] == "fill"]
    false_fills = sum(1 for i in inputs if i["expect"] != "fill" and i["value"] != i["initial"])
    if refusal:
        found = reply.get("refused") == refusal and reply.get("filled", 0) == 0
    elif len(to_fill) == 1:
        found = to_fill[0]["value"] == code
    else:
        found = bool(to_fill) and [i["value"] for i in to_fill] == list(code)
    return PageResult(path.name, len(to_fill), found, false_fills, refusal, reply)


def run_corpus(context, worker) -> CorpusResult:
    """Every corpus page through the extension in `context` (a Chromium with the extension loaded)."""
    start = time.perf_counter()
    results = []
    with CorpusServer() as server:
        tab = context.new_page()
        try:
            for path in corpus_pages():
                results.append(run_page(context, worker, server.url(path.name), path, tab))
        finally:
            tab.close()
    return CorpusResult(results, time.perf_counter() - start)
