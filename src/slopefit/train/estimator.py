"""``LinearRegressor``: slopefit as a scikit-learn estimator.

Thin: it validates input the scikit-learn way and delegates to :func:`slopefit.train.training.fit`
(``solver="gd"``) or returns the plan's exact optimum (``solver="exact"``,
:func:`slopefit.train.plan.plan_fit`). scikit-learn is an optional dependency
(``pip install slopefit[sklearn]``), imported when this module is.
"""

from __future__ import annotations

import warnings

import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.utils.validation import _check_sample_weight, check_is_fitted, validate_data

from slopefit.data.datasets import Dataset, check_weights
from slopefit.errors import convergence_warning
from slopefit.solve.minimum_norm import nonunique_note
from slopefit.solve.penalties import Penalty
from slopefit.train.config import TrainConfig
from slopefit.train.messages import convergence_message
from slopefit.train.plan import plan_fit
from slopefit.train.training import fit

SOLVERS = ("gd", "exact")


class LinearRegressor(RegressorMixin, BaseEstimator):
    """Ordinary least squares fitted by gradient descent on PyTorch (or exactly).

    Parameters
    ----------
    solver : {"gd", "exact"}, default "gd"
        ``"gd"`` trains with a torch optimizer; ``"exact"`` solves least squares in float64.
    optimizer : str, default "sgd"
        sgd, adam, adamw, rmsprop, adagrad or lbfgs.
    lr : float or None, default None
        Learning rate, > 0. None: chosen from the curvature of the data (heavy-ball lr and
        momentum for sgd, lr 1 for lbfgs; adaptive optimizers ask for one), and training stops
        once every coefficient is within 1e-9 of the least-squares optimum.
    momentum : float or None, default None
        Momentum for sgd and rmsprop. None: chosen with the lr when lr is None; 0.9 for sgd with
        an lr; the optimizer's own default otherwise.
    epochs : int or None, default None
        Full-batch updates, or passes over the data with ``batch_size``. None: 1000 with an lr,
        a budget of 100000 without.
    batch_size : int or None, default None
        Minibatch size; None trains on the full batch.
    scaling : {"none", "center", "standardize"}, default "standardize"
        Scaling applied before training; ``coef_`` and ``intercept_`` are in the data's own units.
    tol : float or None, default None
        Stop when the loss changes by at most ``tol * loss`` in one epoch.
    fit_intercept : bool, default True
        Learn the intercept; False fits a line through the origin.
    optimizer_options : dict or None, default None
        Further options of the optimizer, torch's names (``{"nesterov": True}``).
    dtype : {"auto", "float32", "float64"}, default "auto"
        "auto": float64 on the stats engine (full batch), float32 on the rows (minibatches).
    random_state : int or None, default None
        Seeds the minibatch shuffle.
    engine : {"auto", "stats", "data"}, default "auto"
        ``"stats"`` trains full batch on the sufficient statistics (one pass, then O(D^2) per
        epoch); ``"data"`` on the rows; ``"auto"`` picks stats unless ``batch_size`` is set.
    device : {"cpu", "cuda", "mps"}, default "cpu"
        Where the tensors live.
    penalty : {None, "ridge", "lasso", "elasticnet"}, default None
        A penalty on the coefficients with scikit-learn's objective and ``alpha``: ``Ridge``,
        ``Lasso`` or ``ElasticNet`` (see :mod:`slopefit.solve.penalties`); the intercept is unpenalised.
        Gradient descent minimises it (proximal sgd steps for the L1 part: exact zeros).
    alpha : float, default 1.0
        The penalty's strength, >= 0 (scikit-learn's ``alpha``); unused without a penalty.
    l1_ratio : float, default 0.5
        The elastic net's L1 share, in [0, 1] (scikit-learn's ``l1_ratio``).

    Attributes
    ----------
    coef_ : ndarray of shape (n_features,)
    intercept_ : float
    n_features_in_ : int
    feature_names_in_ : ndarray of str, when X has string column names
    history_ : slopefit.train.results.History or None (exact solver)
    n_iter_ : int, epochs run (0 for the exact solver)
    result_ : slopefit.train.results.FitResult or None (exact solver)
    note_ : str or None
        With fewer rows than parameters or collinear columns least squares has many answers; both
        solvers give the minimum-norm one in the units of ``scaling`` (the point gradient descent
        from zero reaches; :mod:`slopefit.solve.minimum_norm`), and ``note_`` says so in one line.
        None when the answer is unique.

    Examples
    --------
    >>> import numpy as np
    >>> X, y = np.array([[166.], [176.], [171.], [173.], [169.]]), np.array([58.7, 75.7, 62.1, 70.4, 60.1])
    >>> round(float(LinearRegressor().fit(X, y).coef_[0]), 4)
    1.8207
    """

    def __init__(self, *, solver: str = "gd", optimizer: str = "sgd", lr: float | None = None,
                 momentum: float | None = None, epochs: int | None = None, batch_size: int | None = None,
                 scaling: str = "standardize", tol: float | None = None, fit_intercept: bool = True,
                 optimizer_options: dict | None = None, dtype: str = "auto",
                 random_state: int | None = None, engine: str = "auto", device: str = "cpu",
                 penalty: str | None = None, alpha: float = 1.0, l1_ratio: float = 0.5) -> None:
        self.solver = solver
        self.optimizer = optimizer
        self.lr = lr
        self.momentum = momentum
        self.epochs = epochs
        self.batch_size = batch_size
        self.scaling = scaling
        self.tol = tol
        self.fit_intercept = fit_intercept
        self.optimizer_options = optimizer_options
        self.dtype = dtype
        self.random_state = random_state
        self.engine = engine
        self.device = device
        self.penalty = penalty
        self.alpha = alpha
        self.l1_ratio = l1_ratio

    def fit(self, X, y, sample_weight=None):
        """Fit the model to X of shape (n_samples, n_features) and y of shape (n_samples,).

        Parameters
        ----------
        X : array-like, shape (n_samples, n_features)
            Training features, n_samples >= 2, finite.
        y : array-like, shape (n_samples,)
            Training target, numeric.
        sample_weight : array-like, shape (n_samples,), or None, default None
            Weights >= 0 of the rows (weighted least squares, statsmodels' ``WLS``); with a penalty
            they weight the squares as scikit-learn's ``sample_weight`` does.

        Returns
        -------
        LinearRegressor
            ``self``, fitted.

        Raises
        ------
        ValueError
            When ``solver`` is unknown, or X, y fail scikit-learn's validation.
        ConfigError
            When a setting is out of range (lr, epochs, optimizer, options...).
        DivergenceError, DataError
            When gradient descent diverges, or a feature is constant (see :func:`slopefit.train.training.fit`).
        """
        if self.solver not in SOLVERS:
            raise ValueError(f"solver must be one of {', '.join(SOLVERS)}, got {self.solver!r}")
        X, y = validate_data(self, X, y, y_numeric=True, dtype=np.float64, ensure_min_samples=2)
        weights = None
        if sample_weight is not None:  # scikit-learn's own checks and words first (shape, dtype), then ours
            weights = _check_sample_weight(sample_weight, X, dtype=np.float64, ensure_non_negative=True)
            if not weights.sum() > 0:
                raise ValueError("Sample weights must contain at least one non-zero number; give some rows a "
                                 "weight > 0")
            weights = check_weights(weights, n_rows=X.shape[0])
        data = Dataset(X=X, y=y, feature_names=tuple(f"x{j}" for j in range(X.shape[1])), target_name="y",
                       name="array", weights=weights)
        if self.solver == "exact":  # the plan's reference: the same answer gd reaches, also where it is not unique
            solution = plan_fit(data, TrainConfig(penalty=self._penalty(), fit_intercept=self.fit_intercept,
                                                  scaling=self.scaling)).exact
            self.coef_, self.intercept_ = solution.coef, float(solution.intercept)
            self.history_, self.n_iter_, self.result_ = None, 0, None
            self.note_ = nonunique_note(solution)
            return self
        result = fit(data, self._config())
        if not result.converged:  # scikit-learn's convention: warn, keep the fitted line (GridSearchCV scores it)
            warnings.warn(convergence_message(result, exact="solver='exact'"), convergence_warning(), stacklevel=2)
        self.coef_, self.intercept_ = result.coef, float(result.intercept)
        self.history_, self.n_iter_, self.result_ = result.history, result.epochs_run, result
        self.note_ = nonunique_note(result.ols or result.exact)
        return self

    def _config(self) -> TrainConfig:
        options = dict(self.optimizer_options or {})
        momentum = self.momentum
        if momentum is None and self.optimizer == "sgd" and self.lr is not None:
            momentum = 0.9
        if momentum is not None:
            options["momentum"] = momentum
        if self.random_state is None:
            seed = int(np.random.SeedSequence().generate_state(1, dtype=np.uint64)[0] >> np.uint64(1))
        else:
            seed = int(self.random_state)
        return TrainConfig(optimizer=self.optimizer, lr=self.lr, epochs=self.epochs, options=options,
                           batch_size=self.batch_size, scaling=self.scaling, fit_intercept=self.fit_intercept,
                           tol=self.tol, seed=seed, dtype=self.dtype, log_every=1, engine=self.engine,
                           device=self.device, penalty=self._penalty())

    def _penalty(self) -> Penalty | None:
        return None if self.penalty is None else Penalty(self.penalty, self.alpha, l1_ratio=self.l1_ratio)

    def predict(self, X) -> np.ndarray:
        """Predictions ``X @ coef_ + intercept_``.

        Parameters
        ----------
        X : array-like, shape (n_samples, n_features)
            Features with as many columns as at fit time.

        Returns
        -------
        ndarray, shape (n_samples,)

        Raises
        ------
        sklearn.exceptions.NotFittedError
            When called before :meth:`fit`.
        """
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, dtype=np.float64)
        return X @ self.coef_ + self.intercept_

