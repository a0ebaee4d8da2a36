"""make validate's check: tolerances from the seed spread within their caps, the same seed
compared, failures name method and metric, and a degraded genuq fails."""

import pytest

from uqbench.report.validate import ValidationError, check_against_reference, reference_rows


def rec(method, seed, ed, spread=1.0, cov=0.89):
    metrics = {"energy_distance": ed, "spread_ratio": spread, "coverage_90": cov}
    return {
        "method": method,
        "seed": seed,
        "split": "test",
        "metrics": {k: {"mean": v} for k, v in metrics.items()},
    }


def study(genuq=(0.0030, 0.0032, 0.0031)):
    """Three seeds of an oracle, genuq and vi, like an accepted validation run."""
    out = [rec("oracle", s, ed) for s, ed in enumerate((1e-5, -2e-5, 3e-5))]
    out += [rec("genuq", s, ed, 0.9 + 0.02 * s) for s, ed in enumerate(genuq)]
    return out + [rec("vi", s, ed) for s, ed in enumerate((0.025, 0.026, 0.0255))]


def rows(records):
    return {(r["method"], r["metric"], r["seed"]): r for r in reference_rows(records)}


def test_the_tolerance_comes_from_the_seed_spread_within_its_caps():
    ref = rows(study())
    genuq = ref["genuq", "energy_distance", 0]
    assert genuq["value"] == 0.0030 and genuq["mean"] == pytest.approx(0.0031)
    assert genuq["tolerance"] == pytest.approx(3 * 0.0001)  # 3 seed stds, under the cap
    noisy = rows(study(genuq=(0.002, 0.004, 0.003)))["genuq", "energy_distance", 0]
    assert noisy["tolerance"] == pytest.approx(0.2 * 0.003)  # capped at 20 % of the value
    oracle = ref["oracle", "energy_distance", 0]  # near 0: the cap is the oracle's own std
    assert oracle["tolerance"] == pytest.approx(oracle["seed_std"])
    assert ref["genuq", "spread_ratio", 0]["tolerance"] == pytest.approx(3 * 0.02)
    assert ref["vi", "spread_ratio", 0]["tolerance"] == pytest.approx(0.02)  # the floor
    assert ref["vi", "coverage_90", 1]["tolerance"] == pytest.approx(0.01)


def test_the_run_is_compared_with_the_same_seed():
    ref = reference_rows(study())
    lines = check_against_reference([r for r in study() if r["seed"] == 1], ref)
    assert len(lines) == 9 and all(line.startswith("ok") for line in lines)
    assert all("seed 1" in line for line in lines)


def test_a_doubled_genuq_energy_distance_fails():
    ref = reference_rows(study())
    run = [r for r in study() if r["seed"] == 0]
    run[1]["metrics"]["energy_distance"]["mean"] *= 2  # genuq, seed 0
    with pytest.raises(ValidationError, match=r"genuq energy_distance \(seed 0\): 0\.006 outside"):
        check_against_reference(run, ref)


def test_a_moved_spread_or_a_missing_method_fails_naming_it():
    ref = reference_rows(study())
    run = [r for r in study() if r["seed"] == 0]
    run[2]["metrics"]["spread_ratio"]["mean"] = 1.2  # vi, seed 0: 1.0 -> 1.2 > 0.1 cap
    with pytest.raises(ValidationError, match=r"vi spread_ratio \(seed 0\): 1\.2 outside"):
        check_against_reference(run, ref)
    with pytest.raises(ValidationError, match="vi energy_distance: missing"):
        check_against_reference([r for r in study() if r["method"] != "vi"], ref)
