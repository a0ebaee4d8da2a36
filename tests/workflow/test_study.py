"""The whole tiny study through Snakemake: every target, finite metrics, the report."""

import math
import shutil

import pytest
import yaml

from tests.workflow.conftest import REPO, TINY, run_snakemake
from uqbench import io
from uqbench.catalogue import SCORED, problem_methods, ratio_label, table_order, traits
from uqbench.problems import SHIFTS
from uqbench.stages.archive import (
    PREDICTION_FIGURES,
    REMAKE_PROFILE,
    figures_dir,
    kept_files,
    restore,
    write_archive,
)

pytestmark = pytest.mark.slow

CONFIG = yaml.safe_load(TINY.read_text())
SCHEMA = yaml.safe_load((REPO / "workflow/schemas/config.schema.yaml").read_text())
VARIANTS = SCHEMA["properties"]["variants"]["default"]
PROBLEMS = tuple(SCHEMA["properties"]["problems"]["default"])  # the tiny study runs them all
METHODS = SCHEMA["properties"]["methods"]["default"]
RATIO_PROBLEMS = CONFIG.get("ratio_problems", SCHEMA["properties"]["ratio_problems"]["default"])


def methods_of(problem: str) -> list[str]:
    """The methods the tiny study runs on a problem (config problem_methods, else all)."""
    return problem_methods(METHODS, CONFIG["problem_methods"], [problem], VARIANTS)[problem]


def method_runs(problem: str) -> list[tuple[str, str, str]]:
    """(method, ratio in paths, ratio in tables) of every run of the tiny study on a problem."""
    main = ratio_label(CONFIG["main_ratio"])
    return [
        (m, main, main) if traits(m, VARIANTS).uses_ratio else (m, "na", "–")
        for m in methods_of(problem)
    ]


def test_the_tiny_study_runs_every_catalogued_method_and_problem():
    assert not {"methods", "problems"} & set(CONFIG)  # the schema's defaults: all of them
    assert table_order(METHODS, VARIANTS) == METHODS
    assert methods_of("elu") == METHODS  # every method's whole DAG on one problem
    for p in PROBLEMS:  # every problem with a trained model: GenUQ
        assert "genuq" in methods_of(p)


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    root = tmp_path_factory.mktemp("study")
    run_snakemake(root)
    return root


def test_every_target_exists(study):
    for p in PROBLEMS:
        for kind in ("bands", "samples", "correlation", "calibration", "shift"):
            assert (study / f"results/figures/{p}_{kind}.png").stat().st_size > 0
            # PNG only in the tiny study (figure_pdf: false); the PDF is tests/plots'
            assert not (study / f"results/figures/{p}_{kind}.pdf").exists()
        assert (study / f"results/tables/{p}_metrics.md").exists()
        # the shift ladder: each method on test, then each rung from mild to strong
        shift = (study / f"results/tables/{p}_shift.md").read_text().splitlines()
        rows = [tuple(r.split(" | ")[:2]) for r in shift[2:] if r.startswith("| ")]
        splits = ["test", "ood_mild", "ood", "ood_strong"]
        assert rows == [(f"| {m}", s) for m in methods_of(p) for s in splits]
        for method, ratio, _ in method_runs(p):
            run = study / f"results/models/{p}/{method}/r{ratio}/s0"
            trained = method != "oracle"  # the oracle has predictions but no training job
            assert (run / "model.pt").exists() == trained == (run / "train_log.csv").exists()
        ran = {d.name for d in (study / f"results/predictions/{p}").iterdir()}
        assert ran == set(methods_of(p))  # a problem runs its methods only
    assert (study / "results/figures/training_curves.png").exists()
    assert (study / "results/figures/ratio_study.png").exists()
    assert (study / "results/figures/ood_auroc.png").exists()
    cost = (study / "results/tables/cost.csv").read_text()
    rules = ("data", "truth", "train", "predict", "evaluate")
    assert all(f"\n{rule}," in cost for rule in rules)
    ratio_md = (study / "results/tables/ratio_study.md").read_text()
    for p in PROBLEMS:
        table = (study / f"results/tables/{p}_metrics.md").read_text()
        lines = table.splitlines()
        assert lines[0].startswith("| method | ratio | runs | skill |")
        # one row per method the problem runs, in the catalogue's order: on elu the oracle
        # and the references first; climatology's skill against itself is 0
        rows = [r.split(" | ")[0].removeprefix("| ") for r in lines[2:] if r.startswith("| ")]
        assert rows == methods_of(p)
        if p == "elu":
            assert lines[2].startswith("| oracle | – | 1 ok |")
            assert lines[3].startswith("| climatology | – | 1 ok | ")
            skill = lines[3].split(" | ")[3].strip("*").split(" ")[0]  # "0", or "0 ± 0"
            assert float(skill) == 0
        for method, _, ratio in method_runs(p):
            assert f"| {method} | {ratio} |" in table
            if traits(method, VARIANTS).sweeps_ratio:  # the ratio study: its problems only
                assert (f"| {p} | {method} | {ratio} |" in ratio_md) == (p in RATIO_PROBLEMS)
        # the default variant's ablation: regrad with uniform layer weights beside regrad,
        # where the problem runs both
        ablated = "regrad_uniform" in methods_of(p)
        assert (study / f"results/figures/{p}_regrad_ablation.png").exists() == ablated
        if ablated:
            ablation = (study / f"results/tables/{p}_regrad_ablation.md").read_text()
            assert "| regrad_uniform | 1 ok |" in ablation


