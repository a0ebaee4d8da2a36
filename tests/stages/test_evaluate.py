"""Stage evaluate: prediction and data files in, one metrics record per split out."""

import json
import math

import numpy as np

from uqbench import io
from uqbench.stages.evaluate import evaluate_splits


def _split_files(tmp_path, split, seed, status="ok"):
    rng = np.random.default_rng(seed)
    coords = {"x": np.arange(6.0)}
    attrs = {
        "problem": "elu",
        "split": split,
        "seed": 0,
        "config_hash": "h",
        "output_kind": "curve",
    }
    data = io.data_dataset(rng.normal(size=(4, 6)), rng.normal(size=(4, 5, 6)), ("x",), ("x",),
                           coords, attrs)  # fmt: skip
    io.write_dataset(data, tmp_path / f"{split}_data.nc")
    samples = rng.normal(size=(7, 4, 6)) if status == "ok" else np.full((7, 4, 6), np.nan)
    score = rng.random(4) + (1.0 if split == "ood" else 0.0)  # ood scores all higher
    pattrs = {"problem": "elu", "method": "ensemble", "seed": 0, "status": status}
    pred = io.prediction_dataset(samples, ("x",), coords, pattrs, score)
    io.write_dataset(pred, tmp_path / f"{split}_pred.nc")


def test_evaluate_splits_adds_the_epistemic_metrics_to_test(tmp_path):
    for split in ("test", "ood"):
        _split_files(tmp_path, split, seed=len(split))
    out = {s: tmp_path / f"{s}.json" for s in ("test", "ood")}
    res = evaluate_splits({s: tmp_path / f"{s}_pred.nc" for s in out},
                             {s: tmp_path / f"{s}_data.nc" for s in out}, out)  # fmt: skip
    assert res["test"]["metrics"]["ood_auroc"]["mean"] == 1.0  # perfectly separated scores
    for name in ("score_error_spearman_test", "score_error_spearman_pooled"):
        assert -1 <= res["test"]["metrics"][name]["mean"] <= 1
    assert "ood_auroc" not in res["ood"]["metrics"]
    assert out["test"].exists() and out["ood"].exists()
    assert io.read_metrics(out["test"]) == json.loads(json.dumps(res["test"]))
    assert res["test"]["ratio"] is None  # ensemble sweeps no ratio: none, not "na"

    _split_files(tmp_path, "ood", seed=3, status="diverged")
    res = evaluate_splits({s: tmp_path / f"{s}_pred.nc" for s in out},
                             {s: tmp_path / f"{s}_data.nc" for s in out}, out)  # fmt: skip
    assert math.isnan(res["test"]["metrics"]["ood_auroc"]["mean"])
