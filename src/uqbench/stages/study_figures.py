"""Stage study figures: metrics records and training logs in (no data or prediction file,
no torch); the training curves, the ratio study, the OOD AUROC, each problem's shift ladder
and each ablation (a method and its variants) as PNG and PDF out, each written atomically."""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from pathlib import Path

from uqbench import io
from uqbench.plots.ablation import ablation_figure
from uqbench.plots.common import plt
from uqbench.plots.curves import training_curves
from uqbench.plots.ood import ood_auroc_figure
from uqbench.plots.ratio import ratio_study_figure
from uqbench.plots.shift import shift_figure
from uqbench.report.ablation import REFERENCE, ablation_rows

log = logging.getLogger(__name__)
Paths = Sequence[str | os.PathLike[str]]
SHIFT_LADDER = ("test", "ood_mild", "ood", "ood_strong")  # x positions of the shift figure


def save(fig: plt.Figure, outputs: Paths) -> None:
    """Save ``fig`` to every path (format from the suffix), each atomically; then close it."""
    for out in outputs:
        with io.atomic_path(out, suffix=Path(out).suffix) as tmp:
            fig.savefig(tmp, dpi=120, bbox_inches="tight")
    plt.close(fig)
    log.info("wrote %s", ", ".join(map(str, outputs)))


def training_curves_figure(logs: Paths, outputs: Paths) -> None:
    """Training curves of every run from its training log (identity read from the log)."""
    runs = [io.read_training_log(p) for p in logs]
    save(training_curves([(run, rows) for run, rows in runs if run is not None]), outputs)


def ood_figure(paths: Paths, outputs: Paths) -> None:
    """OOD AUROC per scoring method and problem from their test metrics records."""
    save(ood_auroc_figure(io.read_metrics_files(paths)), outputs)


def shift_ladder_figure(paths: Paths, problem: str, outputs: Paths) -> None:
    """The shift-ladder figure of one problem from its runs' metrics records (test and every
    shift rung, at the main ratio): spread ratio and shift AUROC against the rung, whose tick
    labels name each rung's input law (the data file's, carried by each record)."""
    records = [r for r in io.read_metrics_files(paths) if r["problem"] == problem]
    laws = {r["split"]: f"{r['split']}\n({r.get('input_law', '')})" for r in records}
    save(shift_figure(records, list(SHIFT_LADDER), laws), outputs)


def ratio_figure(paths: Paths, outputs: Paths) -> None:
    """The ratio-study figure from the (r) methods' test metrics records."""
    save(ratio_study_figure(io.read_metrics_files(paths)), outputs)


def ablation_plot(paths: Paths, base: str, main_ratio: float, outputs: Paths) -> None:
    """The ablation figure of ``base`` and its variants on one problem (``plots.ablation``)."""
    rows = ablation_rows(io.read_metrics_files(paths), base, main_ratio)
    save(ablation_figure(rows, base, REFERENCE), outputs)
