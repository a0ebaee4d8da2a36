"""Stage evaluate: prediction and data files in, one metrics record per split out."""

import json
import math

import numpy as np
import pytest

from uqbench import io
from uqbench.metrics.catalogue import CALIBRATED, METRICS
from uqbench.stages.evaluate import evaluate_splits, write_truth_statistics

SCORE_SHIFT = {"test": 0.0, "ood_mild": 0.5, "ood": 1.0, "ood_strong": 1.0, "calib": 0.0}


def _split_files(tmp_path, split, seed, status="ok"):
    rng = np.random.default_rng(seed)
    realizations = 1 if split == "calib" else 5
    cases = 12 if split == "calib" else 4  # >= 9 calib cases for a 90 % factor
    coords = {"x": np.arange(6.0)}
    attrs = {
        "problem": "elu",
        "split": split,
        "seed": 0,
        "config_hash": "h",
        "output_kind": "curve",
    }
    outputs = rng.normal(size=(cases, realizations, 6))
    data = io.data_dataset(rng.normal(size=(cases, 6)), outputs, ("x",), ("x",), coords, attrs)
    io.write_dataset(data, tmp_path / f"{split}_data.nc")
    shape = (7, cases, 6)
    samples = rng.normal(size=shape) if status == "ok" else np.full(shape, np.nan)
    score = rng.random(cases) + SCORE_SHIFT[split]  # ood all higher, mild ones in between
    pattrs = {
        "problem": "elu",
        "method": "ensemble",
        "base_method": "ensemble",
        "seed": 0,
        "status": status,
    }
    pred = io.prediction_dataset(samples, ("x",), coords, pattrs, score)
    io.write_dataset(pred, tmp_path / f"{split}_pred.nc")


SPLITS = ("test", "ood_mild", "ood", "ood_strong")


def _evaluate(tmp_path, out):
    splits = [*out, "calib"]
    return evaluate_splits(
        {s: tmp_path / f"{s}_pred.nc" for s in splits},
        {s: tmp_path / f"{s}_data.nc" for s in splits},
        out,
    )


def test_evaluate_splits_adds_the_epistemic_metrics_to_test(tmp_path):
    for split in (*SPLITS, "calib"):
        _split_files(tmp_path, split, seed=len(split))
    out = {s: tmp_path / f"{s}.json" for s in SPLITS}
    res = _evaluate(tmp_path, out)
    assert res["test"]["metrics"]["ood_auroc"]["mean"] == 1.0  # perfectly separated scores
    for name in ("score_error_spearman_test", "score_error_spearman_pooled"):
        assert -1 <= res["test"]["metrics"][name]["mean"] <= 1
    assert "ood_auroc" not in res["ood"]["metrics"]
    # every rung's AUROC against test; the ood rung's equals the test record's ood_auroc
    assert res["ood"]["metrics"]["shift_auroc"]["mean"] == 1.0
    assert 0.5 <= res["ood_mild"]["metrics"]["shift_auroc"]["mean"] < 1.0
    assert "shift_auroc" not in res["test"]["metrics"]
    # the conformal factor is fitted once (calib) and applied to every split
    factors = {res[s]["metrics"]["cp_factor"]["mean"] for s in SPLITS}
    assert len(factors) == 1 and all(math.isfinite(f) and f > 0 for f in factors)
    for s in SPLITS:
        m = res[s]["metrics"]
        f = m["cp_factor"]["mean"]
        assert math.isclose(
            m["spread_ratio_cp"]["mean"], f**2 * m["spread_ratio"]["mean"], rel_tol=1e-9
        )
        assert math.isclose(m["width_90_cp"]["mean"], f * m["width_90"]["mean"], rel_tol=1e-9)
    assert all(out[s].exists() for s in SPLITS)
    # every catalogued metric (and +cp twin) reaches every record, a new one included
    assert all(set(METRICS) | set(CALIBRATED) <= set(res[s]["metrics"]) for s in SPLITS)
    assert io.read_metrics(out["test"]) == json.loads(json.dumps(res["test"]))
    # per-case values for paired comparisons; intervals over the 4 independent cases
    assert len(res["test"]["cases"]["energy_distance"]) == 4
    assert res["test"]["metrics"]["energy_distance"]["n"] == 4
    assert res["test"]["n_samples"] == 7
    assert res["test"]["ratio"] is None  # ensemble sweeps no ratio: none, not "na"

    _split_files(tmp_path, "ood", seed=3, status="diverged")
    res = _evaluate(tmp_path, out)
    assert math.isnan(res["test"]["metrics"]["ood_auroc"]["mean"])
    assert math.isnan(res["ood"]["metrics"]["shift_auroc"]["mean"])
    assert math.isnan(res["ood"]["metrics"]["coverage_90_cp"]["mean"])


def test_the_truth_statistics_file_gives_the_same_metrics_and_names_a_mismatch(tmp_path):
    for split in (*SPLITS, "calib"):
        _split_files(tmp_path, split, seed=len(split))
    out = {s: tmp_path / f"{s}.json" for s in SPLITS}
    plain = _evaluate(tmp_path, out)
    truth = {s: tmp_path / f"{s}_truth.nc" for s in SPLITS}
    write_truth_statistics({s: tmp_path / f"{s}_data.nc" for s in SPLITS}, truth)
    with pytest.raises(ValueError, match="data splits"):
        write_truth_statistics({"test": tmp_path / "test_data.nc"}, truth)
    splits = [*out, "calib"]
    preds = {s: tmp_path / f"{s}_pred.nc" for s in splits}
    data = {s: tmp_path / f"{s}_data.nc" for s in splits}
    cached = evaluate_splits(preds, data, out, truth=truth)
    for s in SPLITS:
        for name, v in plain[s]["metrics"].items():
            assert cached[s]["metrics"][name]["mean"] == pytest.approx(v["mean"], rel=1e-12)
    wrong = {**truth, "test": truth["ood"]}  # another split's statistics
    with pytest.raises(io.DataFileError, match=r"ood_truth\.nc: split 'ood' is not the data"):
        evaluate_splits(preds, data, out, truth=wrong)
