# Input functions, target lists and wildcard constraints shared by all rules, and the
# recovery of the working-directory lock of a killed run.
import os
import socket
from pathlib import Path

SPLITS = ["train", "val", "test", "ood"]
EVAL_SPLITS = ["test", "ood"]
# Methods that sweep the stochastic-parameter ratio (a test checks this against the registry).
RATIO_METHODS = {"genuq", "vi", "flow"}
# Methods with an epistemic score (OOD AUROC); checked against the registry by a test.
SCORE_METHODS = {"ensemble", "regrad", "isograd", "decu"}
# The reference forecasts (no divergence check: they are the yardsticks); checked likewise.
REFERENCE_METHODS = {"climatology", "ridge"}
# The oracle draws fresh realizations of the true operator: predicted, never trained.
ORACLE = "oracle"
TRAINED = "|".join(m for m in config["methods"] if m != ORACLE) or "(?!)"
RATIOS = [str(r) for r in config["ratios"]]
MAIN_RATIO = str(config["main_ratio"])
if MAIN_RATIO not in RATIOS:
    raise ValueError(f"config key main_ratio={MAIN_RATIO} must be one of ratios={RATIOS}")
RUN = "{problem}/{method}/r{ratio}/s{seed}"


wildcard_constraints:
    problem="|".join(config["problems"]),
    method="|".join(config["methods"]),
    split="|".join(SPLITS),
    ratio="na|" + "|".join(r.replace(".", r"\.") for r in RATIOS),
    seed=r"\d+",


def data_settings(wildcards):
    """The config slice of one problem (data.<problem>): all generate_data needs."""
    return config["data"][wildcards.problem]


def train_inputs(wildcards):
    """Training data, plus the deterministic checkpoint (same problem and seed) that the
    divergence check compares against, when the study runs the deterministic method."""
    files = {
        "train": f"results/data/{wildcards.problem}/train.nc",
        "val": f"results/data/{wildcards.problem}/val.nc",
    }
    method = wildcards.method
    if (
        method != "deterministic"
        and method not in REFERENCE_METHODS
        and "deterministic" in config["methods"]
    ):
        files["reference"] = (
            f"results/models/{wildcards.problem}/deterministic/rna/s{wildcards.seed}/model.pt"
        )
    return files


def method_hyper(wildcards):
    return config["hyper"][wildcards.method]


def base_recipe(wildcards):
    """The training recipe of the problem's base model (base_model.<problem>)."""
    return config["base_model"][wildcards.problem]


def ratio_value(wildcards):
    return None if wildcards.ratio == "na" else float(wildcards.ratio)


def ratios_of(method, main_only=False):
    if method not in RATIO_METHODS:
        return ["na"]
    return [MAIN_RATIO] if main_only else RATIOS


def runs(problem, main_only=False, seeds=None, methods=None, trained=False):
    """(method, ratio, seed) of every run of a problem, as dicts for expand/format;
    ``trained``: only runs with a training job (not the oracle)."""
    return [
        dict(problem=problem, method=m, ratio=r, seed=s)
        for m in config["methods"]
        if (methods is None or m in methods) and not (trained and m == ORACLE)
        for r in ratios_of(m, main_only)
        for s in (seeds or config["seeds"])
    ]


def run_files(pattern, problem, main_only=False, seeds=None, methods=None, trained=False, **extra):
    return [
        pattern.format(**run, **extra)
        for run in runs(problem, main_only, seeds, methods, trained)
    ]


def all_data_files():
    return expand(
        "results/data/{problem}/{split}.nc", problem=config["problems"], split=SPLITS
    )


def all_metric_files():
    return [
        f
        for p in config["problems"]
        for split in EVAL_SPLITS
        for f in run_files(f"results/metrics/{RUN}/{{split}}.json", p, split=split)
    ]


def first_seed_predictions(wildcards):
    return run_files(
        f"results/predictions/{RUN}/test.nc",
        wildcards.problem,
        main_only=True,
        seeds=config["seeds"][:1],
    )


def ratio_study_metrics(wildcards=None):
    """Test metrics of every (r) method at every ratio, all problems and seeds."""
    return [
        f
        for p in config["problems"]
        for f in run_files(f"results/metrics/{RUN}/test.json", p, methods=RATIO_METHODS)
    ]


def claims_metrics(wildcards=None):
    """Test metrics of every run at the main ratio, and of the ratio study: all problems and
    seeds (the claims table reads what it needs)."""
    main = [
        f
        for p in config["problems"]
        for f in run_files(f"results/metrics/{RUN}/test.json", p, main_only=True)
    ]
    return sorted(set(main + ratio_study_metrics()))


def ratio_study_targets():
    """The ratio-study table and figure, when the study runs any (r) method."""
    if not RATIO_METHODS & set(config["methods"]):
        return []
    return ["results/tables/ratio_study.csv", "results/figures/ratio_study.png"]


def ood_auroc_metrics(wildcards=None):
    """Test metrics (they hold ood_auroc) of every scoring method, all problems and seeds."""
    return [
        f
        for p in config["problems"]
        for f in run_files(
            f"results/metrics/{RUN}/test.json", p, main_only=True, methods=SCORE_METHODS
        )
    ]


def ood_auroc_targets():
    """The OOD AUROC figure, when the study runs any method with an epistemic score."""
    if not SCORE_METHODS & set(config["methods"]):
        return []
    return ["results/figures/ood_auroc.png"]


def benchmark_files(wildcards=None):
    """Benchmark files of every data, train, predict and evaluate job of the study."""
    files = [f"benchmarks/data/{p}/{s}.tsv" for p in config["problems"] for s in SPLITS]
    for step in ("train", "predict", "evaluate"):
        files += [
            f
            for p in config["problems"]
            for f in run_files(f"benchmarks/{step}/{RUN}.tsv", p, trained=step == "train")
        ]
    return files


# -- locks of killed runs ------------------------------------------------------------------
# Snakemake locks the working directory while it runs; a run killed with SIGKILL cannot
# release the lock, and the next `snakemake` would stop with "Directory cannot be locked".
# The main process records its host and PID when it starts and removes the record when it
# ends; at parse time a record whose process is gone (same host) marks the lock as stale,
# so the lock is released and the rerun resumes. A live owner, another host, or a lock with
# no record are left alone (Snakemake then reports the lock as usual).
LOCK_OWNER = Path(".snakemake/uqbench_lock_owner")


def _running(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def release_stale_lock():
    if not LOCK_OWNER.exists():
        return
    host, _, pid = LOCK_OWNER.read_text().partition(" ")
    if host != socket.gethostname() or not pid.strip().isdigit() or _running(int(pid)):
        return
    for lock in Path(".snakemake/locks").glob("*.lock"):
        lock.unlink()
    LOCK_OWNER.unlink()
    logger.warning(f"released the lock of a killed run (PID {pid.strip()} on {host})")


def record_lock_owner():
    LOCK_OWNER.parent.mkdir(parents=True, exist_ok=True)
    LOCK_OWNER.write_text(f"{socket.gethostname()} {os.getpid()}")


def clear_lock_owner():
    LOCK_OWNER.unlink(missing_ok=True)


if workflow.is_main_process:
    release_stale_lock()
