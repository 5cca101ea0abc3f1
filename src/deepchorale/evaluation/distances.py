"""How far a set of pieces is from a reference set: per-feature KDE distances, Fréchet distance,
bootstrap confidence intervals.

Per feature (Yang & Lerch 2018, "On the evaluation of generative models in music", Neural
Computing and Applications; their code is github.com/RichardYang40148/mgeval):
- intra-set distances: |x_i - x_j| over every pair i < j of the reference set (how much Bach
  differs from Bach on this feature);
- inter-set distances: |g_i - r_j| over every generated g_i and reference r_j;
- both distributions are smoothed by a Gaussian kernel density estimate (Scott's bandwidth,
  `scipy.stats.gaussian_kde`) and compared on one grid by
  - overlapping area, the integral of min(p_inter, p_intra): 1 when the generated set differs from
    Bach as much as Bach differs from itself, 0 when the two distance scales never meet;
  - KL divergence KL(inter ‖ intra) = ∫ p_inter log(p_inter / p_intra), in nats: how surprising
    the generated-vs-Bach distances are under the Bach-vs-Bach ones (0 when alike).
A constant feature (all distances equal) has no density: it is skipped with NaN and a note.

Set embeddings: `frechet_distance` (Heusel et al. 2017, "GANs trained by a two time-scale update
rule...", the FID; Retkowski et al. 2024, "Frechet Music Distance", on CLaMP embeddings). CLaMP's
weights cannot be downloaded here, so we apply it to the Bach judge's embeddings
(`judge.judge_embeddings`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
from scipy import linalg, stats

GRID_POINTS = 1000
# KL needs p_intra > 0 wherever p_inter > 0, but Gaussian tails underflow to 0: floored there, so
# the KL of sets that never meet saturates near ln(1e12) ≈ 27.6 nats instead of being infinite.
DENSITY_FLOOR = 1e-12


def _finite(values: Sequence[float | None]) -> np.ndarray:
    """Floats without undefined values (None and NaN: a metric undefined for that piece)."""
    array = np.array([np.nan if v is None else v for v in values], float)
    return array[np.isfinite(array)]


def intra_set_distances(values: np.ndarray) -> np.ndarray:
    """|x_i - x_j| for every pair i < j (mgeval's exhaustive cross-validation within one set)."""
    first, second = np.triu_indices(len(values), k=1)
    return np.abs(values[first] - values[second])


def inter_set_distances(generated: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """|g_i - r_j| for every generated g_i and every reference r_j."""
    return np.abs(generated[:, None] - reference[None, :]).ravel()


def overlap_and_kl(inter: np.ndarray, intra: np.ndarray) -> tuple[float, float]:
    """(overlapping area, KL(inter ‖ intra)) of the Gaussian KDEs of two distance samples.

    Both densities are evaluated on one grid spanning both samples plus three bandwidths either
    side, where each has all but a negligible share of its mass, and integrated by the trapezoid
    rule. Raises ValueError when a sample is constant (a KDE needs a positive variance)."""
    if np.ptp(inter) == 0 or np.ptp(intra) == 0:
        raise ValueError("constant distances")
    inter_density, intra_density = stats.gaussian_kde(inter), stats.gaussian_kde(intra)
    margin = 3 * max(np.sqrt(inter_density.covariance[0, 0]), np.sqrt(intra_density.covariance[0, 0]))
    low = min(inter.min(), intra.min()) - margin
    high = max(inter.max(), intra.max()) + margin
    grid = np.linspace(low, high, GRID_POINTS)
    p, q = inter_density(grid), intra_density(grid)
    overlap = np.trapezoid(np.minimum(p, q), grid)
    p_safe, q_safe = np.maximum(p, DENSITY_FLOOR), np.maximum(q, DENSITY_FLOOR)
    kl = np.trapezoid(p * np.log(p_safe / q_safe), grid)
    return float(min(overlap, 1.0)), float(max(kl, 0.0))


def feature_distance(generated: Sequence[float | None], reference: Sequence[float | None]) -> dict:
    """Yang & Lerch's comparison of one feature: overlapping area, KL(inter ‖ intra), the mean
    intra- and inter-set distances; NaN with a `note` when it cannot be computed."""
    generated, reference = _finite(generated), _finite(reference)
    result = {"overlap_area": np.nan, "kl_divergence": np.nan, "intra_mean": np.nan, "inter_mean": np.nan}
    if len(generated) < 1 or len(reference) < 2:
        return {**result, "note": "too few defined values (need 1 generated, 2 reference)"}
    intra, inter = intra_set_distances(reference), inter_set_distances(generated, reference)
    result.update(intra_mean=float(intra.mean()), inter_mean=float(inter.mean()))
    try:
        overlap, kl = overlap_and_kl(inter, intra)
    except (ValueError, np.linalg.LinAlgError):
        # One distinct value (e.g. a feature every reference piece shares, or a single piece
        # against a constant one): no density to estimate.
        return {**result, "note": "constant feature: distances have no spread, skipped"}
    return {**result, "overlap_area": overlap, "kl_divergence": kl}


def set_distances(
    generated: Sequence[dict[str, float]], reference: dict[str, Sequence[float | None]]
) -> dict[str, dict]:
    """`feature_distance` for every feature present in both: generated is one metrics dict per
    piece (as `compute_metrics` returns), reference maps a feature to its values over the set."""
    names = [name for name in reference if any(name in row for row in generated)]
    return {name: feature_distance([row.get(name) for row in generated], reference[name]) for name in names}


def frechet_distance(embeddings_a: np.ndarray, embeddings_b: np.ndarray) -> float:
    """||mu_a - mu_b||² + Tr(C_a + C_b - 2 (C_a C_b)^½) between the Gaussians fitted (mean, sample
    covariance) to two (N, D) embedding sets: the Fréchet (2-Wasserstein) distance of Heusel et al.
    2017, as the Fréchet Music Distance (Retkowski et al. 2024) applies it to music embeddings.

    As in the reference FID code (github.com/mseitzer/pytorch-fid), a singular product gets a small
    ridge before the matrix square root, and the root's numerical imaginary part is dropped."""
    a, b = np.asarray(embeddings_a, float), np.asarray(embeddings_b, float)
    if len(a) < 2 or len(b) < 2:
        raise ValueError("a Fréchet distance needs at least two embeddings per set")
    mean_a, mean_b = a.mean(0), b.mean(0)
    cov_a, cov_b = np.atleast_2d(np.cov(a, rowvar=False)), np.atleast_2d(np.cov(b, rowvar=False))
    root = linalg.sqrtm(cov_a @ cov_b)
    if not np.isfinite(root).all():
        ridge = 1e-6 * np.eye(len(cov_a))
        root = linalg.sqrtm((cov_a + ridge) @ (cov_b + ridge))
    root = np.real(root)
    distance = np.sum((mean_a - mean_b) ** 2) + np.trace(cov_a) + np.trace(cov_b) - 2 * np.trace(root)
    return float(max(distance, 0.0))


def bootstrap_ci(
    values: Sequence[float],
    statistic: Callable[[np.ndarray], float] = np.mean,
    n: int = 1000,
    level: float = 0.95,
    seed: int = 0,
) -> tuple[float, float]:
    """Percentile bootstrap interval (Efron & Tibshirani 1993, "An Introduction to the Bootstrap",
    ch. 13): the statistic over `n` resamples with replacement; its (1 - level)/2 and
    (1 + level)/2 quantiles. NaNs are dropped first; no values give (NaN, NaN)."""
    values = _finite(values)
    if len(values) == 0:
        return (float("nan"), float("nan"))
    rng = np.random.default_rng(seed)
    resamples = values[rng.integers(0, len(values), size=(n, len(values)))]
    estimates = np.array([statistic(row) for row in resamples])
    low, high = np.quantile(estimates, [(1 - level) / 2, (1 + level) / 2])
    return float(low), float(high)
