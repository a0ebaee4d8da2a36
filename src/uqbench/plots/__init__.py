"""Figures of the study (pure: records and arrays in, matplotlib figures out; the figures
stage saves them): per-problem bands, samples, correlation and calibration, the training
curves, the ratio study and the OOD AUROC."""

from uqbench.plots.calibration import calibration_figure
from uqbench.plots.curves import training_curves
from uqbench.plots.ood import ood_auroc_figure
from uqbench.plots.problem import problem_figure
from uqbench.plots.ratio import ratio_study_figure

__all__ = [
    "calibration_figure", "ood_auroc_figure", "problem_figure", "ratio_study_figure",
    "training_curves",
]  # fmt: skip
