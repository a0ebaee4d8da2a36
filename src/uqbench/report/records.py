"""Test-split metrics records over seeds: look-ups by (problem, method, ratio), seed summaries
and paired differences between two methods (the same seeds and test cases). The claims and
the ablation tables read them."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from uqbench import stats
from uqbench.catalogue import SCORED


@dataclass(frozen=True)
class Difference:
    """A paired difference a − b of one metric: mean and 95 % interval, over ``unit``."""

    mean: float
    ci95: float
    unit: str  # e.g. "3 seeds x 100 cases"

    @property
    def lo(self) -> float:
        return self.mean - self.ci95 if math.isfinite(self.ci95) else math.nan

    @property
    def hi(self) -> float:
        return self.mean + self.ci95 if math.isfinite(self.ci95) else math.nan

    def below_zero(self) -> bool:
        """The whole interval lies below 0 (a is smaller, beyond the noise)."""
        return math.isfinite(self.hi) and self.hi < 0

    def above_zero(self) -> bool:
        return math.isfinite(self.lo) and self.lo > 0

    def __str__(self) -> str:
        if not math.isfinite(self.mean):
            return "no paired runs"
        ci = f" ± {self.ci95:.2g}" if math.isfinite(self.ci95) else ""
        return f"{self.mean:+.3g}{ci} ({self.unit})"


class Records:
    """Test-split metrics records, looked up by (problem, method[, ratio]) over seeds."""

    def __init__(self, records: Sequence[Mapping[str, Any]], main_ratio: float) -> None:
        self.records = [r for r in records if r.get("split", "test") == "test"]
        self.main_ratio = float(main_ratio)

    def runs(self, problem: str, method: str, ratio: float | None = None) -> list[Mapping]:
        """Runs of (problem, method); with ``ratio``, those at that ratio or without one."""
        return [
            r
            for r in self.records
            if r["problem"] == problem
            and r["method"] == method
            and (ratio is None or r["ratio"] is None or math.isclose(r["ratio"], ratio))
        ]

    def problems(self, method: str) -> list[str]:
        return sorted({r["problem"] for r in self.records if r["method"] == method})

    def by_seed(self, problem: str, method: str) -> dict[int, Mapping]:
        return {int(r["seed"]): r for r in self.runs(problem, method, self.main_ratio)}

    def values(self, problem: str, method: str, metric: str) -> np.ndarray:
        """Per-seed means of ``metric`` at the main ratio (NaN for diverged seeds)."""
        rs = self.runs(problem, method, self.main_ratio)
        return np.array([run_value(r, metric) for r in rs], float)

    def summary(self, problem: str, method: str, metric: str) -> dict[str, float]:
        """Mean and 95 % interval over seeds (t, n − 1 d.o.f.), or the one run's own."""
        rs = self.runs(problem, method, self.main_ratio)
        vals = [v for v in (run_value(r, metric) for r in rs) if math.isfinite(v)]
        if len(vals) == 1:
            one = next(r for r in rs if math.isfinite(run_value(r, metric)))["metrics"][metric]
            return {"mean": vals[0], "ci95": float(one.get("ci95", math.nan))}
        return stats.mean_ci(vals)

    def diverged(self, problem: str, method: str) -> int:
        return sum(r["status"] not in SCORED for r in self.runs(problem, method, self.main_ratio))

    def paired(self, problem: str, a: str, b: str, metric: str) -> Difference:
        """The paired difference a − b of ``metric`` over the seeds both ran (and scored).

        Every seed scores the same test cases, so the case sampling is not averaged away by
        more seeds: with per-case values, the (seed, case) differences get a crossed
        seeds x cases interval (``stats.crossed_ci``; one seed: over its cases). A metric
        without per-case values (an AUROC) combines the seeds' t interval and the runs' own
        intervals over cases in quadrature (those as if independent: conservative, the
        shared cases correlate the two runs positively)."""
        ra, rb = self.by_seed(problem, a), self.by_seed(problem, b)
        both = sorted(set(ra) & set(rb))
        seeds = [
            s for s in both if math.isfinite(run_value(ra[s], metric) + run_value(rb[s], metric))
        ]
        if not seeds:
            return Difference(math.nan, math.nan, "no paired seeds")
        per_case = [
            (ra[s].get("cases", {}).get(metric), rb[s].get("cases", {}).get(metric)) for s in seeds
        ]
        if all(x is not None and y is not None and len(x) == len(y) for x, y in per_case):
            d = np.array([np.subtract(x, y) for x, y in per_case])
            if np.all(np.isfinite(d)):
                c = stats.crossed_ci(d)
                seed_word = "seed" if len(seeds) == 1 else "seeds"
                unit = f"{len(seeds)} {seed_word} x {d.shape[1]} cases"
                return Difference(c["mean"], c["ci95"], unit)
        diffs = [run_value(ra[s], metric) - run_value(rb[s], metric) for s in seeds]
        seed_part = stats.mean_ci(diffs)["ci95"] if len(seeds) > 1 else 0.0
        case_part = float(
            np.mean([math.hypot(run_ci(ra[s], metric), run_ci(rb[s], metric)) for s in seeds])
        )
        unit = f"{len(seeds)} seed{'s' if len(seeds) > 1 else ''}, each over its cases"
        return Difference(float(np.mean(diffs)), math.hypot(seed_part, case_part), unit)


def run_ci(r: Mapping, metric: str) -> float:
    """A run's own 95 % interval of ``metric`` (over its cases)."""
    return float(r["metrics"][metric].get("ci95", math.nan))


def run_value(r: Mapping, metric: str) -> float:
    """A run's mean of ``metric`` (NaN when the record lacks it)."""
    return float(r["metrics"].get(metric, {"mean": math.nan})["mean"])
