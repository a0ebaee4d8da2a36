"""Stage cost: Snakemake benchmark files, grouped by rule, -> the cost table."""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping, Sequence

from uqbench import io
from uqbench.report.cost import FIELDS, cost_table

log = logging.getLogger(__name__)


def write_cost_table(
    benchmarks: Mapping[str, Sequence[str | os.PathLike[str]]], csv_path: str
) -> list[dict]:
    """The cost table of {rule: benchmark files}, written as CSV atomically."""
    rows = cost_table({rule: [io.read_benchmark(p) for p in ps] for rule, ps in benchmarks.items()})
    io.write_csv(csv_path, rows, FIELDS)
    log.info("wrote %s (%d rules, %d jobs)", csv_path, len(rows), sum(r["jobs"] for r in rows))
    return rows
