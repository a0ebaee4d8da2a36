"""Stage reference: the archived problems' tables and figures published with their
provenance, only when every record and the checkout share one committed code; an earlier
publication replaced whole, a failed check leaving it as it was."""

import hashlib
import json

import pytest

from tests.stages.conftest import git as _git
from uqbench import io
from uqbench.report.headline import HEADLINE_METRICS
from uqbench.stages.archive import archive_path, study_commit, write_archive
from uqbench.stages.reference import publish


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


MACHINE = {"platform": "Linux", "cpu": "a CPU", "cores": 2, "devices": ["cpu"]}


def _study(run, out, commits, problems=("elu", "poisson"), walls=((1000, 234), (50,))):
    """A restored study with its tables and figures made, and its problems' archives in
    ``out`` (elu stopped once and resumed)."""
    for p, commit, wall in zip(problems, commits, walls, strict=True):
        io.write_metrics(_record(p, commit), run / f"results/metrics/{p}/genuq/test.json")
        io.atomic_write_text(run / f"results/tables/{p}_metrics.csv", METRICS_CSV)
        io.atomic_write_text(run / f"results/tables/{p}_metrics.md", f"| genuq | {p} |\n")
        io.atomic_write_text(run / f"results/figures/{p}_bands.png", f"png {p}")
        io.atomic_write_text(run / f"results/figures/{p}_bands.pdf", "pdf")  # not published
        part = {"seeds": [0], "commits": [commit], "wall_runs": list(wall), "machine": MACHINE,
                "archived": "2026-12-03 08:00:00 UTC"}  # fmt: skip
        archive = {"problem": p, "parts": [part], "files": {}}
        write_archive(out, archive)
    for name in ("claims.md", "cost.csv", "ratio_study.csv"):
        io.atomic_write_text(run / f"results/tables/{name}", name)
    io.atomic_write_text(run / "results/tables/claims.csv", "paper,claim,verdict,reason\n")


def test_publish_copies_tables_and_figures_with_their_provenance(repo, tmp_path):
    root, sha = repo
    run, out = tmp_path / "run", root / "reference"
    _study(run, out, (sha, sha))
    io.atomic_write_text(out / "figures/old_figure.png", "from an earlier publication")
    io.atomic_write_text(out / "config.yaml", "device: cpu\n")  # kept: not published
    (root / "README.md").write_text("docs, committed after the study: the same code\n")
    (root / "src/uqbench/plots/bands.py").write_text("a figure drawn anew from the records\n")
    _git(root, "add", "-A")
    _git(root, "commit", "-qm", "docs")
    record = publish(run, out, [root / "config.yaml"])
    assert record["commit"] == _git(root, "rev-parse", "HEAD") != sha
    assert record["problems"] == ["elu", "poisson"] and record["configs"] == ["config.yaml"]
    assert record["wall_seconds"] == {"elu": 1234.0, "poisson": 50.0}
    assert record["wall_runs"] == {"elu": 2, "poisson": 1}
    assert [q["commits"] for q in record["parts"]["elu"]] == [[sha]]
    assert record["parts"]["poisson"][0]["machine"] == MACHINE
    tables = sorted(f.name for f in (out / "tables").iterdir())
    assert tables == sorted(
        ["claims.csv", "claims.md", "cost.csv", "ratio_study.csv", "elu_metrics.csv",
         "elu_metrics.md", "poisson_metrics.csv", "poisson_metrics.md"]
    )  # fmt: skip
    figures = sorted(f.name for f in (out / "figures").iterdir())
    assert figures == ["elu_bands.png", "poisson_bands.png"]  # the earlier one is gone
    assert sorted(f.name for f in out.iterdir()) == [
        "config.yaml", "figures", "provenance.json", "provenance.md", "records", "tables"
    ]  # fmt: skip
    for name, digest in record["files"].items():  # every published file, by its content
        assert hashlib.sha256((out / name).read_bytes()).hexdigest() == digest
    assert json.loads((out / "provenance.json").read_text()) == record
    page = (out / "provenance.md").read_text()
    assert record["commit"] in page and "`tables/claims.csv`" in page
    when = "2026-12-03 08:00:00 UTC"
    assert f"| elu | 0 | `{sha[:10]}` | 1234 s (0.34 h) | 2 | {when} | a CPU" in page
    assert f"| poisson | 0 | `{sha[:10]}` | 50 s (0.01 h) | 1 |" in page
    # the config's values are hashed, not its text: a comment changes nothing
    (root / "config.yaml").write_text("seeds: [0]\n")
    assert publish(run, out, [root / "config.yaml"])["config_hash"] == record["config_hash"]


@pytest.mark.parametrize("change", ["dirty record", "other code", "dirty checkout", "no git"])
def test_publish_refuses_numbers_it_cannot_trace_to_this_code(repo, tmp_path, change):
    root, sha = repo
    run, out = tmp_path / "run", root / "reference"
    commits = {"dirty record": (sha, f"{sha}-dirty"), "no git": (sha, "")}.get(change, (sha,) * 2)
    _study(run, out, commits)
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
    assert sorted(f.name for f in out.iterdir()) == ["records", "tables"]  # untouched
    assert (out / "tables/claims.csv").read_text() == "the earlier publication"


def test_publish_refuses_an_unfinished_study_or_one_other_than_the_archived(repo, tmp_path):
    root, sha = repo
    run, out = tmp_path / "run", root / "reference"
    _study(run, out, (sha, sha))
    (run / "results/tables/claims.csv").unlink()
    with pytest.raises(FileNotFoundError, match=r"claims\.csv"):
        publish(run, out, [root / "config.yaml"])
    assert sorted(f.name for f in out.iterdir()) == ["records"]
    io.atomic_write_text(run / "results/tables/claims.csv", "paper,claim,verdict,reason\n")
    archive_path(out, "poisson").unlink()  # records of a problem that is not archived
    with pytest.raises(ValueError, match=r"problems \['elu', 'poisson'\].*archives \['elu'\]"):
        publish(run, out, [root / "config.yaml"])
    with pytest.raises(ValueError, match="no metrics records"):
        study_commit([], root)


def test_publish_fills_the_readme_blocks_or_replaces_nothing(repo, tmp_path):
    root, sha = repo
    run, out = tmp_path / "run", root / "reference"
    _study(run, out, (sha, sha))
    readme = root / "README.md"
    readme.write_text("# tool\n")  # no markers: refused before anything is replaced
    with pytest.raises(ValueError, match="no block 'results'"):
        publish(run, out, [root / "config.yaml"], readme)
    assert [f.name for f in out.iterdir()] == ["records"] and readme.read_text() == "# tool\n"
    blocks = "".join(
        f"<!-- {b}: made by make reference; do not edit -->\nold\n<!-- end {b} -->\n"
        for b in ("results", "cost")
    )
    readme.write_text("# tool\n" + blocks)
    record = publish(run, out, [root / "config.yaml"], readme)
    text = readme.read_text()
    assert "old" not in text and f"`{record['commit'][:10]}`" in text
    assert "(reference/tables/)" in text and "| elu | 0.34 h | 2 | a CPU, 2 cores |" in text
