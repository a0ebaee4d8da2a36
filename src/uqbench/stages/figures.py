"""Stage figures: data, prediction files, metrics records and training logs in; every
figure as PNG and PDF out (each written atomically)."""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from uqbench import io
from uqbench.catalogue import SCORED
from uqbench.plots import (
    calibration_figure,
    ood_auroc_figure,
    problem_figure,
    ratio_study_figure,
    shift_figure,
    training_curves,
)
from uqbench.plots.common import TRUTH, plt
from uqbench.problems import SHIFTS, make_problem

log = logging.getLogger(__name__)
Paths = Sequence[str | os.PathLike[str]]


def save(fig: plt.Figure, outputs: Paths) -> None:
    """Save ``fig`` to every path (format from the suffix), each atomically; then close it."""
    for out in outputs:
        with io.atomic_path(out, suffix=Path(out).suffix) as tmp:
            fig.savefig(tmp, dpi=120, bbox_inches="tight")
    plt.close(fig)
    log.info("wrote %s", ", ".join(map(str, outputs)))


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


def training_curves_figure(logs: Paths, outputs: Paths) -> None:
    """Training curves of every run from its training log (identity read from the log)."""
    runs = [io.read_training_log(p) for p in logs]
    save(training_curves([(run, rows) for run, rows in runs if run is not None]), outputs)


def ood_figure(paths: Paths, outputs: Paths) -> None:
    """OOD AUROC per scoring method and problem from their test metrics records."""
    save(ood_auroc_figure(io.read_metrics_files(paths)), outputs)


def shift_ladder_figure(
    paths: Paths, problem: str, settings: Mapping[str, Any], outputs: Paths
) -> None:
    """The shift-ladder figure of one problem from its runs' metrics records (test and every
    shift rung, at the main ratio): spread ratio and shift AUROC against the rung, whose tick
    labels name each rung's input law (``Problem.shift_law``)."""
    p = make_problem(problem, settings)
    laws = {"test": "test\n(training law)"}
    laws.update({s: f"{s}\n{p.shift_law(i)}" for i, s in enumerate(SHIFTS)})
    records = [r for r in io.read_metrics_files(paths) if r["problem"] == problem]
    save(shift_figure(records, ["test", *SHIFTS], laws), outputs)


def ratio_figure(paths: Paths, outputs: Paths) -> None:
    """The ratio-study figure from the (r) methods' test metrics records."""
    save(ratio_study_figure(io.read_metrics_files(paths)), outputs)