def test_metrics_are_finite_and_scored(study):
    for p in PROBLEMS:
        for method, ratio, _ in method_runs(p):
            t = traits(method, VARIANTS)
            for split in ("test", *SHIFTS):
                path = study / f"results/metrics/{p}/{method}/r{ratio}/s0/{split}.json"
                result = io.read_metrics(path)
                # 3-epoch stochastic phases may gain nothing over their pre-fit: scored too
                assert result["status"] in SCORED
                assert result["status"] == "ok" or t.stochastic_phase, (path, result["status"])
                # the run's identity is in the record: tables never parse paths
                assert (result["problem"], result["method"], result["split"]) == (p, method, split)
                assert result["ratio"] == (None if ratio == "na" else float(ratio))
                assert result["base_method"] == t.base
                for name, value in result["metrics"].items():
                    if name == "variogram_score" and p == "porous":
                        continue  # finite too, but only one pair of components
                    assert math.isfinite(value["mean"]), (path, name)
                if split != "test" and t.epistemic:
                    assert "shift_auroc" in result["metrics"], path
                if not t.samples:  # a score only: no aleatoric metrics, no calibration
                    assert "energy_score" not in result["metrics"], path
                    continue
                # every method with a spread is calibrated on calib (+cp); a point one is not
                spread = result["metrics"]["spread_ratio"]["mean"] > 0
                assert ("cp_factor" in result["metrics"]) == spread, (path, "cp_factor")
                assert len(result["cases"]["energy_distance"]) == result["n_cases"]


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


def test_the_tables_and_figures_are_made_anew_from_the_kept_records(study, tmp_path):
    """What make reference publishes: each problem's kept records and prediction figures
    (as archived) alone remake the study's every table, the same, and its other figures,
    with no model trained or evaluated again."""
    ref = tmp_path / "reference"
    for p in PROBLEMS:
        part = {"seeds": CONFIG["seeds"]}
        bundle = {"problem": p, "parts": [part], "files": kept_files(study, p)}
        write_archive(ref, bundle)
        figures_dir(ref).mkdir(exist_ok=True)
        for fig in (f"{p}_{name}.png" for name in PREDICTION_FIGURES):
            shutil.copyfile(study / "results/figures" / fig, figures_dir(ref) / fig)
    remade = tmp_path / "publish"
    assert restore(ref, remade, CONFIG["seeds"]) == list(PROBLEMS)
    proc = run_snakemake(remade, "--profile", str(remade / REMAKE_PROFILE))
    tables = sorted(f.name for f in (study / "results/tables").iterdir())
    assert sorted(f.name for f in (remade / "results/tables").iterdir()) == tables
    assert "claims.csv" in tables and "cost.csv" in tables and "ratio_study.csv" in tables
    for name in tables:
        assert (remade / f"results/tables/{name}").read_text() == (
            study / f"results/tables/{name}"
        ).read_text(), name
    figures = sorted(f.name for f in (study / "results/figures").glob("*.png"))
    assert sorted(f.name for f in (remade / "results/figures").glob("*.png")) == figures
    assert not list(remade.glob("results/models/**/*.pt"))
    assert "rule train" not in proc.stdout + proc.stderr


def test_a_figure_rebuilds_only_what_it_needs(tmp_path):
    proc = run_snakemake(tmp_path, "results/figures/elu_bands.png", "-n")
    text = proc.stdout + proc.stderr
    assert "figure" in text and "train" in text
    assert "poisson" not in text and "porous" not in text and "metrics_table" not in text


def test_validate_accept_takes_each_method_at_the_main_ratio_of_every_seed(tmp_path):
    """The rule accept_validation (make validate-accept) reads exactly the study's test
    records of every configured method at the main ratio and seed: not the other ratios of
    the ratio study, nor records another run left in the directory (a dry run)."""
    proc = run_snakemake(tmp_path, "-n", "results/validation/elu_accepted.csv")
    out = (proc.stdout + proc.stderr).split("rule accept_validation:")[1]
    inputs = out.split("input: ")[1].split("\n")[0].split(", ")
    expected = {
        f"results/metrics/elu/{m}/r{r}/s{s}/test.json"
        for m, r, _ in method_runs("elu")
        for s in CONFIG["seeds"]
    }
    assert sorted(inputs) == sorted(expected)


def test_validate_checks_each_method_at_the_main_ratio_of_every_configured_seed(tmp_path):
    """The rule validate (make validate) reads the test records of every configured method
    at the main ratio and of every seed the run configures (their mean is checked; one seed
    by default), not the other ratios of the ratio study (a dry run)."""
    seeds = tmp_path / "seeds.yaml"
    seeds.write_text("seeds: [0, 3]\n")
    proc = run_snakemake(tmp_path, "-n", "results/validation/elu.txt", configfiles=(seeds,))
    out = (proc.stdout + proc.stderr).split("rule validate:")[1]
    inputs = out.split("input: ")[1].split("\n")[0].split(", ")
    expected = {
        f"results/metrics/elu/{m}/r{r}/s{s}/test.json"
        for m, r, _ in method_runs("elu")
        for s in (0, 3)
    }
    assert sorted(i for i in inputs if "metrics" in i) == sorted(expected)
