"""The papers' testable claims, checked on the study's own numbers: results/tables/claims.

Each claim states its threshold as strongly as its paper states the claim, prints our
magnitude next to the paper's, and gets a verdict (reproduced / not reproduced /
inconclusive / not run, with the reason) computed from the metrics records, never from a
table of expected answers.

Comparisons between methods are paired: the same seeds and the same test cases for both,
and the verdict reads the 95 % interval of the difference (``Records.paired``): crossed
seeds x cases (every seed scores the same cases, so more seeds do not average the case
sampling away). OOD claims must beat ``input_distance``, the trivial reference score; where
it already separates a problem's shift perfectly, that problem cannot show a margin.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from uqbench.report.records import Records

log = logging.getLogger(__name__)
FIELDS = ("paper", "claim", "threshold", "ours", "paper_value", "verdict", "reason")
REPRODUCED, NOT_REPRODUCED, NOT_RUN = "reproduced", "not reproduced", "not run"
INCONCLUSIVE = "inconclusive"  # the study cannot tell (e.g. the reference leaves no room)
OOD_REFERENCE = "input_distance"
SATURATED = 0.99  # a reference AUROC at which no score can show a margin


@dataclass(frozen=True)
class Verdict:
    ours: str
    verdict: str  # REPRODUCED, NOT_REPRODUCED, INCONCLUSIVE or NOT_RUN
    reason: str = ""


def _verdict(ok: bool) -> str:
    return REPRODUCED if ok else NOT_REPRODUCED


def _fmt(s: Mapping[str, float]) -> str:
    if not math.isfinite(s["mean"]):
        return "DnC"
    ci = s.get("ci95", math.nan)
    return f"{s['mean']:.4g} ± {ci:.2g}" if math.isfinite(ci) else f"{s['mean']:.4g}"


def _missing(recs: Records, problem: str, *methods: str) -> Verdict | None:
    absent = [m for m in methods if not recs.runs(problem, m, recs.main_ratio)]
    if absent:
        return Verdict("–", NOT_RUN, f"the study has no {problem} runs of {', '.join(absent)}")
    return None


def _below(
    recs: Records, problem: str, a: str, others: Sequence[str], metrics: Sequence[str]
) -> Verdict:
    """``a``'s ``metrics`` below each of ``others``'s, paired, beyond the 95 % interval."""
    if (m := _missing(recs, problem, a, *others)) is not None:
        return m
    parts, ok = [], True
    for metric in metrics:
        mine = recs.summary(problem, a, metric)
        text = [f"{metric}: {a} {_fmt(mine)}"]
        for b in others:
            theirs, d = recs.summary(problem, b, metric), recs.paired(problem, a, b, metric)
            ratio = theirs["mean"] / mine["mean"] if mine["mean"] > 0 else math.nan
            text.append(f"{b} {_fmt(theirs)} ({b}/{a} {ratio:.3g}; {a} − {b} {d})")
            ok &= d.below_zero()
        parts.append(", ".join(text))
    dnc = [m for m in (a, *others) if recs.diverged(problem, m)]
    reason = f"DnC seeds of {', '.join(dnc)} are left out of the pairs" if dnc else ""
    return Verdict("; ".join(parts), _verdict(ok and not recs.diverged(problem, a)), reason)


def elu_energy_distance(recs: Records) -> Verdict:
    return _below(recs, "elu", "genuq", ("vi", "flow"), ("energy_distance",))


def poisson_scores(recs: Records) -> Verdict:
    return _below(recs, "poisson", "genuq", ("vi", "flow"), ("energy_score", "energy_distance"))


def poisson_correlation(recs: Records) -> Verdict:
    if (m := _missing(recs, "poisson", "genuq", "vi")) is not None:
        return m
    g = recs.summary("poisson", "genuq", "correlation_error")
    v = recs.summary("poisson", "vi", "correlation_error")
    ok = v["mean"] >= 0.8 and g["mean"] <= 0.7 * v["mean"]
    return Verdict(
        f"correlation_error genuq {_fmt(g)}, vi {_fmt(v)} (ratio {g['mean'] / v['mean']:.3g})",
        _verdict(ok),
    )


def porous_mean(recs: Records) -> Verdict:
    if (m := _missing(recs, "porous", "genuq", "deterministic", "vi", "flow")) is not None:
        return m
    metric = "rel_l2_mean"
    g = recs.summary("porous", "genuq", metric)
    parts = [f"genuq {_fmt(g)}"]
    ok = not recs.diverged("porous", "genuq")
    for b in ("deterministic", "vi", "flow"):
        d = recs.paired("porous", "genuq", b, metric)
        parts.append(f"{b} {_fmt(recs.summary('porous', b, metric))} (genuq − {b} {d})")
        ok &= (math.isfinite(d.mean) and d.mean <= 0) if b == "deterministic" else d.below_zero()
    return Verdict(f"{metric}: " + ", ".join(parts), _verdict(ok))


def ratio_convergence(recs: Records) -> Verdict:
    """The paper's DnC is a run that diverged or whose energy-score phase gained nothing."""
    runs = [r for r in recs.records if r["method"] == "genuq" and r["ratio"] is not None]
    ratios = sorted({float(r["ratio"]) for r in runs})
    if not any(x <= 0.016 for x in ratios) or not any(x >= 0.064 for x in ratios):
        return Verdict("–", NOT_RUN, f"needs genuq at ratios ≤ 0.016 and ≥ 0.064 (has {ratios})")
    ok_small = all(r["status"] == "ok" for r in runs if float(r["ratio"]) <= 0.016)
    parts = []
    for x in ratios:
        at = [r for r in runs if math.isclose(float(r["ratio"]), x)]
        dnc = sum(r["status"] != "ok" for r in at)
        parts.append(f"{x:g}: {dnc}/{len(at)} DnC")
    dnc_large = all(r["status"] != "ok" for r in runs if float(r["ratio"]) >= 0.064)
    ours = ", ".join(parts) + f" (problems {', '.join(sorted({r['problem'] for r in runs}))})"
    return Verdict(ours, _verdict(ok_small and dnc_large))


