"""The ablation table of a method: the method and its variants (config ``variants``), each
beside the default it changes one thing of, on one problem at the main ratio.

Per variant the mean and 95 % Student-t interval over seeds of each metric, and its paired
difference from the base method (the same seeds; with one seed, the same test cases), so
that "better than the default" reads as an interval below (or above) 0. A reference row
(the deterministic model: the mean GenUQ starts from) is shown for comparison.

The first column is what a default is chosen by: each run's validation objective at its
selected epoch (GenUQ: the validation energy score), read from its training log, never a
test metric.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from uqbench.catalogue import is_stochastic_phase
from uqbench.report.records import Records
from uqbench.report.summary import NOT_A_METRIC, sort_rows, summary_rows
from uqbench.report.tables import INTERVAL_NOTE, render_markdown, runs_cell

VAL_OBJECTIVE = "val_objective"
METRICS = (
    VAL_OBJECTIVE,
    "energy_distance",
    "correlation_error",
    "rel_l2_mean",
    "spread_ratio",
    "ood_auroc",
)
REFERENCE = "deterministic"


def selected_objective(history: Sequence[Mapping[str, Any]], name: str) -> float:
    """The validation objective a run of method ``name`` (a variant trains under its base's
    name) was selected by: the smallest ``val_loss`` of a selected epoch over its stochastic
    phases (``catalogue.is_stochastic_phase``; ecsg keeps the best of its smoothing
    phases); NaN when it has none."""
    kept = [
        float(r["val_loss"])
        for r in history
        if is_stochastic_phase(r["phase"], name) and r["selected"]
    ]
    return min(kept) if kept else math.nan


def with_val_objective(
    records: Sequence[Mapping[str, Any]],
    logs: Sequence[tuple[Mapping[str, Any] | None, Sequence[Mapping[str, Any]]]],
    base: str,
) -> list[dict[str, Any]]:
    """``records`` with the metric ``val_objective`` (``selected_objective``) added to each
    run of ``base`` or a variant of it whose training log (identity, rows) is in ``logs``.
    Its interval over cases is 0: every run is selected on the same validation inputs, so
    only the seeds vary it."""
    objective = {
        (i["method"], i["seed"]): selected_objective(rows, base)
        for i, rows in logs
        if i is not None
    }
    out = []
    for r in records:
        key = (r["method"], int(r["seed"]))
        if r.get("base_method", r["method"]) == base and key in objective:
            value = {"mean": objective[key], "ci95": 0.0, "n": 1}
            r = {**r, "metrics": {**r["metrics"], VAL_OBJECTIVE: value}}
        out.append(dict(r))
    return out


def ablation_rows(
    records: Sequence[Mapping[str, Any]], base: str, main_ratio: float
) -> list[dict[str, Any]]:
    """Rows of ``base``, its variants and the reference method (test records of one problem
    at the main ratio): per metric ``<metric>_mean``/``_ci95`` over seeds and, for a
    variant, ``<metric>_diff`` and ``<metric>_diff_ci95``: its paired difference from the
    base."""
    runs = [r for r in records if r.get("split", "test") == "test"]
    members = {r["method"] for r in runs if r.get("base_method", r["method"]) == base}
    chosen = [r for r in runs if r["method"] in members or r["method"] == REFERENCE]
    metrics = [m for m in METRICS if any(m in r["metrics"] for r in chosen)]
    rows = summary_rows(chosen, ("method", "ratio"), metrics)
    sort_rows(rows, chosen)
    recs = Records(chosen, main_ratio)
    problem = chosen[0]["problem"] if chosen else ""
    for row in rows:
        row["runs"] = runs_cell(row)
        for m in metrics:
            if row["method"] in (base, REFERENCE) or row[f"{m}_mean"] == NOT_A_METRIC:
                row[f"{m}_diff"] = row[f"{m}_diff_ci95"] = NOT_A_METRIC
                continue
            d = recs.paired(problem, row["method"], base, m)
            row[f"{m}_diff"], row[f"{m}_diff_ci95"] = d.mean, d.ci95
    return rows


def ablation_table(
    records: Sequence[Mapping[str, Any]], base: str, main_ratio: float
) -> tuple[list[dict[str, Any]], str]:
    """(rows, Markdown): ``ablation_rows`` with, per metric, the value and the difference
    from the base (variant − base) as "± its 95 % interval"."""
    rows = ablation_rows(records, base, main_ratio)
    metrics = [m for m in METRICS if rows and f"{m}_mean" in rows[0]]
    shown = [c for m in metrics for c in (m, f"Δ {m}")]
    display = [  # the difference columns render like any metric
        {
            **r,
            **{
                f"Δ {m}_{p}": r[f"{m}_diff" + ("" if p == "mean" else "_ci95")]
                for m in metrics
                for p in ("mean", "ci95")
            },
        }
        for r in rows
    ]
    note = (
        f"Δ: the variant's paired difference from {base} (the same seeds; with one seed the "
        f"same test cases), 95 % interval. {REFERENCE}: the point prediction {base} starts "
        f"from. {VAL_OBJECTIVE}: the validation objective at the selected epoch (what a "
        "default is chosen by; seeds' interval). " + INTERVAL_NOTE
    )
    md = render_markdown(display, ("method", "runs"), shown, note=note, bold=metrics)
    return rows, md
