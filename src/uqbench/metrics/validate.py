"""The science check of ``make validate``: a run's metrics against the accepted reference.

The reference (``validation/elu_reference.csv``) holds, per method, the accepted value of
each checked metric and its tolerance. The tolerance is set when the reference is accepted,
from the seed-to-seed spread of that metric (``reference_rows``: k standard deviations over
seeds, with a floor for metrics that barely move); a new run fails where a method's value
leaves [value − tolerance, value + tolerance], and the failure names the method and metric.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence

import numpy as np

log = logging.getLogger(__name__)

CHECKED = ("energy_distance", "spread_ratio", "coverage_90")
FIELDS = ("method", "metric", "value", "tolerance", "seed_std", "seeds")
K_STD = 3.0  # tolerance = K_STD seed standard deviations ...
# ... and at least this much: a relative floor (of the value) and an absolute one per metric
FLOORS = {"energy_distance": (0.25, 0.001), "spread_ratio": (0.1, 0.05), "coverage_90": (0, 0.03)}


class ValidationError(AssertionError):
    """A run's metric moved beyond the reference's tolerance."""


def _per_method(records: Sequence[dict], metric: str) -> dict[str, list[float]]:
    out: dict[str, list[float]] = {}
    for r in records:
        if r.get("split", "test") == "test" and metric in r["metrics"]:
            out.setdefault(r["method"], []).append(float(r["metrics"][metric]["mean"]))
    return out


def reference_rows(records: Sequence[dict]) -> list[dict]:
    """The reference from the test metrics records of an accepted run (one or more seeds):
    per method and checked metric the mean over seeds and its tolerance."""
    rows = []
    for metric in CHECKED:
        for method, vals in _per_method(records, metric).items():
            v = np.array(vals)
            std = float(v.std(ddof=1)) if v.size > 1 else math.nan
            rel, absolute = FLOORS[metric]
            tol = max(K_STD * (std if math.isfinite(std) else 0), rel * abs(v.mean()), absolute)
            rows.append({"method": method, "metric": metric, "value": float(v.mean()),
                         "tolerance": tol, "seed_std": std, "seeds": int(v.size)})  # fmt: skip
    return rows


def check_against_reference(records: Sequence[dict], reference: Sequence[dict]) -> list[str]:
    """Compare a run's test metrics (first seed of each method) with the reference rows
    (``reference_rows``, as read back from its CSV: values may be text); return the report
    lines, or raise ``ValidationError`` naming every method and metric outside its
    tolerance (or missing)."""
    lines, failures = [], []
    for row in reference:
        vals = _per_method(records, row["metric"]).get(row["method"])
        value, tol = float(row["value"]), float(row["tolerance"])
        if not vals:
            failures.append(f"{row['method']} {row['metric']}: missing from the run")
            continue
        new = vals[0]
        ok = math.isfinite(new) and abs(new - value) <= tol
        lines.append(f"{'ok  ' if ok else 'FAIL'} {row['method']:14s} {row['metric']:16s} "
                     f"{new:.4g} vs reference {value:.4g} ± {tol:.3g}")  # fmt: skip
        if not ok:
            failures.append(f"{row['method']} {row['metric']}: {new:.4g} outside "
                            f"{value:.4g} ± {tol:.3g}")  # fmt: skip
    for line in lines:
        log.info(line)
    if failures:
        raise ValidationError("the run moved from the reference: " + "; ".join(failures))
    return lines
