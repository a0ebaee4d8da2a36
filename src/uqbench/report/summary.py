"""Metrics records summarised over seeds: the rows the tables and the study figures share.

A group of records (one per seed) gets, per metric, the mean over its scored seeds and a
95 % Student-t interval with n − 1 degrees of freedom over them; a group with one scored
seed keeps that run's own interval over the test cases (``interval`` says which). Seeds
whose run diverged are left out of the mean and counted (``diverged``), as are runs whose
stochastic phase gained nothing (``no_gain``: scored, and counted).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from uqbench import stats
from uqbench.catalogue import SCORED, STATUSES, ratio_label, table_order
from uqbench.metrics.catalogue import SKILL

SKILL_REFERENCE = "climatology"  # skill = 1 - ES / ES of this method (same problem and seed)
NOT_A_METRIC = ""  # the cell value of a metric the method does not have (shown as "–")


def record_variants(records: Sequence[Mapping[str, Any]]) -> dict[str, dict[str, str]]:
    """The variants among the records' methods, as config ``variants`` entries (from each
    record's ``base_method``), for ``catalogue.table_order``."""
    return {
        r["method"]: {"method": r["base_method"]}
        for r in records
        if r.get("base_method", r["method"]) != r["method"]
    }


def summarise_seeds(records: Sequence[Mapping[str, Any]], metric: str) -> dict[str, Any]:
    """Mean and 95 % interval of ``metric`` over the scored records (one per seed): a t
    interval over seeds when there are at least two, else the one run's own interval over
    its cases; ``interval`` names the unit, ``n`` counts it."""
    scored = [r for r in records if r["status"] in SCORED and metric in r["metrics"]]
    vals = [float(r["metrics"][metric]["mean"]) for r in scored]
    finite = [v for v in vals if math.isfinite(v)]
    if len(finite) >= 2:
        return {**stats.mean_ci(finite), "interval": "seeds"}
    if len(finite) == 1:
        one = scored[vals.index(finite[0])]["metrics"][metric]
        ci = float(one.get("ci95", math.nan))
        return {"mean": finite[0], "ci95": ci, "n": int(one.get("n", 0)), "interval": "cases"}
    return {"mean": math.nan, "ci95": math.nan, "n": 0, "interval": ""}


def summary_rows(
    records: Sequence[Mapping[str, Any]], keys: Sequence[str], metrics: Sequence[str]
) -> list[dict[str, Any]]:
    """Group metrics records by ``keys``; per metric the mean and 95 % interval over the
    group's seeds (``summarise_seeds``) as ``<metric>_mean``, ``<metric>_ci95``,
    ``<metric>_n``, ``<metric>_interval``; the count of runs per status (``STATUSES``), the
    smallest number of predictive samples (``n_samples``, for the coverage targets) and the
    mean cost. A metric no record of the group has gets ``NOT_A_METRIC``; a group whose
    seeds all diverged gets NaN (shown as DnC). Rows keep the records' order of first sight.
    """
    groups: dict[tuple, list[Mapping[str, Any]]] = defaultdict(list)
    for r in records:
        groups[tuple(ratio_label(r[k]) if k == "ratio" else str(r[k]) for k in keys)].append(r)
    rows = []
    for group, rs in groups.items():
        row: dict[str, Any] = dict(zip(keys, group, strict=True))
        row["seeds"] = len(rs)
        row.update({s: sum(r["status"] == s for r in rs) for s in STATUSES})
        n_samples = [int(r["n_samples"]) for r in rs if "n_samples" in r]
        row["n_samples"] = min(n_samples) if n_samples else ""
        for m in metrics:
            if not any(m in r["metrics"] for r in rs):  # not a metric of this method
                for part in ("mean", "ci95", "n", "interval"):
                    row[f"{m}_{part}"] = NOT_A_METRIC
                continue
            summary = summarise_seeds(rs, m)
            for part in ("mean", "ci95", "n", "interval"):
                row[f"{m}_{part}"] = summary[part]
        for key in ("train_seconds", "predict_seconds", "n_params", "n_stochastic"):
            row[key] = float(np.mean([float(r.get(key, math.nan)) for r in rs]))
        rows.append(row)
    return rows


def sort_rows(rows: list[dict[str, Any]], records: Sequence[Mapping[str, Any]]) -> None:
    """Sort rows with a ``method`` column in table order (catalogue order, each variant
    after its base), keeping the order of rows of the same method."""
    order = table_order({r["method"] for r in rows}, record_variants(records))
    rows.sort(key=lambda r: order.index(r["method"]))


def with_skill(records: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Records with ``skill`` = 1 − ES / ES of the climatology record of the same problem,
    split and seed added to their metrics, with a delta-method interval over the cases both
    were scored on (the ratio of the two per-case energy-score means); records without a
    reference or an energy score get none."""
    ref = {
        (r["problem"], r["split"], r["seed"]): r
        for r in records
        if r["method"] == SKILL_REFERENCE and "energy_score" in r["metrics"]
    }
    out = []
    for r in records:
        clim = ref.get((r["problem"], r["split"], r["seed"]))
        if clim is None or "energy_score" not in r["metrics"]:
            out.append(dict(r))
            continue
        mine, theirs = (
            r.get("cases", {}).get("energy_score"),
            clim.get("cases", {}).get("energy_score"),
        )
        if mine is not None and theirs is not None and len(mine) == len(theirs):
            ratio = stats.ratio_ci(mine, theirs)
        else:  # no per-case values: the point value alone
            es, es_ref = r["metrics"]["energy_score"]["mean"], clim["metrics"]["energy_score"]
            ratio = {"mean": es / es_ref["mean"], "ci95": math.nan, "n": 0}
        skill = {"mean": 1 - ratio["mean"], "ci95": ratio["ci95"], "n": ratio["n"]}
        out.append({**r, "metrics": {SKILL: skill, **r["metrics"]}})
    return out
