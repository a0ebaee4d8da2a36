"""The cost table from Snakemake benchmark records, and the stage that reads the files."""

import math

import pytest

from uqbench import io
from uqbench.stages.cost import write_cost_table

HEAD = "s\th:m:s\tmax_rss\tmax_vms\tmax_uss\tmax_pss\tio_in\tio_out\tmean_load\tcpu_time\n"


def write(path, seconds, rss):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(HEAD + f"{seconds}\t0:00:01\t{rss}\t1\t1\t1\t0\t0\t10\t1\n")
    return path


def test_rules_are_summarised(tmp_path):
    b = tmp_path / "benchmarks"
    files = {
        "train": [write(b / "t1.tsv", 10.0, 300.0), write(b / "t2.tsv", 4.0, 500.0)],
        "data": [write(b / "d.tsv", 1.5, "-")],
        "predict": [],
    }
    rows = {r["rule"]: r for r in write_cost_table(files, str(tmp_path / "cost.csv"))}
    assert set(rows) == {"train", "data"}  # a rule with no jobs has no row
    assert rows["train"]["jobs"] == 2 and rows["train"]["wall_s_total"] == 14.0
    assert rows["train"]["wall_s_max"] == 10.0 and rows["train"]["max_rss_mb"] == 500.0
    assert math.isnan(rows["data"]["max_rss_mb"])  # "-": not measured, not invented
    assert (tmp_path / "cost.csv").read_text().startswith("rule,jobs,wall_s_total")


def test_empty_benchmark_is_named(tmp_path):
    (tmp_path / "b.tsv").write_text(HEAD)
    with pytest.raises(io.DataFileError, match=r"b\.tsv"):
        write_cost_table({"data": [tmp_path / "b.tsv"]}, str(tmp_path / "c.csv"))
