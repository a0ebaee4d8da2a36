"""Stage reference: a finished study published with its provenance, from one clean commit
only; an earlier publication's stale files removed, a failed check leaving nothing new."""

import hashlib
import json

import pytest

from uqbench import io
from uqbench.stages.reference import publish, study_commit

SHA = "a" * 40


def _record(problem: str, method: str, commit: str = SHA) -> dict:
    return {
        "problem": problem, "method": method, "base_method": method, "ratio": None, "seed": 0,
        "split": "test", "status": "ok", "metrics": {}, "git_commit": commit, "device": "cpu",
    }  # fmt: skip


def _study(root, commits=(SHA, SHA), problems=("elu", "poisson")):
    """A finished study's files: a metrics record per problem, its tables and figures."""
    for p, commit in zip(problems, commits, strict=True):
        io.write_metrics(_record(p, "genuq", commit), root / f"results/metrics/{p}/genuq/test.json")
        io.atomic_write_text(root / f"results/tables/{p}_metrics.csv", f"method\ngenuq {p}\n")
        io.atomic_write_text(root / f"results/tables/{p}_metrics.md", f"| genuq | {p} |\n")
        io.atomic_write_text(root / f"results/figures/{p}_bands.png", f"png {p}")
        io.atomic_write_text(root / f"results/figures/{p}_bands.pdf", "pdf")  # not published
    for name in ("claims.csv", "claims.md", "cost.csv", "ratio_study.csv"):
        io.atomic_write_text(root / f"results/tables/{name}", name)
    io.atomic_write_text(root / "wall/elu.s", "1234\n")  # poisson's run was not timed
    config = root / "config.yaml"
    config.write_text("seeds: [0]\n")
    return config


def test_publish_copies_tables_and_figures_with_their_provenance(tmp_path):
    run, out = tmp_path / "run", tmp_path / "reference"
    config = _study(run)
    io.atomic_write_text(out / "figures/old_figure.png", "from an earlier publication")
    record = publish(run, out, [config])
    assert record["commit"] == SHA and record["problems"] == ["elu", "poisson"]
    assert record["wall_seconds"] == {"elu": 1234.0, "poisson": None}
    assert record["machine"]["devices"] == ["cpu"] and record["machine"]["cores"] >= 1
    tables = sorted(f.name for f in (out / "tables").iterdir())
    assert tables == sorted(
        ["claims.csv", "claims.md", "cost.csv", "ratio_study.csv", "elu_metrics.csv",
         "elu_metrics.md", "poisson_metrics.csv", "poisson_metrics.md"]
    )  # fmt: skip
    figures = sorted(f.name for f in (out / "figures").iterdir())
    assert figures == ["elu_bands.png", "poisson_bands.png"]  # the stale one removed
    for name, sha in record["files"].items():  # every published file, by its content
        assert hashlib.sha256((out / name).read_bytes()).hexdigest() == sha
    assert json.loads((out / "provenance.json").read_text()) == record
    page = (out / "provenance.md").read_text()
    assert (
        SHA in page and "| elu | 1234 s (0.34 h) |" in page and "| poisson | not recorded |" in page
    )
    assert "`tables/claims.csv`" in page


@pytest.mark.parametrize(
    ("commits", "named"),
    [
        ((SHA, "b" * 40), "2 commits"),
        ((f"{SHA}-dirty",) * 2, "clean checkout"),
        (("", ""), "clean"),
    ],
)
def test_publish_refuses_records_of_other_or_uncommitted_code(tmp_path, commits, named):
    run, out = tmp_path / "run", tmp_path / "reference"
    config = _study(run, commits)
    with pytest.raises(ValueError, match=named):
        publish(run, out, [config])
    assert not out.exists()  # nothing published


def test_publish_refuses_an_unfinished_study(tmp_path):
    run, out = tmp_path / "run", tmp_path / "reference"
    config = _study(run)
    (run / "results/tables/claims.csv").unlink()
    with pytest.raises(FileNotFoundError, match=r"claims\.csv"):
        publish(run, out, [config])
    with pytest.raises(ValueError, match="no metrics records"):
        study_commit([])
