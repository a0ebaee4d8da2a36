"""Tables from metrics JSON files: mean ± std over seeds, DnC where runs diverged."""

from __future__ import annotations

import json
import logging
import math
import os
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from uqbench import io
from uqbench.metrics.evaluate import EPISTEMIC, METRICS

log = logging.getLogger(__name__)

RATIO_METRICS = ("energy_distance", "rel_l2_mean", "coverage_95")


def load_records(paths: Sequence[str | os.PathLike[str]]) -> list[dict]:
    return [json.loads(Path(p).read_text()) for p in paths]


def _fmt(mean: float | str, std: float, diverged: int = 0, seeds: int = 1) -> str:
    """ "mean ± std"; "DnC" when every seed diverged; "(k/n DnC)" appended when some did;
    "–" for a metric the method does not have (e.g. an epistemic one)."""
    if mean == "":
        return "–"
    if not math.isfinite(mean):
        return "DnC"
    text = f"{mean:.4g} ± {std:.2g}" if math.isfinite(std) else f"{mean:.4g}"
    return f"{text} ({diverged}/{seeds} DnC)" if diverged else text


def summary_rows(
    records: Sequence[dict], keys: Sequence[str], metrics: Sequence[str]
) -> list[dict]:
    """Group metrics records by ``keys``; per metric the mean and std over the group's seeds.

    A seed whose run diverged has NaN metrics and is left out of the mean; a group whose
    seeds all diverged gets NaN (shown as DnC). Rows keep the records' order of first sight.
    """
    groups: dict[tuple, list[dict]] = defaultdict(list)
    for r in records:
        groups[tuple(str(r[k]) for k in keys)].append(r)
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


def write_table(
    rows: Sequence[dict], keys: Sequence[str], metrics: Sequence[str], csv_path: str, md_path: str
) -> None:
    """CSV with every column of ``rows``; Markdown with the keys and "mean ± std" per metric."""
    cols = list(rows[0]) if rows else [*keys, "seeds", "diverged"]
    csv = [",".join(cols)] + [",".join(str(r[c]) for c in cols) for r in rows]
    io.atomic_write_text(csv_path, "\n".join(csv) + "\n")
    head = [*keys, *metrics]
    md = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        cells = [r[k] for k in keys] + [
            _fmt(r[f"{m}_mean"], r[f"{m}_std"], r["diverged"], r["seeds"]) for m in metrics
        ]
        md.append("| " + " | ".join(cells) + " |")
    io.atomic_write_text(md_path, "\n".join(md) + "\n")
    log.info("wrote %s and %s (%d rows)", csv_path, md_path, len(rows))


def metrics_table(
    paths: Sequence[str | os.PathLike[str]], csv_path: str, md_path: str
) -> list[dict]:
    """Methods × metrics of one problem at the main ratio (one row per method and ratio)."""
    rows = summary_rows(load_records(paths), ("method", "ratio"), METRICS + EPISTEMIC)
    write_table(rows, ("method", "ratio"), METRICS + EPISTEMIC, csv_path, md_path)
    return rows


def ratio_table(paths: Sequence[str | os.PathLike[str]], csv_path: str, md_path: str) -> list[dict]:
    """The ratio study (the paper's Table 1 analogue): one row per problem × method × ratio
    with energy distance, rel. L2 of the mean and 95 % coverage, sorted by ratio."""
    keys = ("problem", "method", "ratio")
    rows = summary_rows(load_records(paths), keys, RATIO_METRICS)
    rows.sort(key=lambda r: (r["problem"], r["method"], float(r["ratio"])))
    write_table(rows, keys, RATIO_METRICS, csv_path, md_path)
    return rows
