"""One step at a time: the lesson's section 02 numbers, and autograd against the formula."""

from __future__ import annotations

import numpy as np
import pytest

from slopefit.data.datasets import make_synthetic
from slopefit.data.sources import builtin
from slopefit.teach.trace import trace_steps


def test_the_first_step_is_the_lessons():
    steps, _ = trace_steps(builtin("height-weight"), steps=1)  # centered, W = B = 1, lr 0.001
    first = steps[0]
    np.testing.assert_allclose(first.Yp, [-4.0, 6.0, 1.0, 3.0, -1.0])
    assert first.loss == pytest.approx(13.352, abs=5e-5)
    assert first.grad_W[0] == pytest.approx(-19.04, abs=1e-4) and first.grad_B == pytest.approx(2.0, abs=1e-5)
    assert first.W_next[0] == pytest.approx(1.01904, abs=1e-6) and first.B_next == pytest.approx(0.998, abs=1e-6)


@pytest.mark.parametrize("scaling, lr", [("none", 1e-3), ("center", 0.01), ("standardize", 0.1)])
def test_autograd_equals_the_formula_in_float64(scaling, lr):
    steps, _ = trace_steps(make_synthetic(50, 3, seed=21, offset=4.0), steps=4, lr=lr, scaling=scaling,
                           init=0.5, dtype="float64")
    for step in steps:
        # two orders of a sum of 50 terms of size <= 8 differ by <= 50*u*8 = 4e-14: atol for a gradient near 0
        np.testing.assert_allclose(step.grad_W, step.formula_W, rtol=1e-12, atol=1e-13)
        assert step.grad_B == pytest.approx(step.formula_B, rel=1e-12, abs=1e-13)
        np.testing.assert_allclose(step.W_next, step.W - lr * step.grad_W, rtol=1e-14)
    assert steps[-1].loss < steps[0].loss
