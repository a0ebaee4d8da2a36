"""The metrics, each declared once with what counts as best; torch-free (the reports read it).

``evaluate`` computes them; the tables bold the best value of each column by ``best``; the
claims and ``make validate`` pick theirs by name from here.
"""

from __future__ import annotations

from uqbench.stats import coverage_target

# Metrics scored outside the one-sort pass of ``metrics.evaluate``, each by a function of its
# own: name -> "module:function" in ``uqbench.metrics``, the function mapping samples
# (m, case, d) and true realizations (k, case, d) to one value per case (case,). A new metric
# is its function and one line here (and, if smaller is not better, its direction below).
SEPARATE: dict[str, str] = {}

# Scored per test case against the true realizations (``metrics.evaluate``).
METRICS = (
    "energy_distance",
    "energy_score",
    "rel_l2_mean",
    "rel_l2_std",
    "crps",
    "coverage_90",
    "coverage_95",
    "width_90",
    "width_95",
    "variogram_score",
    "correlation_error",
    "spread_ratio",
    *SEPARATE,
)
# Methods with an epistemic score: OOD AUROC (test vs ood), and the Spearman correlation of
# score and error over the test cases (does the score rank errors in distribution?) and over
# test ∪ ood (mostly what the AUROC says again). Each shift rung: shift_auroc (test vs rung).
EPISTEMIC = ("ood_auroc", "score_error_spearman_test", "score_error_spearman_pooled")
SHIFT = ("shift_auroc",)
# Also reported for the conformally rescaled samples (``metrics.conformal``), as
# ``<name>_cp``, with the factor itself as ``cp_factor``.
CP_METRICS = ("coverage_90", "width_90", "energy_score", "energy_distance", "crps", "spread_ratio")
CALIBRATED = ("cp_factor", *(f"{m}_cp" for m in CP_METRICS))
SKILL = "skill"  # 1 − ES / ES of climatology (added by the report)

# What is best: the largest, the closest to 1, the closest to a coverage level's target, or
# (every metric not listed) the smallest.
LARGEST = (SKILL, *EPISTEMIC, *SHIFT)
ONE = ("spread_ratio", "spread_ratio_cp", "cp_factor")
COVERAGE = {"coverage_90": 0.9, "coverage_95": 0.95}  # raw samples: target from their number
COVERAGE_CP = {"coverage_90_cp": 0.9}  # conformally calibrated: the nominal level itself


def target(metric: str, n_samples: int | None = None) -> float | None:
    """The ideal value of ``metric``, or None when smaller (or larger) is simply better.

    A raw coverage's ideal is what a perfect ``n_samples``-sample ensemble reaches with the
    interval rule of the metrics (``stats.coverage_target``: 0.893 at 90 % for 256), not the
    nominal level; a conformally calibrated coverage's is the level the factor guarantees.
    """
    if metric in ONE:
        return 1.0
    if metric in COVERAGE_CP:
        return COVERAGE_CP[metric]
    if metric in COVERAGE:
        if n_samples is None:
            raise ValueError(f"the target of {metric} depends on the number of samples")
        return coverage_target(COVERAGE[metric], n_samples)
    return None


def larger_is_better(metric: str) -> bool:
    return metric in LARGEST