def ood_separation(method: str) -> Callable[[Records], Verdict]:
    """AUROC (test vs ood) above 0.5 beyond its interval, and above the input-distance
    reference's beyond the margin's interval, on every problem where the reference leaves
    room (a reference AUROC of ``SATURATED`` or more: the shift is plain in the inputs, no
    score can show a margin; with no such problem the claim is inconclusive)."""

    def check(recs: Records) -> Verdict:
        problems = recs.problems(method)
        if not problems:
            return Verdict("–", NOT_RUN, f"the study does not run {method}")
        missing = [p for p in problems if not recs.runs(p, OOD_REFERENCE, recs.main_ratio)]
        if missing:
            return Verdict("–", NOT_RUN, f"needs {OOD_REFERENCE} on {', '.join(missing)}")
        parts, ok, open_problems = [], True, 0
        for p in problems:
            s = recs.summary(p, method, "ood_auroc")
            ref = recs.summary(p, OOD_REFERENCE, "ood_auroc")
            margin = recs.paired(p, method, OOD_REFERENCE, "ood_auroc")
            parts.append(f"{p} {_fmt(s)} vs {OOD_REFERENCE} {_fmt(ref)} (margin {margin})")
            if ref["mean"] >= SATURATED:
                continue
            open_problems += 1
            lo = s["mean"] - s["ci95"] if math.isfinite(s.get("ci95", math.nan)) else math.nan
            ok &= math.isfinite(lo) and lo > 0.5 and margin.above_zero()
        if not open_problems:
            reason = f"{OOD_REFERENCE} separates every problem's ood inputs (AUROC ≥ {SATURATED})"
            return Verdict("AUROC " + "; ".join(parts), INCONCLUSIVE, reason)
        return Verdict("AUROC " + "; ".join(parts), _verdict(ok))

    return check


