"""The cost table: Snakemake ``benchmark:`` files of the study's jobs summarised per rule."""

from __future__ import annotations

import csv
import logging
import os
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path

from uqbench import io

log = logging.getLogger(__name__)
FIELDS = ("rule", "jobs", "wall_s_total", "wall_s_mean", "wall_s_max", "max_rss_mb")


def read_benchmark(path: str | os.PathLike[str]) -> dict[str, float]:
    """The last row of a Snakemake benchmark TSV (s, max_rss in MB, ...) as floats."""
    with open(path, newline="") as fh:
        rows = list(csv.DictReader(fh, delimiter="\t"))
    if not rows:
        raise io.DataFileError(path, "benchmark file has no rows")
    out = {}
    for key in ("s", "max_rss"):
        try:
            out[key] = float(rows[-1][key])
        except (KeyError, ValueError):
            out[key] = float("nan")  # Snakemake writes "-" when it could not measure
    return out


def cost_table(paths: Sequence[str | os.PathLike[str]], csv_path: str) -> list[dict]:
    """Per rule (the first directory under benchmarks/): job count, total / mean / max wall
    seconds and the largest max RSS (MB). Writes CSV atomically."""
    groups: dict[str, list[dict[str, float]]] = defaultdict(list)
    for p in paths:
        parts = Path(p).parts
        rule = parts[parts.index("benchmarks") + 1] if "benchmarks" in parts else parts[0]
        groups[rule].append(read_benchmark(p))
    rows = []
    for rule, bs in sorted(groups.items()):
        wall = [b["s"] for b in bs]
        rows.append({
            "rule": rule, "jobs": len(bs), "wall_s_total": round(sum(wall), 2),
            "wall_s_mean": round(sum(wall) / len(wall), 2), "wall_s_max": round(max(wall), 2),
            "max_rss_mb": round(max(b["max_rss"] for b in bs), 1),
        })  # fmt: skip
    io.write_csv(csv_path, rows, FIELDS)
    log.info("wrote %s (%d rules, %d jobs)", csv_path, len(rows), len(paths))
    return rows
