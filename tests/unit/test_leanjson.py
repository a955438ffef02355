"""companion/cli/leanjson.py gives what `json` gives (it drives json's own C parser and escaper), so
`otpc code` can skip importing json."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from companion.cli import leanjson

scalars = (st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False)
           | st.text())
values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4)
                      | st.dictionaries(st.text(), inner, max_size=4), max_leaves=20)


@given(values, st.booleans())
def test_loads_reads_what_json_writes(value, ascii_only):
    text = json.dumps(value, ensure_ascii=ascii_only)
    assert leanjson.loads(text) == json.loads(text)
    assert leanjson.loads(f" \n{text}\r\n\t") == json.loads(text)


@given(st.dictionaries(st.text(), scalars, max_size=6))
def test_dumps_flat_writes_what_json_writes(obj):
    assert leanjson.dumps_flat(obj) == json.dumps(obj)


@pytest.mark.parametrize("text", ["", " ", "{", '{"a": 1', '{"a": 1} x', "{} {}", "NaN",
                                  '{"a": Infinity}', '{"a": -Infinity}', "'a'", '{"a": 01}',
                                  '"\x01"', "\x0b{}"])
def test_loads_refuses_what_is_not_one_json_value(text):
    with pytest.raises(ValueError):
        leanjson.loads(text)


@pytest.mark.parametrize("obj", [{"a": [1]}, {"a": {}}, {1: "a"}, {"a": float("nan")},
                                 {"a": float("inf")}, {"a": b"x"}, ["a"]])
def test_dumps_flat_hands_anything_else_back_to_json(obj):
    with pytest.raises(TypeError):
        leanjson.dumps_flat(obj)