def regrad_depth(recs: Records) -> Verdict:
    """Depth-weighted gradients detect OOD better than uniform ones (the same model and
    probes, ``depth_base`` 1): the paired AUROC gain above 0 on every problem."""
    variant = "regrad_uniform"
    problems = [p for p in recs.problems("regrad") if recs.runs(p, variant, recs.main_ratio)]
    if not problems:
        return Verdict("–", NOT_RUN, f"needs regrad and its variant {variant} on one problem")
    parts, ok = [], True
    for p in problems:
        d = recs.paired(p, "regrad", variant, "ood_auroc")
        r = recs.summary(p, "regrad", "ood_auroc")["mean"]
        u = recs.summary(p, variant, "ood_auroc")["mean"]
        rel = (r - 0.5) / (u - 0.5) - 1 if u > 0.5 else math.nan
        parts.append(
            f"{p} AUROC {r:.3g} vs uniform {u:.3g} (gain {d}; {100 * rel:+.0f} % above chance)"
        )
        ok &= d.above_zero()
    return Verdict("; ".join(parts), _verdict(ok))


def isograd_ranks_errors(recs: Records) -> Verdict:
    problems = recs.problems("isograd")
    if not problems:
        return Verdict("–", NOT_RUN, "the study does not run isograd")
    parts, ok = [], True
    for p in problems:
        s = recs.summary(p, "isograd", "score_error_spearman_test")
        ok &= math.isfinite(s.get("ci95", math.nan)) and s["mean"] - s["ci95"] > 0
        parts.append(f"{p} {_fmt(s)}")
    return Verdict("Spearman " + ", ".join(parts), _verdict(ok))


def _seconds_per_sample(r: Mapping) -> float:
    return float(r["predict_seconds"]) / (int(r.get("n_samples", 1)) * int(r.get("n_cases", 1)))


def ecsg_fast(recs: Records) -> Verdict:
    problems = [
        p
        for p in recs.problems("ecsg")
        if all(recs.runs(p, m, recs.main_ratio) for m in ("genuq", "flow"))
    ]
    if not problems:
        return Verdict("–", NOT_RUN, "needs ecsg, genuq and flow on one problem")
    parts, ok = [], True
    for p in problems:
        runs = {m: recs.runs(p, m, recs.main_ratio) for m in ("ecsg", "genuq", "flow")}
        devices = {str(r.get("device", "")) for rs in runs.values() for r in rs}
        if len(devices) > 1:
            return Verdict("–", NOT_RUN, f"{p}: ecsg, genuq and flow predicted on {devices}")
        t = {m: float(np.mean([_seconds_per_sample(r) for r in rs])) for m, rs in runs.items()}
        fastest_other = min(t["genuq"], t["flow"])
        ok &= t["ecsg"] <= 0.5 * fastest_other
        us = {m: f"{1e6 * v:.3g} µs" for m, v in t.items()}
        speedup = float(f"{fastest_other / t['ecsg']:.2g}")  # 2 digits: 160x, not 1.6e+02x
        parts.append(
            f"{p} ecsg {us['ecsg']} vs genuq {us['genuq']}, flow {us['flow']} ({speedup:g}x)"
        )
    return Verdict("predict time per sample: " + "; ".join(parts), _verdict(ok))


