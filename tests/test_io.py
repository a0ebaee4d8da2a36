"""Data files: round trip, plain readers, atomic writes, clear errors on bad files."""

import os
import subprocess

import h5py
import numpy as np
import pytest
import xarray as xr

from uqbench import io


def _dataset(n_case=3, n_real=4, nx=5, ny=6, **attrs) -> xr.Dataset:
    rng = np.random.default_rng(0)
    return io.data_dataset(
        rng.normal(size=(n_case, nx, ny)),
        rng.normal(size=(n_case, n_real, nx, ny)),
        ("x", "y"),
        ("x", "y"),
        {"x": np.linspace(0, 1, nx), "y": np.linspace(0, 1, ny)},
        {
            "problem": "poisson",
            "split": "test",
            "seed": 0,
            "config_hash": "abc",
            "output_kind": "field",
            **attrs,
        },
    )


def test_round_trip_and_plain_readers(tmp_path):
    path = tmp_path / "d" / "test.nc"
    ds = _dataset()
    io.write_dataset(ds, path)
    back = io.read_data(path, problem="poisson")
    np.testing.assert_array_equal(back["output"].values, ds["output"].values)
    assert back["output"].dims == ("case", "realization", "x", "y")
    assert back.attrs["uqbench_version"]
    with xr.open_dataset(path, engine="h5netcdf") as plain:
        assert plain["input"].dims == ("case", "x", "y")
    with h5py.File(path, "r") as h5:
        assert h5["output"].shape == (3, 4, 5, 6)
        assert h5.attrs["problem"] == "poisson"
    assert os.listdir(path.parent) == ["test.nc"]  # no temporary file left behind


def test_failed_write_leaves_target_untouched(tmp_path, monkeypatch):
    path = tmp_path / "test.nc"
    io.write_dataset(_dataset(), path)
    before = path.read_bytes()

    def boom(self, target, **kwargs):
        with open(target, "wb") as fh:
            fh.write(b"half a file")
        raise OSError("disk full")

    monkeypatch.setattr(xr.Dataset, "to_netcdf", boom)
    with pytest.raises(OSError, match="disk full"):
        io.write_dataset(_dataset(), path)
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["test.nc"]


