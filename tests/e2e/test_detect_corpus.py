"""The detection gate: every page of tests/corpus/ through the real extension in the session's
Chromium. `make test` fails when recall drops below 95 %, when any field that must stay empty is
filled, or when a code that does not fit the boxes is not refused with its message."""

from __future__ import annotations

import pytest

from .corpus_runner import corpus_pages, run_corpus

pytestmark = pytest.mark.e2e


def test_corpus_is_big_enough():
    names = [p.name for p in corpus_pages()]
    assert len([n for n in names if not n.startswith(("decoy-", "mismatch-"))]) >= 40
    assert len([n for n in names if n.startswith("decoy-")]) >= 10


def test_recall_at_least_95_percent_and_no_false_fill(browser):
    result = run_corpus(browser.context, browser.worker)
    assert result.false_fills == 0, f"decoys filled on: {result.falsely_filled()}"
    assert result.recall >= 0.95, f"recall {result.recall:.1%}; missed: {result.missed()}"
    assert result.refusal_pages and not result.wrong_refusals(), result.wrong_refusals()
