"""Rule generate_data through Snakemake: every split of every problem, reproducible by seed."""

import h5py
import numpy as np
import pytest
import xarray as xr

from uqbench import io
from uqbench.problems import SPLITS

pytestmark = pytest.mark.slow

PROBLEMS = ("elu", "poisson", "porous")


def _arrays(root):
    return {
        (p, s): io.read_data(root / "results" / "data" / p / f"{s}.nc", problem=p)
        for p in PROBLEMS
        for s in SPLITS
    }


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory):
    from tests.workflow.conftest import run_snakemake

    a, b = tmp_path_factory.mktemp("run_a"), tmp_path_factory.mktemp("run_b")
    targets = [f"results/data/{p}/{s}.nc" for p in PROBLEMS for s in SPLITS]
    run_snakemake(a, *targets)
    run_snakemake(b, *targets)
    return a, b


def test_every_data_file_is_made_and_readable(two_runs):
    root = two_runs[0]
    for p in PROBLEMS:
        for s in SPLITS:
            path = root / "results" / "data" / p / f"{s}.nc"
            with xr.open_dataset(path, engine="h5netcdf") as ds:
                assert ds.attrs["problem"] == p and ds.attrs["split"] == s
            with h5py.File(path, "r") as h5:
                assert h5["output"].ndim >= 3
            assert (root / "logs" / "data" / p / f"{s}.log").exists()
            assert (root / "benchmarks" / "data" / p / f"{s}.tsv").exists()
    test = io.read_data(root / "results/data/poisson/test.nc")
    assert test.sizes["realization"] == 32 and test.sizes["x"] == 12


def test_same_seed_identical_arrays(two_runs):
    a, b = (_arrays(r) for r in two_runs)
    for key in a:
        for var in ("input", "output"):
            np.testing.assert_array_equal(a[key][var].values, b[key][var].values)


def test_other_seed_other_arrays(two_runs, tmp_path, snakemake_runner):
    override = tmp_path / "seed1.yaml"
    override.write_text("data:\n  seed: 1\n")
    snakemake_runner(tmp_path, "results/data/elu/test.nc", configfiles=(override,))
    assert not (tmp_path / "results/data/poisson").exists()  # only the target's job ran
    other = io.read_data(tmp_path / "results/data/elu/test.nc")
    base = io.read_data(two_runs[0] / "results/data/elu/test.nc")
    assert other.attrs["seed"] == 1
    assert not np.array_equal(other["output"].values, base["output"].values)
