"""The claims table: verdicts follow the numbers, paired, with the stated thresholds."""

import numpy as np

from uqbench.report.claims import claims_table


def record(
    problem, method, seed=0, ratio=None, status="ok", cases=None, ci=float("nan"), **metrics
):
    r = {
        "problem": problem, "method": method, "base_method": method, "seed": seed,
        "ratio": ratio, "split": "test", "status": status, "n_samples": 256, "n_cases": 100,
        "predict_seconds": metrics.pop("predict_seconds", 1.0), "device": "cpu",
        "metrics": {k: {"mean": v, "ci95": ci, "n": 100} for k, v in metrics.items()},
    }  # fmt: skip
    if cases is not None:
        r["cases"] = cases
    return r


def verdicts(records, main_ratio=0.016):
    rows, md = claims_table(records, main_ratio)
    assert [line.split(" | ")[-2] for line in md.splitlines()[2:]] == [r["verdict"] for r in rows]
    return {r["claim"]: r for r in rows}


ELU = "elu: GenUQ's energy distance is far below VI's and the flow's"
POISSON = "poisson: GenUQ's samples match the data better than VI's and the flow's"
CORRELATION = "poisson: VI's samples lose the correlation structure GenUQ keeps"
POROUS = "porous: GenUQ's mean outperforms the deterministic model, VI and the flow"
RATIO = "GenUQ converges for r ≤ 1.6 % and does not converge at large ratios"
REGRAD_OOD = "the gradient score separates out-of-distribution inputs"
DEPTH = "layer-selective weights (deeper layers more) detect OOD better than uniform"
ISOGRAD = "the isotropic estimate is a correct epistemic uncertainty (ranks errors)"
ECSG = "sampling is one network pass: several times faster than parameter-space generators"


def seeds(problem, method, values, metric, ratio=0.016):
    return [record(problem, method, s, ratio, **{metric: v}) for s, v in enumerate(values)]


def test_elu_claim_pairs_seeds_and_needs_the_interval_below_zero():
    far = seeds("elu", "genuq", [0.003, 0.004, 0.0035], "energy_distance")
    vi = seeds("elu", "vi", [0.03, 0.031, 0.029], "energy_distance")
    flow = seeds("elu", "flow", [0.03, 0.028, 0.033], "energy_distance")
    row = verdicts(far + vi + flow)[ELU]
    assert (
        row["verdict"] == "reproduced" and "3 seeds" in row["ours"] and "132x" in row["paper_value"]
    )
    # genuq beats vi in two seeds of three, by a margin the seeds do not resolve
    close = seeds("elu", "genuq", [0.02, 0.035, 0.025], "energy_distance")
    assert verdicts(close + vi + flow)[ELU]["verdict"] == "not reproduced"
    assert verdicts(far + vi)[ELU]["verdict"] == "not run"  # no flow


def test_with_one_seed_the_pairs_are_the_test_cases():
    rng = np.random.default_rng(0)
    g, v = rng.normal(0.003, 0.001, 100), rng.normal(0.03, 0.01, 100)
    recs = [
        record("elu", m, 0, 0.016, cases={"energy_distance": list(c)}, energy_distance=c.mean())
        for m, c in (("genuq", g), ("vi", v), ("flow", v + 0.001))
    ]
    row = verdicts(recs)[ELU]
    assert row["verdict"] == "reproduced" and "(100 cases)" in row["ours"]
    # the same per-case values shuffled between the methods: no difference
    same = [dict(r, cases={"energy_distance": list(v)}) for r in recs]
    assert verdicts(same)[ELU]["verdict"] == "not reproduced"


def test_a_diverged_genuq_seed_fails_the_claim():
    g = seeds("elu", "genuq", [0.003, 0.004, float("nan")], "energy_distance")
    g[2]["status"] = "diverged"
    vi = seeds("elu", "vi", [0.03, 0.031, 0.029], "energy_distance")
    flow = seeds("elu", "flow", [0.03, 0.028, 0.033], "energy_distance")
    row = verdicts(g + vi + flow)[ELU]
    assert row["verdict"] == "not reproduced" and "DnC" in row["reason"]


def test_poisson_needs_both_scores_below_both_baselines():
    recs = []
    for m, es, ed in (("genuq", 0.1, 0.001), ("vi", 0.12, 0.005), ("flow", 0.12, 0.006)):
        corr = 0.5 if m == "genuq" else 1.0
        recs += [
            record("poisson", m, s, 0.016, energy_score=es + 0.001 * s,
                   energy_distance=ed + 1e-5 * s, correlation_error=corr)
            for s in range(3)
        ]  # fmt: skip
    rows = verdicts(recs)
    assert rows[POISSON]["verdict"] == "reproduced"
    assert rows[CORRELATION]["verdict"] == "reproduced"  # 0.5 ≤ 0.7 × 1.0
    for r in recs:
        if r["method"] == "genuq":
            r["metrics"]["energy_score"]["mean"] += 0.03  # worse ES than both baselines
    assert verdicts(recs)[POISSON]["verdict"] == "not reproduced"


