"""Per-case evaluation equals the per-realization definitions of each metric, and the
one-sort pass equals the reference implementation kept in bench/."""

import importlib.util
import math
from pathlib import Path

import numpy as np
import pytest
import torch

from uqbench.metrics import catalogue, scores
from uqbench.metrics import evaluate as ev
from uqbench.metrics.catalogue import CP_METRICS

_SPEC = importlib.util.spec_from_file_location(
    "reference_evaluate", Path(__file__).resolve().parents[2] / "bench/reference_evaluate.py"
)
reference = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(reference)


def test_vectorised_per_case_metrics_match_the_definitions():
    g = torch.Generator().manual_seed(0)
    x = torch.randn(20, 5, 30, generator=g, dtype=torch.float64)  # (sample, case, d)
    y = torch.randn(15, 5, 30, generator=g, dtype=torch.float64)  # (realization, case, d)
    r = ev.per_case_metrics(x, y, chunk=2)
    pairs = scores.random_pairs(30, ev.N_PAIRS)
    ref = {
        "crps": torch.stack([scores.crps(x, yr).mean(-1) for yr in y]).mean(0),
        "variogram_score": torch.stack(
            [scores.variogram_score(x, yr, 0.5, pairs) for yr in y]
        ).mean(0),
        "coverage_90": torch.stack([scores.interval_coverage(x, yr, 0.9) for yr in y]).mean(0),
        "energy_score": torch.stack([scores.energy_score(x, yr) for yr in y]).mean(0),
        "energy_distance": scores.energy_distance(x, y),
        "width_95": scores.interval_width(x, 0.95),
    }
    for k, v in ref.items():  # the energy distance of one law: a difference of O(1) terms
        torch.testing.assert_close(r[k], v, rtol=1e-9, atol=1e-9, msg=k)


def _numpy_corr(v: np.ndarray) -> np.ndarray:
    """Sample correlation matrix of draws v (n, d); points without spread: row/column 0."""
    c = v - v.mean(0)
    norm = np.sqrt((c**2).sum(0))
    z = np.divide(c, norm, out=np.zeros_like(c), where=norm > 0)
    return z.T @ z


def test_correlation_error_and_spread_ratio_match_numpy():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(40, 3, 7)) @ rng.normal(size=(7, 7))  # correlated points
    y = rng.normal(size=(25, 3, 7))
    x[:, 1, 2] = 5.0  # one point of one case without spread
    per_case = ev.per_case_metrics(torch.from_numpy(x), torch.from_numpy(y), chunk=2)
    for c in range(3):
        cx, cy = _numpy_corr(x[:, c]), np.corrcoef(y[:, c].T)
        want = np.linalg.norm(cx - cy) / np.linalg.norm(cy)
        assert float(per_case["correlation_error"][c]) == pytest.approx(want, rel=1e-10)
    summary = ev.summarise_cases(per_case)
    want = x.var(0, ddof=1).mean() / y.var(0, ddof=1).mean()  # over points and cases
    assert summary["spread_ratio"]["mean"] == pytest.approx(want, rel=1e-10)
    # no spread at all: the error is 1 by definition, the ratio 0
    flat = ev.per_case_metrics(torch.ones(10, 3, 7, dtype=torch.float64), torch.from_numpy(y))
    torch.testing.assert_close(flat["correlation_error"], torch.ones(3, dtype=torch.float64))
    assert ev.summarise_cases(flat)["spread_ratio"]["mean"] == 0
    # a point prediction whose mean over 100 equal samples carries round-off: still no spread
    point = torch.from_numpy(0.1 + rng.normal(size=(1, 3, 7))).expand(100, 3, 7).contiguous()
    again = ev.per_case_metrics(point, torch.from_numpy(y))
    torch.testing.assert_close(again["correlation_error"], torch.ones(3, dtype=torch.float64))


def test_the_truth_against_itself_scores_the_floor():
    g = torch.Generator().manual_seed(2)
    field = torch.randn(3000, 2, 1, generator=g, dtype=torch.float64) * torch.linspace(1, 2, 12)
    r = ev.summarise_cases(ev.per_case_metrics(field[:1500], field[1500:]))
    assert abs(r["spread_ratio"]["mean"] - 1) < 0.1 and r["correlation_error"]["mean"] < 0.02
    assert abs(r["energy_distance"]["mean"]) < 0.01
    assert abs(r["coverage_90"]["mean"] - 0.9) < 0.03


