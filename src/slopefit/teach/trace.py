"""Gradient descent one step at a time, with the gradient autograd computes next to the formula.

For ``Yp = X @ W + B`` and ``L = mean((Yp - Y)^2)`` over N rows, the gradient is

    dL/dW = (2/N) * sum((Yp - Y) * X)        dL/dB = (2/N) * sum(Yp - Y)

and a plain SGD step is ``W <- W - lr * dL/dW``, ``B <- B - lr * dL/dB``: the lesson's
section 02, where the first step from W = B = 1 on the centered heights gives -19.04 and 2.00.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from slopefit.data.datasets import Dataset
from slopefit.solve.scaling import Scaler


@dataclass(frozen=True)
class Step:
    """One step: everything at the parameters before it, and the parameters after it.

    Attributes
    ----------
    W : ndarray, shape (n_features,)
        The coefficients before the step (scaled units).
    B : float
        The intercept before the step (scaled units).
    Yp : ndarray, shape (n_samples,)
        The predictions ``X @ W + B`` before the step (scaled units).
    loss : float
        The MSE of ``Yp`` (scaled units).
    grad_W : ndarray, shape (n_features,)
        ``dL/dW`` from ``loss.backward()``.
    grad_B : float
        ``dL/dB`` from ``loss.backward()``.
    formula_W : ndarray, shape (n_features,)
        ``(2/N) * sum((Yp - Y) * X)``: the same gradient from the closed-form expression.
    formula_B : float
        ``(2/N) * sum(Yp - Y)``.
    W_next : ndarray, shape (n_features,)
        ``W - lr * grad_W``: the coefficients after the step.
    B_next : float
        ``B - lr * grad_B``.
    """

    W: np.ndarray
    B: float
    Yp: np.ndarray
    loss: float
    grad_W: np.ndarray
    grad_B: float
    formula_W: np.ndarray
    formula_B: float
    W_next: np.ndarray
    B_next: float


def trace_steps(data: Dataset, *, steps: int = 3, lr: float = 0.001, scaling: str = "center", init: float = 1.0,
                dtype: str = "float32") -> tuple[list[Step], Scaler]:
    """Run ``steps`` full-batch SGD steps on ``data`` the lesson's way and record each one.

    Always fits an intercept (the lesson's model ``X @ W + B``).

    Parameters
    ----------
    data : Dataset
        The data to step on.
    steps : int, default 3
        How many steps to take and record, >= 1.
    lr : float, default 0.001
        The learning rate (the lesson's), finite and > 0.
    scaling : {"none", "center", "standardize"}, default "center"
        How features and target are scaled before stepping (the lesson centers).
    init : float, default 1.0
        The starting value of every W and of B.
    dtype : {"float32", "float64"}, default "float32"
        The torch dtype of the data and parameters.

    Returns
    -------
    steps : list of Step
        One per step, in order.
    scaler : Scaler
        The scaler fitted on ``data`` (to take W and B back to original units).

    Raises
    ------
    ConfigError
        When ``steps`` is not a whole number >= 1, ``lr`` is not a positive finite number,
        or ``scaling`` is unknown.

    Examples
    --------
    >>> from slopefit.data.sources import builtin
    >>> first = trace_steps(builtin("height-weight"), steps=1)[0][0]
    >>> round(float(first.grad_W[0]), 2), round(first.grad_B, 2), round(float(first.W_next[0]), 4)
    (-19.04, 2.0, 1.019)
    """
    import torch

    from slopefit.errors import ConfigError

    if not (isinstance(steps, int) and steps >= 1):
        raise ConfigError(f"steps must be a whole number >= 1, got steps={steps}")
    if not (math.isfinite(lr) and lr > 0):
        raise ConfigError(f"learning rate must be a positive number, got lr={lr}; the lesson uses lr=0.001")
    scaler = Scaler.fit(data.X, data.y, scaling)
    torch_dtype = getattr(torch, dtype)
    X = torch.as_tensor(scaler.transform_X(data.X), dtype=torch_dtype)  # (n_samples, n_features)
    Y = torch.as_tensor(scaler.transform_y(data.y), dtype=torch_dtype)  # (n_samples,)
    W = torch.full((data.n_features,), float(init), dtype=torch_dtype, requires_grad=True)
    B = torch.tensor(float(init), dtype=torch_dtype, requires_grad=True)
    n = X.shape[0]
    trace = []
    for _ in range(steps):
        Yp = X @ W + B
        loss = ((Yp - Y) ** 2).mean()
        loss.backward()
        assert W.grad is not None and B.grad is not None
        with torch.no_grad():
            residual = Yp - Y  # (n_samples,)
            formula_W = (2.0 / n) * (residual @ X)
            formula_B = (2.0 / n) * residual.sum()
            before = (W.detach().numpy().copy(), float(B))
            W -= lr * W.grad
            B -= lr * B.grad
            trace.append(Step(W=before[0], B=before[1], Yp=Yp.detach().numpy().copy(), loss=float(loss),
                              grad_W=W.grad.numpy().copy(), grad_B=float(B.grad),
                              formula_W=formula_W.numpy().copy(), formula_B=float(formula_B),
                              W_next=W.detach().numpy().copy(), B_next=float(B)))
            W.grad = None
            B.grad = None
    return trace, scaler
