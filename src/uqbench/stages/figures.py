"""Stage figures: every figure of ``plots.catalogue.FIGURES`` drawn from the files its entry
reads, as PNG and PDF, each written atomically.

Importing this module loads neither torch nor matplotlib's figures of other kinds: the
entry's plot module is imported when the figure is drawn (the study-level figures then run
without torch; the calibration figure's ranks use it)."""

from __future__ import annotations

import importlib
import logging
import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from uqbench import io
from uqbench.catalogue import SCORED
from uqbench.plots.catalogue import FIGURES, TRUTH, FigureEntry, Sources

log = logging.getLogger(__name__)
Paths = Sequence[str | os.PathLike[str]]


def read_sources(paths: Paths) -> Sources:
    """The data file (first path) and every prediction file after it; a diverged run is
    left out (its samples are NaN), a no_gain run is drawn like any other."""
    ds = io.read_data(paths[0])
    src = {TRUTH: np.moveaxis(ds["output"].values, 1, 0)}
    for p in paths[1:]:
        pred = io.read_predictions(p)
        if pred.attrs["status"] in SCORED:
            src[str(pred.attrs["method"])] = pred["prediction"].values
    return Sources(ds, src)


def read_logs(paths: Paths) -> list[tuple[dict[str, Any], list[dict[str, Any]]]]:
    """(run identity, rows) of every training log that names its run."""
    runs = [io.read_training_log(p) for p in paths]
    return [(run, rows) for run, rows in runs if run is not None]


READERS: dict[str, Callable[[Paths], Any]] = {
    "predictions": read_sources,
    "metrics": io.read_metrics_files,
    "training_logs": read_logs,
}


def plot_function(entry: FigureEntry) -> Callable[..., Any]:
    """The plot function of an entry ("module:function" under ``uqbench.plots``)."""
    module, name = entry.plot.split(":")
    return getattr(importlib.import_module(f"uqbench.plots.{module}"), name)


def save(fig: Any, outputs: Paths) -> None:
    """Save ``fig`` to every path (format from the suffix), each atomically; then close it.
    Every figure is laid out by constrained layout (``plots.common``), legends included, so
    no ``bbox_inches="tight"``: it would lay out and draw each figure twice per file."""
    import matplotlib.pyplot as plt

    for out in outputs:
        with io.atomic_path(out, suffix=Path(out).suffix) as tmp:
            fig.savefig(tmp, dpi=120)
    plt.close(fig)
    log.info("wrote %s", ", ".join(map(str, outputs)))


def draw(name: str, paths: Paths, outputs: Paths, context: Mapping[str, Any]) -> None:
    """Draw figure ``name`` from its input files into ``outputs``; ``context`` holds the
    wildcards and study values (``main_ratio``), of which those the entry asks for are
    passed to its plot function."""
    if name not in FIGURES:
        raise ValueError(f"unknown figure {name!r}; expected one of {sorted(FIGURES)}")
    entry = FIGURES[name]
    missing = [k for k in entry.context if k not in context]
    if missing:
        raise ValueError(f"figure {name} needs {missing}")
    kwargs = {**entry.args, **{k: context[k] for k in entry.context}}
    save(plot_function(entry)(READERS[entry.reads](paths), **kwargs), outputs)