def test_mean_abs_difference_equals_the_brute_force_mean():
    g = torch.Generator().manual_seed(1)
    x = torch.randn(17, 3, 8, generator=g, dtype=torch.float64)
    y = torch.cat([torch.randn(5, 3, 8, generator=g, dtype=torch.float64), x[:2]])  # ties too
    brute = (x[None] - y[:, None]).abs().mean(1)
    torch.testing.assert_close(scores.mean_abs_difference(x, y), brute, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize(("d", "factor"), [(30, 0.7), (2, 1.8), (1, 1.3), (30, math.nan)])
def test_the_one_sort_pass_equals_the_reference_implementation(d, factor):
    """Every metric and +cp twin, per case, to 1e-9 relative: the new pass (one sort, Gram
    products of centred draws, +cp from the unscaled pieces) against
    bench/reference_evaluate.py (each metric on its own, the +cp metrics recomputed from the
    rescaled samples)."""
    g = torch.Generator().manual_seed(3)
    x = 0.5 + 1.5 * torch.randn(64, 9, d, generator=g, dtype=torch.float64)
    y = torch.randn(48, 9, d, generator=g, dtype=torch.float64)
    new = ev.per_case_metrics(x, y, factor, chunk=4)
    ref = reference.reference_with_cp(x, y, factor, chunk=4)
    if math.isfinite(factor):  # the truth's variance is the same with or without rescaling
        torch.testing.assert_close(ref.pop("true_variance_cp"), ref["true_variance"])
    assert set(new) == set(ref)
    for name in ref:
        # 1e-9 of the O(1) quantities (an energy distance is a difference of such terms);
        # the correlation error is the root of a difference: compared squared (at 0 its
        # round-off is ~1e-8 in either implementation)
        a, b = (v.pow(2) if name == "correlation_error" else v for v in (new[name], ref[name]))
        torch.testing.assert_close(a, b, rtol=1e-9, atol=1e-9, equal_nan=True, msg=name)


def test_a_case_without_spread_and_tied_samples_score_their_exact_energies():
    """Where the reference's cdist (uncentred matrix products) leaves ~1e-8 of round-off in
    distances that are exactly 0, the centred Grams give the exact energy terms."""
    g = torch.Generator().manual_seed(4)
    x = 0.5 + 1.5 * torch.randn(32, 3, 5, generator=g, dtype=torch.float64)
    y = torch.randn(24, 3, 5, generator=g, dtype=torch.float64)
    x[:, 0] = x[0, 0]  # no spread
    x[:6, 1] = x[6, 1]  # ties
    new = ev.per_case_metrics(x, y, 1.4, chunk=2)
    for c in range(3):
        xs, ys = x[:, c], y[:, c]
        for f, suffix in ((1.0, ""), (1.4, "_cp")):
            xf = xs.mean(0) + f * (xs - xs.mean(0))
            rms = lambda u, v: (u[:, None] - v[None]).pow(2).mean(-1).sqrt()  # noqa: E731
            cross = rms(xf, ys).mean()
            sxx, syy = rms(xf, xf).sum() / (32 * 31), rms(ys, ys).sum() / (24 * 23)
            assert float(new[f"energy_distance{suffix}"][c]) == pytest.approx(
                float(2 * cross - sxx - syy), rel=1e-12
            )
            assert float(new[f"energy_score{suffix}"][c]) == pytest.approx(
                float(cross - sxx / 2), rel=1e-12
            )


def test_a_subset_of_metrics_equals_the_same_metrics_of_the_full_pass():
    g = torch.Generator().manual_seed(7)
    x = torch.randn(40, 5, 12, generator=g, dtype=torch.float64)
    y = torch.randn(30, 5, 12, generator=g, dtype=torch.float64)
    full = ev.summarise_cases(ev.per_case_metrics(x, y))
    part = ev.per_case_metrics(x, y, metrics=CP_METRICS)
    assert "correlation_error" not in part and "variogram_score" not in part
    sub = ev.summarise_cases(part, CP_METRICS)
    assert set(sub) == set(CP_METRICS)
    for m in CP_METRICS:
        assert sub[m]["mean"] == pytest.approx(full[m]["mean"], rel=1e-12), m


def test_a_separately_declared_metric_is_scored_with_its_cp_twin_and_summarised(monkeypatch):
    """A metric declared in ``catalogue.SEPARATE`` (here rel_l2_mean's own function under
    another name) is computed by its function, rescaled for its +cp twin, and summarised;
    the reference evaluation calls the same function."""
    monkeypatch.setitem(catalogue.SEPARATE, "mean_error_again", "scores:rel_l2_mean")
    monkeypatch.setattr(ev, "CP_METRICS", (*CP_METRICS, "mean_error_again"))
    g = torch.Generator().manual_seed(11)
    x = 0.3 + torch.randn(32, 6, 10, generator=g, dtype=torch.float64)
    y = torch.randn(24, 6, 10, generator=g, dtype=torch.float64)
    wanted = ("rel_l2_mean", "mean_error_again")
    new = ev.per_case_metrics(x, y, 1.5, chunk=4, metrics=wanted)
    torch.testing.assert_close(new["mean_error_again"], new["rel_l2_mean"])
    rescaled = scores.rel_l2_mean(x.mean(0) + 1.5 * (x - x.mean(0)), y)
    torch.testing.assert_close(new["mean_error_again_cp"], rescaled)
    assert ev.summarise_cases(new, wanted)["mean_error_again"]["mean"] == pytest.approx(
        float(new["rel_l2_mean"].mean())
    )
    ref = reference.reference_per_case(x, y, chunk=4, metrics=wanted)
    torch.testing.assert_close(ref["mean_error_again"], new["mean_error_again"])