OOD_THRESHOLD = (
    "AUROC's 95 % interval above 0.5, and above input_distance's (the paired margin's "
    f"interval above 0), on every problem where input_distance's AUROC is below {SATURATED}"
)
PAIRED = "paired 95 % interval over seeds x test cases"
# (paper, claim, threshold, the paper's value, check)
CLAIMS: tuple[tuple[str, str, str, str, Callable[[Records], Verdict]], ...] = (
    (
        "000 GenUQ",
        "elu: GenUQ's energy distance is far below VI's and the flow's",
        f"ED genuq − vi and genuq − flow below 0 ({PAIRED})",
        "0.0020 vs VI 0.2643 (132x)",
        elu_energy_distance,
    ),
    (
        "000 GenUQ",
        "poisson: GenUQ's samples match the data better than VI's and the flow's",
        f"ES and ED genuq − vi and genuq − flow below 0 ({PAIRED})",
        "figures only",
        poisson_scores,
    ),
    (
        "000 GenUQ",
        "poisson: VI's samples lose the correlation structure GenUQ keeps",
        "correlation_error vi ≥ 0.8 and genuq ≤ 0.7 × vi",
        "figures only",
        poisson_correlation,
    ),
    (
        "000 GenUQ",
        "porous: GenUQ's mean outperforms the deterministic model, VI and the flow",
        f"rel_l2_mean genuq − deterministic ≤ 0 (mean), genuq − vi and genuq − flow below 0 "
        f"({PAIRED})",
        "figures only (outperforms in L² mean error)",
        porous_mean,
    ),
    (
        "000 GenUQ",
        "GenUQ converges for r ≤ 1.6 % and does not converge at large ratios",
        "every genuq run with r ≤ 0.016 ok; every one with r ≥ 0.064 DnC (diverged or no gain)",
        "Table 1: DnC when the stochastic parameters exceed ~6.4 %",
        ratio_convergence,
    ),
    (
        "001 regrad",
        "the gradient score separates out-of-distribution inputs",
        OOD_THRESHOLD,
        "AUROC gains of 30-60 % over baselines",
        ood_separation("regrad"),
    ),
    (
        "001 regrad",
        "layer-selective weights (deeper layers more) detect OOD better than uniform",
        f"AUROC regrad − regrad_uniform above 0 on every problem ({PAIRED})",
        "30-60 % better detection",
        regrad_depth,
    ),
    (
        "002 isograd",
        "the isotropic gradient-norm score separates out-of-distribution inputs",
        OOD_THRESHOLD,
        "–",
        ood_separation("isograd"),
    ),
    (
        "002 isograd",
        "the isotropic estimate is a correct epistemic uncertainty (ranks errors)",
        "score_error_spearman_test's 95 % interval above 0 on every problem "
        "(our proxy: no MCMC reference posterior is computed)",
        "close agreement with MCMC, improving with size",
        isograd_ranks_errors,
    ),
    (
        "003 ECSG",
        "sampling is one network pass: several times faster than parameter-space generators",
        "ecsg predict seconds per sample ≤ ½ of genuq's and flow's, same device, every problem",
        "several times faster",
        ecsg_fast,
    ),
    (
        "004 DECU",
        "the ensemble's mutual information is higher on under-represented inputs",
        OOD_THRESHOLD,
        "–",
        ood_separation("decu"),
    ),
    (
        "ensemble",
        "deep-ensemble disagreement separates out-of-distribution inputs",
        OOD_THRESHOLD,
        "–",
        ood_separation("ensemble"),
    ),
    (
        "laplace",
        "the linearised Laplace predictive variance separates out-of-distribution inputs",
        OOD_THRESHOLD,
        "–",
        ood_separation("laplace"),
    ),
)


def claims_table(
    records: Sequence[Mapping[str, Any]], main_ratio: float
) -> tuple[list[dict[str, str]], str]:
    """Check every claim of ``CLAIMS`` on the test records: (rows, Markdown text)."""
    recs = Records(records, main_ratio)
    rows = []
    for paper, claim, threshold, paper_value, check in CLAIMS:
        v = check(recs)
        rows.append(
            {
                "paper": paper,
                "claim": claim,
                "threshold": threshold,
                "ours": v.ours,
                "paper_value": paper_value,
                "verdict": v.verdict,
                "reason": v.reason,
            }
        )
    md = ["| " + " | ".join(FIELDS) + " |", "|" + "---|" * len(FIELDS)]
    md += ["| " + " | ".join(str(r[f]).replace("|", "/") for f in FIELDS) + " |" for r in rows]
    log.info("claims: %s", {r["claim"][:40]: r["verdict"] for r in rows})
    return rows, "\n".join(md) + "\n"
