"""Stage reference: a finished study published with its provenance, only when every record
and the checkout share one committed code; an earlier publication replaced whole, a failed
check leaving it as it was."""

import hashlib
import json
import subprocess

import pytest

from uqbench import io
from uqbench.report.headline import HEADLINE_METRICS
from uqbench.stages.reference import publish, study_commit, walls


def _git(repo, *args) -> str:
    out = subprocess.run(
        ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@t", *args],
        check=True, capture_output=True, text=True,
    )  # fmt: skip
    return out.stdout.strip()


@pytest.fixture
def repo(tmp_path):
    """A checkout with code and a config, committed: (path, commit)."""
    root = tmp_path / "repo"
    code = ("src/code.py", "src/uqbench/plots/bands.py", "scripts/run.py", "workflow/rules.smk")
    for path in (*code, "Snakefile"):
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text("code\n")
    (root / "config.yaml").write_text("seeds: [0]  # a comment\n")
    _git(root.parent, "init", "-q", str(root))
    _git(root, "add", "-A")
    _git(root, "commit", "-qm", "code")
    return root, _git(root, "rev-parse", "HEAD")


def _record(problem: str, commit: str) -> dict:
    return {
        "problem": problem, "method": "genuq", "base_method": "genuq", "ratio": None,
        "seed": 0, "split": "test", "status": "ok", "metrics": {}, "git_commit": commit,
        "device": "cpu",
    }  # fmt: skip


METRICS_CSV = (
    "method,ok,no_gain,diverged,"
    + ",".join(f"{m}_{s}" for m in HEADLINE_METRICS for s in ("mean", "ci95"))
    + "\ngenuq,1,0,0,"
    + ",".join(["0.5"] * 2 * len(HEADLINE_METRICS))
    + "\n"
)


def _study(run, commits, problems=("elu", "poisson")):
    """A finished study's files: a metrics record per problem, its tables and figures."""
    for p, commit in zip(problems, commits, strict=True):
        io.write_metrics(_record(p, commit), run / f"results/metrics/{p}/genuq/test.json")
        io.atomic_write_text(run / f"results/tables/{p}_metrics.csv", METRICS_CSV)
        io.atomic_write_text(run / f"results/tables/{p}_metrics.md", f"| genuq | {p} |\n")
        io.atomic_write_text(run / f"results/figures/{p}_bands.png", f"png {p}")
        io.atomic_write_text(run / f"results/figures/{p}_bands.pdf", "pdf")  # not published
    for name in ("claims.md", "cost.csv", "ratio_study.csv"):
        io.atomic_write_text(run / f"results/tables/{name}", name)
    io.atomic_write_text(run / "results/tables/claims.csv", "paper,claim,verdict,reason\n")
    io.atomic_write_text(run / "wall/elu.s", "1000\n234\n")  # stopped once; poisson untimed


def test_publish_copies_tables_and_figures_with_their_provenance(repo, tmp_path):
    root, sha = repo
    run, out = tmp_path / "run", root / "reference"
    _study(run, (sha, sha))
    io.atomic_write_text(out / "figures/old_figure.png", "from an earlier publication")
    io.atomic_write_text(out / "config.yaml", "device: cpu\n")  # kept: not published
    (root / "README.md").write_text("docs, committed after the study: the same code\n")
    (root / "src/uqbench/plots/bands.py").write_text("a figure drawn anew from the records\n")
    _git(root, "add", "-A")
    _git(root, "commit", "-qm", "docs")
    record = publish(run, out, [root / "config.yaml"])
    assert record["commit"] == _git(root, "rev-parse", "HEAD") != sha
    assert record["problems"] == ["elu", "poisson"] and record["configs"] == ["config.yaml"]
    assert record["wall_seconds"] == {"elu": 1234.0, "poisson": None}
    assert record["wall_runs"] == {"elu": 2, "poisson": 0}
    assert record["machine"]["devices"] == ["cpu"] and record["machine"]["cores"] >= 1
    tables = sorted(f.name for f in (out / "tables").iterdir())
    assert tables == sorted(
        ["claims.csv", "claims.md", "cost.csv", "ratio_study.csv", "elu_metrics.csv",
         "elu_metrics.md", "poisson_metrics.csv", "poisson_metrics.md"]
    )  # fmt: skip
    figures = sorted(f.name for f in (out / "figures").iterdir())
    assert figures == ["elu_bands.png", "poisson_bands.png"]  # the earlier one is gone
    assert sorted(f.name for f in out.iterdir()) == [
        "config.yaml", "figures", "provenance.json", "provenance.md", "tables"
    ]  # fmt: skip
    for name, digest in record["files"].items():  # every published file, by its content
        assert hashlib.sha256((out / name).read_bytes()).hexdigest() == digest
    assert json.loads((out / "provenance.json").read_text()) == record
    page = (out / "provenance.md").read_text()
    assert record["commit"] in page and "`tables/claims.csv`" in page
    assert "| elu | 1234 s (0.34 h) | 2 |" in page and "| poisson | not recorded | 0 |" in page
    # the config's values are hashed, not its text: a comment changes nothing
    (root / "config.yaml").write_text("seeds: [0]\n")
    assert publish(run, out, [root / "config.yaml"])["config_hash"] == record["config_hash"]


