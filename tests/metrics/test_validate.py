"""make validate's check: tolerances from the seed spread, failures name method and metric."""

import pytest

from uqbench.metrics.validate import ValidationError, check_against_reference, reference_rows


def rec(method, seed, ed, spread, cov):
    metrics = {"energy_distance": ed, "spread_ratio": spread, "coverage_90": cov}
    return {"method": method, "seed": seed, "split": "test",
            "metrics": {k: {"mean": v} for k, v in metrics.items()}}  # fmt: skip


def test_the_tolerance_comes_from_the_seed_spread(tmp_path):
    seeds = [rec("genuq", s, ed, 1.0 + 0.02 * s, 0.9) for s, ed in enumerate((0.03, 0.05, 0.04))]
    rows = {(r["method"], r["metric"]): r for r in reference_rows(seeds)}
    ed = rows["genuq", "energy_distance"]
    assert ed["value"] == pytest.approx(0.04) and ed["seeds"] == 3
    assert ed["tolerance"] == pytest.approx(3 * 0.01)  # 3 std over seeds (above the floors)
    assert rows["genuq", "coverage_90"]["tolerance"] == pytest.approx(0.03)  # the floor


def test_a_moved_metric_fails_naming_method_and_metric(tmp_path):
    ref = reference_rows([rec("vi", 0, 0.03, 1.0, 0.9), rec("vi", 1, 0.031, 1.0, 0.9)])
    lines = check_against_reference([rec("vi", 0, 0.031, 1.02, 0.91)], ref)
    assert len(lines) == 3 and all(line.startswith("ok") and "vi" in line for line in lines)
    with pytest.raises(ValidationError, match=r"vi spread_ratio: 1\.5 outside"):
        check_against_reference([rec("vi", 0, 0.031, 1.5, 0.91)], ref)
    with pytest.raises(ValidationError, match="vi energy_distance: missing"):
        check_against_reference([], ref)
