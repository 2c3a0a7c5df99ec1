"""The objective: the model ``Yp = X @ W + B`` and its mean squared error.

Also the curvature of that objective. MSE is quadratic in theta = (W, B): with
``A = [X, 1]`` its Hessian is the constant matrix ``H = (2/N) A^T A``, and full-batch
gradient descent is stable exactly when ``lr < 2 / lambda_max(H)``.
"""

from __future__ import annotations

import numpy as np


def predict(X, W, B=None):
    """The model's predictions ``Yp = X @ W + B`` (torch tensors, or anything with ``@`` and ``+``).

    Parameters
    ----------
    X : Tensor, shape (n_samples, n_features)
        The (scaled) features.
    W : Tensor, shape (n_features,)
        The coefficients.
    B : Tensor, shape (1,) or (), or None, default None
        The intercept; None for a line through the origin.

    Returns
    -------
    Tensor, shape (n_samples,)

    Examples
    --------
    >>> import numpy as np
    >>> predict(np.array([[1.0], [2.0]]), np.array([3.0]), 1.0)
    array([4., 7.])
    """
    out = X @ W  # (n_samples,)
    return out if B is None else out + B


def mse(y_pred, y):
    """Mean squared error ``((y_pred - y) ** 2).mean()``, as in the lesson.

    Parameters
    ----------
    y_pred : Tensor, shape (n_samples,)
        Predictions.
    y : Tensor, shape (n_samples,)
        Targets, same shape and dtype as ``y_pred``.

    Returns
    -------
    Tensor, shape ()
        The mean of the squared residuals (keeps the autograd graph).

    Examples
    --------
    >>> import numpy as np
    >>> float(mse(np.array([1.0, 3.0]), np.array([0.0, 0.0])))
    5.0
    """
    return ((y_pred - y) ** 2).mean()


def hessian(X: np.ndarray, *, fit_intercept: bool = True) -> np.ndarray:
    """The MSE Hessian ``(2/N) A^T A`` with ``A = [X, 1]`` (or ``A = X`` without intercept), float64.

    Parameters
    ----------
    X : ndarray, shape (n_samples, n_features)
        The features, n_samples >= 1.
    fit_intercept : bool, default True
        Whether the model has an intercept (the column of ones in ``A``).

    Returns
    -------
    ndarray, shape (n_params, n_params)
        n_params = n_features (+ 1 with an intercept; the intercept comes last).

    Examples
    --------
    >>> import numpy as np
    >>> hessian(np.array([[1.0], [3.0]]))
    array([[10.,  4.],
           [ 4.,  2.]])
    """
    X = np.asarray(X, dtype=np.float64)
    n_samples, n_features = X.shape
    gram = X.T @ X  # (n_features, n_features); the blocks of A^T A, without copying X into A
    if fit_intercept:
        sums = X.sum(axis=0)
        gram = np.block([[gram, sums[:, None]], [sums[None, :], np.array([[float(n_samples)]])]])
    return (2.0 / n_samples) * gram


def stable_lr_bound(X: np.ndarray, *, fit_intercept: bool = True) -> float:
    """Largest learning rate for which full-batch gradient descent on MSE converges: ``2 / lambda_max``.

    Parameters
    ----------
    X : ndarray, shape (n_samples, n_features)
        The features the optimizer sees (scaled, if the run scales).
    fit_intercept : bool, default True
        Whether the model has an intercept.

    Returns
    -------
    float
        ``2 / lambda_max(H)``, > 0; ``inf`` when the Hessian is 0 (all features 0, no intercept).

    Examples
    --------
    >>> import numpy as np
    >>> round(stable_lr_bound(np.array([[-5.], [5.], [0.], [2.], [-2.]])), 4)
    0.0862
    """
    lam_max = float(np.linalg.eigvalsh(hessian(X, fit_intercept=fit_intercept))[-1])
    return 2.0 / lam_max if lam_max > 0 else float("inf")


def mse_float64(X: np.ndarray, y: np.ndarray, coef: np.ndarray, intercept: float, *,
                fit_intercept: bool = True) -> float:
    """MSE of ``(coef, intercept)`` on ``(X, y)`` in float64, in the data's own units.

    With an intercept, residuals are formed in centered coordinates, so that large column
    offsets (heights near 170, timestamps, ...) do not cancel away the digits that tell two
    fits apart. Without one there is nothing to center around: the line passes through 0.

    Parameters
    ----------
    X : ndarray, shape (n_samples, n_features)
        The features in original units.
    y : ndarray, shape (n_samples,)
        The target in original units.
    coef : ndarray, shape (n_features,)
        The coefficients of the line.
    intercept : float
        The intercept of the line (ignored when ``fit_intercept`` is False).
    fit_intercept : bool, default True
        Whether the line has an intercept.

    Returns
    -------
    float
        The mean squared residual, >= 0.

    Examples
    --------
    >>> import numpy as np
    >>> mse_float64(np.array([[0.0], [1.0], [2.0]]), np.array([1.0, 3.0, 4.0]), np.array([2.0]), 1.0)
    0.3333333333333333
    """
    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    coef = np.asarray(coef, dtype=np.float64)
    if not fit_intercept:
        return float(np.mean((y - X @ coef) ** 2))
    x_mean = X.mean(axis=0)
    y_mean = float(y.mean())
    shift = float(intercept) + float(x_mean @ coef) - y_mean  # the fit's error at the centroid
    residual = (y - y_mean) - (X - x_mean) @ coef - shift  # (n_samples,)
    return float(np.mean(residual**2))


def stack_params(W, B):
    """theta = (W, B) as one vector.

    Parameters
    ----------
    W : Tensor, shape (n_features,)
    B : Tensor, shape (1,), or None

    Returns
    -------
    Tensor, shape (n_params,)
        ``W`` itself when ``B`` is None, else ``W`` followed by ``B``.
    """
    import torch

    return W if B is None else torch.cat([W, B])
