"""The data behind the Operation pane's plot: any z, however large, lands on it."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from neurodebug.engine.activations import ACTIVATIONS
from neurodebug.engine.curves import activation_curve

PLOTTED = sorted(name for name, act in ACTIVATIONS.items() if not act.per_layer)


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from(PLOTTED),
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(2, 200),
)
def test_z_always_lands_on_the_plot(name, z, points):
    curve = activation_curve(name, z, points)
    assert curve is not None
    assert curve.gs.shape == (points,)
    assert np.isfinite(curve.gs).all()
    if np.isfinite(z):
        assert 0 <= curve.column < points
        if abs(z) <= curve.hi:  # inside the window: the marker is where z is
            step = (curve.hi - curve.lo) / (points - 1)
            assert abs(curve.zs[curve.column] - z) <= step / 2 * (1 + 1e-9)
    else:
        assert curve.column is None


def test_a_z_beyond_the_widest_window_sits_at_its_edge():
    assert activation_curve("sigmoid", 2.5e305, 55).column == 54
    assert activation_curve("relu", -1.7e308, 55).column == 0
    assert activation_curve("softmax", 1.0, 55) is None  # a whole-layer activation has no curve
