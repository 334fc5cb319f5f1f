"""The JSON the storage writes: any plain JSON value comes back equal; NaN never goes in."""

from __future__ import annotations

import json
import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from storage.models import from_json, to_json

JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**30), max_value=10**30)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)


@given(JSON)
def test_a_plain_value_comes_back_equal_and_reads_as_standard_json(value: object) -> None:
    text = to_json(value)
    assert from_json(text) == value
    assert json.loads(text) == value
    assert text == json.dumps(value, ensure_ascii=False, separators=(",", ":"))


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf, {"a": [1, math.nan]}])
def test_nan_and_infinity_are_refused(bad: object) -> None:
    with pytest.raises(ValueError, match="Out of range float"):
        to_json(bad)


@pytest.mark.parametrize("bad", [object(), b"bytes", {"when": object()}])
def test_what_json_cannot_say_is_refused(bad: object) -> None:
    with pytest.raises(TypeError):
        to_json(bad)


def test_a_value_holding_itself_is_refused() -> None:
    looped: list[object] = []
    looped.append(looped)
    with pytest.raises(ValueError, match="Circular reference"):
        to_json(looped)
