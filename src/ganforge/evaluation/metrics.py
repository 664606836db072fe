"""Sample-quality metrics on feature and logit matrices (never on images).

Every function takes the classifier's outputs for a set of real and a set of generated
(fake) samples — features ``N×d`` and logits ``N×K`` — so each can be tested on synthetic
points with hand-computed answers. FID, KID and the Inception Score are delegated to
torchmetrics (fed the precomputed features through an identity "network"); the nearest-
neighbour metrics and the class statistics are implemented here.

Which numbers are comparable: FID and the nearest-neighbour metrics depend on the sample
sizes, so compare them only at equal ``n_real`` and ``n_fake`` (``summarize`` reports both).

torchmetrics is imported inside the three functions that use it: importing it costs seconds,
which code that only imports this module (the CLI, the class statistics) should not pay.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Iterator
from typing import Any

import torch
from torch import Tensor, nn

__all__ = [
    "class_histogram",
    "class_kl_from_uniform",
    "classes_covered",
    "conditional_accuracy",
    "density_coverage",
    "fid",
    "inception_score",
    "kid",
    "per_class_fid",
    "precision_recall",
    "summarize",
]

# Rows of one block of pairwise distances: a 1,000 × 10,000 float64 block is 80 MB, where
# the whole 10,000 × 10,000 matrix would be 800 MB.
_CHUNK_ROWS = 1000
# The neighbour that sets each ball's radius: precision/recall (Kynkäänniemi et al.) and
# density/coverage (Naeem et al.), as their authors chose them.
PR_K, DC_K = 3, 5

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


# --------------------------------------------------------------------------------------------
# Input checks


def _check_matrix(name: str, x: Tensor, min_rows: int = 1) -> Tensor:
    """``x`` as a detached float64 matrix, after checking its shape and values."""
    if not isinstance(x, Tensor) or x.dim() != 2:
        shape = tuple(x.shape) if isinstance(x, Tensor) else type(x).__name__
        raise ValueError(f"{name} must be a 2-D tensor (N×d), got {shape}")
    if x.shape[0] < min_rows:
        raise ValueError(f"{name} needs at least {min_rows} rows, got {x.shape[0]}")
    if x.shape[1] < 1:
        raise ValueError(f"{name} has no columns")
    if x.is_floating_point() and not bool(torch.isfinite(x).all()):
        raise ValueError(f"{name} contains NaN or infinite values")
    return x.detach().to(torch.float64)


def _check_pair(
    real: Tensor, fake: Tensor, min_rows: int = 1, names: tuple[str, str] = ("real", "fake")
) -> tuple[Tensor, Tensor]:
    """Both feature matrices as float64, checked for equal width and device."""
    real = _check_matrix(f"{names[0]}_features", real, min_rows)
    fake = _check_matrix(f"{names[1]}_features", fake, min_rows)
    if real.shape[1] != fake.shape[1]:
        raise ValueError(
            f"real and fake features differ in width: {real.shape[1]} vs {fake.shape[1]}"
        )
    if real.device != fake.device:
        raise ValueError(f"real features are on {real.device}, fake ones on {fake.device}")
    return real, fake


def _check_labels(name: str, labels: Tensor, n: int, num_classes: int) -> Tensor:
    """``labels`` as a 1-D int64 tensor of length ``n`` with values in ``[0, num_classes)``."""
    if not isinstance(labels, Tensor) or labels.shape != (n,):
        shape = tuple(labels.shape) if isinstance(labels, Tensor) else type(labels).__name__
        raise ValueError(f"{name} must hold one label per sample ({n}), got {shape}")
    if labels.is_floating_point() or labels.is_complex() or labels.dtype == torch.bool:
        raise ValueError(f"{name} must be integers, got {labels.dtype}")
    labels = labels.to(torch.int64)
    if n and (int(labels.min()) < 0 or int(labels.max()) >= num_classes):
        low, high = int(labels.min()), int(labels.max())
        raise ValueError(f"{name} must lie in [0, {num_classes}), got values {low}..{high}")
    return labels


def _check_num_classes(num_classes: int) -> None:
    if not isinstance(num_classes, int) or num_classes < 1:
        raise ValueError(f"num_classes must be a positive integer, got {num_classes!r}")


# --------------------------------------------------------------------------------------------
# torchmetrics-backed metrics


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

    real, fake = _check_pair(real_features, fake_features, min_rows=2)
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

    real, fake = _check_pair(real_features, fake_features, min_rows=2)
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

    logits = _check_matrix("logits", logits)
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


# --------------------------------------------------------------------------------------------
# Nearest-neighbour metrics


def _distance_blocks(
    rows: Tensor, columns: Tensor, chunk_size: int
) -> Iterator[tuple[int, Tensor]]:
    """``(start, D)`` for consecutive row blocks: ``D[i, j] = ‖rows[start + i] − columns[j]‖``.

    The matrix-product form of ``cdist`` is ~5× faster than the difference form; in float64
    its cancellation error (~1e-16·‖x‖²) is far below any distance that matters. The mode is
    fixed rather than left to torch's size heuristic so that every chunk size gives the same
    arithmetic.
    """
    if not isinstance(chunk_size, int) or chunk_size < 1:
        raise ValueError(f"chunk_size must be a positive integer, got {chunk_size!r}")
    for start in range(0, rows.shape[0], chunk_size):
        block = rows[start : start + chunk_size]
        yield start, torch.cdist(block, columns, compute_mode="use_mm_for_euclid_dist")


def _kth_neighbour_distance(x: Tensor, k: int, chunk_size: int) -> Tensor:
    """Distance from each row of ``x`` to its ``k``-th nearest *other* row.

    Self-distances are excluded by index, not by value, so a duplicated point still counts as
    a neighbour at distance 0.
    """
    return _kth_neighbour_distances(x, (k,), chunk_size)[0]


def _kth_neighbour_distances(x: Tensor, ks: tuple[int, ...], chunk_size: int) -> list[Tensor]:
    """:func:`_kth_neighbour_distance` for each of ``ks``, from one pass over the distances
    (the ``k``-th smallest of a row is the same whether ``k`` or more are taken)."""
    n = x.shape[0]
    radii = [torch.empty(n, dtype=x.dtype, device=x.device) for _ in ks]
    for start, block in _distance_blocks(x, x, chunk_size):
        rows = torch.arange(block.shape[0], device=x.device)
        block[rows, start + rows] = math.inf
        nearest = block.topk(max(ks), dim=1, largest=False).values
        for r, k in zip(radii, ks, strict=True):
            r[start : start + block.shape[0]] = nearest[:, k - 1]
    return radii


def _check_k(k: int, n_real: int, n_fake: int, need_fake: bool) -> None:
    if not isinstance(k, int) or k < 1:
        raise ValueError(f"k must be a positive integer, got {k!r}")
    if n_real <= k or (need_fake and n_fake <= k):
        raise ValueError(
            f"k={k} nearest neighbours need more than {k} samples per set, "
            f"got {n_real} real and {n_fake} fake"
        )


def precision_recall(
    real_features: Tensor, fake_features: Tensor, k: int = PR_K, chunk_size: int = _CHUNK_ROWS
) -> tuple[float, float]:
    r"""Improved precision and recall via k-NN balls (Kynkäänniemi et al. 2019).

    Each sample spans a ball whose radius is the distance to its ``k``-th nearest *other*
    sample of its own set; the union of a set's balls estimates its support (manifold).

    .. math::
        \mathrm{precision} = \frac{1}{M}\sum_j 1\bigl[\exists i:
            \lVert f_j - r_i\rVert < \mathrm{NND}_k(r_i)\bigr], \qquad
        \mathrm{recall} = \frac{1}{N}\sum_i 1\bigl[\exists j:
            \lVert r_i - f_j\rVert < \mathrm{NND}_k(f_j)\bigr]

    Precision is the fraction of fakes inside the real support (quality), recall the
    fraction of reals inside the fake support (diversity). Balls are open (``<``), as in
    Naeem et al.'s code (the authors' own uses ``<=``; the two differ only for points exactly
    on a boundary, e.g. duplicates). Both depend on ``k`` and the sample sizes: compare at
    equal ``n``.

    Kynkäänniemi, Karras, Laine, Lehtinen, Aila, "Improved Precision and Recall Metric for
    Assessing Generative Models", NeurIPS 2019.

    Args:
        real_features: ``N×d`` real features, ``N > k``.
        fake_features: ``M×d`` fake features, ``M > k``.
        k: the neighbour that sets each radius.
        chunk_size: rows of each block of pairwise distances (memory ``chunk_size × max(N, M)``).

    Returns:
        ``(precision, recall)``, each in ``[0, 1]``.
    """
    real, fake = _check_pair(real_features, fake_features)
    precision, recall, _, _ = _ball_metrics(real, fake, k, None, chunk_size)
    return precision, recall


def density_coverage(
    real_features: Tensor, fake_features: Tensor, k: int = DC_K, chunk_size: int = _CHUNK_ROWS
) -> tuple[float, float]:
    r"""Density and coverage: k-NN balls around real samples only (Naeem et al. 2020).

    With :math:`B(r_i, \mathrm{NND}_k(r_i))` the open ball around real sample :math:`r_i`
    whose radius is the distance to its ``k``-th nearest other real sample:

    .. math::
        \mathrm{density} = \frac{1}{kM}\sum_{j=1}^{M}\sum_{i=1}^{N}
            1\bigl[f_j \in B(r_i, \mathrm{NND}_k(r_i))\bigr], \qquad
        \mathrm{coverage} = \frac{1}{N}\sum_{i=1}^{N}
            1\bigl[\exists j: f_j \in B(r_i, \mathrm{NND}_k(r_i))\bigr]

    Density counts how many real balls hold each fake (≈ 1 when fakes follow the real
    distribution, above 1 when they crowd dense regions, unbounded); coverage is the fraction
    of real balls holding at least one fake. Using only real balls makes both robust to fake
    outliers, which inflate the fake balls of precision/recall.

    Naeem, Oh, Uh, Choi, Yoo, "Reliable Fidelity and Diversity Metrics for Generative
    Models", ICML 2020.

    Args:
        real_features: ``N×d`` real features, ``N > k``.
        fake_features: ``M×d`` fake features, ``M >= 1``.
        k: the neighbour that sets each real radius.
        chunk_size: rows of each block of pairwise distances (memory ``chunk_size × max(N, M)``).

    Returns:
        ``(density, coverage)``; coverage in ``[0, 1]``, density in ``[0, N/k]``.
    """
    real, fake = _check_pair(real_features, fake_features)
    _, _, density, coverage = _ball_metrics(real, fake, None, k, chunk_size)
    return density, coverage


def _ball_metrics(
    real: Tensor, fake: Tensor, k_pr: int | None, k_dc: int | None, chunk_size: int
) -> tuple[float, float, float, float]:
    """Precision and recall with ``k_pr``, density and coverage with ``k_dc`` (``None``:
    skipped, NaN), from one k-NN pass over the reals and one over real×fake distances: the
    two pairs share both, which :func:`summarize` would otherwise compute twice."""
    ks = tuple(k for k in (k_pr, k_dc) if k is not None)
    if not ks:
        raise ValueError("_ball_metrics needs k_pr, k_dc or both")
    if k_pr is not None:  # fake balls too: both sets need more than k points
        _check_k(k_pr, real.shape[0], fake.shape[0], need_fake=True)
    if k_dc is not None:
        _check_k(k_dc, real.shape[0], fake.shape[0], need_fake=False)
    real_radii = dict(zip(ks, _kth_neighbour_distances(real, ks, chunk_size), strict=True))
    fake_in_real = torch.zeros(fake.shape[0], dtype=torch.bool, device=real.device)
    real_in_fake = torch.zeros(real.shape[0], dtype=torch.bool, device=real.device)
    balls_per_fake = torch.zeros(fake.shape[0], dtype=torch.float64, device=real.device)
    covered = torch.zeros(real.shape[0], dtype=torch.bool, device=real.device)
    fake_radii = None if k_pr is None else _kth_neighbour_distance(fake, k_pr, chunk_size)
    for start, block in _distance_blocks(real, fake, chunk_size):
        stop = start + block.shape[0]
        if k_pr is not None:
            fake_in_real |= (block < real_radii[k_pr][start:stop, None]).any(dim=0)
            real_in_fake[start:stop] = (block < fake_radii[None, :]).any(dim=1)
        if k_dc is not None:
            # Open balls, as in the authors' code: a ball then holds its centre and k - 1 other
            # reals, so density is exactly 1 for fakes identical to the reals (closed: 1+1/k).
            inside = block < real_radii[k_dc][start:stop, None]
            balls_per_fake += inside.sum(dim=0)
            covered[start:stop] = inside.any(dim=1)
    nan = math.nan
    return (
        nan if k_pr is None else float(fake_in_real.double().mean()),
        nan if k_pr is None else float(real_in_fake.double().mean()),
        nan if k_dc is None else float(balls_per_fake.sum()) / (k_dc * fake.shape[0]),
        nan if k_dc is None else float(covered.double().mean()),
    )


# --------------------------------------------------------------------------------------------
# Class statistics


def class_histogram(logits: Tensor, num_classes: int) -> Tensor:
    """How many samples the classifier assigns to each class (argmax of the logits).

    Args:
        logits: ``N×num_classes`` classifier logits.
        num_classes: ``K``; the histogram has ``K`` bins even for classes never predicted.

    Returns:
        int64 tensor of ``K`` counts summing to ``N`` (on the logits' device).
    """
    _check_num_classes(num_classes)
    if not isinstance(logits, Tensor) or logits.dim() != 2 or logits.shape[1] != num_classes:
        shape = tuple(logits.shape) if isinstance(logits, Tensor) else type(logits).__name__
        raise ValueError(f"logits must be N×{num_classes}, got {shape}")
    return torch.bincount(logits.argmax(dim=1), minlength=num_classes)


def _check_histogram(hist: Tensor) -> Tensor:
    if not isinstance(hist, Tensor) or hist.dim() != 1 or hist.numel() == 0:
        raise ValueError("hist must be a non-empty 1-D tensor of class counts")
    if bool((hist < 0).any()):
        raise ValueError("hist must not hold negative counts")
    return hist.detach().to(torch.float64)


def classes_covered(hist: Tensor, min_fraction: float = 0.01) -> int:
    """Number of classes holding at least ``min_fraction`` of the samples.

    A bare "classes with a nonzero count" would call a class covered after one stray,
    probably misclassified, sample in 10,000; with the default 1 % a class counts only once
    it is a tenth of its fair share among 10 classes, which a mode-collapsed generator's
    rare classes do not reach.

    Args:
        hist: counts per class (``class_histogram``).
        min_fraction: the share of all samples a class needs (inclusive); ``0`` counts the
            classes seen at least once.

    Returns:
        The count, ``0`` for an empty histogram (no samples).
    """
    counts = _check_histogram(hist)
    if not 0.0 <= min_fraction <= 1.0:
        raise ValueError(f"min_fraction must lie in [0, 1], got {min_fraction}")
    total = float(counts.sum())
    if total == 0:
        return 0
    return int(((counts > 0) & (counts / total >= min_fraction)).sum())


def class_kl_from_uniform(hist: Tensor) -> float:
    r"""KL divergence of the predicted class distribution from the uniform one, in nats.

    .. math::
        \mathrm{KL}(\hat p \,\Vert\, U) = \sum_{c=1}^{K} \hat p_c \log(\hat p_c K),
        \qquad \hat p_c = \mathrm{hist}_c / \textstyle\sum \mathrm{hist}

    with :math:`0 \log 0 = 0`. It is 0 for perfectly balanced classes and ``log K`` when every
    sample falls into one class; it is only meaningful when the real data are balanced (MNIST
    nearly is).

    Args:
        hist: counts per class (``class_histogram``), not all zero.
    """
    counts = _check_histogram(hist)
    total = float(counts.sum())
    if total == 0:
        raise ValueError("class_kl_from_uniform needs at least one sample")
    p = counts / total
    seen = p > 0  # empty classes contribute 0·log 0 = 0
    return float((p[seen] * torch.log(p[seen] * counts.numel())).sum())


def conditional_accuracy(
    logits: Tensor, requested: Tensor, num_classes: int
) -> tuple[float, list[float]]:
    """How often the classifier recognises the class a conditional generator was asked for.

    Args:
        logits: ``N×num_classes`` classifier logits of the generated samples.
        requested: the ``N`` class labels the samples were generated for.
        num_classes: ``K``.

    Returns:
        ``(overall, per_class)``: the fraction of samples whose argmax equals the requested
        class, and the same per requested class (``NaN`` for classes never requested). The
        classifier's own error rate is included: compare with its accuracy on real data.
    """
    class_histogram(logits, num_classes)  # validates the logits' shape
    n = logits.shape[0]
    if n == 0:
        raise ValueError("conditional_accuracy needs at least one sample")
    requested = _check_labels("requested", requested.to(logits.device), n, num_classes)
    correct = (logits.argmax(dim=1) == requested).to(torch.float64)
    asked = torch.bincount(requested, minlength=num_classes).to(torch.float64)
    hits = torch.bincount(requested, weights=correct, minlength=num_classes)
    per_class = [float(h / a) if a > 0 else math.nan for h, a in zip(hits, asked, strict=True)]
    return float(correct.mean()), per_class


def per_class_fid(
    real_features: Tensor,
    real_labels: Tensor,
    fake_features: Tensor,
    fake_labels: Tensor,
    num_classes: int,
    min_samples: int | None = None,
) -> list[float]:
    """FID between the real and the fake samples of each class (see :func:`fid`).

    A class gets ``NaN`` when either side has fewer than ``min_samples`` samples. The default,
    ``d + 1`` for ``d``-dimensional features, is the least that can give a full-rank sample
    covariance: below it the covariance is singular and FID's ``1/n`` bias dominates the
    number. Class sizes differ between runs, so per-class FIDs inherit FID's caveat: compare
    a class's value only between runs with similar counts for it.

    Args:
        real_features, real_labels: ``N×d`` features and true classes of real samples.
        fake_features, fake_labels: ``M×d`` features and requested classes of fakes.
        num_classes: ``K``, the length of the result.
        min_samples: the per-side minimum (at least 2); ``None`` means ``d + 1``.

    Returns:
        ``K`` FIDs, ``NaN`` where a class has too few samples.
    """
    _check_num_classes(num_classes)
    real, fake = _check_pair(real_features, fake_features, min_rows=0)
    real_labels = _check_labels("real_labels", real_labels.to(real.device), len(real), num_classes)
    fake_labels = _check_labels("fake_labels", fake_labels.to(fake.device), len(fake), num_classes)
    needed = real.shape[1] + 1 if min_samples is None else min_samples
    if not isinstance(needed, int) or needed < 2:
        raise ValueError(f"min_samples must be an integer >= 2, got {min_samples!r}")
    result = []
    for c in range(num_classes):
        real_c, fake_c = real[real_labels == c], fake[fake_labels == c]
        enough = min(len(real_c), len(fake_c)) >= needed
        result.append(fid(real_c, fake_c) if enough else math.nan)
    return result


# --------------------------------------------------------------------------------------------
# Everything at once


def _json_float(x: float) -> float | None:
    """``x`` as a JSON-safe value: JSON has no NaN or infinity, so those become ``None``."""
    x = float(x)
    return x if math.isfinite(x) else None


def summarize(
    real_features: Tensor,
    real_logits: Tensor,
    real_labels: Tensor,
    fake_features: Tensor,
    fake_logits: Tensor,
    fake_labels: Tensor | None,
    num_classes: int,
    *,
    kid_subsets: int = 100,
    kid_subset_size: int = 1000,
    seed: int = 0,
) -> dict[str, Any]:
    """Every metric of this module in one JSON-serialisable dict (NaN and ±inf → ``None``).

    Keys: ``n_real``, ``n_fake``, ``fid``, ``kid_mean``, ``kid_std``, ``kid_subset_size``
    (after clamping), ``precision``, ``recall`` (k=3), ``density``, ``coverage`` (k=5),
    ``inception_score_mean``/``_std`` (10 splits) and, as the reference a perfect generator
    would reach, ``real_inception_score_mean``/``_std`` and ``real_class_accuracy`` (the
    classifier's accuracy on the real samples); ``class_histogram`` (list), ``classes_covered``
    (1 % threshold), ``class_kl``; with ``fake_labels`` also ``class_accuracy``,
    ``class_accuracy_per_class`` and ``per_class_fid`` (lists of ``K``).

    Args:
        real_features, real_logits, real_labels: the real reference set (``N`` rows each).
        fake_features, fake_logits: the generated set (``M`` rows each).
        fake_labels: the classes the fakes were generated for, or ``None`` if unconditional.
        num_classes: ``K``.
        kid_subsets, kid_subset_size: see :func:`kid`.
        seed: seeds KID's subsets and the IS shuffles.

    Needs at least 10 samples per set (the IS splits; precision/recall and density/coverage
    need more than 3 and 5).
    """
    _check_num_classes(num_classes)
    real, fake = _check_pair(real_features, fake_features)
    n_real, n_fake = real.shape[0], fake.shape[0]
    real_logits = _check_matrix("real_logits", real_logits)
    fake_logits = _check_matrix("fake_logits", fake_logits)
    for name, logits, n in (
        ("real_logits", real_logits, n_real),
        ("fake_logits", fake_logits, n_fake),
    ):
        if logits.shape != (n, num_classes):
            raise ValueError(f"{name} must be {n}×{num_classes}, got {tuple(logits.shape)}")
    real_labels = _check_labels("real_labels", real_labels.to(real.device), n_real, num_classes)

    kid_mean, kid_std = kid(real, fake, kid_subsets, kid_subset_size, seed)
    precision, recall, density, coverage = _ball_metrics(real, fake, PR_K, DC_K, _CHUNK_ROWS)
    is_mean, is_std = inception_score(fake_logits, seed=seed)
    real_is_mean, real_is_std = inception_score(real_logits, seed=seed)
    real_accuracy, _ = conditional_accuracy(real_logits, real_labels, num_classes)
    hist = class_histogram(fake_logits, num_classes)
    result: dict[str, Any] = {
        "n_real": n_real,
        "n_fake": n_fake,
        "fid": _json_float(fid(real, fake)),
        "kid_mean": _json_float(kid_mean),
        "kid_std": _json_float(kid_std),
        "kid_subset_size": min(kid_subset_size, n_real, n_fake),
        "precision": _json_float(precision),
        "recall": _json_float(recall),
        "density": _json_float(density),
        "coverage": _json_float(coverage),
        "inception_score_mean": _json_float(is_mean),
        "inception_score_std": _json_float(is_std),
        "real_inception_score_mean": _json_float(real_is_mean),
        "real_inception_score_std": _json_float(real_is_std),
        "real_class_accuracy": _json_float(real_accuracy),
        "class_histogram": [int(c) for c in hist.tolist()],
        "classes_covered": classes_covered(hist),
        "class_kl": _json_float(class_kl_from_uniform(hist)),
    }
    if fake_labels is not None:
        fake_labels = _check_labels("fake_labels", fake_labels.to(fake.device), n_fake, num_classes)
        accuracy, per_class = conditional_accuracy(fake_logits, fake_labels, num_classes)
        result["class_accuracy"] = _json_float(accuracy)
        result["class_accuracy_per_class"] = [_json_float(a) for a in per_class]
        result["per_class_fid"] = [
            _json_float(v) for v in per_class_fid(real, real_labels, fake, fake_labels, num_classes)
        ]
    return result
