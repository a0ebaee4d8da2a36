"""The config schema: defaults, registry agreement, and parse-time errors naming the key."""

import copy
import re
from pathlib import Path

import pytest
import yaml
from snakemake.exceptions import WorkflowError
from snakemake.utils import update_config, validate

from tests.workflow.conftest import REPO, TINY, run_snakemake
from uqbench import catalogue
from uqbench.problems import PROBLEMS

SCHEMA = str(REPO / "workflow" / "schemas" / "config.schema.yaml")


def _validated(cfg: dict) -> dict:
    cfg = copy.deepcopy(cfg)
    validate(cfg, SCHEMA)
    return cfg


def test_config_yaml_spells_out_the_schema_defaults():
    written = yaml.safe_load((REPO / "config.yaml").read_text())
    assert _validated(written) == _validated({})


def test_tiny_config_is_valid():
    _validated(yaml.safe_load(TINY.read_text()))


@pytest.mark.parametrize(
    "name",
    [
        "elu.yaml",
        "poisson.yaml",
        "porous.yaml",
        "reference_seeds.yaml",
        "poisson_ablation.yaml",
        "degraded_genuq.yaml",
        "untrained_genuq.yaml",
        "three_seeds.yaml",
    ],
)
def test_the_validation_and_ablation_configs_parse(name, tmp_path):
    """make validate / validate-accept / ablation layer these over config.yaml: a dry run
    parses them (schema, methods, variants) and plans jobs."""
    cfg = REPO / "validation" / name
    proc = run_snakemake(tmp_path, "-n", configfiles=(REPO / "config.yaml", cfg))
    assert "Job stats" in proc.stdout + proc.stderr


def test_the_reference_config_is_the_default_study_on_cpu(tmp_path):
    """make reference layers reference/config.yaml over config.yaml: it changes no setting
    of the numbers (the device pins CPU, PNG only), and it parses (a dry run over the tiny
    config, as every test run does)."""
    ref = yaml.safe_load((REPO / "reference/config.yaml").read_text())
    assert ref == {"device": "cpu", "figure_pdf": False}
    configs = (REPO / "config.yaml", REPO / "reference/config.yaml")
    proc = run_snakemake(tmp_path, "-n", configfiles=configs)
    assert "Job stats" in proc.stdout + proc.stderr


def test_problem_enum_matches_the_registry():
    schema = yaml.safe_load(Path(SCHEMA).read_text())
    assert schema["properties"]["problems"]["items"]["enum"] == list(PROBLEMS)
    assert schema["properties"]["ratio_problems"]["items"]["enum"] == list(PROBLEMS)
    assert set(schema["properties"]["problem_methods"]["properties"]) == set(PROBLEMS)
    assert set(schema["properties"]["data"]["properties"]) == {"seed", *PROBLEMS}