def test_porous_mean_must_beat_deterministic_and_be_below_vi_and_flow():
    def recs(genuq):
        out = seeds("porous", "genuq", genuq, "rel_l2_mean")
        out += seeds("porous", "deterministic", [0.16, 0.161, 0.159], "rel_l2_mean", None)
        out += seeds("porous", "vi", [0.2, 0.21, 0.19], "rel_l2_mean")
        return out + seeds("porous", "flow", [0.2, 0.2, 0.21], "rel_l2_mean")

    assert verdicts(recs([0.15, 0.155, 0.152]))[POROUS]["verdict"] == "reproduced"
    # not worse than deterministic within 2 % is no longer enough: it must not be worse
    assert verdicts(recs([0.162, 0.163, 0.161]))[POROUS]["verdict"] == "not reproduced"


def test_ratio_convergence_counts_no_gain_and_diverged_as_dnc():
    runs = [record("elu", "genuq", 0, r, energy_distance=0.01) for r in (0.004, 0.016, 0.064)]
    assert verdicts(runs)[RATIO]["verdict"] == "not reproduced"
    for status in ("diverged", "no_gain"):
        runs[-1]["status"] = status
        row = verdicts(runs)[RATIO]
        assert row["verdict"] == "reproduced" and "0.064: 1/1 DnC" in row["ours"]
    runs[0]["status"] = "no_gain"  # a small ratio that gained nothing: not converged
    assert verdicts(runs)[RATIO]["verdict"] == "not reproduced"
    assert verdicts(runs[1:2])[RATIO]["verdict"] == "not run"


def test_ood_claims_need_the_interval_above_chance_and_no_loss_to_input_distance():
    ref = [record("elu", "input_distance", s, ood_auroc=0.7, ci=0.05) for s in range(3)]
    sure = [record("elu", "regrad", s, ood_auroc=a) for s, a in enumerate((0.8, 0.85, 0.9))]
    row = verdicts(sure + ref)[REGRAD_OOD]
    assert row["verdict"] == "reproduced" and "margin +0.15" in row["ours"]
    noisy = [record("elu", "regrad", s, ood_auroc=a) for s, a in enumerate((0.3, 0.9, 0.6))]
    assert verdicts(noisy + ref)[REGRAD_OOD]["verdict"] == "not reproduced"
    # separates (AUROC 0.9), but the trivial input distance separates better
    better = [
        record("elu", "input_distance", s, ood_auroc=a) for s, a in enumerate((1.0, 0.99, 1.0))
    ]
    worse = [record("elu", "regrad", s, ood_auroc=a) for s, a in enumerate((0.9, 0.88, 0.91))]
    assert verdicts(worse + better)[REGRAD_OOD]["verdict"] == "not reproduced"
    assert verdicts(sure)[REGRAD_OOD]["verdict"] == "not run"  # no input_distance runs
    # one seed: the run's own interval (Hanley-McNeil) and the two combined for the margin
    one = [record("elu", "regrad", ood_auroc=0.9, ci=0.05),
           record("elu", "input_distance", ood_auroc=0.7, ci=0.05)]  # fmt: skip
    assert verdicts(one)[REGRAD_OOD]["verdict"] == "reproduced"


def test_depth_weights_must_beat_the_uniform_variant():
    regrad = [record("elu", "regrad", s, ood_auroc=a) for s, a in enumerate((0.8, 0.82, 0.81))]
    uniform = [
        record("elu", "regrad_uniform", s, ood_auroc=a) for s, a in enumerate((0.7, 0.71, 0.7))
    ]
    for r in uniform:
        r["base_method"] = "regrad"
    row = verdicts(regrad + uniform)[DEPTH]
    assert row["verdict"] == "reproduced" and "% above chance" in row["ours"]
    assert verdicts(regrad)[DEPTH]["verdict"] == "not run"
    same = [dict(r, metrics={"ood_auroc": {"mean": 0.81, "ci95": 0.0}}) for r in uniform]
    assert verdicts(regrad + same)[DEPTH]["verdict"] == "not reproduced"


def test_isograd_must_rank_errors_beyond_its_interval():
    good = [record("elu", "isograd", s, score_error_spearman_test=0.4 + 0.05 * s) for s in range(3)]
    assert verdicts(good)[ISOGRAD]["verdict"] == "reproduced"
    # two seeds: t with 1 degree of freedom (12.7 standard errors) cannot resolve it
    assert verdicts(good[::2])[ISOGRAD]["verdict"] == "not reproduced"
    weak = [record("elu", "isograd", score_error_spearman_test=0.1, ci=0.2)]
    assert verdicts(weak)[ISOGRAD]["verdict"] == "not reproduced"


def test_ecsg_must_be_twice_as_fast_per_sample_on_the_same_device():
    def recs(ecsg_seconds, device="cpu"):
        out = [record("elu", "ecsg", predict_seconds=ecsg_seconds),
               record("elu", "genuq", ratio=0.016, predict_seconds=2.0),
               record("elu", "flow", ratio=0.016, predict_seconds=3.0)]  # fmt: skip
        out[0]["device"] = device
        return out

    assert verdicts(recs(0.9))[ECSG]["verdict"] == "reproduced"
    assert verdicts(recs(1.5))[ECSG]["verdict"] == "not reproduced"  # faster, not 2x
    assert verdicts(recs(0.9, "cuda"))[ECSG]["verdict"] == "not run"
