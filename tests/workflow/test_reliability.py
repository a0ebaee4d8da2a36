"""Reliability of the study: a killed run resumes to the same numbers (and data) as an
uninterrupted one, with no half-written file; another seed gives other numbers; a diverging
method is reported, not hidden."""

import json
import math
import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import numpy as np
import pytest
import xarray as xr

from tests.workflow.conftest import REPO, run_snakemake, snakemake_cmd
from uqbench import io
from uqbench.metrics.catalogue import CALIBRATED, METRICS
from uqbench.problems import SPLITS

pytestmark = pytest.mark.slow
RELIABILITY = REPO / "tests" / "config" / "reliability.yaml"
WALL_CLOCK = {"train_seconds", "predict_seconds"}  # the only fields allowed to differ


def metrics(root: Path) -> dict[str, dict]:
    return {
        str(p.relative_to(root)): json.loads(p.read_text())
        for p in sorted((root / "results/metrics").rglob("*.json"))
    }


def assert_same_metrics(a: Path, b: Path) -> None:
    ma, mb = metrics(a), metrics(b)
    assert ma.keys() == mb.keys() and ma
    for path in ma:
        differing = {k for k in ma[path] if ma[path][k] != mb[path].get(k)}
        # NaN != NaN: compare the metric dicts as JSON text
        if "metrics" in differing and json.dumps(ma[path]["metrics"]) == json.dumps(
            mb[path]["metrics"]
        ):
            differing.discard("metrics")
        assert differing <= WALL_CLOCK, (path, differing)


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    root = tmp_path_factory.mktemp("reference")
    run_snakemake(root, configfiles=(RELIABILITY,))
    return root


def test_diverging_method_is_reported_and_the_study_completes(reference):
    vi = json.loads((reference / "results/metrics/elu/vi/r0.05/s0/test.json").read_text())
    assert vi["status"] == "diverged" and "loss became" in vi["status_reason"]
    assert all(math.isnan(v["mean"]) for v in vi["metrics"].values())
    table = (reference / "results/tables/elu_metrics.md").read_text()
    vi_row = next(line for line in table.splitlines() if line.startswith("| vi |"))
    header = next(line for line in table.splitlines() if line.startswith("| method |"))
    cells = dict(zip(header.strip("|").split("|"), vi_row.strip("|").split("|"), strict=True))
    cells = {k.strip(): v.strip() for k, v in cells.items()}
    dnc = [k for k, v in cells.items() if v == "DnC"]
    assert len(dnc) == len(METRICS) + len(CALIBRATED), cells  # aleatoric and +cp
    assert (
        "| elu | vi | 0.05 | 1 DnC | DnC | DnC |"
        in (reference / "results/tables/ratio_study.md").read_text()
    )
    for method, ratio in (("deterministic", "na"), ("genuq", "0.05")):
        ok = json.loads(
            (reference / f"results/metrics/elu/{method}/r{ratio}/s0/test.json").read_text()
        )
        assert ok["status"] == "ok" and math.isfinite(ok["metrics"]["energy_distance"]["mean"])
    assert (reference / "results/figures/ratio_study.png").exists()


def assert_same_data(a: Path, b: Path) -> None:
    for split in SPLITS:
        da = xr.load_dataset(a / f"results/data/elu/{split}.nc", engine="h5netcdf")
        db = xr.load_dataset(b / f"results/data/elu/{split}.nc", engine="h5netcdf")
        for var in ("input", "output"):
            np.testing.assert_array_equal(da[var].values, db[var].values)


def test_other_seed_other_numbers(reference, tmp_path):
    """Seed 1 in a copy of the reference study: only its runs are made, and they differ."""
    other = tmp_path / "other"
    shutil.copytree(reference, other, ignore=shutil.ignore_patterns(".snakemake"))
    seed1 = tmp_path / "seed1.yaml"
    seed1.write_text("seeds: [1]\n")
    target = "results/metrics/elu/genuq/r0.05/s1/test.json"
    run_snakemake(other, target, configfiles=(RELIABILITY, seed1))
    s0 = json.loads((other / "results/metrics/elu/genuq/r0.05/s0/test.json").read_text())
    s1 = json.loads((other / target).read_text())
    assert s0["metrics"]["energy_distance"] != s1["metrics"]["energy_distance"]


def readable(path: Path) -> None:
    """Open a result file with the reader that validates it (raises when half-written)."""
    if path.suffix == ".nc" and "truth" in path.parts:  # checked against its data file
        data = path.parents[2] / "data" / path.parent.name / path.name
        io.read_truth(path, io.read_data(data).attrs)
    elif path.suffix == ".nc":
        (io.read_predictions if "predictions" in path.parts else io.read_data)(path)
    elif path.suffix == ".pt":
        io.load_checkpoint(path)
    elif path.suffix == ".json":
        json.loads(path.read_text())
    elif path.suffix in (".csv", ".md"):
        assert path.read_text().endswith("\n")


def test_killed_study_resumes_to_the_same_numbers(reference, tmp_path):
    work = tmp_path / "killed"
    work.mkdir()
    cmd = snakemake_cmd(work, "--cores", "2", configfiles=(RELIABILITY,))
    proc = subprocess.Popen(
        cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )
    log = work / "logs/train/elu/genuq/r0.05/s0.log"
    model = work / "results/models/elu/genuq/r0.05/s0/model.pt"
    deadline = time.monotonic() + 300
    try:
        while not (log.exists() and "genuq epoch" in log.read_text()):
            assert proc.poll() is None, "the study ended before GenUQ training was seen"
            assert time.monotonic() < deadline, "GenUQ training never started"
            time.sleep(0.1)
        assert not model.exists()
    finally:
        os.killpg(proc.pid, signal.SIGKILL)  # the whole tree: snakemake and its jobs
        proc.wait()

    outputs = [p for p in (work / "results").rglob("*") if p.is_file()]
    for path in outputs:
        readable(path)  # whatever exists is complete
    assert not model.exists()

    # the same plain command again: the workflow's default profile (profiles/default) reruns
    # incomplete jobs, since a kill between a job's last atomic write and Snakemake's
    # bookkeeping leaves complete files that Snakemake still marks incomplete
    run_snakemake(work, configfiles=(RELIABILITY,))
    assert_same_metrics(reference, work)  # and so: same config, same numbers
    assert_same_data(reference, work)
