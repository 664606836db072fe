"""Hypothesis strategies of hostile JSON: values of any shape (huge integers, NaN, deep
nesting), text that is almost JSON, and edits of a document at a key path; with
:func:`weighted`, the weighted choice every hostile strategy draws with.

Shared by the checkpoint, array and run-folder strategies.
"""

from __future__ import annotations

import json
from typing import Any

from hypothesis import strategies as st


@st.composite
def weighted(draw, *options: tuple[int, st.SearchStrategy]):
    """Draw from one of ``(weight, strategy)`` options (``one_of`` weighs branches equally)."""
    index = draw(st.sampled_from([i for i, (w, _) in enumerate(options) for _ in range(w)]))
    return draw(options[index][1])


# -- JSON ------------------------------------------------------------------------------------
WORDS = ["", "gan", "acgan", "dcgan", "mnist", "fashion-mnist", "ganforge-checkpoint/1", "nan"]
WORDS += ["standing", "../../etc/passwd", "cuda:0", "-1", "1e309", "opt_g", "params"]
scalars = (
    st.none()
    | st.booleans()
    | st.integers(-3, 40)
    | st.integers()
    | st.sampled_from([2**31, 2**53 + 1, 2**63, -(2**63) - 1, 10**30, 10**400])
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.sampled_from(WORDS)
    | st.text(max_size=8)
)
json_values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.sampled_from(WORDS) | st.text(max_size=6), inner, max_size=4)
    ),
    max_leaves=10,
)
deep_json = st.integers(20, 100_000).map(lambda n: "[" * n + "]" * n)
raw_texts = weighted(
    (3, st.text(max_size=40)),
    (2, deep_json),
    (1, st.sampled_from(["", "{", "null", '{"format": 1', "NaN", '{"step": 1' + "0" * 5000 + "}"])),
    (1, json_values.map(lambda v: json.dumps(v)[:-1])),  # cut short
)


def dumps(value: Any) -> str:
    """JSON as Python writes it (NaN and Infinity included)."""
    return json.dumps(value, allow_nan=True)


# -- edits at a key path ---------------------------------------------------------------------
def _key(doc: dict, key: Any) -> Any:
    if isinstance(key, int):
        keys = sorted(doc, key=str)
        return keys[key % len(keys)] if keys else str(key)
    return key


def set_path(doc: Any, path: tuple, value: Any) -> Any:
    """``doc`` with ``value`` at ``path`` (made where missing; an int picks a present key)."""
    if not path:
        return value
    head, rest = path[0], path[1:]
    if isinstance(doc, dict):
        key = _key(doc, head)
        doc[key] = set_path(doc.get(key), rest, value)
        return doc
    if isinstance(doc, list) and doc:
        index = head % len(doc) if isinstance(head, int) else 0
        doc[index] = set_path(doc[index], rest, value)
        return doc
    return {str(head): set_path(None, rest, value)}


def delete_path(doc: Any, path: tuple) -> Any:
    """``doc`` without what is at ``path`` (nothing when it is not there)."""
    head, rest = path[0], path[1:]
    if isinstance(doc, dict) and doc:
        key = _key(doc, head)
        if not rest:
            doc.pop(key, None)
        elif key in doc:
            delete_path(doc[key], rest)
    elif isinstance(doc, list) and doc:
        index = head % len(doc) if isinstance(head, int) else 0
        if not rest:
            del doc[index]
        else:
            delete_path(doc[index], rest)
    return doc
