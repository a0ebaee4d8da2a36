"""The tiny study (its elu part with one method of each kind, its tables and one figure:
every kind of job, 24 of its 205) submitted through profiles/slurm to a real (private,
single-node) Slurm.

The test profile is profiles/slurm/config.yaml itself, with only what this 2-core node needs
changed: requests scaled down to fit it, and the status settings for a Slurm without
accounting (squeue instead of sacct, no account). Every job must have run under Slurm: the
rule logs record SLURM_JOB_ID, and the plugin's sbatch lines ask for --gpus=1 on GPU rules.
"""

import re
import subprocess

import pytest
import yaml

from tests.workflow.conftest import REPO, snakemake_cmd

pytestmark = [pytest.mark.slow, pytest.mark.cluster]
# every kind of job but the per-problem figures (drawn by the same rule as ood_auroc)
TARGETS = (
    "tables/elu_metrics.md",
    "tables/ratio_study.md",
    "tables/claims.md",
    "tables/cost.csv",
    "figures/ood_auroc.png",
)


def scaled_profile(tmp_path):
    profile = yaml.safe_load((REPO / "profiles/slurm/config.yaml").read_text())
    profile.update(
        {
            "slurm-status-command": "squeue",
            "slurm-no-account": True,
            "slurm-init-seconds-before-status-checks": 2,
            "seconds-between-status-checks": 2,
            "latency-wait": 5,
            "retries": 0,
        }
    )
    small = {"mem_mb": 1000, "runtime": 10}
    profile["default-resources"] = {**small, "cpus_per_task": 1}
    for res in profile["set-resources"].values():
        res.update(small)
        for key in ("cpus_per_task", "cpus_per_gpu"):
            if key in res:
                res[key] = 1
    out = tmp_path / "profile"
    out.mkdir()
    (out / "config.yaml").write_text(yaml.safe_dump(profile))
    return out, profile


@pytest.fixture(scope="module")
def slurm_study(slurm, tmp_path_factory):
    work = tmp_path_factory.mktemp("slurm_study")
    profile, _ = scaled_profile(work)
    # every kind of rule: data, truth, the oracle, a pretrained base, a ratio method, an OOD
    # score, the tables, a figure; each job pays a Slurm round trip and a Snakemake start
    one_problem = work / "elu_small.yaml"
    one_problem.write_text("problems: [elu]\nmethods: [oracle, deterministic, genuq, regrad]\n")
    cmd = snakemake_cmd(
        work,
        "--profile",
        str(profile),
        "--verbose",
        *(f"results/{t}" for t in TARGETS),
        configfiles=(one_problem,),
    )
    proc = subprocess.run(cmd, capture_output=True, text=True, env=slurm.env, timeout=1500)
    text = proc.stdout + proc.stderr
    if proc.returncode != 0:
        raise AssertionError(f"slurm study failed:\n{text[-6000:]}")
    return work, text, one_problem


def test_the_profile_submits_through_the_slurm_executor():
    profile = yaml.safe_load((REPO / "profiles/slurm/config.yaml").read_text())
    assert profile["executor"] == "slurm"
    for rule in ("train", "predict"):
        assert profile["set-resources"][rule]["gpu"] == 1
        assert "attempt" in str(profile["set-resources"][rule]["mem_mb"])
    assert "attempt" in str(profile["default-resources"]["runtime"])


def test_every_target_is_made(slurm_study):
    work, _, one_problem = slurm_study
    dry = subprocess.run(
        snakemake_cmd(
            work,
            "-n",
            "--cores",
            "1",
            *(f"results/{t}" for t in TARGETS),
            configfiles=(one_problem,),
        ),
        capture_output=True,
        text=True,
    )
    assert "Nothing to be done" in dry.stdout + dry.stderr
    for target in TARGETS:
        assert (work / "results" / target).exists()


def test_jobs_ran_under_slurm_with_gpus_for_gpu_rules(slurm_study):
    work, text, _ = slurm_study
    sbatch = [line for line in text.splitlines() if "sbatch call:" in line]
    train = [line for line in sbatch if "--comment rule_train_" in line]
    light = [line for line in sbatch if "--comment rule_metrics_table_" in line]
    assert train and light, "no sbatch calls for train/metrics_table in the verbose output"
    assert all("--gpus=1" in line for line in train)
    assert not any("--gpu" in line for line in light)
    print("train sbatch:", train[0].strip())
    print("light sbatch:", light[0].strip())
    logs = sorted((work / "logs").rglob("*.log"))
    assert logs
    for log in logs:
        assert re.search(r"SLURM_JOB_ID=\d+", log.read_text()), log
