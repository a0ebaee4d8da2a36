"""The whole tiny study through Snakemake: every target, finite metrics, the report."""

import math

import pytest
import yaml

from tests.workflow.conftest import TINY, run_snakemake
from uqbench import io
from uqbench.catalogue import CATALOGUE, ratio_label, traits
from uqbench.problems import SHIFTS

CONFIG = yaml.safe_load(TINY.read_text())
PROBLEMS = tuple(CONFIG["problems"])
# (method, ratio in paths, ratio in tables)
METHOD_RUNS = tuple(
    (m, ratio_label(CONFIG["main_ratio"]), ratio_label(CONFIG["main_ratio"]))
    if traits(m).uses_ratio
    else (m, "na", "–")
    for m in CATALOGUE
)


def test_the_tiny_study_runs_every_catalogued_method():
    assert "methods" not in CONFIG  # the schema's default: the whole catalogue


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    root = tmp_path_factory.mktemp("study")
    run_snakemake(root)
    return root


def test_every_target_exists(study):
    for p in PROBLEMS:
        for kind in ("bands", "samples", "correlation", "calibration", "shift"):
            assert (study / f"results/figures/{p}_{kind}.png").stat().st_size > 0
            assert (study / f"results/figures/{p}_{kind}.pdf").exists()
        assert (study / f"results/tables/{p}_metrics.md").exists()
        for method, ratio, _ in METHOD_RUNS:
            run = study / f"results/models/{p}/{method}/r{ratio}/s0"
            trained = method != "oracle"  # the oracle has predictions but no training job
            assert (run / "model.pt").exists() == trained == (run / "train_log.csv").exists()
    assert (study / "results/figures/training_curves.png").exists()
    assert (study / "results/figures/ratio_study.png").exists()
    assert (study / "results/figures/ood_auroc.png").exists()
    cost = (study / "results/tables/cost.csv").read_text()
    assert all(f"\n{rule}," in cost for rule in ("data", "train", "predict", "evaluate"))
    ratio_md = (study / "results/tables/ratio_study.md").read_text()
    for p in PROBLEMS:
        table = (study / f"results/tables/{p}_metrics.md").read_text()
        lines = table.splitlines()
        assert lines[0].startswith("| method | ratio | skill |")
        # the oracle and the references first; climatology's skill against itself is 0
        assert lines[2].startswith("| oracle | – |")
        assert lines[3].startswith("| climatology | – | ") and lines[4].startswith("| ridge |")
        skill = lines[3].split(" | ")[2].strip("*").split(" ")[0]  # "0", or "0 ± 0" over seeds
        assert float(skill) == 0  # climatology's skill against itself
        for method, _, ratio in METHOD_RUNS:
            assert f"| {method} | {ratio} |" in table
            if traits(method).sweeps_ratio:
                assert f"| {p} | {method} | {ratio} |" in ratio_md


def test_metrics_are_finite_with_status_ok(study):
    for p in PROBLEMS:
        for method, ratio, _ in METHOD_RUNS:
            for split in ("test", *SHIFTS):
                path = study / f"results/metrics/{p}/{method}/r{ratio}/s0/{split}.json"
                result = io.read_metrics(path)
                assert result["status"] == "ok"
                # the run's identity is in the record: tables never parse paths
                assert (result["problem"], result["method"], result["split"]) == (p, method, split)
                assert result["ratio"] == (None if ratio == "na" else float(ratio))
                for name, value in result["metrics"].items():
                    if name == "variogram_score" and p == "porous":
                        continue  # finite too, but only one pair of components
                    assert math.isfinite(value["mean"]), (path, name)
                # every method with a spread is calibrated on val (+cp); a point one is not
                spread = result["metrics"]["spread_ratio"]["mean"] > 0
                assert ("cp_factor" in result["metrics"]) == spread, (path, "cp_factor")
                if split != "test" and traits(method).epistemic:
                    assert "shift_auroc" in result["metrics"], path


def test_training_log_records_progress(study):
    log = (study / "logs/train/elu/genuq/r0.05/s0.log").read_text()
    assert "samples/s" in log and "genuq epoch" in log and "on cpu" in log
    run, rows = io.read_training_log(study / "results/models/elu/genuq/r0.05/s0/train_log.csv")
    assert run == {"problem": "elu", "method": "genuq", "ratio": 0.05, "seed": 0}
    phases = [r["phase"] for r in rows]
    assert phases[0] == "genuq/pretrain" and phases[-1] == "genuq"
    selected = [r["phase"] for r in rows if r["selected"]]
    assert selected == ["genuq/pretrain", "genuq"]  # each phase keeps one epoch


def test_report_builds(study):
    run_snakemake(study, "--report", str(study / "results/report.html"))
    assert (study / "results/report.html").stat().st_size > 10_000


def test_a_figure_rebuilds_only_what_it_needs(tmp_path):
    proc = run_snakemake(tmp_path, "results/figures/elu_bands.png", "-n")
    text = proc.stdout + proc.stderr
    assert "figure" in text and "train" in text
    assert "poisson" not in text and "porous" not in text and "metrics_table" not in text
