"""FID, KID and the Inception Score: the distribution-level scores, delegated to torchmetrics
(fed the precomputed features or logits through an identity "network").

FID depends on the sample sizes, so compare it only at equal ``n_real`` and ``n_fake``.

torchmetrics is imported inside the three functions that use it: importing it costs seconds,
which code that only imports this module (the CLI, the class statistics) should not pay.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import torch
from torch import Tensor, nn

from ganforge.evaluation.metric_inputs import check_matrix, check_pair

# Logits are floored at this log-probability before the Inception Score: a logit gap over
# ~745 makes softmax exactly 0 in float64, and a class with zero probability in a whole split
# turns torchmetrics' p·(log p − log p̄) into 0·∞ = NaN. e^-600 ≈ 1e-261 changes no digit.
_MIN_LOG_PROB = -600.0


class _Passthrough(nn.Module):
    """The "feature network" handed to torchmetrics: returns its input unchanged.

    ``num_features`` is read by ``FrechetInceptionDistance``; without it torchmetrics would
    probe the module with a random 3×299×299 image to learn the feature size.
    """

    def __init__(self, num_features: int) -> None:
        super().__init__()
        self.num_features = num_features

    def forward(self, x: Tensor) -> Tensor:
        return x


def _seeded(seed: int, fn: Callable[[], Any]) -> Any:
    """Run ``fn`` with the CPU generator seeded to ``seed``, restoring the caller's stream.

    torchmetrics draws its subsets (KID) and shuffle (IS) from torch's global CPU generator
    inside ``compute``. ``fork_rng(devices=[])`` saves and restores only the CPU state, so the
    seeding must touch only the CPU generator too: ``torch.manual_seed`` would also reseed
    every CUDA generator, which ``fork_rng(devices=[])`` would not restore.
    """
    with torch.random.fork_rng(devices=[]):
        torch.default_generator.manual_seed(seed)
        return fn()


def fid(real_features: Tensor, fake_features: Tensor) -> float:
    r"""Fréchet distance between Gaussians fitted to two feature sets (Heusel et al. 2017).

    .. math::
        \mathrm{FID} = \lVert\mu_r - \mu_f\rVert_2^2
            + \operatorname{Tr}\bigl(\Sigma_r + \Sigma_f - 2(\Sigma_r\Sigma_f)^{1/2}\bigr)

    with :math:`\mu, \Sigma` the sample mean and the *unbiased* (``n - 1``) sample covariance
    of each set, as torchmetrics computes them. For 1-D features this is
    :math:`(\mu_r-\mu_f)^2 + (\sigma_r-\sigma_f)^2`.

    Sample-size caveat: the estimate is biased upwards by an amount that shrinks roughly like
    ``1/n`` (and grows with the feature width ``d``), so two FIDs are comparable only when
    computed from the same ``n_real`` and ``n_fake`` — always report ``n``.

    Heusel, Ramsauer, Unterthiner, Nessler, Hochreiter, "GANs Trained by a Two Time-Scale
    Update Rule Converge to a Local Nash Equilibrium", NeurIPS 2017.

    Args:
        real_features: ``N×d`` features of real samples (``N >= 2``).
        fake_features: ``M×d`` features of generated samples (``M >= 2``).

    Returns:
        The FID, computed in float64.
    """
    from torchmetrics.image.fid import FrechetInceptionDistance

    real, fake = check_pair(real_features, fake_features, min_rows=2)
    metric = FrechetInceptionDistance(feature=_Passthrough(real.shape[1])).to(real.device)
    # The running sums are float64 states whatever the input; feeding float64 features also
    # makes the result float64 (torchmetrics casts it back to the features' dtype).
    metric.update(real, real=True)
    metric.update(fake, real=False)
    return float(metric.compute())


def kid(
    real_features: Tensor,
    fake_features: Tensor,
    subsets: int = 100,
    subset_size: int = 1000,
    seed: int = 0,
) -> tuple[float, float]:
    r"""Kernel Inception Distance: unbiased MMD² with a cubic kernel (Bińkowski et al. 2018).

    .. math::
        k(x, y) = \left(\tfrac{x^\top y}{d} + 1\right)^3, \qquad
        \mathrm{KID} = \frac{1}{m(m-1)}\sum_{i\ne j}\bigl(k(r_i,r_j) + k(f_i,f_j)\bigr)
            - \frac{2}{m^2}\sum_{i,j} k(r_i, f_j)

    averaged over ``subsets`` random subsets of ``m = subset_size`` samples drawn (without
    replacement) from each side. Being unbiased, a single estimate can be negative; the mean
    over subsets is ≈ 0 for samples of the same distribution whatever ``m``, which is why KID,
    unlike FID, can be compared across sample sizes (its variance still depends on them).

    ``subset_size`` is clamped to ``min(n_real, n_fake)`` (torchmetrics raises otherwise);
    with ``subset_size >= max(n_real, n_fake)`` every subset is the whole set, so the std is 0.

    Bińkowski, Sutherland, Arbel, Gretton, "Demystifying MMD GANs", ICLR 2018.

    Args:
        real_features: ``N×d`` features of real samples.
        fake_features: ``M×d`` features of generated samples; ``min(N, M) >= 2``.
        subsets: number of random subsets averaged.
        subset_size: samples per subset and side, before clamping.
        seed: seeds the subset draw; the caller's global RNG state is left untouched.

    Returns:
        ``(mean, std)`` over subsets; the std is torchmetrics' population std (``ddof=0``) of
        the subset estimates — their spread, not the standard error of the mean.
    """
    from torchmetrics.image.kid import KernelInceptionDistance

    real, fake = check_pair(real_features, fake_features, min_rows=2)
    if not isinstance(subsets, int) or subsets < 1:
        raise ValueError(f"subsets must be a positive integer, got {subsets!r}")
    if not isinstance(subset_size, int) or subset_size < 2:
        raise ValueError(f"subset_size must be an integer >= 2, got {subset_size!r}")
    size = min(subset_size, real.shape[0], fake.shape[0])
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*will save all extracted features")
        metric = KernelInceptionDistance(
            feature=_Passthrough(real.shape[1]), subsets=subsets, subset_size=size
        ).to(real.device)
    # KID keeps the features as given and computes the kernel in their dtype: float64 here.
    metric.update(real, real=True)
    metric.update(fake, real=False)
    mean, std = _seeded(seed, metric.compute)
    return float(mean), float(std)


def inception_score(logits: Tensor, splits: int = 10, seed: int = 0) -> tuple[float, float]:
    r"""Inception Score of classifier logits (Salimans et al. 2016).

    .. math::
        \mathrm{IS} = \exp\Bigl(\mathbb{E}_x\, \mathrm{KL}\bigl(p(y\mid x)\,\Vert\,p(y)\bigr)\Bigr)

    with :math:`p(y)` the mean prediction, computed separately on each of ``splits`` equal
    parts of the shuffled samples. It ranges from 1 (every sample gets the same prediction) to
    ``K`` (confident predictions spread evenly over the ``K`` classes). It ignores the real
    data entirely, so it rewards sharp, class-balanced samples, not realistic ones.

    Salimans, Goodfellow, Zaremba, Cheung, Radford, Chen, "Improved Techniques for Training
    GANs", NeurIPS 2016.

    Args:
        logits: ``N×K`` classifier logits, ``N >= splits``.
        splits: number of parts; ``splits=1`` makes the std NaN (one value).
        seed: seeds the shuffle before splitting; the caller's RNG state is left untouched.

    Returns:
        ``(mean, std)`` over splits; the std is torchmetrics' unbiased (``ddof=1``) one.
    """
    from torchmetrics.image.inception import InceptionScore

    logits = check_matrix("logits", logits)
    if not isinstance(splits, int) or splits < 1:
        raise ValueError(f"splits must be a positive integer, got {splits!r}")
    if logits.shape[0] < splits:
        # torch.chunk would silently return fewer splits than asked for.
        raise ValueError(f"inception_score needs at least {splits} samples, got {logits.shape[0]}")
    log_probs = logits.log_softmax(dim=1).clamp_min(_MIN_LOG_PROB)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*will save all extracted features")
        metric = InceptionScore(feature=_Passthrough(logits.shape[1]), splits=splits)
    metric = metric.to(logits.device)
    metric.update(log_probs)  # softmax(log p) = p: the score only sees probabilities
    with warnings.catch_warnings():
        # One split has no spread: torch warns about the std of one value (NaN, documented).
        warnings.filterwarnings("ignore", message=r"std\(\): degrees of freedom")
        mean, std = _seeded(seed, metric.compute)
    return float(mean), float(std)
