"""Stage archive: a finished problem kept in reference/records (its records, commit, wall
times and machine, its prediction figures), only from clean code that matches the
checkout's; restored into a new study as it was kept."""

import pytest
import yaml

from tests.stages.conftest import git
from uqbench import io
from uqbench.stages.archive import (
    PREDICTION_FIGURES,
    REMADE_RULES,
    REMAKE_PROFILE,
    archive,
    archive_path,
    archived_seeds,
    config_seeds,
    figures_dir,
    kept_files,
    parse_seeds,
    read_archives,
    remake_config,
    restore,
    status,
    wall_runs,
    write_archive,
)

KEPT_FILES = (
    "results/models/elu/genuq/r0.05/s0/train_log.csv",
    "benchmarks/data/elu/test.tsv",
    "benchmarks/truth/elu.tsv",
    "benchmarks/train/elu/genuq/r0.05/s0.tsv",
    "benchmarks/predict/elu/genuq/r0.05/s0.tsv",
    "benchmarks/evaluate/elu/genuq/r0.05/s0.tsv",
)
NOT_KEPT = (
    "results/models/elu/genuq/r0.05/s0/model.pt",  # weights: too large, made again by a rerun
    "results/predictions/elu/genuq/r0.05/s0/test.h5",
    "benchmarks/train/poisson/genuq/r0.05/s0.tsv",  # another problem's
    "results/tables/elu_metrics.csv",  # made anew from the records
)


def _run(run, commit, seeds=(0,), wall="1000\n234\n"):
    """A study directory with elu finished for ``seeds``: a metrics record per seed, kept
    and other files, its figures (of its first seed), its runs' wall times."""
    for seed in seeds:
        record = {
            "problem": "elu", "method": "genuq", "base_method": "genuq", "ratio": 0.05,
            "seed": seed, "split": "test", "status": "ok", "metrics": {}, "git_commit": commit,
            "device": "cpu",
        }  # fmt: skip
        io.write_metrics(record, run / f"results/metrics/elu/genuq/r0.05/s{seed}/test.json")
        for rel in (*KEPT_FILES, *NOT_KEPT):
            io.atomic_write_text(run / rel.replace("s0", f"s{seed}"), f"{rel} of {run.name}\n")
    for name in (*PREDICTION_FIGURES, "shift"):
        io.atomic_write_text(run / f"results/figures/elu_{name}.png", f"png {name} s{seeds[0]}")
    io.atomic_write_text(run / "wall/elu.s", wall)


def test_archive_keeps_the_records_and_prediction_figures_and_restore_writes_them_back(
    repo, tmp_path
):
    root, sha = repo
    run, out = tmp_path / "run", root / "reference"
    _run(run, sha)
    part = archive(run, "elu", out, [0])
    assert part["commits"] == [sha] and part["seeds"] == [0]
    assert part["wall_runs"] == [1000.0, 234.0]
    assert part["machine"]["devices"] == ["cpu"] and part["machine"]["cores"] >= 1
    assert sorted(kept_files(run, "elu")) == sorted(
        ["results/metrics/elu/genuq/r0.05/s0/test.json", *KEPT_FILES]
    )
    bundle = read_archives(out)["elu"]
    assert archive_path(out, "elu").read_bytes()[4:8] == bytes(4)  # no time stamp: same bytes
    assert bundle == {"problem": "elu", "parts": [part], "files": kept_files(run, "elu")}
    assert sorted(f.name for f in figures_dir(out).iterdir()) == sorted(
        f"elu_{n}.png" for n in PREDICTION_FIGURES
    )  # the shift ladder is drawn anew from the records
    assert list(read_archives(out)) == ["elu"]
    study = tmp_path / "study"
    assert restore(out, study, [0]) == ["elu"]
    for rel, text in bundle["files"].items():
        assert (study / rel).read_text() == text
    for name in PREDICTION_FIGURES:
        assert (study / f"results/figures/elu_{name}.png").read_text() == f"png {name} s0"
    assert not (study / NOT_KEPT[0]).exists()
    with pytest.raises(FileExistsError, match="not empty"):
        restore(out, study, [0])


