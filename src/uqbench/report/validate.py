"""The science check of ``make validate``: a run's metrics against the accepted reference.

The reference (``validation/{problem}_reference.csv``) comes from an accepted run of the
validation study with several seeds, on a data seed the defaults do not use (so a design
tuned on the default test split does not pass by construction). Per method and checked
metric it holds the value of every seed, their mean and standard deviation, and the
tolerance min(max(``K_STD`` seed standard deviations, a floor), a cap): the floor a share of
the value and an absolute one, the cap such that a real regression cannot hide in a noisy
method: the energy distance may move by at most max(20 % of the value, the oracle's own
seed-to-seed std), the spread ratio by 0.1, the 90 % coverage by 0.03. A new run of one
seed passes when each metric is within the tolerance of the reference's value *for the same
seed* (the check is for code changes; the seed-to-seed spread sets how much change is
noise). A change that only redraws random numbers moves a metric by about √2 of its seed
std, so where the cap binds (a method as close to the truth as the oracle) such a change
fails, and its new numbers need accepting after a look. A seed that diverged in the
reference must diverge again.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from uqbench.catalogue import ORACLE

log = logging.getLogger(__name__)

CHECKED = ("energy_distance", "spread_ratio", "coverage_90")
FIELDS = ("method", "metric", "seed", "value", "mean", "seed_std", "seeds", "tolerance")
K_STD = 3.0  # tolerance = K_STD seed standard deviations, within [floor, cap]
FLOORS = {"energy_distance": (0.02, 1e-6), "spread_ratio": (0.0, 0.02), "coverage_90": (0.0, 0.01)}
CAP_SHARE = 0.2  # energy distance: at most this share of the value ...
CAPS = {"spread_ratio": 0.1, "coverage_90": 0.03}  # ... the others: at most these


class ValidationError(AssertionError):
    """A run's metric moved beyond the reference's tolerance."""


def _per_method(records: Sequence[Mapping[str, Any]], metric: str) -> dict[str, dict[int, float]]:
    """{method: {seed: value}} of ``metric`` over the test records."""
    out: dict[str, dict[int, float]] = {}
    for r in records:
        if r.get("split", "test") == "test" and metric in r["metrics"]:
            out.setdefault(r["method"], {})[int(r["seed"])] = float(r["metrics"][metric]["mean"])
    return out


def tolerance(metric: str, value: float, seed_std: float, oracle_std: float) -> float:
    """``K_STD`` seed stds of ``metric`` at ``value``, within [floor, cap] (module doc)."""
    rel, absolute = FLOORS[metric]
    tol = max(K_STD * (seed_std if math.isfinite(seed_std) else 0.0), rel * abs(value), absolute)
    if metric == "energy_distance":
        cap = max(CAP_SHARE * abs(value), oracle_std if math.isfinite(oracle_std) else 0.0)
    else:
        cap = CAPS[metric]
    return min(tol, max(cap, absolute))


def reference_rows(records: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The reference from the test metrics records of an accepted run (several seeds): one
    row per method, checked metric and seed, with the value of that seed, the mean and std
    over seeds and the tolerance (``tolerance``)."""
    rows = []
    for metric in CHECKED:
        per = _per_method(records, metric)
        oracle = np.array([v for v in per.get(ORACLE, {}).values() if math.isfinite(v)])
        oracle_std = float(oracle.std(ddof=1)) if oracle.size > 1 else math.nan
        for method, by_seed in per.items():
            v = np.array(list(by_seed.values()))
            v = v[np.isfinite(v)]  # a diverged seed is left out of the spread (not of the rows)
            std = float(v.std(ddof=1)) if v.size > 1 else math.nan
            mean = float(v.mean()) if v.size else math.nan
            tol = tolerance(metric, mean, std, oracle_std) if v.size else math.nan
            for seed, value in sorted(by_seed.items()):
                rows.append(
                    {
                        "method": method,
                        "metric": metric,
                        "seed": seed,
                        "value": value,
                        "mean": mean,
                        "seed_std": std,
                        "seeds": int(v.size),
                        "tolerance": tol,
                    }
                )
    return rows


def check_against_reference(
    records: Sequence[Mapping[str, Any]], reference: Sequence[Mapping[str, Any]]
) -> list[str]:
    """Compare a run's test metrics with the reference rows (``reference_rows``, as read
    back from its CSV: values may be text) of the same seeds; return the report lines, or
    raise ``ValidationError`` naming every method and metric outside its tolerance (or
    missing). Reference seeds the run does not have are not checked, but every method and
    metric of the reference must appear for at least one seed."""
    lines, failures, seen = [], [], set()
    wanted = {(row["method"], row["metric"]) for row in reference}
    for row in reference:
        method, metric, seed = row["method"], row["metric"], int(row["seed"])
        new = _per_method(records, metric).get(method, {}).get(seed)
        if new is None:
            continue
        seen.add((method, metric))
        value, tol = float(row["value"]), float(row["tolerance"])
        # a run that diverged in the reference must diverge again (NaN), and only then
        ok = (
            math.isnan(new) if math.isnan(value) else math.isfinite(new) and abs(new - value) <= tol
        )
        lines.append(
            f"{'ok  ' if ok else 'FAIL'} {method:14s} {metric:16s} seed {seed}: "
            f"{new:.4g} vs reference {value:.4g} ± {tol:.3g}"
        )
        if not ok:
            failures.append(
                f"{method} {metric} (seed {seed}): {new:.4g} outside {value:.4g} ± {tol:.3g}"
            )
    failures += [f"{m} {k}: missing from the run" for m, k in sorted(wanted - seen)]
    for line in lines:
        log.info(line)
    if failures:
        raise ValidationError("the run moved from the reference: " + "; ".join(failures))
    return lines
