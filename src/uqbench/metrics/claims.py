"""The papers' testable claims, checked on the study's own numbers: results/tables/claims.

Each claim states its threshold; the verdict (reproduced / not reproduced / not run) comes from
the metrics records (one per problem, method, ratio, seed and split), never from a table of
expected answers. A claim whose problem or methods the study did not run is "not run", with
the reason.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

log = logging.getLogger(__name__)
FIELDS = ("paper", "claim", "threshold", "ours", "paper_value", "verdict", "reason")


@dataclass(frozen=True)
class Verdict:
    ours: str
    verdict: str  # "reproduced", "not reproduced" or "not run"
    reason: str = ""


class Records:
    """Test-split metrics records, looked up by (problem, method[, ratio]) over seeds."""

    def __init__(self, records: Sequence[dict], main_ratio: float) -> None:
        self.records = [r for r in records if r.get("split", "test") == "test"]
        self.main_ratio = float(main_ratio)

    def runs(self, problem: str, method: str, ratio: float | None = None) -> list[dict]:
        """Runs of (problem, method); with ``ratio``, those at that ratio or without one."""
        return [
            r for r in self.records
            if r["problem"] == problem and r["method"] == method
            and (ratio is None or r["ratio"] is None or math.isclose(r["ratio"], ratio))
        ]  # fmt: skip

    def values(self, problem: str, method: str, metric: str) -> np.ndarray:
        """Per-seed means of ``metric`` at the main ratio (NaN for diverged seeds)."""
        rs = self.runs(problem, method, self.main_ratio)
        return np.array([r["metrics"].get(metric, {"mean": math.nan})["mean"] for r in rs], float)


def _missing(recs: Records, problem: str, *methods: str) -> Verdict | None:
    absent = [m for m in methods if not recs.runs(problem, m, recs.main_ratio)]
    if absent:
        return Verdict("–", "not run", f"the study has no {problem} runs of {', '.join(absent)}")
    return None


def _fmt(v: np.ndarray) -> str:
    ok = v[np.isfinite(v)]
    if not ok.size:
        return "DnC"
    return f"{ok.mean():.4g} ± {ok.std(ddof=1):.2g}" if ok.size > 1 else f"{ok.mean():.4g}"


def _mean(v: np.ndarray) -> float:
    ok = v[np.isfinite(v)]
    return float(ok.mean()) if ok.size else math.nan


def elu_energy_distance(recs: Records) -> Verdict:
    if (m := _missing(recs, "elu", "genuq", "vi")) is not None:
        return m
    g, v = (
        recs.values("elu", "genuq", "energy_distance"),
        recs.values("elu", "vi", "energy_distance"),
    )
    ok = _mean(g) <= _mean(v) / 3
    return Verdict(f"genuq {_fmt(g)}, vi {_fmt(v)} (ratio {_mean(v) / _mean(g):.3g})",
                   "reproduced" if ok else "not reproduced")  # fmt: skip


def _compare(
    recs: Records,
    problem: str,
    a: str,
    b: str,
    metric: str,
    holds: Callable[[np.ndarray, np.ndarray], bool],
) -> Verdict:
    """Verdict of ``holds(values of a, values of b)`` on ``metric`` (per-seed arrays)."""
    if (m := _missing(recs, problem, a, b)) is not None:
        return m
    va, vb = recs.values(problem, a, metric), recs.values(problem, b, metric)
    return Verdict(f"{metric} {a} {_fmt(va)}, {b} {_fmt(vb)}",
                   "reproduced" if holds(va, vb) else "not reproduced")  # fmt: skip


def _seed_std(v: np.ndarray) -> float:
    return float(np.nanstd(v, ddof=1)) if v.size > 1 else 0.0


def poisson_correlation(recs: Records) -> Verdict:
    return _compare(recs, "poisson", "genuq", "vi", "correlation_error",
                    lambda g, v: _mean(v) >= 0.8 and _mean(g) <= 0.7 * _mean(v))  # fmt: skip


def porous_mean(recs: Records) -> Verdict:
    def holds(g: np.ndarray, d: np.ndarray) -> bool:
        spread = max(_seed_std(g), _seed_std(d), 0.02 * _mean(d))
        return _mean(g) <= _mean(d) + spread

    return _compare(recs, "porous", "genuq", "deterministic", "rel_l2_mean", holds)


def ratio_convergence(recs: Records) -> Verdict:
    runs = [r for r in recs.records if r["method"] == "genuq" and r["ratio"] is not None]
    ratios = sorted({float(r["ratio"]) for r in runs})
    if not any(x <= 0.016 for x in ratios) or not any(x >= 0.064 for x in ratios):
        return Verdict("–", "not run", f"needs genuq at ratios ≤ 0.016 and ≥ 0.064 (has {ratios})")
    ok_small = all(r["status"] == "ok" for r in runs if float(r["ratio"]) <= 0.016)
    dnc = sorted({float(r["ratio"]) for r in runs if r["status"] != "ok"})
    ours = "DnC at " + ", ".join(f"{x:g}" for x in dnc) if dnc else "converged at every ratio"
    ours += f" (ratios {', '.join(f'{x:g}' for x in ratios)}; problems "
    ours += ", ".join(sorted({r["problem"] for r in runs})) + ")"
    ok = ok_small and any(x >= 0.064 for x in dnc)
    return Verdict(ours, "reproduced" if ok else "not reproduced")


def ood_separation(method: str) -> Callable[[Records], Verdict]:
    def check(recs: Records) -> Verdict:
        problems = sorted({r["problem"] for r in recs.records if r["method"] == method})
        if not problems:
            return Verdict("–", "not run", f"the study does not run {method}")
        parts, ok = [], True
        for p in problems:
            v = recs.values(p, method, "ood_auroc")
            v = v[np.isfinite(v)]
            low = v.mean() - 1.96 * v.std(ddof=1) / math.sqrt(v.size) if v.size > 1 else math.nan
            ok &= bool(v.size) and v.mean() > 0.5 and (v.size == 1 or low > 0.5)
            ci = f" (CI low {low:.3g})" if v.size > 1 else ""
            parts.append(f"{p} {v.mean():.3g}{ci}" if v.size else f"{p} DnC")
        reason = "" if all(recs.values(p, method, "ood_auroc").size > 1 for p in problems) else (
            "one seed: no CI over seeds")  # fmt: skip
        return Verdict("AUROC " + ", ".join(parts), "reproduced" if ok else "not reproduced",
                       reason)  # fmt: skip

    return check


def ecsg_fast(recs: Records) -> Verdict:
    problems = sorted({r["problem"] for r in recs.records if r["method"] == "ecsg"})
    if not problems or not any(recs.runs(p, "genuq", recs.main_ratio) for p in problems):
        return Verdict("–", "not run", "needs ecsg and genuq on one problem")
    parts, ok = [], True
    for p in problems:
        e = [float(r["predict_seconds"]) for r in recs.runs(p, "ecsg")]
        g = [float(r["predict_seconds"]) for r in recs.runs(p, "genuq", recs.main_ratio)]
        if e and g:
            ok &= np.mean(e) <= np.mean(g)
            parts.append(f"{p} {np.mean(e):.3g} s vs genuq {np.mean(g):.3g} s")
    return Verdict("predict seconds " + ", ".join(parts), "reproduced" if ok else "not reproduced")


def not_run(reason: str) -> Callable[[Records], Verdict]:
    return lambda recs: Verdict("–", "not run", reason)


# (paper, claim, threshold, the paper's value, check)
CLAIMS: tuple[tuple[str, str, str, str, Callable[[Records], Verdict]], ...] = (
    ("000 GenUQ", "elu: GenUQ's energy distance is far below VI's",
     "mean ED genuq ≤ VI's / 3", "0.0020 vs 0.2643", elu_energy_distance),
    ("000 GenUQ", "poisson: VI's samples lose the correlation structure GenUQ keeps",
     "correlation_error vi ≥ 0.8 and genuq ≤ 0.7 × vi", "figures only", poisson_correlation),
    ("000 GenUQ", "porous: GenUQ's mean is at least as accurate as the deterministic model's",
     "rel_l2_mean genuq ≤ deterministic + max(seed std, 2 %)", "figures only", porous_mean),
    ("000 GenUQ", "GenUQ converges for r ≤ 1.6 % and does not converge at large ratios",
     "every genuq run with r ≤ 0.016 ok, one with r ≥ 0.064 DnC", "Table 1: DnC above 6.4 %",
     ratio_convergence),
    ("001 regrad", "the gradient score separates out-of-distribution inputs",
     "ood_auroc > 0.5 on every problem (95 % CI over seeds above 0.5)", "–",
     ood_separation("regrad")),
    ("001 regrad", "layer-selective weights (deeper layers more) detect OOD better than uniform",
     "–", "30-60 % better detection",
     not_run("needs an ablation run with depth_base = 1 (same model, uniform weights)")),
    ("002 isograd", "the isotropic gradient-norm score separates out-of-distribution inputs",
     "ood_auroc > 0.5 on every problem (95 % CI over seeds above 0.5)", "–",
     ood_separation("isograd")),
    ("002 isograd", "the isotropic estimate matches a reference (MCMC) posterior predictive",
     "–", "close agreement, improving with size",
     not_run("no MCMC reference posterior of the base models is computed")),
    ("003 ECSG", "sampling is one network pass: faster than parameter-space generators",
     "ecsg predict seconds ≤ genuq's on every problem", "several times faster", ecsg_fast),
    ("004 DECU", "the ensemble's mutual information is higher on under-represented inputs",
     "ood_auroc > 0.5 on every problem (95 % CI over seeds above 0.5)", "–",
     ood_separation("decu")),
    ("ensemble", "deep-ensemble disagreement separates out-of-distribution inputs",
     "ood_auroc > 0.5 on every problem (95 % CI over seeds above 0.5)", "–",
     ood_separation("ensemble")),
)  # fmt: skip


def claims_table(records: Sequence[dict], main_ratio: float) -> tuple[list[dict], str]:
    """Check every claim of ``CLAIMS`` on the test records: (rows, Markdown text)."""
    recs = Records(records, main_ratio)
    rows = []
    for paper, claim, threshold, paper_value, check in CLAIMS:
        v = check(recs)
        rows.append({
            "paper": paper, "claim": claim, "threshold": threshold, "ours": v.ours,
            "paper_value": paper_value, "verdict": v.verdict, "reason": v.reason,
        })  # fmt: skip
    md = ["| " + " | ".join(FIELDS) + " |", "|" + "---|" * len(FIELDS)]
    md += ["| " + " | ".join(str(r[f]).replace("|", "/") for f in FIELDS) + " |" for r in rows]
    log.info("claims: %s", {r["claim"][:40]: r["verdict"] for r in rows})
    return rows, "\n".join(md) + "\n"
