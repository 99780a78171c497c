"""How far apart two sets of embeddings are: the Fréchet distance and a two-sample classifier test.

Shared by `foleykit eval`'s own classifier (evaluate) and the independent judge (judged).
"""

from __future__ import annotations

import numpy as np


def frechet_distance(a: np.ndarray, b: np.ndarray) -> float:
    """‖μa − μb‖² + Tr(Σa + Σb − 2 (Σa Σb)^½), the FID/FAD formula, on embedding sets."""
    mu_a, mu_b = a.mean(axis=0), b.mean(axis=0)
    cov_a, cov_b = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    # Tr (Σa Σb)^½ = Σ √λ over the eigenvalues of Σa Σb (real and ≥ 0 up to rounding, as both are
    # positive semi-definite): no matrix square root, so no failure or console output on singular sets
    eigenvalues = np.linalg.eigvals(cov_a @ cov_b).real.clip(min=0)
    return float(
        np.sum((mu_a - mu_b) ** 2) + np.trace(cov_a) + np.trace(cov_b) - 2 * np.sqrt(eigenvalues).sum()
    )


def two_sample_accuracy(real: np.ndarray, generated: np.ndarray, seed: int = 0) -> float:
    """Held-out accuracy of a linear real-vs-generated classifier; pairs (same prompt) never split."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    order = np.random.default_rng(seed).permutation(len(real))
    train, test = order[: len(order) // 2], order[len(order) // 2 :]
    x_train = np.concatenate([real[train], generated[train]])
    y_train = np.r_[np.zeros(len(train)), np.ones(len(train))]
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000, C=1.0))
    model.fit(x_train, y_train)
    x_test = np.concatenate([real[test], generated[test]])
    y_test = np.r_[np.zeros(len(test)), np.ones(len(test))]
    return float((model.predict(x_test) == y_test).mean())


TWO_SAMPLE_SPLITS = 20


def two_sample_splits(real: np.ndarray, generated: np.ndarray, splits: int = TWO_SAMPLE_SPLITS) -> np.ndarray:
    """`two_sample_accuracy` over `splits` random halvings of the pairs (seeds 0, 1, …): with a few hundred
    pairs one split moves by ±0.02, as much as most changes between two models (MODEL.md, session 17)."""
    return np.array([two_sample_accuracy(real, generated, seed=seed) for seed in range(splits)])


def two_sample_scores(real: np.ndarray, generated: np.ndarray) -> dict[str, float]:
    """The two-sample test's mean over its splits, their spread, and the first split alone."""
    splits = two_sample_splits(real, generated)
    return {
        "two_sample_accuracy": float(splits.mean()),
        "two_sample_sd": float(splits.std(ddof=1)),
        "two_sample_split0": float(splits[0]),
    }


__all__ = [
    "TWO_SAMPLE_SPLITS",
    "frechet_distance",
    "two_sample_accuracy",
    "two_sample_scores",
    "two_sample_splits",
]
