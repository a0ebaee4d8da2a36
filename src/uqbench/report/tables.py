"""Tables from metrics records: mean ± 95 % interval over seeds, DnC and no-gain counts."""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping, Sequence
from typing import Any

from uqbench.metrics.catalogue import (
    CALIBRATED,
    EPISTEMIC,
    METRICS,
    SHIFT,
    SKILL,
    larger_is_better,
    target,
)
from uqbench.problems.base import SHIFTS
from uqbench.report.summary import (
    NOT_A_METRIC,
    SKILL_REFERENCE,
    sort_rows,
    summary_rows,
    with_skill,
)

log = logging.getLogger(__name__)

RATIO_METRICS = (
    "energy_distance",
    "correlation_error",
    "spread_ratio",
    "rel_l2_mean",
    "coverage_95",
)
SHIFT_METRICS = (SKILL, "energy_distance", "rel_l2_mean", "spread_ratio", "coverage_90", *SHIFT)
MEAN_REFERENCE = "ridge"  # a row whose rel_l2_mean is worse than this method's is marked
WORSE = "†"
INTERVAL_NOTE = (
    "± is the 95 % Student-t interval over seeds (n − 1 degrees of freedom); with one seed, "
    "the run's own 95 % interval over the test cases. runs: the seeds by status; DnC: the "
    "run diverged (left out of the means); no gain: its stochastic phase never beat its "
    "start on the validation objective (scored like any run). Bold: the best value of each "
    "column (the oracle excluded): the smallest, the largest for skill and AUROC, the "
    "closest to 1 for spread and cp_factor, and for a raw coverage the closest to what a "
    "perfect ensemble of the same number of samples reaches (0.893 at 90 % for 256 "
    "samples; +cp: the nominal level)."
)
TABLE_NOTE = (
    f"skill = 1 − ES / ES_{SKILL_REFERENCE} (same seed; > 0: better than the unconditional "
    f"law). {WORSE}: rel_l2_mean worse than {MEAN_REFERENCE}'s (a linear map of the input "
    "gives a better mean). " + INTERVAL_NOTE
)


def metric_cell(row: Mapping[str, Any], metric: str) -> str:
    """ "mean ± ci"; "DnC" when every seed diverged; "–" for a metric the method does not
    have."""
    mean, ci = row[f"{metric}_mean"], row[f"{metric}_ci95"]
    if mean == NOT_A_METRIC:
        return "–"
    if not math.isfinite(mean):
        return "DnC"
    if isinstance(ci, float) and math.isfinite(ci):
        return f"{mean:.4g} ± {ci:.2g}"
    return f"{mean:.4g}"


def runs_cell(row: Mapping[str, Any]) -> str:
    """The seeds of a row by status: "3 ok", "2 ok, 1 no gain", "1 ok, 2 DnC"."""
    labels = (("ok", "ok"), ("no_gain", "no gain"), ("diverged", "DnC"))
    return ", ".join(f"{row[s]} {label}" for s, label in labels if row[s])


def best_rows(
    rows: Sequence[Mapping[str, Any]], metric: str, exclude: Sequence[str] = ("oracle",)
) -> set[int]:
    """Indices of the rows with the best mean ``metric`` (ties included; the metric's
    ``target`` or direction from ``metrics.catalogue``), among rows whose method is not in
    ``exclude`` (the oracle is the floor, not a competitor)."""
    keys = {}
    for i, r in enumerate(rows):
        v = r[f"{metric}_mean"]
        if r.get("method") in exclude or not isinstance(v, float) or not math.isfinite(v):
            continue
        goal = target(metric, r.get("n_samples") or None)
        keys[i] = abs(v - goal) if goal is not None else (-v if larger_is_better(metric) else v)
    if not keys:
        return set()
    best = min(keys.values())
    return {i for i, k in keys.items() if k == best}


def mark_worse_than(rows: Sequence[dict[str, Any]], reference: str, metric: str) -> None:
    """Set ``worse_than_<reference>`` on every row whose mean ``metric`` exceeds the
    reference row's (lower is better; False where either is missing or DnC)."""
    ref = [r[f"{metric}_mean"] for r in rows if r["method"] == reference]
    for r in rows:
        value = r[f"{metric}_mean"]
        r[f"worse_than_{reference}"] = bool(
            ref and value != NOT_A_METRIC and math.isfinite(value) and value > ref[0]
        )


