"""The science check of ``make validate``: a run's metrics against the accepted reference.

The reference (``validation/{problem}_reference.csv``) comes from an accepted run of the
validation study with several seeds (``validation/reference_seeds.yaml``), on a data seed the
defaults do not use (so a design tuned on the default test split does not pass by
construction). Per method and checked metric it holds the value of every seed, their mean and
standard deviation, and the tolerance for one new seed (a check of k seeds recomputes it).

A new run (k seeds, not among the reference's; one by default) passes a check when the mean
of its k values lies within the prediction interval of the reference seeds for the mean of k
new draws, mean ± q·sd·√(1/k + 1/n) over the n seeds that did not diverge, q the Student-t
quantile with n − 1 degrees of freedom at 1 − α/2, and α = ``FAMILY_ALPHA`` divided by the
number of checks (Bonferroni): unchanged code on any machine, whose training differs from
the reference's like a new seed, fails some check with probability at most about
``FAMILY_ALPHA``. The tolerance is at least a floor
(the rounding a change of machine brings to methods whose seeds agree), and has no cap: one
seed cannot tell a regression smaller than the method's own seed-to-seed spread from noise,
and the report prints each tolerance so the reader sees what the check can detect; more run
seeds narrow it (about √(1/k) where n is large), for a method whose seeds spread widely. A run
diverges (NaN) only where some reference seed diverged (the mean of its other seeds is then
checked), and must where every one did; fewer than two finite reference seeds cannot judge,
and fail. The level assumes roughly normal seed values and run seeds outside the reference
(the report notes one inside).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from scipy import stats

log = logging.getLogger(__name__)

CHECKED = ("energy_distance", "spread_ratio", "coverage_90")
FIELDS = ("method", "metric", "seed", "value", "mean", "seed_std", "seeds", "tolerance")
FAMILY_ALPHA = 0.05  # chance that unchanged code (a new seed) fails any check of the run
FEW_SEEDS = 5  # fewer reference seeds than this: the report says its tolerances are wide
FLOORS = {"energy_distance": (0.02, 1e-6), "spread_ratio": (0.0, 0.02), "coverage_90": (0.0, 0.01)}

Values = Mapping[tuple[str, str], Mapping[int, float]]  # (method, metric) -> {seed: value}


class ValidationError(AssertionError):
    """A run's metric moved beyond the reference's tolerance."""


def values_of_records(
    records: Sequence[Mapping[str, Any]],
) -> dict[tuple[str, str], dict[int, float]]:
    """{(method, metric): {seed: value}} of the checked metrics over the test records."""
    out: dict[tuple[str, str], dict[int, float]] = {}
    for r in records:
        if r.get("split", "test") != "test":
            continue
        for metric in CHECKED:
            if metric in r["metrics"]:
                by_seed = out.setdefault((r["method"], metric), {})
                if int(r["seed"]) in by_seed:  # e.g. two ratios of one method
                    raise ValueError(
                        f"two test records of {r['method']} seed {r['seed']}: the check takes "
                        "one per method and seed (the main ratio)"
                    )
                by_seed[int(r["seed"])] = float(r["metrics"][metric]["mean"])
    return out


def tolerance(
    metric: str, value: float, seed_std: float, seeds: int, checks: int, runs: int = 1
) -> float:
    """Half-width of the prediction interval for the mean of ``runs`` new seeds of
    ``metric``, from ``seeds`` finite seeds with mean ``value`` and std ``seed_std``, at the
    Bonferroni level of ``checks`` checks, and at least the floor (module doc). NaN with
    fewer than two finite seeds: one seed says nothing of the spread of another."""
    if seeds < 2 or not math.isfinite(seed_std):
        return math.nan
    rel, absolute = FLOORS[metric]
    floor = max(rel * abs(value), absolute)
    q = float(stats.t.ppf(1.0 - FAMILY_ALPHA / max(checks, 1) / 2.0, seeds - 1))
    return max(q * seed_std * math.sqrt(1.0 / runs + 1.0 / seeds), floor)


def summaries(values: Values) -> dict[tuple[str, str], tuple[float, float, int, float]]:
    """(mean, std, count, tolerance) over the finite seeds of each (method, metric): a
    diverged seed (NaN) is left out of the spread."""
    out = {}
    for key, by_seed in values.items():
        v = np.array([x for x in by_seed.values() if math.isfinite(x)])
        std = float(v.std(ddof=1)) if v.size > 1 else math.nan
        mean = float(v.mean()) if v.size else math.nan
        out[key] = (mean, std, int(v.size), tolerance(key[1], mean, std, int(v.size), len(values)))
    return out


def rows_from_values(values: Values) -> list[dict[str, Any]]:
    """The reference rows from every seed's value per (method, metric): one row per method,
    metric and seed (a diverged seed keeps its row, NaN), with its key's ``summaries``."""
    stats_of = summaries(values)
    return [
        {
            "method": method,
            "metric": metric,
            "seed": seed,
            "value": value,
            "mean": stats_of[method, metric][0],
            "seed_std": stats_of[method, metric][1],
            "seeds": stats_of[method, metric][2],
            "tolerance": stats_of[method, metric][3],
        }
        for (method, metric), by_seed in sorted(values.items())
        for seed, value in sorted(by_seed.items())
    ]