@pytest.mark.parametrize(
    ("cfg", "named"),
    [
        ({"problemz": ["elu"]}, "problemz"),
        ({"data": {"elu": {"gird": 64}}}, "gird"),
        ({"data": {"poisson": {"n": -4}}}, "'n'"),
        ({"data": {"poisson": {"n": "32"}}}, "'n'"),
        ({"data": {"poisson": {"dim": 3}}}, "'dim'"),
        ({"data": {"seed": -1}}, "'seed'"),
        ({"problems": ["heat"]}, "'problems'"),
        ({"problems": []}, "'problems'"),
        ({"data": {"porous": {"porosity": [0.01]}}}, "'porosity'"),
        ({"data": {"porous": {"porosity": [0.01, 0.9]}}}, "'porosity'"),
        ({"data": {"elu": {"sizes": {"train": 0}}}}, "'train'"),
        ({"data": {"poisson": {"forcing": {"kernel": "matern"}}}}, "'kernel'"),
        ({"data": {"poisson": {"log_conductivity": {"length": 0}}}}, "'length'"),
        ({"methods": ["Genuq"]}, "'methods'"),
        ({"variants": {"x": {"hyper": {}}}}, "'method'"),
        ({"variants": {"x": {"method": "oracle"}}}, "'oracle'"),
        ({"problem_hyper": {"heat": {}}}, "'heat'"),
        ({"problem_hyper": {"porous": {"svgd": {}}}}, "'svgd'"),
        ({"budgets": {"heat": {}}}, "'heat'"),
        ({"problem_methods": {"heat": ["genuq"]}}, "'heat'"),
        ({"problem_methods": {"elu": []}}, "'elu'"),
        ({"problem_methods": {"elu": ["Genuq"]}}, "'elu'"),
        ({"ratio_problems": ["heat"]}, "'ratio_problems'"),
        ({"budgets": {"porous": {"svgd": {}}}}, "'svgd'"),
        ({"methods": []}, "'methods'"),
        ({"methods": ["genuq", "genuq"]}, "'methods'"),
        ({"ratios": [0.0]}, "'ratios'"),
        ({"ratios": [1.5]}, "'ratios'"),
        ({"ratios": [-0.1, 0.2]}, "'ratios'"),
        ({"main_ratio": 0}, "'main_ratio'"),
        ({"seeds": [0, 0]}, "'seeds'"),
        ({"seeds": [-3]}, "'seeds'"),
        ({"n_samples": 1}, "'n_samples'"),
        ({"device": "tpu"}, "'device'"),
        ({"divergence_factor": 1}, "'divergence_factor'"),
        ({"hyper": {"genuq": {"epoch": 3}}}, "'epoch'"),
        ({"hyper": {"genuq": {"n_z": 1}}}, "'n_z'"),
        ({"hyper": {"vi": {"n_mc": "4"}}}, "'n_mc'"),
        ({"hyper": {"vi": {"lrr": 0.1}}}, "'lrr'"),
        ({"hyper": {"flow": {"kind": "realnvp"}}}, "'kind'"),
        ({"hyper": {"mc_dropout": {"p": 1.0}}}, "'p'"),
        ({"hyper": {"ensemble": {"members": 1}}}, "'members'"),
        ({"hyper": {"svgd": {}}}, "'svgd'"),
    ],
)
def test_bad_config_is_rejected_naming_the_key(cfg, named):
    with pytest.raises(WorkflowError, match=named):
        _validated(cfg)


@pytest.mark.parametrize(
    ("yaml_text", "named"),
    [
        ("problemz: [elu]\n", "'problemz' was unexpected"),
        ("ratios: [0.1, 0.2]\nmain_ratio: 0.3\n", "main_ratio"),
        ("hyper: {vi: {epochz: 3}}\n", "'epochz' was unexpected"),
        ("methods: [oracle, gp]\n", "unknown method 'gp'"),
        (
            "variants: {genuq_x: {method: genuq, hyper: {nz: 4}}}\nmethods: [genuq_x]\n"
            "problems: [elu]\n",
            "variants.genuq_x.hyper has unknown key(s) ['nz']",
        ),
        (
            "problem_hyper: {porous: {genuq: {epoch: 4}}}\nmethods: [genuq]\n",
            "problem_hyper.porous.genuq has unknown key(s) ['epoch']",
        ),
        (
            "methods: [oracle, genuq]\nproblem_methods: {elu: [vi]}\n",
            "config key problem_methods.elu lists ['vi']: none of them is in methods",
        ),
        (
            "problem_methods: {elu: [genuq, gp]}\n",
            "config key problem_methods.elu: unknown method(s) ['gp']",
        ),
        (
            "problem_methods: {poisson: [oracle, regrad]}\n",
            "config key problem_methods.poisson lists 'regrad', which works on the trained "
            "'deterministic' model: add 'deterministic' to problem_methods.poisson",
        ),
        (
            "methods: [oracle, regrad]\n",
            "methods lists 'regrad', which works on the trained "
            "'deterministic' model: add 'deterministic' to methods",
        ),
    ],
)
def test_bad_config_fails_at_parse_time_before_any_job(yaml_text, named, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml_text)
    proc = run_snakemake(tmp_path, check=False, configfiles=(bad,))
    assert proc.returncode != 0
    assert named in proc.stdout + proc.stderr
    assert not (tmp_path / "results").exists() and not (tmp_path / "logs").exists()