def render_markdown(
    rows: Sequence[Mapping[str, Any]],
    keys: Sequence[str],
    metrics: Sequence[str],
    marks: Mapping[str, str] | None = None,
    note: str = "",
    bold: Sequence[str] | None = None,
) -> str:
    """The Markdown table: the keys and "mean ± ci" per metric, the best value of each
    column in bold (``best_rows``; only the columns of ``bold`` when given). ``marks`` maps
    a metric to a boolean row column: where it is set, the cell gets ``WORSE``. ``note`` is
    written under the table."""
    marks = marks or {}
    head = [*keys, *metrics]
    md = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    best = {m: best_rows(rows, m) if bold is None or m in bold else set() for m in metrics}
    for i, r in enumerate(rows):
        cells = [str(r[k]) for k in keys]
        for m in metrics:
            cell = metric_cell(r, m)
            cell = f"**{cell}**" if i in best[m] else cell
            cells.append(cell + (f" {WORSE}" if m in marks and r[marks[m]] else ""))
        md.append("| " + " | ".join(cells) + " |")
    return "\n".join(md) + ("\n\n" + note if note else "") + "\n"


def metrics_table(records: Sequence[Mapping[str, Any]]) -> tuple[list[dict[str, Any]], str]:
    """Methods × metrics of one problem at the main ratio (one row per method and ratio): a
    skill column against climatology, the metrics, their conformally calibrated twins
    (``CALIBRATED``: the factor fitted on calib and the ``_cp`` metrics) and the epistemic
    ones, in table order (the oracle and the references first, variants after their base),
    and ``WORSE`` on the rel_l2_mean of every method whose mean is worse than ridge's:
    (rows, Markdown text)."""
    metrics = (SKILL, *METRICS, *CALIBRATED, *EPISTEMIC)
    rows = summary_rows(with_skill(records), ("method", "ratio"), metrics)
    sort_rows(rows, records)
    mark_worse_than(rows, MEAN_REFERENCE, "rel_l2_mean")
    for r in rows:
        r["runs"] = runs_cell(r)
    marks = {"rel_l2_mean": f"worse_than_{MEAN_REFERENCE}"}
    return rows, render_markdown(rows, ("method", "ratio", "runs"), metrics, marks, TABLE_NOTE)


def ratio_table(records: Sequence[Mapping[str, Any]]) -> tuple[list[dict[str, Any]], str]:
    """The ratio study (the paper's Table 1 analogue): one row per problem × method × ratio
    with the runs per status (ok / no gain / DnC), energy distance, correlation error,
    spread, rel. L2 of the mean and 95 % coverage, sorted by ratio: (rows, Markdown)."""
    keys = ("problem", "method", "ratio")
    rows = summary_rows(records, keys, RATIO_METRICS)
    rows.sort(key=lambda r: (r["problem"], r["method"], float(r["ratio"])))
    for r in rows:
        r["runs"] = runs_cell(r)
    md = render_markdown(rows, (*keys, "runs"), RATIO_METRICS, note=INTERVAL_NOTE)
    return rows, md


def shift_table(records: Sequence[Mapping[str, Any]]) -> tuple[list[dict[str, Any]], str]:
    """The shift ladder of one problem at the main ratio: one row per method × split (test,
    then each shift rung from mild to strong) with skill (against climatology on the same
    split), energy distance, rel. L2 of the mean, spread, 90 % coverage and the rung's
    AUROC against test by the epistemic score: (rows, Markdown). No column is bold: the
    rows of one method are what is compared."""
    order = ("test", *SHIFTS)
    unknown = sorted({r["split"] for r in records} - set(order))
    if unknown:
        raise ValueError(f"shift table: splits {unknown} are not test or a shift rung {SHIFTS}")
    rows = summary_rows(with_skill(records), ("method", "split"), SHIFT_METRICS)
    rows.sort(key=lambda r: order.index(r["split"]))
    sort_rows(rows, records)  # stable: each method's rows stay in rung order
    for r in rows:
        r["runs"] = runs_cell(r)
    note = (
        "Each method on the test split and the shift rungs (inputs further from the training "
        "law, mild to strong). skill against climatology on the same split; shift_auroc: the "
        "rung's inputs against test's by the method's epistemic score (0.5: chance). "
        + INTERVAL_NOTE.split(" Bold:")[0]
    )
    md = render_markdown(rows, ("method", "split", "runs"), SHIFT_METRICS, note=note, bold=())
    return rows, md