def test_a_problem_run_in_parts_of_its_seeds_is_restored_once_all_are_archived(repo, tmp_path):
    root, sha = repo
    out, study_seeds = root / "reference", [0, 1, 2]
    assert status(out, tmp_path / "part2", "elu", [1, 2], study_seeds) == "run"
    _run(tmp_path / "part2", sha, seeds=(1, 2), wall="300\n")
    archive(tmp_path / "part2", "elu", out, study_seeds)
    assert not figures_dir(out).exists()  # seed 1's figures: not the study's (seed 0's)
    assert restore(out, tmp_path / "early", study_seeds) == []  # seed 0 missing: not yet
    assert not (tmp_path / "early" / REMAKE_PROFILE).exists()  # make reference: nothing
    with pytest.raises(ValueError, match=r"seeds \[1, 2\] archived.*REFERENCE_SEEDS=0\)"):
        status(out, tmp_path / "part1", "elu", None, study_seeds)  # a whole run: only seed 0
    assert status(out, tmp_path / "part2", "elu", [1, 2], study_seeds) == "archived"
    _run(tmp_path / "part1", sha, seeds=(0,), wall="700\n")
    archive(tmp_path / "part1", "elu", out, study_seeds)
    assert status(out, tmp_path / "part1", "elu", None, study_seeds) == "archived"
    bundle = read_archives(out)["elu"]
    parts = [(q["seeds"], q["wall_runs"]) for q in bundle["parts"]]
    assert parts == [([0], [700.0]), ([1, 2], [300.0])]
    # the data step's benchmark, made by both parts: the first part's; the seeds' own files
    assert bundle["files"]["benchmarks/data/elu/test.tsv"].endswith("of part2\n")
    assert bundle["files"]["benchmarks/train/elu/genuq/r0.05/s0.tsv"].endswith("of part1\n")
    assert bundle["files"]["benchmarks/train/elu/genuq/r0.05/s2.tsv"].endswith("of part2\n")
    assert (figures_dir(out) / f"elu_{PREDICTION_FIGURES[0]}.png").read_text().endswith("s0")
    assert restore(out, tmp_path / "study", study_seeds) == ["elu"]
    with pytest.raises(ValueError, match=r"seeds \[0, 1, 2\], the study's are \[0, 1\]"):
        restore(out, tmp_path / "other", [0, 1])
    with pytest.raises(FileExistsError, match=r"seeds \[0, 1, 2\] of elu already archived"):
        archive(tmp_path / "part1", "elu", out, study_seeds)


def test_status_refuses_seeds_outside_the_study_or_a_directory_holding_others(repo, tmp_path):
    root, sha = repo
    out = root / "reference"
    with pytest.raises(ValueError, match=r"seeds \[3\] asked, the study's are \[0, 1, 2\]"):
        status(out, tmp_path / "run", "elu", [3], [0, 1, 2])
    _run(tmp_path / "run", sha, seeds=(0,))
    with pytest.raises(ValueError, match=r"holds seeds \[0\] of elu, seeds \[1, 2\] asked"):
        status(out, tmp_path / "run", "elu", [1, 2], [0, 1, 2])  # a part needs its own dir
    with pytest.raises(ValueError, match=r"seeds \[0\] of elu, the study's are \[1, 2\]"):
        archive(tmp_path / "run", "elu", out, [1, 2])
    assert parse_seeds("1,2") == parse_seeds(" 1 2 ") == [1, 2] and parse_seeds("") == []
    with pytest.raises(ValueError, match="expected integers"):
        parse_seeds("one")


def test_a_part_made_by_other_number_code_is_refused(repo, tmp_path):
    root, sha = repo
    out = root / "reference"
    _run(tmp_path / "part1", sha, seeds=(0,))
    archive(tmp_path / "part1", "elu", out, [0, 1])
    (root / "src/code.py").write_text("changed code\n")
    git(root, "commit", "-qam", "new code")
    _run(tmp_path / "part2", git(root, "rev-parse", "HEAD"), seeds=(1,))
    with pytest.raises(ValueError, match=r"seeds \[0\] made by commits.*src/code\.py"):
        archive(tmp_path / "part2", "elu", out, [0, 1])
    assert archived_seeds(read_archives(out)["elu"]) == [0]


