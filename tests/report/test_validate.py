"""make validate's check: a new seed (or the mean of several) against the prediction interval
of the reference seeds (Bonferroni over the checks, floors, no cap), failures name method
and metric, a diverged seed must diverge again, and an older reference CSV is judged by the
current rule."""

import math

import numpy as np
import pytest
from scipy import stats

from uqbench.report.validate import (
    FAMILY_ALPHA,
    ValidationError,
    check_against_reference,
    reference_rows,
    tolerance,
)

SEEDS = range(1, 7)


def rec(method, seed, ed, spread=1.0, cov=0.89):
    metrics = {"energy_distance": ed, "spread_ratio": spread, "coverage_90": cov}
    return {
        "method": method,
        "seed": seed,
        "split": "test",
        "metrics": {k: {"mean": v} for k, v in metrics.items()},
    }


def study(genuq=(0.0030, 0.0032, 0.0031, 0.0029, 0.0033, 0.0030)):
    """Six reference seeds (1-6) of an oracle, genuq and vi, like an accepted validation run."""
    out = [rec("oracle", s, 1e-6 * (s - 3)) for s in SEEDS]
    out += [rec("genuq", s, ed, 0.9 + 0.02 * s) for s, ed in zip(SEEDS, genuq, strict=True)]
    return out + [rec("vi", s, 0.025 + 1e-4 * s) for s in SEEDS]


def rows(records):
    return {(r["method"], r["metric"], r["seed"]): r for r in reference_rows(records)}


def test_the_tolerance_is_the_prediction_interval_of_a_new_seed_at_the_bonferroni_level():
    ref = rows(study())
    genuq = ref["genuq", "energy_distance", 1]
    values = np.array([0.0030, 0.0032, 0.0031, 0.0029, 0.0033, 0.0030])
    assert genuq["value"] == 0.0030 and genuq["mean"] == pytest.approx(values.mean())
    assert genuq["seeds"] == 6 and genuq["seed_std"] == pytest.approx(values.std(ddof=1))
    checks = 9  # three methods, three metrics
    q = stats.t.ppf(1 - FAMILY_ALPHA / checks / 2, df=5)
    assert genuq["tolerance"] == pytest.approx(q * values.std(ddof=1) * math.sqrt(1 + 1 / 6))
    assert ref["genuq", "energy_distance", 4]["tolerance"] == genuq["tolerance"]  # one per pair
    assert ref["vi", "spread_ratio", 1]["tolerance"] == pytest.approx(0.02)  # seeds agree: floor
    assert ref["vi", "coverage_90", 1]["tolerance"] == pytest.approx(0.01)
    oracle = np.array([1e-6 * (s - 3) for s in SEEDS])  # near 0: the absolute floor or more
    expected = max(q * oracle.std(ddof=1) * math.sqrt(1 + 1 / 6), 1e-6)
    assert ref["oracle", "energy_distance", 1]["tolerance"] == pytest.approx(expected)


def test_a_new_seed_of_unchanged_code_fails_one_check_in_twenty_at_most():
    """Drawn like a new seed (the same normal as the reference's six), one check's value
    falls outside its tolerance at the rate α / checks, so a run of 48 checks fails with
    probability FAMILY_ALPHA at most (the bound is exact for independent checks)."""
    rng = np.random.default_rng(0)
    draws = rng.normal(size=(200_000, 7))
    ref, new = draws[:, :6], draws[:, 6]
    # linear in the std above spread_ratio's floor (0.02), which the unit std drawn here
    # passes in all but a negligible share of draws
    tol = tolerance("spread_ratio", 0.0, 1.0, 6, 48) * ref.std(axis=1, ddof=1)
    outside = np.abs(new - ref.mean(axis=1)) > tol
    assert outside.mean() == pytest.approx(FAMILY_ALPHA / 48, rel=0.15)
    assert 1 - (1 - outside.mean()) ** 48 <= FAMILY_ALPHA * 1.15


def test_a_new_seed_within_the_spread_passes_and_each_line_says_how_far_it_lies():
    ref = reference_rows(study())
    lines = check_against_reference(
        [rec("oracle", 0, 0.0), rec("genuq", 0, 0.0034, 0.95), rec("vi", 0, 0.0254)], ref
    )
    assert len(lines) == 9 and all(line.startswith("ok") for line in lines)
    assert all("seed 0" in line and "(6 seeds), at " in line for line in lines)


