"""The figures of the study, each registered once: what it plots, what it reads and per what
it is drawn. The rules (``workflow/rules/figures.smk``: one rule per entry, its targets), the
stage (``stages.figures.draw``) and the report (caption ``workflow/report/<name>.rst``) read
this table; a new figure is its plot function, one entry here and its caption.

Torch-free and matplotlib-free: Snakemake reads it at parse time.

A plot function is ``plot(data, **kwargs) -> matplotlib Figure``, with ``data`` what the
entry's ``reads`` gives (``stages.figures.READERS``):

* ``"predictions"``: ``Sources`` (the test split's data file and each method's samples, the
  truth's realizations first) of seed 0 at the main ratio;
* ``"metrics"``: the metrics records (dicts, ``io.read_metrics_files``) of the entry's runs;
* ``"training_logs"``: (run identity, rows) per training log;

and ``kwargs`` the entry's fixed ``args`` and the ``context`` it asks for: any of its
wildcards (``problem``, ``base``) and the study's ``main_ratio``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, NamedTuple

if TYPE_CHECKING:
    import numpy as np
    import xarray as xr

TRUTH = "truth"  # the source name of the true realizations in ``Sources.samples``
READS = ("predictions", "metrics", "training_logs")
RUNS = ("first_seed_predictions", "first_seed_logs", "ratio_study", "scored", "shift", "ablation")
WILDCARDS = ("problem", "base")
CONTEXT = (*WILDCARDS, "main_ratio")


class Sources(NamedTuple):
    """What a ``predictions`` figure reads: ``data`` the problem's test split (input, output
    and coordinates), ``samples`` maps a source (``TRUTH`` first, then each method) to its
    samples (sample, case, *output dims)."""

    data: xr.Dataset
    samples: dict[str, np.ndarray]


@dataclass(frozen=True)
class FigureEntry:
    """One figure: ``plot`` ("module:function" under ``uqbench.plots``), what it ``reads``,
    whose files (``runs``: the rules' input function of that name), the wildcards it is
    drawn per, its report category, fixed ``args`` of the plot function, the ``context``
    it is passed (its wildcards, study values), and the catalogue trait at least one study
    method must have for it to be drawn (``needs``: "sweeps_ratio", "epistemic"; None:
    always)."""

    plot: str
    reads: str
    runs: str
    per: tuple[str, ...] = ()
    category: str = ""
    args: Mapping[str, Any] = field(default_factory=dict)
    context: tuple[str, ...] = ()
    needs: str | None = None

    def __post_init__(self) -> None:
        if self.reads not in READS or self.runs not in RUNS:
            raise ValueError(
                f"figure reads {self.reads!r} / runs {self.runs!r}: expected "
                f"one of {READS} / {RUNS}"
            )
        unknown = (set(self.per) - set(WILDCARDS)) | (set(self.context) - set(CONTEXT))
        unknown |= {c for c in self.context if c in WILDCARDS and c not in self.per}
        if unknown:
            raise ValueError(f"figure wildcards or context {sorted(unknown)} unknown")


def _problem(kind: str) -> FigureEntry:
    return FigureEntry(
        "problem:problem_figure",
        "predictions",
        "first_seed_predictions",
        ("problem",),
        "2. Problems",
        {"kind": kind},
    )


FIGURES: dict[str, FigureEntry] = {
    "bands": _problem("bands"),
    "samples": _problem("samples"),
    "correlation": _problem("correlation"),
    "calibration": FigureEntry("calibration:calibration_figure", "predictions",
                               "first_seed_predictions", ("problem",), "2. Problems"),
    "training_curves": FigureEntry("curves:training_curves", "training_logs",
                                   "first_seed_logs", category="5. Training"),
    "ratio_study": FigureEntry("ratio:ratio_study_figure", "metrics", "ratio_study",
                               category="3. Ratio study", needs="sweeps_ratio"),
    "ood_auroc": FigureEntry("ood:ood_auroc_figure", "metrics", "scored",
                             category="4. Out of distribution", needs="epistemic"),
    "shift": FigureEntry("shift:shift_ladder", "metrics", "shift", ("problem",),
                         "4. Out of distribution", context=("problem",)),
    "ablation": FigureEntry("ablation:ablation_plot", "metrics", "ablation",
                            ("problem", "base"), "7. Ablations",
                            context=("problem", "base", "main_ratio")),
}  # fmt: skip


def figure_stem(name: str) -> str:
    """The file name of figure ``name`` without suffix, its wildcards first:
    ``{problem}_{base}_ablation``, ``ratio_study``."""
    return "_".join([*(f"{{{w}}}" for w in FIGURES[name].per), name])
