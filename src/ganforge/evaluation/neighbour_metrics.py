"""The nearest-neighbour metrics: improved precision/recall (Kynkäänniemi et al.) and
density/coverage (Naeem et al.), from k-NN balls over blocks of pairwise feature distances.

They depend on the sample sizes, so compare them only at equal ``n_real`` and ``n_fake``.
"""

from __future__ import annotations

import math
from collections.abc import Iterator

import torch
from torch import Tensor

from ganforge.evaluation.metric_inputs import check_pair

# Rows of one block of pairwise distances: a 1,000 × 10,000 float64 block is 80 MB, where
# the whole 10,000 × 10,000 matrix would be 800 MB.
CHUNK_ROWS = 1000
# The neighbour that sets each ball's radius: precision/recall (Kynkäänniemi et al.) and
# density/coverage (Naeem et al.), as their authors chose them.
PR_K, DC_K = 3, 5


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
    real_features: Tensor, fake_features: Tensor, k: int = PR_K, chunk_size: int = CHUNK_ROWS
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
    real, fake = check_pair(real_features, fake_features)
    precision, recall, _, _ = ball_metrics(real, fake, k, None, chunk_size)
    return precision, recall


def density_coverage(
    real_features: Tensor, fake_features: Tensor, k: int = DC_K, chunk_size: int = CHUNK_ROWS
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
    real, fake = check_pair(real_features, fake_features)
    _, _, density, coverage = ball_metrics(real, fake, None, k, chunk_size)
    return density, coverage


def ball_metrics(
    real: Tensor, fake: Tensor, k_pr: int | None, k_dc: int | None, chunk_size: int
) -> tuple[float, float, float, float]:
    """Precision and recall with ``k_pr``, density and coverage with ``k_dc`` (``None``:
    skipped, NaN), from one k-NN pass over the reals and one over real×fake distances: the
    two pairs share both, which :func:`summarize` would otherwise compute twice."""
    ks = tuple(k for k in (k_pr, k_dc) if k is not None)
    if not ks:
        raise ValueError("ball_metrics needs k_pr, k_dc or both")
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
