"""Per-case evaluation equals the per-realization definitions of each metric."""

import torch

from uqbench.metrics import evaluate as ev
from uqbench.metrics import scores


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
    }  # fmt: skip
    for k, v in ref.items():
        torch.testing.assert_close(r[k], v, rtol=1e-9, atol=1e-12, msg=k)


def test_mean_abs_difference_equals_the_brute_force_mean():
    g = torch.Generator().manual_seed(1)
    x = torch.randn(17, 3, 8, generator=g, dtype=torch.float64)
    y = torch.cat([torch.randn(5, 3, 8, generator=g, dtype=torch.float64), x[:2]])  # ties too
    brute = (x[None] - y[:, None]).abs().mean(1)
    torch.testing.assert_close(scores.mean_abs_difference(x, y), brute, rtol=1e-12, atol=1e-12)


def _split_files(tmp_path, split, seed, status="ok"):
    import numpy as np

    from uqbench import io

    rng = np.random.default_rng(seed)
    coords = {"x": np.arange(6.0)}
    attrs = {"problem": "elu", "split": split, "seed": 0, "config_hash": "h"}
    data = io.data_dataset(rng.normal(size=(4, 6)), rng.normal(size=(4, 5, 6)), ("x",), ("x",),
                           coords, attrs)  # fmt: skip
    io.write_dataset(data, tmp_path / f"{split}_data.nc")
    samples = rng.normal(size=(7, 4, 6)) if status == "ok" else np.full((7, 4, 6), np.nan)
    score = rng.random(4) + (1.0 if split == "ood" else 0.0)  # ood scores all higher
    pattrs = {"problem": "elu", "method": "ensemble", "ratio": "na", "seed": 0, "status": status}
    pred = io.prediction_dataset(samples, ("x",), coords, pattrs, score)
    io.write_dataset(pred, tmp_path / f"{split}_pred.nc")


def test_evaluate_splits_adds_the_epistemic_metrics_to_test(tmp_path):
    import math

    for split in ("test", "ood"):
        _split_files(tmp_path, split, seed=len(split))
    out = {s: tmp_path / f"{s}.json" for s in ("test", "ood")}
    res = ev.evaluate_splits({s: tmp_path / f"{s}_pred.nc" for s in out},
                             {s: tmp_path / f"{s}_data.nc" for s in out}, out)  # fmt: skip
    assert res["test"]["metrics"]["ood_auroc"]["mean"] == 1.0  # perfectly separated scores
    assert -1 <= res["test"]["metrics"]["score_error_spearman"]["mean"] <= 1
    assert "ood_auroc" not in res["ood"]["metrics"]
    assert out["test"].exists() and out["ood"].exists()
    single = ev.evaluate(tmp_path / "test_pred.nc", tmp_path / "test_data.nc", tmp_path / "s.json")
    assert single["metrics"]["crps"] == res["test"]["metrics"]["crps"]

    _split_files(tmp_path, "ood", seed=3, status="diverged")
    res = ev.evaluate_splits({s: tmp_path / f"{s}_pred.nc" for s in out},
                             {s: tmp_path / f"{s}_data.nc" for s in out}, out)  # fmt: skip
    assert math.isnan(res["test"]["metrics"]["ood_auroc"]["mean"])