def test_each_problem_runs_its_methods_and_only_ratio_problems_sweep(tmp_path):
    """problem_methods narrows a problem's methods; the (r) methods sweep every ratio on the
    problems of ratio_problems and run at main_ratio elsewhere (a dry run's planned jobs)."""
    cfg = tmp_path / "axes.yaml"
    cfg.write_text(
        "problems: [elu, poisson, porous]\nmethods: [oracle, deterministic, genuq, regrad]\n"
        "ratios: [0.05, 0.1]\nmain_ratio: 0.05\nratio_problems: [elu, porous]\n"
        "problem_methods:\n  poisson: [oracle, deterministic, genuq, regrad]\n"
        "  porous: [oracle, genuq]\n"
    )
    proc = run_snakemake(tmp_path, "-n", configfiles=(cfg,))
    planned = set(re.findall(r"problem=(\w+), method=(\w+), ratio=([\w.]+), seed=0", proc.stdout))
    trained = {(p, m, r) for p, m, r in planned if m != "oracle"}
    assert trained == {
        ("elu", "deterministic", "na"),
        ("elu", "regrad", "na"),
        ("elu", "genuq", "0.05"),
        ("elu", "genuq", "0.1"),
        ("poisson", "deterministic", "na"),
        ("poisson", "regrad", "na"),
        ("poisson", "genuq", "0.05"),  # poisson does not sweep: the main ratio only
        ("porous", "genuq", "0.05"),  # porous sweeps but runs no deterministic model
        ("porous", "genuq", "0.1"),
    }
    assert ("porous", "oracle", "na") in planned


def test_one_problem_target_plans_that_problem_only(tmp_path):
    """`snakemake problem_<p>` (what make reference runs and times) plans the problem's runs,
    its metrics table and figures, and nothing that combines problems."""
    proc = run_snakemake(tmp_path, "-n", "problem_poisson")
    out = proc.stdout + proc.stderr
    assert set(re.findall(r"problem=(\w+)", out)) == {"poisson"}
    for job in ("train", "evaluate", "metrics_table", "figure_bands"):
        assert re.search(rf"^{job}\s+\d+$", out, re.M), job
    for job in ("claims_table", "cost_table", "ratio_table", "figure_ood_auroc"):
        assert not re.search(rf"^{job}\s+\d+$", out, re.M), job


@pytest.mark.parametrize("problem", sorted(PROBLEMS))
def test_make_validate_runs_one_seed_outside_the_reference_seeds(problem):
    """The check asks whether a new seed falls within the reference seeds' spread: the seed
    `make validate` runs must be one, and not among those `make validate-accept` runs."""
    run = yaml.safe_load((REPO / "validation" / f"{problem}.yaml").read_text())
    reference = yaml.safe_load((REPO / "validation" / "reference_seeds.yaml").read_text())
    assert len(run["seeds"]) == 1
    assert len(reference["seeds"]) >= 5
    assert not set(run["seeds"]) & set(reference["seeds"])
    more = yaml.safe_load((REPO / "validation" / "three_seeds.yaml").read_text())["seeds"]
    assert len(more) == 3 and set(run["seeds"]) < set(more)  # the default seed's run is kept
    assert not set(more) & set(reference["seeds"])


@pytest.mark.parametrize("problem", sorted(PROBLEMS))
@pytest.mark.parametrize(
    ("name", "lr"), [("degraded_genuq.yaml", 1e-3), ("untrained_genuq.yaml", 1e-8)]
)
def test_the_degraded_genuq_trains_one_epoch_on_every_problem(problem, name, lr):
    """EXTRA=validation/degraded_genuq.yaml (and untrained_genuq.yaml, which also stops its
    one epoch from learning) must break genuq wherever it is layered: a problem's training
    budget (config `budgets`) overrides `hyper`, so a degraded config that set `hyper` alone
    left porous's genuq at its full budget (the healthy run)."""
    cfg = yaml.safe_load((REPO / "config.yaml").read_text())
    update_config(cfg, yaml.safe_load((REPO / "validation" / name).read_text()))
    cfg = _validated(cfg)
    hyper = catalogue.variant_hyper(
        "genuq", cfg["hyper"], {}, cfg["problem_hyper"], problem, cfg["budgets"]
    )
    assert hyper["epochs"] == 1
    assert hyper["lr"] == lr