def test_a_degraded_genuq_fails_naming_the_method_and_metric():
    ref = reference_rows(study())
    run = [rec("oracle", 0, 0.0), rec("genuq", 0, 0.006, 0.95), rec("vi", 0, 0.0254)]
    with pytest.raises(ValidationError, match=r"genuq energy_distance \(seed 0\): 0\.006 outside"):
        check_against_reference(run, ref)
    run = [rec("oracle", 0, 0.0), rec("genuq", 0, 0.0031, 0.95), rec("vi", 0, 0.0254, 1.2)]
    with pytest.raises(ValidationError, match=r"vi spread_ratio \(seed 0\): 1\.2 outside"):
        check_against_reference(run, ref)
    with pytest.raises(ValidationError, match="vi energy_distance: missing"):
        check_against_reference(run[:2], ref)


def test_a_run_diverges_only_where_a_reference_seed_diverged():
    diverged = reference_rows(study(genuq=(0.0030, math.nan, 0.0031, 0.0029, 0.0033, 0.0030)))
    run = [rec("oracle", 0, 0.0), rec("genuq", 0, math.nan, 0.95), rec("vi", 0, 0.0254)]
    check_against_reference(run, diverged)  # NaN allowed: a reference seed diverged too
    row = next(
        r
        for r in diverged
        if r["method"] == "genuq" and r["seed"] == 2 and r["metric"] == "energy_distance"
    )
    assert math.isnan(row["value"]) and row["seeds"] == 5  # kept, but out of the spread
    with pytest.raises(ValidationError, match=r"genuq energy_distance \(seed 0\): nan outside"):
        check_against_reference(run, reference_rows(study()))


def test_a_reference_read_back_as_text_is_judged_by_the_current_rule():
    """The CSV's own mean and tolerance columns are not trusted: they are recomputed from
    its per-seed values, so a reference written by an older rule (here: a 0 tolerance) is
    checked by this one; with three seeds the report says its tolerances are wide."""
    as_text = [
        {k: str(v) for k, v in row.items()} | {"tolerance": "0"}
        for row in reference_rows([r for r in study() if r["seed"] <= 3])
    ]
    lines = check_against_reference(
        [rec("oracle", 0, 0.0), rec("genuq", 0, 0.0031, 0.95), rec("vi", 0, 0.0252)], as_text
    )
    assert all(line.startswith("ok") for line in lines[:-1])
    assert lines[-1].startswith("note: the reference has as few as 3 seeds")


def test_what_the_reference_cannot_judge_fails_and_a_seed_of_its_own_is_noted():
    healthy = [rec("oracle", 0, 0.0), rec("genuq", 0, 0.0031, 0.95), rec("vi", 0, 0.0254)]
    one_seed = reference_rows([r for r in study() if r["seed"] == 1])
    with pytest.raises(ValidationError, match="one seed cannot judge"):
        check_against_reference(healthy, one_seed)
    with pytest.raises(ValidationError, match="flow energy_distance: not in the reference"):
        check_against_reference([*healthy, rec("flow", 0, 0.02)], reference_rows(study()))
    with pytest.raises(ValidationError, match=r"oracle energy_distance: missing from the run "):
        check_against_reference([*healthy, rec("vi", 7, 0.0254)], reference_rows(study()))
    own = check_against_reference(
        [rec("oracle", 1, 0.0), rec("genuq", 1, 0.0031, 0.95), rec("vi", 1, 0.0254)],
        reference_rows(study()),
    )
    assert own[-1].startswith("note: seed 1 is one of the reference's seeds")


def test_a_run_must_diverge_where_every_reference_seed_did():
    nan = (math.nan,) * 6
    ref = reference_rows(study(genuq=nan))
    run = [rec("oracle", 0, 0.0), rec("genuq", 0, math.nan, 0.95), rec("vi", 0, 0.0254)]
    check_against_reference(run, ref)
    run[1] = rec("genuq", 0, 0.003, 0.95)
    with pytest.raises(ValidationError, match="every reference seed diverged"):
        check_against_reference(run, ref)