@pytest.mark.parametrize("change", ["dirty record", "other code", "dirty checkout", "no git"])
def test_publish_refuses_numbers_it_cannot_trace_to_this_code(repo, tmp_path, change):
    root, sha = repo
    run, out = tmp_path / "run", root / "reference"
    commits = {"dirty record": (sha, f"{sha}-dirty"), "no git": (sha, "")}.get(change, (sha,) * 2)
    _study(run, commits)
    io.atomic_write_text(out / "tables/claims.csv", "the earlier publication")
    if change in ("other code", "dirty checkout"):
        (root / "src/code.py").write_text("changed code\n")
    if change == "other code":
        _git(root, "commit", "-qam", "new code")
    named = {
        "dirty record": "uncommitted code",
        "no git": "uncommitted code or outside git",
        "other code": "code other than this checkout's",
        "dirty checkout": "has uncommitted code",
    }[change]
    with pytest.raises(ValueError, match=named) as err:
        publish(run, out, [root / "config.yaml"])
    if change == "other code":
        assert "src/code.py" in str(err.value)  # names what changed
    assert sorted(f.name for f in out.iterdir()) == ["tables"]  # the earlier one, untouched
    assert (out / "tables/claims.csv").read_text() == "the earlier publication"


def test_publish_refuses_an_unfinished_study(repo, tmp_path):
    root, sha = repo
    run, out = tmp_path / "run", root / "reference"
    _study(run, (sha, sha))
    (run / "results/tables/claims.csv").unlink()
    with pytest.raises(FileNotFoundError, match=r"claims\.csv"):
        publish(run, out, [root / "config.yaml"])
    assert not out.exists()
    with pytest.raises(ValueError, match="no metrics records"):
        study_commit([], root)


def test_wall_times_are_summed_over_runs_and_bad_lines_named(tmp_path):
    io.atomic_write_text(tmp_path / "wall/elu.s", "100\n20\n3\n")
    assert walls(tmp_path) == {"elu": {"seconds": 123.0, "runs": 3}}
    io.atomic_write_text(tmp_path / "wall/porous.s", "100\nstopped\n")
    with pytest.raises(ValueError, match=r"porous\.s.*one number of seconds per line"):
        walls(tmp_path)


def test_publish_fills_the_readme_blocks_or_replaces_nothing(repo, tmp_path):
    root, sha = repo
    run, out = tmp_path / "run", root / "reference"
    _study(run, (sha, sha))
    readme = root / "README.md"
    readme.write_text("# tool\n")  # no markers: refused before anything is replaced
    with pytest.raises(ValueError, match="no block 'results'"):
        publish(run, out, [root / "config.yaml"], readme)
    assert not list(out.iterdir()) and readme.read_text() == "# tool\n"
    blocks = "".join(
        f"<!-- {b}: made by make reference; do not edit -->\nold\n<!-- end {b} -->\n"
        for b in ("results", "cost")
    )
    readme.write_text("# tool\n" + blocks)
    record = publish(run, out, [root / "config.yaml"], readme)
    text = readme.read_text()
    assert "old" not in text and f"`{record['commit'][:10]}`" in text
    assert "(reference/tables/)" in text and "| elu | 0.34 h | 2 |" in text
