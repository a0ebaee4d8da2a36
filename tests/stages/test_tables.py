"""Stage tables: metrics records on disk in; tables, claims and the science check out."""

import csv

import pytest

from uqbench import io
from uqbench.report.validate import FIELDS, ValidationError, reference_rows
from uqbench.stages.tables import (
    ablation_table,
    check_validation,
    claims_table,
    metrics_table,
)


def write_records(root, runs, split="test", extra=None):
    paths = []
    for method, ratio, seed, ed in runs:
        metrics = {
            k: {"mean": v, "ci95": 0.0}
            for k, v in {
                "energy_distance": ed,
                "energy_score": 0.1 + ed,
                "spread_ratio": 1.0,
                "coverage_90": 0.9,
                "rel_l2_mean": 0.05,
            }.items()
        } | (extra or {})
        record = {
            "problem": "elu",
            "method": method,
            "base_method": method,
            "ratio": ratio,
            "seed": seed,
            "split": split,
            "status": "ok",
            "predict_seconds": 1.0,
            "n_samples": 256,
            "metrics": metrics,
        }
        paths.append(io.write_metrics(record, root / f"{method}_{seed}_{split}.json"))
    return paths


RUNS = [
    ("genuq", 0.016, 0, 0.004),
    ("genuq", 0.016, 1, 0.005),
    ("vi", 0.016, 0, 0.03),
    ("vi", 0.016, 1, 0.031),
    ("flow", 0.016, 0, 0.03),
    ("flow", 0.016, 1, 0.032),
    ("climatology", None, 0, 0.8),
    ("oracle", None, 0, 0.0),
    ("oracle", None, 1, 0.0001),
]


def test_the_shift_table_shows_each_method_on_test_then_each_rung(tmp_path):
    runs = [("climatology", None, 0, 0.8), ("genuq", 0.016, 0, 0.004)]
    paths = write_records(tmp_path, runs)
    auroc = {"shift_auroc": {"mean": 0.7, "ci95": 0.05}}
    for rung, ed in (("ood_strong", 0.04), ("ood_mild", 0.01)):  # written out of order
        grown = [(m, r, s, e * ed / 0.004) for m, r, s, e in runs]
        paths += write_records(tmp_path, grown, split=rung, extra=auroc)
    files = [str(tmp_path / f) for f in ("t.csv", "t.md", "s.csv", "s.md")]
    rows = metrics_table(paths, *files)
    assert [r["method"] for r in rows] == ["climatology", "genuq"]  # the test split only
    with open(files[2], newline="") as fh:
        shift = [(r["method"], r["split"], r["shift_auroc_mean"]) for r in csv.DictReader(fh)]
    assert shift == [
        ("climatology", "test", ""), ("climatology", "ood_mild", "0.7"),
        ("climatology", "ood_strong", "0.7"), ("genuq", "test", ""),
        ("genuq", "ood_mild", "0.7"), ("genuq", "ood_strong", "0.7"),
    ]  # fmt: skip
    md = (tmp_path / "s.md").read_text()
    # skill against climatology on the same split: 1 - 0.104/0.9 on test, 1 - 0.11/2.1 mild
    assert "| genuq | test | 1 ok | 0.8844 |" in md and "| genuq | ood_mild | 1 ok | 0.9476 |" in md
    assert "**" not in md and "shift rungs" in md
    with pytest.raises(ValueError, match=r"splits \['calib'\]"):
        metrics_table(write_records(tmp_path, runs, split="calib"), *files)


def test_tables_follow_the_catalogue_and_show_no_ratio_as_a_dash(tmp_path):
    paths = write_records(tmp_path, RUNS)
    metrics_table(paths, *(str(tmp_path / f) for f in ("t.csv", "t.md", "s.csv", "s.md")))
    lines = (tmp_path / "t.md").read_text().splitlines()
    methods = ["oracle", "climatology", "genuq", "vi", "flow"]
    assert [line.split(" | ")[0][2:] for line in lines[2:7]] == methods
    assert lines[2].startswith("| oracle | – |") and lines[4].startswith("| genuq | 0.016 |")
    ed = lines[0].split(" | ").index("energy_distance")
    cells = {line.split(" | ")[0][2:]: line.split(" | ")[ed] for line in lines[2:7]}
    assert cells["genuq"].startswith("**") and not cells["oracle"].startswith("**")
    # two seeds: the t interval with 1 degree of freedom, 12.7 standard errors
    assert cells["genuq"] == "**0.0045 ± 0.0064**"
    with open(tmp_path / "t.csv", newline="") as fh:
        table = list(csv.DictReader(fh))
    assert [r["method"] for r in table] == methods and table[2][
        "energy_distance_interval"
    ] == "seeds"
    rows = claims_table(paths, 0.016, str(tmp_path / "c.csv"), str(tmp_path / "c.md"))
    with open(tmp_path / "c.csv", newline="") as fh:
        assert [r["verdict"] for r in csv.DictReader(fh)] == [r["verdict"] for r in rows]
    assert rows[0]["verdict"] == "reproduced"  # elu: genuq's ED far below vi's


