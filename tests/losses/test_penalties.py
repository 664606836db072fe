"""WGAN-GP gradient penalty and R1: hand-computed values, per-sample ε, double backward."""

import pytest
import torch
from torch import Tensor, nn

from ganforge.losses import gradient_penalty, r1_penalty


def linear_critic(w: Tensor):
    def critic(x: Tensor) -> Tensor:
        return x.flatten(1) @ w

    return critic


class Recorder:
    """Critic C(x) = sum(x) that remembers the x̂ it was called with."""

    def __init__(self) -> None:
        self.seen: list[Tensor] = []

    def __call__(self, x: Tensor) -> Tensor:
        self.seen.append(x.detach().clone())
        return x.flatten(1).sum(dim=1)


@pytest.mark.parametrize("shape", [(8, 6), (8, 2, 3), (8, 1, 2, 3), (8, 1, 1, 2, 3)])
def test_zero_for_unit_norm_linear_critic_any_rank(shape: tuple[int, ...]) -> None:
    # ∇ₓ (x·w) = w everywhere, so with ‖w‖ = 1 every (‖∇‖ - 1)² is 0.
    w = torch.randn(6, dtype=torch.float64)
    w = w / w.norm()
    real = torch.randn(shape, dtype=torch.float64)
    fake = torch.randn(shape, dtype=torch.float64)
    gp = gradient_penalty(linear_critic(w), real, fake)
    assert gp.item() == pytest.approx(0.0, abs=1e-12)


def test_linear_critic_with_norm_three_gives_four() -> None:
    # ‖w‖ = 3 → (3 - 1)² = 4 for every sample, whatever ε is.
    w = torch.tensor([2.0, 1.0, 2.0], dtype=torch.float64)
    gp = gradient_penalty(linear_critic(w), torch.randn(5, 3).double(), torch.randn(5, 3).double())
    assert gp.item() == pytest.approx(4.0)


def test_quadratic_critic_hand_value() -> None:
    # C(x) = ½‖x‖² has ∇ = x. With real = fake, x̂ = real whatever ε is:
    # row [3, 4] → ‖∇‖ = 5 → 16;  row [0.6, 0.8] → ‖∇‖ = 1 → 0;  mean = 8.
    x = torch.tensor([[3.0, 4.0], [0.6, 0.8]], dtype=torch.float64)

    def critic(v: Tensor) -> Tensor:
        return 0.5 * (v**2).sum(dim=1)

    assert gradient_penalty(critic, x, x.clone()).item() == pytest.approx(8.0)


def test_epsilon_is_drawn_per_sample_and_broadcast() -> None:
    # real = 1, fake = 0 → x̂ᵢ = εᵢ at every pixel of sample i.
    rec = Recorder()
    real, fake = torch.ones(16, 1, 4, 4), torch.zeros(16, 1, 4, 4)
    gradient_penalty(rec, real, fake, weight_generator=torch.Generator().manual_seed(0))
    (x_hat,) = rec.seen
    eps = x_hat.flatten(1)
    assert torch.equal(eps, eps[:, :1].expand_as(eps)), "ε must be constant within a sample"
    assert eps[:, 0].unique().numel() == 16, "ε must differ across the batch"
    assert bool(((eps >= 0) & (eps <= 1)).all())


def test_normal_mix_reproduces_out_of_segment_quirk() -> None:
    rec = Recorder()
    real, fake = torch.ones(64, 3), torch.zeros(64, 3)
    gen = torch.Generator().manual_seed(0)
    gradient_penalty(rec, real, fake, weight_generator=gen, mix="normal")
    eps = rec.seen[0][:, 0]
    # N(0, 1) puts ~2/3 of the weights outside [0, 1], i.e. off the real–fake segment.
    assert bool(((eps < 0) | (eps > 1)).any())


def test_weight_generator_makes_penalty_reproducible() -> None:
    torch.manual_seed(0)
    critic = nn.Sequential(nn.Flatten(), nn.Linear(12, 8), nn.Tanh(), nn.Linear(8, 1))
    real, fake = torch.randn(4, 3, 2, 2), torch.randn(4, 3, 2, 2)
    a = gradient_penalty(critic, real, fake, weight_generator=torch.Generator().manual_seed(7))
    b = gradient_penalty(critic, real, fake, weight_generator=torch.Generator().manual_seed(7))
    c = gradient_penalty(critic, real, fake, weight_generator=torch.Generator().manual_seed(8))
    assert torch.equal(a, b)
    assert not torch.equal(a, c)


