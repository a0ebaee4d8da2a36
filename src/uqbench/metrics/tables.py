"""Tables from metrics JSON files: one row per (method, ratio), mean ± std over seeds."""

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
from uqbench.metrics.evaluate import METRICS

log = logging.getLogger(__name__)


def _load(paths: Sequence[str | os.PathLike[str]]) -> list[dict]:
    return [json.loads(Path(p).read_text()) for p in paths]


def _fmt(mean: float, std: float) -> str:
    if not math.isfinite(mean):
        return "DnC"
    return f"{mean:.4g} ± {std:.2g}" if math.isfinite(std) else f"{mean:.4g}"


def metrics_table(
    paths: Sequence[str | os.PathLike[str]], csv_path: str, md_path: str
) -> list[dict]:
    """Write methods × metrics (CSV: mean and std columns; Markdown: "mean ± std", DnC).

    A seed whose run diverged contributes NaN; a row whose seeds all diverged shows DnC.
    """
    groups: dict[tuple[str, str], list[dict]] = defaultdict(list)
    for r in _load(paths):
        groups[(r["method"], str(r["ratio"]))].append(r)
    rows = []
    for (method, ratio), rs in groups.items():
        row: dict = {"method": method, "ratio": ratio, "seeds": len(rs),
                     "diverged": sum(r["status"] != "ok" for r in rs)}  # fmt: skip
        for m in METRICS:
            vals = np.array([r["metrics"][m]["mean"] for r in rs], dtype=float)
            ok = vals[np.isfinite(vals)]
            row[f"{m}_mean"] = float(ok.mean()) if ok.size else math.nan
            row[f"{m}_std"] = float(ok.std(ddof=1)) if ok.size > 1 else math.nan
        for key in ("train_seconds", "n_params", "n_stochastic"):
            row[key] = float(np.mean([r.get(key, math.nan) for r in rs]))
        rows.append(row)
    cols = list(rows[0]) if rows else []
    csv = [",".join(cols)] + [",".join(str(r[c]) for c in cols) for r in rows]
    io.atomic_write_text(csv_path, "\n".join(csv) + "\n")
    head = ["method", "ratio", *METRICS]
    md = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        cells = [r["method"], r["ratio"]] + [_fmt(r[f"{m}_mean"], r[f"{m}_std"]) for m in METRICS]
        md.append("| " + " | ".join(cells) + " |")
    io.atomic_write_text(md_path, "\n".join(md) + "\n")
    log.info("wrote %s and %s (%d rows)", csv_path, md_path, len(rows))
    return rows
