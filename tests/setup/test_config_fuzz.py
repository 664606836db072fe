"""make_config fuzzed: whatever overrides it gets (unknown and near-miss keys, any value type,
impossible values), the only error is a one-line ConfigError, and what it accepts is valid."""

import dataclasses
import math

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ganforge.config import TrainConfig
from ganforge.errors import ConfigError
from ganforge.models import RECIPES
from ganforge.setup.build import config_from_dict, make_config

NAMES = sorted(RECIPES)
MODEL_KEYS = sorted(
    {f.name for cls in RECIPES.values() for f in dataclasses.fields(cls.config_cls)}
)
TRAIN_KEYS = [f.name for f in dataclasses.fields(TrainConfig)]


@st.composite
def near_miss(draw, words: list[str]) -> str:
    """A real name with one typo: a letter dropped, doubled, swapped or changed, or case."""
    word = draw(st.sampled_from(words))
    i = draw(st.integers(0, len(word) - 1))
    kind = draw(st.sampled_from(["drop", "double", "swap", "change", "upper"]))
    if kind == "drop":
        return word[:i] + word[i + 1 :]
    if kind == "double":
        return word[:i] + word[i] + word[i:]
    if kind == "swap" and i + 1 < len(word):
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    if kind == "upper":
        return word.upper()
    return word[:i] + draw(st.sampled_from("aeiou_-.1 ")) + word[i + 1 :]


@st.composite
def weighted(draw, *options: tuple[int, st.SearchStrategy]):
    """Draw from one of ``(weight, strategy)`` options (``one_of`` weighs branches equally)."""
    index = draw(st.sampled_from([i for i, (w, _) in enumerate(options) for _ in range(w)]))
    return draw(options[index][1])


def keys(words: list[str]) -> st.SearchStrategy:
    """Mostly real keys (so that values get checked), then typos, then anything."""
    return weighted(
        (6, st.sampled_from(words)),
        (2, near_miss(words)),
        (1, st.text(max_size=8)),
        (1, st.integers(-2, 2)),
    )


# Values of every YAML-ish type, weighted towards the edges: 0, negatives, huge, NaN, inf.
scalars = (
    st.none()
    | st.booleans()
    | st.integers(-3, 3)
    | st.integers()
    | st.sampled_from([2**63, -(2**63), 10**30])
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.sampled_from(["", "nan", "inf", "-1", "1e-4", "auto", "cpu", "cuda:9", "stop", "relu"])
    | st.text(max_size=6)
)
values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.tuples(inner, inner)
        | st.dictionaries(st.text(max_size=4), inner, max_size=3)
    ),
    max_leaves=6,
)
sections = {
    "model": weighted((4, st.dictionaries(keys(MODEL_KEYS), values, max_size=4)), (1, values)),
    "train": weighted((4, st.dictionaries(keys(TRAIN_KEYS), values, max_size=4)), (1, values)),
    "dataset": st.sampled_from(["mnist", "fashion-mnist", "mnsit", "cifar"]) | values,
    "recipe": values,
}
overrides = weighted(
    (5, st.fixed_dictionaries({}, optional=sections)),
    (1, st.dictionaries(keys(list(sections)), values, max_size=3)),
)
recipes = weighted(
    (8, st.sampled_from(NAMES)), (1, st.none()), (1, near_miss(NAMES)), (1, st.text(max_size=6))
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(recipe=recipes, overrides=overrides)
def test_make_config_raises_only_one_line_config_errors(recipe, overrides):
    try:
        cfg = make_config(recipe, overrides=overrides)
    except ConfigError as err:
        message = str(err)
        assert message and "\n" not in message, message
        return
    # Accepted means valid and stable: it validates, and its saved form rebuilds it exactly.
    cfg.validate()
    assert config_from_dict(cfg.to_dict()) == cfg
    for f in dataclasses.fields(cfg.model):
        value = getattr(cfg.model, f.name)
        assert not (isinstance(value, float) and not math.isfinite(value)), f.name
