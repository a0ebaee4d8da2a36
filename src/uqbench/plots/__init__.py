"""Figures of the study (pure: records and arrays in, matplotlib figures out; the figures
stage saves them): per-problem bands, samples, correlation and calibration, the training
curves, the ratio study, the OOD AUROC and the shift ladder."""

from uqbench.plots.calibration import calibration_figure
from uqbench.plots.curves import training_curves
from uqbench.plots.ood import ood_auroc_figure
from uqbench.plots.problem import problem_figure
from uqbench.plots.ratio import ratio_study_figure
from uqbench.plots.shift import shift_figure

__all__ = [
    "calibration_figure", "ood_auroc_figure", "problem_figure", "ratio_study_figure",
    "shift_figure", "training_curves",
]  # fmt: skip
