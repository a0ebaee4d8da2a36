"""One contract over every registered figure: its plot function resolves, its caption
exists, and ``stages.figures.draw`` makes its PNG and PDF from the files it reads (written
here with ``uqbench.io``, as the workflow writes them)."""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from uqbench import io
from uqbench.plots.catalogue import FIGURES, FigureEntry, figure_stem
from uqbench.stages.data import split_dataset
from uqbench.stages.figures import draw, plot_function

ROOT = Path(__file__).resolve().parents[2]
RUNGS = ("test", "ood_mild", "ood", "ood_strong")
# (method, base, ratio): a method with its variant, the reference, a scored ensemble
RUNS = [
    ("genuq", "genuq", 0.016),
    ("genuq_last", "genuq", 0.016),
    ("deterministic", "deterministic", None),
    ("ensemble", "ensemble", None),
]


# the records each ``runs`` input of the rules (workflow/rules/common.smk) gives a figure
RUN_FILTER = {
    "ratio_study": lambda r: r["split"] == "test" and r["ratio"] is not None,
    "scored": lambda r: r["split"] == "test" and "ood_auroc" in r["metrics"],
    "shift": lambda r: True,
    "ablation": lambda r: r["split"] == "test" and r["method"] != "ensemble",
}


def metrics_files(root: Path, runs: str) -> list[Path]:
    """Metrics records of the runs a figure reads (of every method, seed and split: test
    and the shift rungs)."""
    paths = []
    for method, base, ratio in RUNS:
        for seed in range(2):
            for i, split in enumerate(RUNGS):
                value = 1e-3 * (1 + i + seed) * (2 if method == "genuq_last" else 1)
                metrics = {
                    m: {"mean": value, "ci95": value / 10, "n": 50}
                    for m in (
                        "energy_distance",
                        "correlation_error",
                        "rel_l2_mean",
                        "spread_ratio",
                        "coverage_95",
                    )
                }
                if method == "ensemble":
                    metrics["ood_auroc"] = {"mean": 0.8, "ci95": 0.05, "n": 50}
                    if split != "test":
                        metrics["shift_auroc"] = {"mean": 0.6 + 0.1 * i, "ci95": 0.05, "n": 50}
                record = {
                    "problem": "elu",
                    "method": method,
                    "base_method": base,
                    "ratio": ratio,
                    "seed": seed,
                    "split": split,
                    "status": "ok",
                    "n_samples": 16,
                    "input_law": split,
                    "metrics": metrics,
                }
                if RUN_FILTER[runs](record):
                    paths.append(io.write_metrics(record, root / f"{method}_{seed}_{split}.json"))
    return paths


def log_files(root: Path, runs: str) -> list[Path]:
    rows = [
        {
            "phase": phase,
            "epoch": e,
            "loss": 1.0 / (e + 1),
            "val_loss": 1.0 / (e + 1),
            "val_rel_l2_mean": 0.1 + 0.5 / (e + 1),
            "lr": 1e-3,
            "seconds": 0.1,
            "samples_per_s": 100.0,
            "selected": float(e == 3),
        }
        for phase in ("pre-fit", "energy score")
        for e in range(5)
    ]
    return [
        io.write_training_log(
            rows, {"problem": "elu", "method": m, "ratio": r, "seed": 0}, root / f"{m}.csv"
        )
        for m, _, r in RUNS
    ]


def source_files(root: Path, runs: str) -> list[Path]:
    """The elu test split and two prediction files (one point prediction, one with spread)."""
    from uqbench.problems import make_problem

    sizes = {"train": 4, "val": 4, "test": 3, "ood": 3, "realizations": 20}
    ds = split_dataset(make_problem("elu", {"grid": 64, "sizes": sizes}).generate("test", 0))
    paths = [io.write_dataset(ds, root / "test.nc")]
    truth = np.moveaxis(ds["output"].values, 1, 0)
    rng = np.random.default_rng(0)
    point = np.broadcast_to(truth.mean(0), truth.shape)
    spread = truth + 0.1 * rng.standard_normal(truth.shape)
    for method, samples in (("deterministic", point), ("ensemble", spread)):
        attrs = {
            "problem": "elu",
            "method": method,
            "base_method": method,
            "seed": 0,
            "status": "ok",
        }
        pred = io.prediction_dataset(samples, ("x",), {"x": ds["x"].values}, attrs)
        paths.append(io.write_dataset(pred, root / f"{method}.nc"))
    return paths


FILES = {"metrics": metrics_files, "training_logs": log_files, "predictions": source_files}
CONTEXT = {"problem": "elu", "base": "genuq", "main_ratio": 0.016}


@pytest.mark.parametrize("name", sorted(FIGURES))
def test_every_figure_draws_from_the_files_it_reads(name, tmp_path):
    entry = FIGURES[name]
    assert callable(plot_function(entry))
    assert (ROOT / "workflow/report" / f"{name}.rst").is_file(), "its caption"
    paths = FILES[entry.reads](tmp_path, entry.runs)
    stem = figure_stem(name).format(**CONTEXT)
    outputs = [tmp_path / f"out/{stem}.png", tmp_path / f"out/{stem}.pdf"]
    draw(name, paths, outputs, CONTEXT)
    assert all(p.stat().st_size > 1000 for p in outputs)
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == sorted(p.name for p in outputs)


def test_a_figure_names_what_it_is_drawn_per_and_bad_entries_raise(tmp_path):
    assert figure_stem("ablation") == "{problem}_{base}_ablation"
    assert figure_stem("ratio_study") == "ratio_study"
    with pytest.raises(ValueError, match="reads"):
        FigureEntry("ratio:ratio_study_figure", "pixels", "ratio_study")
    with pytest.raises(ValueError, match="unknown"):
        FigureEntry("shift:shift_ladder", "metrics", "shift", ("method",))
    with pytest.raises(ValueError, match="unknown"):  # a wildcard it is not drawn per
        FigureEntry("shift:shift_ladder", "metrics", "shift", (), context=("problem",))
    with pytest.raises(ValueError, match="needs"):
        draw("shift", [], [tmp_path / "x.png"], {})
    with pytest.raises(ValueError, match="unknown figure"):
        draw("bandz", [], [tmp_path / "x.png"], CONTEXT)


def test_a_study_level_figure_is_drawn_without_torch(tmp_path):
    """The metrics- and log-driven figures run in jobs that never import torch."""
    paths = metrics_files(tmp_path, "ratio_study")
    code = (
        "import sys\nfrom uqbench.stages.figures import draw\n"
        f"draw('ratio_study', {[str(p) for p in paths]!r}, [{str(tmp_path / 'r.png')!r}], {{}})\n"
        "print('torch' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