def reference_rows(records: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The reference from the test metrics records of an accepted run (several seeds)."""
    return rows_from_values(values_of_records(records))


def values_of_rows(reference: Sequence[Mapping[str, Any]]) -> dict[tuple[str, str], dict]:
    """{(method, metric): {seed: value}} of reference rows (as read back from the CSV)."""
    out: dict[tuple[str, str], dict[int, float]] = {}
    for row in reference:
        out.setdefault((row["method"], row["metric"]), {})[int(row["seed"])] = float(row["value"])
    return out


def _judge(
    new: Sequence[float], key: tuple[str, str], reference: Mapping[int, float], checks: int
) -> tuple[float, bool, str]:
    """The run's value for one check (the mean of its seeds that did not diverge; NaN when
    none did), whether it passes, and the reference it was held against. A run seed may
    diverge only where some reference seed did, and every one must where every one did."""
    mean, std, seeds, _ = summaries({key: reference})[key]
    finite = [v for v in new if math.isfinite(v)]
    value = float(np.mean(finite)) if finite else math.nan
    if seeds == 0:
        return value, not finite, "every reference seed diverged"
    tol = tolerance(key[1], mean, std, seeds, checks, runs=max(len(finite), 1))
    span = f"{mean:.4g} ± {tol:.3g} ({seeds} seeds)"
    if seeds < 2:
        return value, False, f"{span}: one seed cannot judge (accept more)"
    if len(finite) < len(new):
        diverged = f"{len(new) - len(finite)} of {len(new)} run seeds diverged"
        if seeds == len(reference):  # no reference seed diverged: neither may the run's
            return math.nan, False, f"{span}; {diverged}, no reference seed did"
        if not finite:
            return value, True, f"{span}; {diverged}, as a reference seed did"
        span += f"; {diverged}, as a reference seed did"
    # how far the run lies in units of its tolerance: 1 is the edge of the interval
    far = abs(value - mean) / tol
    return value, far <= 1.0, f"{span}, at {far:.2f} of the tolerance"


def check_against_reference(
    records: Sequence[Mapping[str, Any]], reference: Sequence[Mapping[str, Any]]
) -> list[str]:
    """Compare a run's test metrics (one seed or more: their mean per method and metric)
    with the reference rows (``reference_rows``, as read back from its CSV: values may be
    text); return the report lines, or raise ``ValidationError`` naming every method and
    metric outside its tolerance, missing from the run, or not in the reference. The mean
    and tolerance are recomputed from the rows' values, so a reference CSV written by an
    older rule is judged by this one. A run seed that diverged makes its mean NaN."""
    reference_values = values_of_rows(reference)
    run = values_of_records(records)
    run_seeds = sorted({seed for by_seed in run.values() for seed in by_seed})
    if not run_seeds:
        raise ValueError("the run has no test metrics records")
    label = (
        f"seed {run_seeds[0]}"
        if len(run_seeds) == 1
        else f"mean of seeds {','.join(map(str, run_seeds))}"
    )
    lines, failures = [], []
    for key in sorted(reference_values):
        missing = [s for s in run_seeds if s not in run.get(key, {})]
        if missing:
            failures.append(f"{key[0]} {key[1]}: missing from the run (seeds {missing})")
            continue
        new, ok, against = _judge(
            [run[key][s] for s in run_seeds], key, reference_values[key], len(reference_values)
        )
        lines.append(
            f"{'ok  ' if ok else 'FAIL'} {key[0]:14s} {key[1]:16s} {label}: "
            f"{new:.4g} vs reference {against}"
        )
        if not ok:
            failures.append(f"{key[0]} {key[1]} ({label}): {new:.4g} outside {against}")
    failures += [
        f"{m} {k}: not in the reference (accept anew)"
        for m, k in sorted(set(run) - set(reference_values))
    ]
    own = sorted({s for by_seed in reference_values.values() for s in by_seed} & set(run_seeds))
    if own:
        which = f"seed {own[0]} is one of" if len(own) == 1 else f"seeds {own} are among"
        lines.append(
            f"note: {which} the reference's seeds, so the run is not a new draw and the "
            "check is lenient; accept the seeds of validation/reference_seeds.yaml"
        )
    fewest = min(
        (sum(math.isfinite(v) for v in by_seed.values()) for by_seed in reference_values.values()),
        default=0,
    )
    if fewest < FEW_SEEDS:
        lines.append(
            f"note: the reference has as few as {fewest} seeds that did not diverge, so its "
            f"tolerances are wide (t with {max(fewest - 1, 0)} degrees of freedom); "
            "`make validate-accept` runs validation/reference_seeds.yaml's seeds"
        )
    for line in lines:
        log.info(line)
    if failures:
        raise ValidationError("the run moved from the reference: " + "; ".join(failures))
    return lines
