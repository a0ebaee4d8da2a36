"""train -> predict -> evaluate -> tables through the rule entry points, incl. divergence."""

import json
import math

import numpy as np
import pytest

from uqbench import io
from uqbench.stages.data import generate_data
from uqbench.stages.evaluate import evaluate_splits
from uqbench.stages.predict import predict
from uqbench.stages.tables import ratio_table
from uqbench.stages.train import Run, train

SETTINGS = {"grid": 64, "sizes": {"train": 64, "val": 16, "test": 4, "ood": 4, "realizations": 8}}
RECIPE = {"epochs": 30, "batch_size": 16, "lr": 3e-3}
VI = {"epochs": 2, "batch_size": 16, "lr": 3e-3, "n_mc": 2}


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    root = tmp_path_factory.mktemp("data")
    for split in ("train", "val", "calib", "test"):
        generate_data("elu", SETTINGS, split, 0, root / f"{split}.nc")
    ref = root / "det.pt"
    train(
        Run("elu", "deterministic", None, 0, recipe=RECIPE, device="cpu"),
        str(root / "train.nc"),
        str(root / "val.nc"),
        str(ref),
        str(root / "det.csv"),
    )
    return root


def run(data, tmp_path, hyper, recipe=RECIPE, **kw):
    model = tmp_path / "model.pt"
    status = train(
        Run("elu", "vi", 0.05, 0, hyper, recipe, device="cpu"),
        str(data / "train.nc"),
        str(data / "val.nc"),
        str(model),
        str(tmp_path / "log.csv"),
        **kw,
    )
    splits = ("calib", "test")  # calib calibrates (+cp)
    predict(
        str(model),
        [str(data / f"{s}.nc") for s in splits],
        [str(tmp_path / f"{s}.nc") for s in splits],
        8,
        0,
        device="cpu",
    )
    result = evaluate_splits(
        {s: tmp_path / f"{s}.nc" for s in splits},
        {s: data / f"{s}.nc" for s in splits},
        {"test": tmp_path / "test.json"},
    )["test"]
    return status, io.load_checkpoint(model), result


def test_a_sound_run_passes_the_divergence_check(data, tmp_path):
    status, state, result = run(data, tmp_path, VI, reference_path=str(data / "det.pt"))
    assert status == "ok" == result["status"]
    assert state["val_rel_l2_mean"] <= 2 * state["reference_val_rel_l2_mean"]
    assert all(math.isfinite(v["mean"]) for v in result["metrics"].values())


def test_nan_loss_is_diverged_with_nan_metrics_and_dnc(data, tmp_path):
    status, state, result = run(data, tmp_path, {**VI, "lr": 1e12}, {**RECIPE, "epochs": 2})
    assert status == "diverged" == result["status"]
    assert "loss became" in state["status_reason"]
    assert np.isnan(io.read_predictions(tmp_path / "test.nc")["prediction"].values).all()
    assert all(math.isnan(v["mean"]) for v in result["metrics"].values())
    ratio_table([tmp_path / "test.json"], tmp_path / "r.csv", tmp_path / "r.md")
    assert "DnC" in (tmp_path / "r.md").read_text()


def test_a_phase_that_never_beats_its_pre_fit_has_no_gain(data, tmp_path):
    """An ELBO phase with no epochs keeps its start (the pre-fit): status no_gain, scored
    like any run (finite metrics), and counted as such in the ratio table."""
    status, state, result = run(data, tmp_path, {**VI, "epochs": 0})
    assert status == "no_gain" == result["status"] == state["status"]
    assert "never beat its start" in state["status_reason"]
    assert all(math.isfinite(v["mean"]) for v in result["metrics"].values())
    rows = ratio_table([tmp_path / "test.json"], tmp_path / "r.csv", tmp_path / "r.md")
    assert (rows[0]["ok"], rows[0]["no_gain"], rows[0]["diverged"]) == (0, 1, 0)
    assert "| 1 no gain |" in (tmp_path / "r.md").read_text()


def test_far_worse_than_deterministic_is_diverged(data, tmp_path):
    # an untrained model (1 tiny step) is far worse than the deterministic reference
    hyper = {**VI, "epochs": 1, "lr": 1e-9}
    status, state, result = run(
        data, tmp_path, hyper, {**RECIPE, "epochs": 0}, reference_path=str(data / "det.pt")
    )
    assert status == "diverged" == result["status"]
    assert "x deterministic" in state["status_reason"]
    assert state["val_rel_l2_mean"] > 2 * state["reference_val_rel_l2_mean"]
    assert json.loads((tmp_path / "test.json").read_text())["status_reason"].startswith("valid")


def test_a_posthoc_method_gets_its_pretrained_model_or_a_clear_error(data, tmp_path):
    args = (
        Run("elu", "isograd", None, 0, {"n_probes": 2, "score_probes": 2}, RECIPE, "cpu"),
        str(data / "train.nc"),
        str(data / "val.nc"),
        str(tmp_path / "m.pt"),
        str(tmp_path / "log.csv"),
    )
    with pytest.raises(ValueError, match=r"'isograd' works on a trained 'deterministic'"):
        train(*args)
    assert train(*args, pretrained_path=str(data / "det.pt")) == "ok"
    run, rows = io.read_training_log(tmp_path / "log.csv")
    assert run is None and rows == []  # nothing trained: an empty log with its header
