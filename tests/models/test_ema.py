"""The generator weight average: its schedule and its update, against values by hand."""

import pytest
import torch
from torch import nn

from ganforge.models.ema import GeneratorEMA


def test_beta_warms_up_then_stays_at_decay():
    ema = GeneratorEMA(nn.Linear(1, 1), decay=0.99)
    assert ema.beta(0) == pytest.approx(1 / 10)
    assert ema.beta(10) == pytest.approx(11 / 20)
    assert ema.beta(890) == pytest.approx(0.99)  # (1 + 890) / (10 + 890) = 0.99
    assert ema.beta(10_000) == 0.99


def test_update_is_the_weighted_average_and_leaves_batch_norm_statistics_stale():
    net = nn.Sequential(nn.Linear(2, 1, bias=False), nn.BatchNorm1d(1))
    with torch.no_grad():
        net[0].weight.copy_(torch.tensor([[1.0, 2.0]]))
    ema = GeneratorEMA(net, decay=0.9)
    assert not ema.stale
    with torch.no_grad():
        net[0].weight.copy_(torch.tensor([[3.0, -2.0]]))
        net[1].running_mean.fill_(5.0)
    ema.update(net, step=100)  # β = min(0.9, 101/110) = 0.9
    # 0.9·[1, 2] + 0.1·[3, −2] = [1.2, 1.6]
    assert torch.allclose(ema.model[0].weight, torch.tensor([[1.2, 1.6]]))
    # the live G's statistics describe the live weights: not copied, marked stale instead
    assert ema.model[1].running_mean.item() == 0.0 and ema.stale
    ema.update(net, step=0)  # β = 0.1: mostly the live weights
    expected = torch.tensor([[0.1 * 1.2 + 0.9 * 3, 0.1 * 1.6 + 0.9 * -2]])
    assert torch.allclose(ema.model[0].weight, expected)


def test_average_is_a_frozen_copy_in_eval_mode():
    net = nn.Linear(3, 3)
    ema = GeneratorEMA(net, decay=0.999)
    assert ema.model is not net and not ema.model.training
    assert not any(p.requires_grad for p in ema.model.parameters())
    with torch.no_grad():
        net.weight.add_(1.0)
    assert not torch.equal(ema.model.weight, net.weight)  # a copy, not a view


def test_without_batch_norm_nothing_goes_stale():
    net = nn.Linear(2, 2)
    ema = GeneratorEMA(net, decay=0.9)
    ema.update(net, step=5)
    assert not ema.stale


def test_standing_statistics_are_the_equal_weight_average_over_the_batches():
    # dropout before the norm must stay off: with it on, the statistics would be random
    net = nn.Sequential(nn.Dropout(0.9), nn.BatchNorm1d(1, momentum=0.1))
    ema = GeneratorEMA(net, decay=0.9)
    ema.update(net, step=1)
    batches = iter([torch.tensor([[1.0], [3.0]]), torch.tensor([[5.0], [9.0]])])
    ema.recompute_batch_norm(lambda: (next(batches),), batches=2)
    norm = ema.model[1]
    # means 2 and 7 → 4.5; unbiased variances 2 and 8 → 5 (momentum None: equal weights)
    assert norm.running_mean.item() == pytest.approx(4.5)
    assert norm.running_var.item() == pytest.approx(5.0)
    assert norm.momentum == 0.1 and not norm.training and not ema.model.training
    assert not ema.stale
    # recomputing starts from reset statistics: the same batches give the same result
    batches = iter([torch.tensor([[1.0], [3.0]]), torch.tensor([[5.0], [9.0]])])
    ema.recompute_batch_norm(lambda: (next(batches),), batches=2)
    assert norm.running_mean.item() == pytest.approx(4.5)
