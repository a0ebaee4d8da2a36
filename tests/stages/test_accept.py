"""Stage accept (make validate-accept): the run's reference rows, each with its commit; a
whole accept replaces the reference, a part of the seeds joins it only when made by the
same number-making code, and nothing is written when it cannot."""

import csv
import math
import subprocess
import sys

import numpy as np
import pytest

from tests.stages.conftest import git
from uqbench import io
from uqbench.report.validate import tolerance
from uqbench.stages.accept import FIELDS, join, write_accepted


def _run(run, commit, seeds, genuq=0.004):
    """Test records of genuq and vi for ``seeds``, as a validation study writes them."""
    paths = []
    for seed in seeds:
        for method, ed in (("genuq", genuq + 1e-4 * seed), ("vi", 0.03 + 1e-4 * seed)):
            record = {
                "problem": "poisson", "method": method, "base_method": method, "ratio": 0.016,
                "seed": seed, "split": "test", "status": "ok", "git_commit": commit,
                "metrics": {k: {"mean": v} for k, v in
                            {"energy_distance": ed, "spread_ratio": 1.0,
                             "coverage_90": 0.9}.items()},
            }  # fmt: skip
            rel = f"results/metrics/poisson/{method}/r0.016/s{seed}/test.json"
            paths.append(io.write_metrics(record, run / rel))
    return paths


def _read(path):
    with open(path, newline="") as fh:
        return list(csv.DictReader(fh))


def _accepted(tmp_path, name, root, commit, seeds):
    out = tmp_path / f"{name}.csv"
    write_accepted(_run(tmp_path / name, commit, seeds), out, root)
    return out


def _commit(root, path, text, message):
    (root / path).write_text(text)
    git(root, "add", "-A")
    git(root, "commit", "-qm", message)
    return git(root, "rev-parse", "HEAD")


def test_a_whole_accept_writes_every_seed_with_its_commit(repo, tmp_path):
    root, commit = repo
    accepted = _accepted(tmp_path, "run", root, commit, (1, 2, 3))
    rows = join(accepted, tmp_path / "ref.csv", [1, 2, 3], repo=root)
    written = _read(tmp_path / "ref.csv")
    assert tuple(written[0]) == FIELDS and len(written) == len(rows) == 2 * 3 * 3
    assert {r["seed"] for r in written} == {"1", "2", "3"}
    assert {r["commit"] for r in written} == {commit}
    with pytest.raises(ValueError, match=r"holds seeds \[1, 2, 3\], not the \[1, 2, 3, 4\]"):
        join(accepted, tmp_path / "ref.csv", [1, 2, 3, 4], repo=root)


def test_two_records_of_one_method_and_seed_are_refused(repo, tmp_path):
    root, commit = repo
    paths = _run(tmp_path / "a", commit, (1,)) + _run(tmp_path / "b", commit, (1,))
    with pytest.raises(ValueError, match="two test records of genuq seed 1"):
        write_accepted(paths, tmp_path / "x.csv", root)
    assert not (tmp_path / "x.csv").exists()


def test_parts_join_into_one_reference_with_the_tolerance_over_all_seeds(repo, tmp_path):
    root, commit = repo
    ref = tmp_path / "ref.csv"
    join(_accepted(tmp_path, "a", root, commit, (1, 2)), ref, [1, 2, 3], part=[1, 2], repo=root)
    first = [r for r in _read(ref) if r["method"] == "genuq" and r["metric"] == "energy_distance"]
    assert {r["seeds"] for r in first} == {"2"}
    later = _commit(root, "README.md", "docs only\n", "docs")  # same number code
    part = _accepted(tmp_path, "b", root, later, (3,))
    join(part, ref, [1, 2, 3], part=[3], repo=root)
    joined = _read(ref)
    assert {(r["seed"], r["commit"]) for r in joined} == {
        ("1", commit),
        ("2", commit),
        ("3", later),
    }
    ed = [r for r in joined if r["method"] == "genuq" and r["metric"] == "energy_distance"]
    values = np.array([0.0041, 0.0042, 0.0043])
    expected = tolerance("energy_distance", values.mean(), values.std(ddof=1), 3, 6)
    assert {r["seeds"] for r in ed} == {"3"}
    assert float(ed[0]["tolerance"]) == pytest.approx(expected) and math.isfinite(expected)
    with pytest.raises(ValueError, match=r"already holds seeds \[3\]"):
        join(part, ref, [1, 2, 3], part=[3], repo=root)
    assert _read(ref) == joined


def test_a_part_made_by_other_number_code_or_joining_an_older_reference_is_refused(repo, tmp_path):
    root, commit = repo
    ref = tmp_path / "ref.csv"
    join(_accepted(tmp_path, "a", root, commit, (1,)), ref, [1, 2], part=[1], repo=root)
    other = _commit(root, "src/code.py", "other code\n", "number code")
    part = _accepted(tmp_path, "b", root, other, (2,))
    before = ref.read_text()
    with pytest.raises(ValueError, match="whose number-making code differs"):
        join(part, ref, [1, 2], part=[2], repo=root)
    assert ref.read_text() == before
    with pytest.raises(ValueError, match=r"seeds \[2\] are not all among \[1, 3\]"):
        join(part, ref, [1, 3], part=[2], repo=root)
    io.write_csv(ref, [{k: v for k, v in r.items() if k != "commit"} for r in _read(ref)],
                 FIELDS[:-1])  # fmt: skip
    before = ref.read_text()
    with pytest.raises(ValueError, match="does not name the commits"):
        join(part, ref, [1, 2], part=[2], repo=root)
    assert ref.read_text() == before


def test_the_command_takes_the_seeds_from_the_configs_and_checks_a_part_first(repo, tmp_path):
    """make validate-accept's calls: the reference seeds are the last config's; a part's
    must be among them, refused by --check before anything runs."""
    root, commit = repo
    accepted = _accepted(tmp_path, "run", root, commit, (2,))
    (tmp_path / "seeds.yaml").write_text("seeds: [1, 2]\n")
    (tmp_path / "part.yaml").write_text("seeds: [2]\n")
    (tmp_path / "bad.yaml").write_text("seeds: [0]\n")
    configs = [str(root / "config.yaml"), str(tmp_path / "seeds.yaml")]

    def command(*extra):
        args = [sys.executable, "-m", "uqbench.stages.accept", str(accepted), "ref.csv"]
        return subprocess.run([*args, *configs, *extra], cwd=root, capture_output=True, text=True)

    bad = command("--part", str(tmp_path / "bad.yaml"), "--check")
    assert bad.returncode == 1 and "seeds [0] are not all among [1, 2]" in bad.stderr
    assert command("--part", str(tmp_path / "part.yaml"), "--check").returncode == 0
    assert not (root / "ref.csv").exists()
    assert command("--part", str(tmp_path / "part.yaml")).returncode == 0
    assert {r["seed"] for r in _read(root / "ref.csv")} == {"2"}
    whole = command()  # the accepted rows lack seed 1
    assert whole.returncode == 1 and "holds seeds [2], not the [1, 2]" in whole.stderr