def test_penalty_gradient_reaches_critic_parameters_hand_value() -> None:
    # GP(w) = (‖w‖ - 1)², ∂GP/∂w = 2(‖w‖ - 1) w/‖w‖; w = (3, 4): 2·4·(3, 4)/5 = (4.8, 6.4).
    w = torch.tensor([3.0, 4.0], dtype=torch.float64, requires_grad=True)
    gp = gradient_penalty(linear_critic(w), torch.randn(3, 2).double(), torch.randn(3, 2).double())
    gp.backward()
    assert gp.item() == pytest.approx(16.0)
    assert w.grad is not None
    torch.testing.assert_close(w.grad, torch.tensor([4.8, 6.4], dtype=torch.float64))


def test_double_backward_through_nonlinear_critic_and_fake_is_detached() -> None:
    torch.manual_seed(0)
    critic = nn.Sequential(nn.Flatten(), nn.Linear(8, 16), nn.Tanh(), nn.Linear(16, 1))
    generator_weight = nn.Parameter(torch.ones(1))
    fake = torch.randn(4, 2, 2, 2) * generator_weight
    gp = gradient_penalty(critic, torch.randn(4, 2, 2, 2), fake)
    gp.backward()
    # Every parameter shapes ∇ₓC except the output bias, which shifts C but not its gradient.
    *shaping, output_bias = critic.parameters()
    for p in shaping:
        assert p.grad is not None and bool(p.grad.abs().sum() > 0)
    assert output_bias.grad is None
    assert generator_weight.grad is None


def test_input_validation() -> None:
    critic = linear_critic(torch.ones(3))
    with pytest.raises(ValueError, match="mix"):
        gradient_penalty(critic, torch.zeros(2, 3), torch.zeros(2, 3), mix="beta")
    with pytest.raises(ValueError, match="rank"):
        gradient_penalty(critic, torch.zeros(3), torch.zeros(3))
    with pytest.raises(ValueError, match="same shape"):
        gradient_penalty(critic, torch.zeros(2, 3), torch.zeros(3, 3))


# -- R1 ------------------------------------------------------------------------------------------
def test_r1_of_a_linear_d_is_its_squared_weight_norm() -> None:
    # ∇ₓ (x·w + b) = w for every sample, so R1 = ‖w‖² = 3² + 4² = 25.
    w = torch.tensor([3.0, 0.0, 4.0], dtype=torch.float64)
    real = torch.randn(5, 1, 3, dtype=torch.float64).requires_grad_(True)
    scores = real.flatten(1) @ w + 2.0
    assert r1_penalty(real, scores).item() == pytest.approx(25.0)


def test_r1_averages_per_sample_squared_norms() -> None:
    # D(x) = Σ x²: ∇ = 2x, so sample (1, 2) gives 4·5 = 20 and (0, 3) gives 4·9 = 36 → 28.
    real = torch.tensor([[1.0, 2.0], [0.0, 3.0]], dtype=torch.float64).requires_grad_(True)
    scores = (real**2).sum(1, keepdim=True)
    assert r1_penalty(real, scores).item() == pytest.approx(28.0)


def test_r1_reaches_d_parameters_through_double_backward() -> None:
    # D(x) = (x·w)²/2: ∇ₓ = (x·w) w, R1 = mean (x·w)² ‖w‖²; ∂R1/∂w by hand for one sample.
    w = torch.tensor([1.0, 2.0], dtype=torch.float64, requires_grad=True)
    x = torch.tensor([[3.0, -1.0]], dtype=torch.float64, requires_grad=True)
    r1 = r1_penalty(x, (x @ w) ** 2 / 2)
    r1.backward()
    s, n2 = 3.0 - 2.0, 1.0 + 4.0  # x·w and ‖w‖²
    expected = [2 * s * xi * n2 + 2 * s**2 * wi for xi, wi in ((3.0, 1.0), (-1.0, 2.0))]
    assert w.grad.tolist() == pytest.approx(expected)


def test_r1_refuses_a_batch_that_records_no_gradient() -> None:
    real = torch.randn(2, 3)
    with pytest.raises(ValueError, match="requires_grad"):
        r1_penalty(real, real.sum(1))
