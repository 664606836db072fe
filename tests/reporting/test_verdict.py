"""The verdict rule on hand-made numbers: best arm, and a lead against the seed spread."""

from ganforge.reporting.verdict import judge


def test_a_lead_beyond_the_seed_spread_is_clear():
    v = judge("FID", {"gan": (30.0, 1.0), "dcgan": (20.0, 2.0), "acgan": (25.0, 1.5)}, False)
    assert (v.best, v.clear) == ("dcgan", True)
    assert v.text == (
        "FID: dcgan is best (20 ± 2), ahead of acgan (25 ± 1.5) by 5, "
        "more than the seed spread (3.5)."
    )


def test_a_lead_within_the_seed_spread_is_not():
    v = judge("recall", {"gan": (0.50, 0.03), "dcgan": (0.52, 0.02)}, True, "{:.2f}".format)
    assert (v.best, v.clear) == ("dcgan", False)
    assert "by 0.02, within the seed spread (0.05): not a clear lead." in v.text


def test_one_seed_one_arm_no_values_and_ties():
    one_seed = judge("FID", {"a": (10.0, None), "b": (12.0, None)}, False)
    assert (one_seed.best, one_seed.clear) == ("a", None)
    assert one_seed.text.endswith("with one seed the spread is unknown.")
    alone = judge("class accuracy", {"gan": (None, None), "acgan": (0.9, 0.01)}, True)
    assert (alone.best, alone.clear) == ("acgan", None)
    assert alone.text == "class accuracy: only acgan has a value (0.9 ± 0.01)."
    assert judge("FID", {"a": (None, None)}, False).best is None
    tie = judge("FID", {"a": (5.0, 1.0), "b": (5.0, 0.5)}, False)
    assert (tie.best, tie.clear) == ("a", False) and "tie" in tie.text


def test_higher_or_lower_is_better():
    stats = {"a": (1.0, 0.1), "b": (2.0, 0.1)}
    assert judge("x", stats, True).best == "b"
    assert judge("x", stats, False).best == "a"


def test_a_tie_names_every_arm_tied_at_the_top():
    stats = {"a": (10.0, None), "b": (9.0, None), "c": (10.0, None), "d": (10.0, None)}
    tie = judge("classes covered", stats, True, "{:.1f}".format)
    assert tie.text == "classes covered: a, c and d tie (10.0)."
