"""Stage figures of one problem's test split: the data file and seed 0's prediction files in;
bands, samples, correlation and calibration as PNG and PDF out (each written atomically).
The study-level figures, drawn from metrics records and training logs, are
``stages.study_figures``."""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence

import numpy as np
import xarray as xr

from uqbench import io
from uqbench.catalogue import SCORED
from uqbench.plots.calibration import calibration_figure
from uqbench.plots.common import TRUTH
from uqbench.plots.problem import problem_figure
from uqbench.stages.study_figures import save

log = logging.getLogger(__name__)
Paths = Sequence[str | os.PathLike[str]]


def _sources(data_path: str, prediction_paths: Paths) -> tuple[xr.Dataset, dict[str, np.ndarray]]:
    """The test split and every source's samples (sample, case, *output dims): the truth's
    realizations first, then each prediction file's samples (a diverged run is left out:
    its samples are NaN; a no_gain run is drawn like any other)."""
    ds = io.read_data(data_path)
    src = {TRUTH: np.moveaxis(ds["output"].values, 1, 0)}
    for p in prediction_paths:
        pred = io.read_predictions(p)
        if pred.attrs["status"] in SCORED:
            src[str(pred.attrs["method"])] = pred["prediction"].values
    return ds, src


def problem_figures(kind: str, data_path: str, prediction_paths: Paths, outputs: Paths) -> None:
    """Figure ``kind`` of one problem's test split (``plots.problem.KINDS``, or calibration)."""
    ds, src = _sources(data_path, prediction_paths)
    if kind == "calibration":
        save(calibration_figure(src, str(ds.attrs["problem"])), outputs)
    else:
        save(problem_figure(kind, ds, src), outputs)
