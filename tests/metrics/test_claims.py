"""The claims table: verdicts follow the numbers and the stated thresholds."""

from uqbench.metrics.claims import claims_table


def record(problem, method, seed=0, ratio=None, status="ok", **metrics):
    return {
        "problem": problem, "method": method, "seed": seed, "ratio": ratio, "split": "test",
        "status": status, "predict_seconds": metrics.pop("predict_seconds", 1.0),
        "metrics": {k: {"mean": v, "ci95": float("nan")} for k, v in metrics.items()},
    }  # fmt: skip


def verdicts(records, tmp_path, main_ratio=0.016):
    rows, md = claims_table(records, main_ratio)
    assert [line.split(" | ")[-2] for line in md.splitlines()[2:]] == [r["verdict"] for r in rows]
    return {r["claim"].split(":")[0] if ":" in r["claim"] else r["claim"]: r for r in rows}


def test_elu_claim_follows_the_energy_distances(tmp_path):
    good = [record("elu", "genuq", ratio=0.016, energy_distance=0.003),
            record("elu", "vi", ratio=0.016, energy_distance=0.03)]  # fmt: skip
    assert verdicts(good, tmp_path)["elu"]["verdict"] == "reproduced"
    close = [record("elu", "genuq", ratio=0.016, energy_distance=0.02),
             record("elu", "vi", ratio=0.016, energy_distance=0.03)]  # fmt: skip
    rows = verdicts(close, tmp_path)
    assert rows["elu"]["verdict"] == "not reproduced"
    assert rows["poisson"]["verdict"] == "not run" and "poisson" in rows["poisson"]["reason"]


def test_correlation_and_mean_claims(tmp_path):
    recs = [
        record("poisson", "genuq", ratio=0.016, correlation_error=0.3),
        record("poisson", "vi", ratio=0.016, correlation_error=1.0),
        record("porous", "genuq", ratio=0.016, rel_l2_mean=0.20),
        record("porous", "deterministic", rel_l2_mean=0.16),
    ]
    rows = verdicts(recs, tmp_path)
    assert rows["poisson"]["verdict"] == "reproduced"
    assert rows["porous"]["verdict"] == "not reproduced"  # 0.20 > 0.16 + 2 %


def test_ratio_convergence_needs_dnc_at_large_ratios(tmp_path):
    claim = "GenUQ converges for r ≤ 1.6 % and does not converge at large ratios"
    runs = [record("elu", "genuq", ratio=r, energy_distance=0.01) for r in (0.004, 0.016, 0.064)]
    assert verdicts(runs, tmp_path)[claim]["verdict"] == "not reproduced"
    runs[-1]["status"] = "diverged"
    rows = verdicts(runs, tmp_path)
    assert rows[claim]["verdict"] == "reproduced" and "DnC at 0.064" in rows[claim]["ours"]
    only_small = [record("elu", "genuq", ratio=0.016, energy_distance=0.01)]
    assert verdicts(only_small, tmp_path)[claim]["verdict"] == "not run"


def test_ood_claims_use_the_ci_over_seeds(tmp_path):
    claim = "the gradient score separates out-of-distribution inputs"
    sure = [record("elu", "regrad", seed=s, ood_auroc=a) for s, a in enumerate((0.8, 0.85, 0.9))]
    assert verdicts(sure, tmp_path)[claim]["verdict"] == "reproduced"
    noisy = [record("elu", "regrad", seed=s, ood_auroc=a) for s, a in enumerate((0.3, 0.9, 0.6))]
    assert verdicts(noisy, tmp_path)[claim]["verdict"] == "not reproduced"
    rows = verdicts(sure[:1], tmp_path)
    assert rows[claim]["verdict"] == "reproduced" and "one seed" in rows[claim]["reason"]
