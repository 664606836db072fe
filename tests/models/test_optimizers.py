"""The optimizers by name: fused Adam and SGD make the same updates as PyTorch's reference
(for-loop) implementation, and Yogi comes from pytorch-optimizer."""

import pytest
import torch
from torch import nn

from ganforge.models.optimizers import make_optimizer


def _steps(optimizer_of, steps: int = 5) -> list[torch.Tensor]:
    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(16, 32), nn.LeakyReLU(0.2), nn.Linear(32, 1))
    opt = optimizer_of(net.parameters())
    x = torch.randn(64, 16)
    for _ in range(steps):
        opt.zero_grad(set_to_none=True)
        net(x).pow(2).mean().backward()
        opt.step()
    return [p.detach().clone() for p in net.parameters()]


@pytest.mark.parametrize("name", ["adam", "sgd"])
def test_fused_updates_equal_the_reference_implementation(name):
    ours = _steps(lambda p: make_optimizer(name, p, 1e-2, (0.5, 0.999)))
    if name == "adam":
        reference = _steps(lambda p: torch.optim.Adam(p, 1e-2, (0.5, 0.999), foreach=False))
    else:
        reference = _steps(lambda p: torch.optim.SGD(p, 1e-2, foreach=False))
    untrained = _steps(lambda p: torch.optim.SGD(p, 0.0))
    for a, b, c in zip(ours, reference, untrained, strict=True):
        torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-6)
        assert not torch.equal(a, c)  # the steps did move the weights


def test_fused_kernels_on_cpu_and_the_others_by_name():
    params = [nn.Parameter(torch.zeros(3))]
    assert make_optimizer("adam", params, 1e-3, (0.5, 0.999)).defaults["fused"] is True
    yogi = make_optimizer("yogi", params, 1e-3, (0.5, 0.999))
    assert type(yogi).__name__ == "Yogi" and yogi.defaults["eps"] == 1e-3
    with pytest.raises(ValueError, match="unknown optimizer 'rmsprop'"):
        make_optimizer("rmsprop", params, 1e-3, (0.5, 0.999))
