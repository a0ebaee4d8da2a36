"""The config schema: defaults, registry agreement, and parse-time errors naming the key."""

import copy
from pathlib import Path

import pytest
import yaml
from snakemake.exceptions import WorkflowError
from snakemake.utils import validate

from tests.workflow.conftest import REPO, TINY
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


def test_problem_enum_matches_the_registry():
    schema = yaml.safe_load(Path(SCHEMA).read_text())
    assert set(schema["properties"]["problems"]["items"]["enum"]) == set(PROBLEMS)
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
    ],
)
def test_bad_config_is_rejected_naming_the_key(cfg, named):
    with pytest.raises(WorkflowError, match=named):
        _validated(cfg)


def test_bad_key_fails_at_parse_time_before_any_job(tmp_path, snakemake_runner):
    proc = snakemake_runner(tmp_path, "--config", "problemz=[elu]", check=False)
    assert proc.returncode != 0
    assert "'problemz' was unexpected" in proc.stdout + proc.stderr
    assert not (tmp_path / "results").exists()
