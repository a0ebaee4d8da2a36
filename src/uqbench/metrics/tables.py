"""Tables from metrics records: mean ± std over seeds, DnC where runs diverged."""

from __future__ import annotations

import logging
import math
from collections import defaultdict
from collections.abc import Sequence

import numpy as np

from uqbench.catalogue import CATALOGUE, ratio_label
from uqbench.metrics.evaluate import CALIBRATED, EPISTEMIC, METRICS

log = logging.getLogger(__name__)

RATIO_METRICS = (
    "energy_distance",
    "correlation_error",
    "spread_ratio",
    "rel_l2_mean",
    "coverage_95",
)
SKILL_REFERENCE = "climatology"  # skill = 1 - ES / ES of this method (same problem and seed)
MEAN_REFERENCE = "ridge"  # a row whose rel_l2_mean is worse than this method's is marked
WORSE = "†"
TABLE_NOTE = (
    f"skill = 1 − ES / ES_{SKILL_REFERENCE} (same seed; > 0: better than the unconditional "
    f"law). {WORSE}: rel_l2_mean worse than {MEAN_REFERENCE}'s (a linear map of the input "
    "gives a better mean)."
)


def _fmt(mean: float | str, std: float, diverged: int = 0, seeds: int = 1) -> str:
    """ "mean ± std"; "DnC" when every seed diverged; "(k/n DnC)" appended when some did;
    "–" for a metric the method does not have (e.g. an epistemic one)."""
    if mean == "":
        return "–"
    if not math.isfinite(mean):
        return "DnC"
    text = f"{mean:.4g} ± {std:.2g}" if math.isfinite(std) else f"{mean:.4g}"
    return f"{text} ({diverged}/{seeds} DnC)" if diverged else text


def _bold(text: str, on: bool) -> str:
    return f"**{text}**" if on else text


def summary_rows(
    records: Sequence[dict], keys: Sequence[str], metrics: Sequence[str]
) -> list[dict]:
    """Group metrics records by ``keys``; per metric the mean and std over the group's seeds.

    A seed whose run diverged has NaN metrics and is left out of the mean; a group whose
    seeds all diverged gets NaN (shown as DnC). Rows keep the records' order of first sight.
    """
    groups: dict[tuple, list[dict]] = defaultdict(list)
    for r in records:
        groups[tuple(ratio_label(r[k]) if k == "ratio" else str(r[k]) for k in keys)].append(r)
    rows = []
    for group, rs in groups.items():
        row: dict = dict(zip(keys, group, strict=True))
        row.update(seeds=len(rs), diverged=sum(r["status"] != "ok" for r in rs))
        for m in metrics:
            if not any(m in r["metrics"] for r in rs):  # not a metric of this method
                row[f"{m}_mean"] = row[f"{m}_std"] = ""
                continue
            vals = np.array([r["metrics"].get(m, {"mean": math.nan})["mean"] for r in rs], float)
            ok = vals[np.isfinite(vals)]
            row[f"{m}_mean"] = float(ok.mean()) if ok.size else math.nan
            row[f"{m}_std"] = float(ok.std(ddof=1)) if ok.size > 1 else math.nan
        for key in ("train_seconds", "n_params", "n_stochastic"):
            row[key] = float(np.mean([float(r.get(key, math.nan)) for r in rs]))
        rows.append(row)
    return rows


def with_skill(records: Sequence[dict]) -> list[dict]:
    """Records with ``skill`` = 1 − ES / ES of the climatology record of the same problem,
    split and seed added to their metrics (records without such a reference get none)."""
    ref = {
        (r["problem"], r["split"], r["seed"]): r["metrics"]["energy_score"]["mean"]
        for r in records
        if r["method"] == SKILL_REFERENCE
    }
    out = []
    for r in records:
        key = (r["problem"], r["split"], r["seed"])
        if key in ref:
            skill = 1 - r["metrics"]["energy_score"]["mean"] / ref[key]
            r = {**r, "metrics": {"skill": {"mean": skill, "ci95": math.nan}, **r["metrics"]}}
        out.append(r)
    return out


def mark_worse_than(rows: Sequence[dict], reference: str, metric: str) -> None:
    """Set ``worse_than_<reference>`` on every row whose mean ``metric`` exceeds the
    reference row's (lower is better; False where either is missing or DnC)."""
    ref = [r[f"{metric}_mean"] for r in rows if r["method"] == reference]
    for r in rows:
        value = r[f"{metric}_mean"]
        r[f"worse_than_{reference}"] = bool(
            ref and value != "" and math.isfinite(value) and value > ref[0]
        )


