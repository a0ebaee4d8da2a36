"""Metrics: proper scoring rules, calibration and errors (``scores``), and study evaluation."""

from uqbench.metrics.scores import (
    crps,
    energy_distance,
    energy_score,
    interval_coverage,
    interval_width,
    random_pairs,
    rel_l2_mean,
    rel_l2_std,
    variogram_score,
)

__all__ = [
    "crps",
    "energy_distance",
    "energy_score",
    "interval_coverage",
    "interval_width",
    "random_pairs",
    "rel_l2_mean",
    "rel_l2_std",
    "variogram_score",
]