@pytest.mark.parametrize("fault", ["dirty record", "other code", "no figure", "no wall time"])
def test_archive_refuses_an_unfinished_or_untraceable_problem_and_writes_nothing(
    repo, tmp_path, fault
):
    root, sha = repo
    run, out = tmp_path / "run", root / "reference"
    _run(run, f"{sha}-dirty" if fault == "dirty record" else sha)
    if fault == "other code":
        (root / "src/code.py").write_text("changed code\n")
        git(root, "commit", "-qam", "new code")
    if fault == "no figure":
        (run / f"results/figures/elu_{PREDICTION_FIGURES[0]}.png").unlink()
    if fault == "no wall time":
        (run / "wall/elu.s").unlink()
    error, named = {
        "dirty record": (ValueError, "uncommitted code"),
        "other code": (ValueError, r"code other than this checkout's.*src/code\.py"),
        "no figure": (FileNotFoundError, "finish the problem first"),
        "no wall time": (FileNotFoundError, "no wall time recorded"),
    }[fault]
    with pytest.raises(error, match=named):
        archive(run, "elu", out, [0])
    assert not out.exists()


def test_a_presentation_change_keeps_the_archive_valid(repo, tmp_path):
    root, sha = repo
    run, out = tmp_path / "run", root / "reference"
    _run(run, sha)
    (root / "src/uqbench/plots/bands.py").write_text("a figure drawn anew from the records\n")
    git(root, "commit", "-qam", "plots")
    assert archive(run, "elu", out, [0])["commits"] == [sha]  # the records' own commit


def test_bad_archives_and_wall_files_are_named(tmp_path):
    with pytest.raises(ValueError, match="problem 'heat'"):
        kept_files(tmp_path, "heat")
    io.atomic_write_text(tmp_path / "wall/porous.s", "100\nstopped\n")
    with pytest.raises(ValueError, match=r"porous\.s.*one number of seconds per line"):
        wall_runs(tmp_path, "porous")
    with pytest.raises(FileNotFoundError, match="no problem archived"):
        restore(tmp_path / "reference", tmp_path / "study", [0])
    write_archive(tmp_path / "reference", {"problem": "elu"})
    archive_path(tmp_path / "reference", "elu").rename(archive_path(tmp_path / "reference", "x"))
    with pytest.raises(ValueError, match="not the archive of problem 'x'"):
        read_archives(tmp_path / "reference")
    archive_path(tmp_path / "reference", "x").write_text("{}")
    with pytest.raises(ValueError, match="not a gzipped JSON archive"):
        read_archives(tmp_path / "reference")
    archive_path(tmp_path / "reference", "x").unlink()
    write_archive(tmp_path / "reference", {"problem": "elu", "parts": []})
    with pytest.raises(ValueError, match="not the archive of problem 'elu'"):
        read_archives(tmp_path / "reference")  # no files
    escape = {"problem": "elu", "parts": [{"seeds": [0]}], "files": {"../outside.txt": "x"}}
    write_archive(tmp_path / "reference", escape)
    with pytest.raises(ValueError, match="outside the study directory"):
        restore(tmp_path / "reference", tmp_path / "study", [0])
    assert not (tmp_path / "outside.txt").exists()


def test_the_study_seeds_are_the_last_config_that_sets_them(tmp_path):
    io.atomic_write_text(tmp_path / "a.yaml", "seeds: [0, 1, 2]\ndevice: cpu\n")
    io.atomic_write_text(tmp_path / "b.yaml", "figure_pdf: false\n")
    assert config_seeds([tmp_path / "a.yaml", tmp_path / "b.yaml"]) == [0, 1, 2]
    with pytest.raises(ValueError, match="sets seeds"):
        config_seeds([tmp_path / "b.yaml"])


def test_the_remake_profile_allows_only_the_table_and_records_figure_rules(repo, tmp_path):
    root, sha = repo
    _run(tmp_path / "run", sha)
    archive(tmp_path / "run", "elu", root / "reference", [0])
    restore(root / "reference", tmp_path / "study", [0])
    profile = yaml.safe_load((tmp_path / "study" / REMAKE_PROFILE / "config.yaml").read_text())
    assert profile["config"] == ["problems=[elu]"] == [remake_config(["elu"])]
    assert profile["allowed-rules"] == list(REMADE_RULES)
    assert "metrics_table" in REMADE_RULES and "figure_shift" in REMADE_RULES
    assert not {f"figure_{n}" for n in PREDICTION_FIGURES} & set(REMADE_RULES)
    assert "train" not in REMADE_RULES and "evaluate" not in REMADE_RULES