# How a metric's best value is found (for the bold cell of each column): the smallest, the
# largest, or the closest to a target value. Metrics not listed: the smallest.
TARGET = {"coverage_90": 0.9, "coverage_95": 0.95, "spread_ratio": 1.0, "cp_factor": 1.0,
          "coverage_90_cp": 0.9, "spread_ratio_cp": 1.0}  # fmt: skip
LARGEST = ("skill", "ood_auroc", "score_error_spearman_test", "score_error_spearman_pooled")


def best_rows(rows: Sequence[dict], metric: str, exclude: Sequence[str] = ("oracle",)) -> set:
    """Indices of the rows with the best mean ``metric`` (ties included), among rows whose
    method is not in ``exclude`` (the oracle is the floor, not a competitor)."""
    vals = {
        i: r[f"{metric}_mean"] for i, r in enumerate(rows)
        if r.get("method") not in exclude and isinstance(r[f"{metric}_mean"], float)
        and math.isfinite(r[f"{metric}_mean"])
    }  # fmt: skip
    if not vals:
        return set()
    if metric in TARGET:
        key = {i: abs(v - TARGET[metric]) for i, v in vals.items()}
    else:
        key = {i: -v if metric in LARGEST else v for i, v in vals.items()}
    best = min(key.values())
    return {i for i, k in key.items() if k == best}


def render_table(
    rows: Sequence[dict],
    keys: Sequence[str],
    metrics: Sequence[str],
    marks: dict[str, str] | None = None,
    note: str = "",
) -> tuple[str, str]:
    """(CSV, Markdown) text of a table: the CSV with every column of ``rows``; the Markdown
    with the keys and "mean ± std" per metric, the best value of each column in bold
    (``best_rows``: the oracle excluded).

    ``marks`` maps a metric to a boolean row column: where it is set, the cell gets ``WORSE``.
    ``note`` is written under the Markdown table.
    """
    marks = marks or {}
    cols = list(rows[0]) if rows else [*keys, "seeds", "diverged"]
    csv = [",".join(cols)] + [",".join(str(r[c]) for c in cols) for r in rows]
    head = [*keys, *metrics]
    md = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    best = {m: best_rows(rows, m) for m in metrics}
    for i, r in enumerate(rows):
        cells = [r[k] for k in keys] + [
            _bold(_fmt(r[f"{m}_mean"], r[f"{m}_std"], r["diverged"], r["seeds"]), i in best[m])
            + (f" {WORSE}" if m in marks and r[marks[m]] else "")
            for m in metrics
        ]
        md.append("| " + " | ".join(cells) + " |")
    return "\n".join(csv) + "\n", "\n".join(md) + ("\n\n" + note if note else "") + "\n"


def metrics_table(records: Sequence[dict]) -> tuple[list[dict], str, str]:
    """Methods × metrics of one problem at the main ratio (one row per method and ratio): the
    metrics, their conformally calibrated twins (``CALIBRATED``: the factor fitted on val
    and the ``_cp`` metrics) and the epistemic ones, in catalogue order (the oracle and the
    references first), a skill column against climatology, and ``WORSE`` on the rel_l2_mean
    of every method whose mean is worse than ridge's: (rows, CSV text, Markdown text)."""
    metrics = ("skill", *METRICS, *CALIBRATED, *EPISTEMIC)
    rows = summary_rows(with_skill(records), ("method", "ratio"), metrics)
    order = list(CATALOGUE)
    rows.sort(key=lambda r: order.index(r["method"]) if r["method"] in order else len(order))
    mark_worse_than(rows, MEAN_REFERENCE, "rel_l2_mean")
    marks = {"rel_l2_mean": f"worse_than_{MEAN_REFERENCE}"}
    return rows, *render_table(rows, ("method", "ratio"), metrics, marks, TABLE_NOTE)


def ratio_table(records: Sequence[dict]) -> tuple[list[dict], str, str]:
    """The ratio study (the paper's Table 1 analogue): one row per problem × method × ratio
    with energy distance, rel. L2 of the mean and 95 % coverage, sorted by ratio:
    (rows, CSV text, Markdown text)."""
    keys = ("problem", "method", "ratio")
    rows = summary_rows(records, keys, RATIO_METRICS)
    rows.sort(key=lambda r: (r["problem"], r["method"], float(r["ratio"])))
    return rows, *render_table(rows, keys, RATIO_METRICS)
