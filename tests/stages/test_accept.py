"""Stage accept (make validate-accept): the reference CSV from a run's seeds, each row with
its commit; a part of the seeds joins the reference only when made by the same
number-making code, and nothing is written when it cannot."""

import csv
import subprocess
import sys

import pytest

from tests.stages.conftest import git
from uqbench import io
from uqbench.stages.accept import FIELDS, accept


def _run(run, commit, seeds, genuq=0.004):
    """A validation study directory with test records of genuq and vi for ``seeds``."""
    for seed in seeds:
        for method, ed in (("genuq", genuq + 1e-4 * seed), ("vi", 0.03 + 1e-4 * seed)):
            record = {
                "problem": "poisson", "method": method, "base_method": method, "ratio": 0.016,
                "seed": seed, "split": "test", "status": "ok", "git_commit": commit,
                "metrics": {k: {"mean": v} for k, v in
                            {"energy_distance": ed, "spread_ratio": 1.0,
                             "coverage_90": 0.9}.items()},
            }  # fmt: skip
            io.write_metrics(
                record, run / f"results/metrics/poisson/{method}/r0.016/s{seed}/test.json"
            )
    return run


def _read(path):
    with open(path, newline="") as fh:
        return list(csv.DictReader(fh))


def test_a_whole_accept_writes_every_seed_with_its_commit_and_only_those_seeds(repo, tmp_path):
    root, commit = repo
    run = _run(tmp_path / "run", commit, seeds=(0, 1, 2, 3))  # 0: a make validate run
    rows = accept(run, "poisson", tmp_path / "ref.csv", [1, 2, 3], repo=root)
    written = _read(tmp_path / "ref.csv")
    assert tuple(written[0]) == FIELDS and len(written) == len(rows) == 2 * 3 * 3
    assert {r["seed"] for r in written} == {"1", "2", "3"}
    assert {r["commit"] for r in written} == {commit}
    with pytest.raises(ValueError, match=r"no poisson test records of seeds \[4\]"):
        accept(run, "poisson", tmp_path / "ref.csv", [1, 4], repo=root)


def test_parts_join_into_one_reference_with_the_tolerance_over_all_seeds(repo, tmp_path):
    root, commit = repo
    ref = tmp_path / "ref.csv"
    accept(_run(tmp_path / "a", commit, seeds=(1, 2)), "poisson", ref, [1, 2], root, part=True)
    first = _read(ref)
    (root / "README.md").write_text("docs only\n")  # a later commit, same number code
    git(root, "add", "-A")
    git(root, "commit", "-qm", "docs")
    later = git(root, "rev-parse", "HEAD")
    accept(_run(tmp_path / "b", later, seeds=(3,)), "poisson", ref, [3], root, part=True)
    joined = _read(ref)
    assert {(r["seed"], r["commit"]) for r in joined} == {("1", commit), ("2", commit),
                                                          ("3", later)}  # fmt: skip
    ed = [r for r in joined if r["method"] == "genuq" and r["metric"] == "energy_distance"]
    assert {r["seeds"] for r in ed} == {"3"} and float(ed[0]["tolerance"]) != float(
        next(r for r in first if r["method"] == "genuq")["tolerance"]
    )
    with pytest.raises(ValueError, match=r"already holds seeds \[3\]"):
        accept(_run(tmp_path / "c", later, seeds=(3,)), "poisson", ref, [3], root, part=True)
    assert _read(ref) == joined


def test_a_part_made_by_other_number_code_or_joining_an_older_reference_is_refused(repo, tmp_path):
    root, commit = repo
    ref = tmp_path / "ref.csv"
    accept(_run(tmp_path / "a", commit, seeds=(1,)), "poisson", ref, [1], root, part=True)
    (root / "src/code.py").write_text("other code\n")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "number code")
    other = git(root, "rev-parse", "HEAD")
    with pytest.raises(ValueError, match="whose number-making code differs"):
        accept(_run(tmp_path / "b", other, seeds=(2,)), "poisson", ref, [2], root, part=True)
    io.write_csv(ref, [{k: v for k, v in r.items() if k != "commit"} for r in _read(ref)],
                 FIELDS[:-1])  # fmt: skip
    before = ref.read_text()
    with pytest.raises(ValueError, match="does not name the commits"):
        accept(_run(tmp_path / "c", other, seeds=(2,)), "poisson", ref, [2], root, part=True)
    assert ref.read_text() == before


def test_the_command_takes_the_seeds_from_the_configs_and_a_part_from_its_file(repo, tmp_path):
    """make validate-accept's call: the reference seeds are the last config's, a part's
    must be among them."""
    root, commit = repo
    run = _run(tmp_path / "run", commit, seeds=(0, 1, 2))
    (tmp_path / "seeds.yaml").write_text("seeds: [1, 2]\n")
    (tmp_path / "part.yaml").write_text("seeds: [2]\n")
    (tmp_path / "bad.yaml").write_text("seeds: [0]\n")
    configs = [str(root / "config.yaml"), str(tmp_path / "seeds.yaml")]

    def command(*extra):
        args = [sys.executable, "-m", "uqbench.stages.accept", str(run), "poisson", "ref.csv"]
        return subprocess.run([*args, *configs, *extra], cwd=root, capture_output=True, text=True)

    bad = command("--part", str(tmp_path / "bad.yaml"))
    assert bad.returncode == 2 and "seeds [0] are not all among [1, 2]" in bad.stderr
    assert command("--part", str(tmp_path / "part.yaml")).returncode == 0
    assert {r["seed"] for r in _read(root / "ref.csv")} == {"2"}
    assert command().returncode == 0
    assert {r["seed"] for r in _read(root / "ref.csv")} == {"1", "2"}
