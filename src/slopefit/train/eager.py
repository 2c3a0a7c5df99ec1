"""torch.optim's optimizers, stepped exactly as torch steps them, without importing ``torch._dynamo``.

torch guards a few optimizer methods against being traced by its compiler: ``add_param_group``,
``zero_grad``, ``state_dict``, ``load_state_dict`` and the functional updates (``torch.optim.sgd.sgd``,
``adam``, ...) are wrapped by ``torch._disable_dynamo``, and ``step`` by a wrapper that calls
``torch._dynamo.graph_break()``. Both import ``torch._dynamo`` on their first call: about 2.5 s,
more than ``import torch`` itself, for a run that never compiles anything.

Here the same functions are called without that import:

* ``torch._disable_dynamo`` keeps the disabled form of a function in its ``__dynamo_disable``
  attribute once made; a function marked as its own disabled form is called as it is. Outside
  ``torch.compile`` disabling is a no-op, so the call is the one torch makes.
* ``step`` is called under the grad mode torch's wrapper sets (``defaults["differentiable"]``);
  ``graph_break()`` does nothing outside a compiled region.

The updates are torch's own code on the same tensors: bit for bit the same trajectories
(``tests/train/test_optimizers.py`` compares them with ``torch.optim`` stepped the usual way).
Hooks registered with ``register_optimizer_step_pre_hook`` and friends are not called for the
optimizers made here (slopefit registers none).
"""

from __future__ import annotations

import functools
from typing import Any

DISABLED_FORM = "__dynamo_disable"  # where torch._disable_dynamo keeps a function's disabled form
FUNCTIONAL = ("sgd", "adam", "adamw", "rmsprop", "adagrad")  # torch.optim.<name>.<name>: the updates


def _as_own_disabled_form(wrapper: Any) -> None:
    """Mark the function ``wrapper`` wraps (``functools.wraps``) as its own disabled form."""
    inner = getattr(wrapper, "__wrapped__", None)
    if inner is not None and getattr(inner, DISABLED_FORM, None) is None:
        setattr(inner, DISABLED_FORM, inner)


def prepare() -> None:
    """Mark torch.optim's dynamo-guarded functions (idempotent; called before an optimizer is made)."""
    import importlib

    from torch.optim.optimizer import Optimizer

    for name in ("add_param_group", "zero_grad", "state_dict", "load_state_dict"):
        _as_own_disabled_form(getattr(Optimizer, name))
    for name in FUNCTIONAL:
        module = importlib.import_module(f"torch.optim.{name}")
        _as_own_disabled_form(getattr(module, name))


def eager(optimizer: Any) -> Any:
    """``optimizer`` with its ``step`` called past torch's compiler guard (see the module docstring).

    Parameters
    ----------
    optimizer : torch.optim.Optimizer
        Made after :func:`prepare`.

    Returns
    -------
    torch.optim.Optimizer
        The same object; ``optimizer.step(closure)`` runs torch's update under the grad mode
        torch's own wrapper sets.
    """
    import torch

    step = type(optimizer).step
    while step is not None and getattr(step, "__code__", None) is not None and step.__code__.co_name != "_use_grad":
        step = getattr(step, "__wrapped__", None)
    if step is None or not hasattr(step, "__wrapped__"):
        return optimizer  # no compiler guard on this step (lbfgs: torch.no_grad only)
    update = step.__wrapped__
    differentiable = bool(optimizer.defaults.get("differentiable", False))

    @functools.wraps(update)
    def eager_step(closure=None):
        with torch.set_grad_enabled(differentiable):
            return update(optimizer, closure)

    optimizer.step = eager_step
    return optimizer