def test_the_science_check_reads_the_reference_csv_and_writes_its_report_only_on_success(
    tmp_path,
):
    runs = [r for r in RUNS if r[0] != "climatology"]  # one seed: it could not be judged
    (tmp_path / "a").mkdir()
    ref = reference_rows(io.read_metrics_files(write_records(tmp_path / "a", runs)))
    io.write_csv(tmp_path / "ref.csv", ref, FIELDS)
    (tmp_path / "b").mkdir()
    again = write_records(tmp_path / "b", [(*r[:2], 5, *r[3:]) for r in runs if r[2] == 0])
    lines = check_validation(again, str(tmp_path / "ref.csv"), str(tmp_path / "ok.txt"))
    assert (tmp_path / "ok.txt").read_text().splitlines() == lines
    assert sum(line.startswith("ok   ") for line in lines) == 4 * 3
    (tmp_path / "c").mkdir()
    moved = write_records(tmp_path / "c", [r for r in runs if r[2] == 0 and r[0] != "vi"])
    moved += write_records(tmp_path / "c", [("vi", 0.016, 0, 0.3)])
    with pytest.raises(ValidationError, match=r"vi energy_distance \(seed 0\): 0\.3 outside"):
        check_validation(moved, str(tmp_path / "ref.csv"), str(tmp_path / "bad.txt"))
    assert not (tmp_path / "bad.txt").exists()


def test_the_ablation_table_shows_the_validation_objective_each_run_was_selected_by(tmp_path):
    runs = [("genuq", 0.016, s, 0.004) for s in (0, 1)]
    runs += [("genuq_last", 0.016, s, 0.006) for s in (0, 1)]
    paths = write_records(tmp_path, runs)
    for p in paths[2:]:  # a variant keeps its base's name in its record and its phases
        p.write_text(p.read_text().replace('"base_method": "genuq_last"', '"base_method": "genuq"'))
    logs = []
    for method, _, seed, _ in runs:
        objective = {"genuq": 0.10, "genuq_last": 0.12}[method] + 0.001 * seed
        history = [  # the pre-fit's MSE is not the objective; the best selected epoch is
            {"phase": "genuq/pretrain", "val_loss": 1e-4, "selected": 1.0},
            {"phase": "genuq", "val_loss": objective + 0.05, "selected": 1.0},
            {"phase": "genuq", "val_loss": objective, "selected": 1.0},
            {"phase": "genuq", "val_loss": objective - 0.05, "selected": 0.0},
        ]
        history = [
            {
                "epoch": i,
                "loss": 0.0,
                "val_rel_l2_mean": 0.0,
                "lr": 1e-3,
                "seconds": 1.0,
                "samples_per_s": 1.0,
                **h,
            }
            for i, h in enumerate(history)
        ]
        identity = {"problem": "elu", "method": method, "ratio": 0.016, "seed": seed}
        logs.append(io.write_training_log(history, identity, tmp_path / f"{method}_{seed}.csv"))
    rows = ablation_table(
        paths, logs, "genuq", 0.016, str(tmp_path / "a.csv"), str(tmp_path / "a.md")
    )
    at = {r["method"]: r for r in rows}
    assert at["genuq"]["val_objective_mean"] == pytest.approx(0.1005)
    assert at["genuq_last"]["val_objective_diff"] == pytest.approx(0.02)
    assert at["genuq_last"]["energy_distance_diff"] == pytest.approx(0.002)
    header = (tmp_path / "a.md").read_text().splitlines()[0]
    assert header.index("val_objective") < header.index("energy_distance")