def test_truncated_file_names_the_file(tmp_path):
    path = tmp_path / "test.nc"
    io.write_dataset(_dataset(), path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(io.DataFileError, match=r"test\.nc.*truncated or corrupt"):
        io.read_data(path)


def test_missing_file(tmp_path):
    with pytest.raises(io.DataFileError, match=r"nope\.nc: file does not exist"):
        io.read_data(tmp_path / "nope.nc")


def _write_raw(path, ds):
    ds.to_netcdf(path, engine="h5netcdf")
    return path


def test_missing_variable_is_named(tmp_path):
    path = _write_raw(tmp_path / "a.nc", _dataset().drop_vars("output"))
    with pytest.raises(io.DataFileError, match=r"a\.nc: missing variable 'output'"):
        io.read_data(path)


def test_wrong_dims_are_named(tmp_path):
    ds = _dataset()
    bad = ds.assign(output=ds["output"].transpose("realization", "case", "x", "y"))
    path = _write_raw(tmp_path / "b.nc", bad)
    with pytest.raises(io.DataFileError, match=r"b\.nc: variable 'output' has dims"):
        io.read_data(path)


def test_non_finite_values_are_rejected(tmp_path):
    ds = _dataset()
    ds["input"].values[0, 0, 0] = np.nan
    path = _write_raw(tmp_path / "c.nc", ds)
    with pytest.raises(io.DataFileError, match=r"c\.nc: variable 'input' contains NaN"):
        io.read_data(path)


def test_other_problem_is_rejected(tmp_path):
    path = tmp_path / "d.nc"
    io.write_dataset(_dataset(), path)
    with pytest.raises(io.DataFileError, match="holds problem 'poisson', expected 'elu'"):
        io.read_data(path, problem="elu")


def test_missing_provenance_is_rejected(tmp_path):
    ds = _dataset()
    del ds.attrs["config_hash"]
    path = _write_raw(tmp_path / "e.nc", ds)
    with pytest.raises(io.DataFileError, match="config_hash"):
        io.read_data(path)


def _predictions(score=None, status="ok", values=None):
    rng = np.random.default_rng(1)
    samples = rng.normal(size=(4, 3, 5)) if values is None else values
    attrs = {
        "problem": "elu",
        "method": "ensemble",
        "base_method": "ensemble",
        "ratio": "na",
        "seed": 0,
        "status": status,
    }
    return io.prediction_dataset(samples, ("x",), {"x": np.arange(5.0)}, attrs, score)


@pytest.mark.parametrize(
    ("bad", "match"),
    [
        (
            lambda: _predictions(values=np.full((4, 3, 5), np.inf)),
            "'prediction' contains NaN or inf",
        ),
        (
            lambda: _predictions(score=np.array([0.1, np.nan, 0.3])),
            "'epistemic_score' contains NaN",
        ),
        (
            lambda: _predictions().assign(epistemic_score=(("sample",), np.ones(4))),
            "'epistemic_score' has dims",
        ),
        (lambda: _predictions().drop_vars("prediction"), "missing variable 'prediction'"),
        (
            lambda: _predictions().assign(prediction=lambda d: d["prediction"].astype(np.int32)),
            "dtype int32",
        ),
    ],
)
def test_bad_prediction_files_are_named(bad, match, tmp_path):
    path = _write_raw(tmp_path / "p.nc", bad())
    with pytest.raises(io.DataFileError, match=rf"p\.nc.*{match}"):
        io.read_predictions(path)


def test_a_score_only_file_holds_the_score_alone(tmp_path):
    attrs = {
        "problem": "elu",
        "method": "input_distance",
        "base_method": "input_distance",
        "seed": 0,
        "status": "ok",
    }
    ds = io.prediction_dataset(None, ("x",), {"x": np.arange(5.0)}, attrs, np.ones(3))
    back = io.read_predictions(io.write_dataset(ds, tmp_path / "s.nc"))
    assert "prediction" not in back and back["epistemic_score"].dims == ("case",)
    with pytest.raises(ValueError, match="needs samples, an epistemic score or both"):
        io.prediction_dataset(None, ("x",), {}, attrs, None)


def test_nan_predictions_are_accepted_only_from_a_diverged_run(tmp_path):
    nan = np.full((4, 3, 5), np.nan)
    path = _write_raw(tmp_path / "ok.nc", _predictions(values=nan, status="diverged"))
    assert io.read_predictions(path).attrs["status"] == "diverged"
    path = _write_raw(tmp_path / "p.nc", _predictions(values=nan))
    with pytest.raises(io.DataFileError, match="contains NaN"):
        io.read_predictions(path)


def test_metrics_records_are_checked_when_written_and_read(tmp_path):
    metrics = {"energy_distance": {"mean": 0.1, "ci95": 0.01}}
    record = {
        "problem": "elu",
        "method": "vi",
        "ratio": 0.016,
        "seed": 0,
        "split": "test",
        "status": "ok",
        "metrics": metrics,
    }
    io.write_metrics(record, tmp_path / "m.json")
    assert io.read_metrics(tmp_path / "m.json") == record
    with pytest.raises(io.DataFileError, match=r"m2\.json: record lacks split"):
        io.write_metrics({k: v for k, v in record.items() if k != "split"}, tmp_path / "m2.json")
    assert not (tmp_path / "m2.json").exists()
    (tmp_path / "m3.json").write_text('{"problem": "elu"}')
    with pytest.raises(io.DataFileError, match="lacks method, ratio, seed"):
        io.read_metrics(tmp_path / "m3.json")


def test_training_logs_carry_the_run_identity(tmp_path):
    row = {k: 1.0 for k in io.LOG_FIELDS} | {"phase": "vi"}
    run = {"problem": "elu", "method": "vi", "ratio": 0.05, "seed": 2}
    io.write_training_log([row, row], run, tmp_path / "log.csv")
    assert io.read_training_log(tmp_path / "log.csv") == (run, [row, row])
    io.write_training_log([row], {**run, "ratio": None}, tmp_path / "log2.csv")
    assert io.read_training_log(tmp_path / "log2.csv")[0]["ratio"] is None


def test_output_kind_must_match_the_output_dims():
    with pytest.raises(
        io.DataFileError, match=r"output_kind 'curve' with output dims \('x', 'y'\)"
    ):
        _dataset(output_kind="curve")
    with pytest.raises(io.DataFileError, match="output_kind 'surface'"):
        _dataset(output_kind="surface")


def test_git_commit_marks_a_checkout_whose_code_changed(tmp_path, tmp_path_factory):
    def git(*args):
        subprocess.run(["git", "-C", str(tmp_path), *args], check=True, capture_output=True)

    (tmp_path / "src").mkdir()
    (tmp_path / "src/code.py").write_text("x = 1\n")
    (tmp_path / "README.md").write_text("docs\n")
    git("init", "-q")
    git("add", "-A")
    git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "c")
    sha = io.git_commit(tmp_path / "src")
    assert len(sha) == 40 and "-" not in sha
    (tmp_path / "README.md").write_text("other docs\n")  # not code: still clean
    assert io.git_commit(tmp_path / "src") == sha
    (tmp_path / "src/code.py").write_text("x = 2\n")
    assert io.git_commit(tmp_path / "src") == f"{sha}-dirty"
    assert io.git_commit(tmp_path_factory.mktemp("plain")) == ""  # not a checkout
