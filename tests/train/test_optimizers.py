"""Optimizer table: names, options and their messages."""

from __future__ import annotations

import pytest
import torch

from slopefit.errors import ConfigError
from slopefit.train.optimizers import OPTIMIZERS, make_optimizer, parse_run


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_every_optimizer_builds_and_steps(name):
    w = torch.ones(2, requires_grad=True)

    def closure():
        opt.zero_grad()
        loss = (w**2).sum()
        loss.backward()
        return loss

    opt = make_optimizer(name, [w], lr=0.1)
    assert type(opt).__name__ == OPTIMIZERS[name].torch_name
    opt.step(closure)
    assert float((w.detach() ** 2).sum()) < 2.0  # one step downhill from (1, 1)


def test_options_are_converted_and_passed():
    w = torch.zeros(1, requires_grad=True)
    opt = make_optimizer("sgd", [w], lr=0.01, options={"momentum": "0.9", "nesterov": "true"})
    assert opt.defaults["momentum"] == 0.9 and opt.defaults["nesterov"] is True
    adam = make_optimizer("adam", [w], lr=0.01, options={"betas": "0.8,0.99"})
    assert adam.defaults["betas"] == (0.8, 0.99)


def test_lbfgs_uses_strong_wolfe_by_default():
    w = torch.zeros(1, requires_grad=True)
    assert make_optimizer("lbfgs", [w], lr=1).defaults["line_search_fn"] == "strong_wolfe"


@pytest.mark.parametrize("name, options, message", [
    ("nadam", {}, "unknown optimizer 'nadam'; choose one of sgd, adam, adamw, rmsprop, adagrad, lbfgs"),
    ("sgd", {"beta": "1"}, "optimizer 'sgd' has no option 'beta'; its options are momentum, dampening"),
    ("sgd", {"momentum": "fast"}, "option momentum='fast' for sgd"),
    ("sgd", {"nesterov": "maybe"}, "expected true or false, got 'maybe'"),
    ("sgd", {"momentum": "-1"}, "sgd option momentum must be in [0, 1), got -1; try 0.9"),
])
def test_bad_optimizer_settings(name, options, message):
    w = torch.zeros(1, requires_grad=True)
    with pytest.raises(ConfigError) as info:
        make_optimizer(name, [w], lr=0.01, options=options)
    assert message in str(info.value)


def test_parse_run():
    assert parse_run("SGD lr=0.01 momentum=0.9") == ("sgd", {"lr": "0.01", "momentum": "0.9"})
    with pytest.raises(ConfigError, match="must start with an optimizer name"):
        parse_run("lr=0.01")
    with pytest.raises(ConfigError, match="write options as key=value"):
        parse_run("sgd momentum")
