"""Figures of the study: per-problem bands/samples/correlation and training curves."""

from uqbench.plots.curves import training_curves
from uqbench.plots.ood import ood_auroc_figure
from uqbench.plots.problem import problem_figure
from uqbench.plots.ratio import ratio_study_figure

__all__ = ["ood_auroc_figure", "problem_figure", "ratio_study_figure", "training_curves"]