def test_the_mean_of_several_new_seeds_narrows_the_tolerance_and_catches_what_one_cannot():
    """Three new seeds: their mean is held against mean ± q·sd·√(1/3 + 1/n). A genuq whose
    every seed sits where one seed passes (0.8 of one seed's tolerance above the mean) fails
    as a three-seed mean, and a healthy three-seed run passes."""
    ref = reference_rows(study())
    values = np.array([0.0030, 0.0032, 0.0031, 0.0029, 0.0033, 0.0030])
    q = stats.t.ppf(1 - FAMILY_ALPHA / 9 / 2, df=5)
    one = tolerance("energy_distance", values.mean(), values.std(ddof=1), 6, 9)
    three = tolerance("energy_distance", values.mean(), values.std(ddof=1), 6, 9, runs=3)
    assert three == pytest.approx(q * values.std(ddof=1) * math.sqrt(1 / 3 + 1 / 6))
    assert three / one == pytest.approx(math.sqrt((1 / 3 + 1 / 6) / (1 + 1 / 6)))

    def run(genuq_eds):
        return [
            r
            for s, ed in zip((10, 11, 12), genuq_eds, strict=True)
            for r in (rec("oracle", s, 0.0), rec("genuq", s, ed, 0.95), rec("vi", s, 0.0254))
        ]

    shifted = values.mean() + 0.8 * one  # inside one seed's tolerance, outside three seeds'
    single = [rec("oracle", 10, 0.0), rec("genuq", 10, shifted, 0.95), rec("vi", 10, 0.0254)]
    check_against_reference(single, ref)
    with pytest.raises(
        ValidationError, match=r"genuq energy_distance \(mean of seeds 10,11,12\): 0\.00"
    ):
        check_against_reference(run((shifted,) * 3), ref)
    lines = check_against_reference(run((0.0031, 0.0030, 0.0032)), ref)
    assert all(line.startswith("ok") and "mean of seeds 10,11,12: " in line for line in lines)
    with pytest.raises(ValidationError, match=r"1 of 3 run seeds diverged, no reference seed"):
        check_against_reference(run((0.0031, math.nan, 0.0032)), ref)
    own = check_against_reference(run3(10, 11, 1, 2), ref)
    assert own[-1].startswith("note: seeds [1, 2] are among the reference's seeds")


def run3(*seeds, genuq=0.0031):
    return [
        r
        for s in seeds
        for r in (rec("oracle", s, 0.0), rec("genuq", s, genuq, 0.95), rec("vi", s, 0.0254))
    ]


def test_where_a_reference_seed_diverged_the_run_seeds_that_did_not_are_still_checked():
    """A diverged run seed is allowed where a reference seed diverged, but it does not
    excuse the others: their mean is checked, with the tolerance of that many seeds; where
    every reference seed diverged, every run seed must."""
    ref = reference_rows(study(genuq=(0.0030, math.nan, 0.0031, 0.0029, 0.0033, 0.0030)))
    healthy = [
        *run3(10, 11),
        rec("oracle", 12, 0.0),
        rec("genuq", 12, math.nan, 0.95),
        rec("vi", 12, 0.0254),
    ]
    lines = check_against_reference(healthy, ref)
    genuq = next(line for line in lines if "genuq          energy_distance" in line)
    assert "0.0031 vs" in genuq and "1 of 3 run seeds diverged, as a reference seed did" in genuq
    degraded = [
        r if r["method"] != "genuq" or r["seed"] == 12 else rec("genuq", r["seed"], 0.01)
        for r in healthy
    ]
    with pytest.raises(ValidationError, match=r"genuq energy_distance \(mean of seeds 10,11,12\)"):
        check_against_reference(degraded, ref)
    all_diverged = reference_rows(study(genuq=(math.nan,) * 6))
    with pytest.raises(ValidationError, match="every reference seed diverged"):
        check_against_reference(healthy, all_diverged)
    nan_run = [r if r["method"] != "genuq" else rec("genuq", r["seed"], math.nan) for r in healthy]
    check_against_reference(nan_run, all_diverged)
