"""The README's results blocks: made from the published reference study, the headline rows
in their order plus the best other method, and the README in the repository matching what
is published in ``reference/``."""

import csv
import json
from pathlib import Path

import pytest

from uqbench.report.headline import (
    FINDINGS,
    HEADLINE_METRICS,
    block,
    fill_blocks,
    headline_rows,
    read_table,
    readme_blocks,
    results_markdown,
    untraced_numbers,
)

REPO = Path(__file__).resolve().parents[2]
ED = {"oracle": 1e-6, "climatology": 0.02, "deterministic": 0.004, "genuq": 1.6e-4,
      "vi": 6e-4, "ridge": 4.3e-4, "decu": 3.7e-4, "mc_dropout": 6.2e-4}  # fmt: skip


def _metrics_csv(path: Path, ed: dict[str, float]) -> None:
    """A metrics table as ``stages.tables`` writes it (the columns the headline reads)."""
    fields = ["method", "ratio", "seeds", "ok", "no_gain", "diverged", "n_samples"]
    fields += [f"{m}_{s}" for m in HEADLINE_METRICS for s in ("mean", "ci95")]
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=fields)
        w.writeheader()
        for method, value in ed.items():
            row = {k: 0.5 for k in fields} | {"method": method, "ratio": "–", "seeds": 3}
            row |= {"ok": 2, "no_gain": 1 if method == "vi" else 0, "diverged": 0}
            row |= {"energy_distance_mean": value, "n_samples": 256}
            row |= {"skill_mean": "", "skill_ci95": ""} if method == "oracle" else {}
            w.writerow(row)


def _publication(root: Path, problems=("elu", "poisson")) -> Path:
    ref = root / "reference"
    for p in problems:
        _metrics_csv(ref / f"tables/{p}_metrics.csv", ED)
        (ref / f"figures/{p}_bands.png").parent.mkdir(parents=True, exist_ok=True)
        (ref / f"figures/{p}_bands.png").write_bytes(b"png")
        (ref / f"figures/{p}_calibration.png").write_bytes(b"png")
    with open(ref / "tables/claims.csv", "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=["paper", "claim", "verdict", "reason"])
        w.writeheader()
        w.writerow({"paper": "000 GenUQ", "claim": "poisson: better than VI",
                    "verdict": "reproduced", "reason": ""})  # fmt: skip
        w.writerow({"paper": "002 isograd", "claim": "separates OOD",
                    "verdict": "inconclusive", "reason": "input_distance saturates"})  # fmt: skip
    prov = {"commit": "0123456789abcdef", "problems": list(problems),
            "wall_seconds": {"elu": 7200.0, "poisson": 900.0},
            "wall_runs": {"elu": 2, "poisson": 2},
            "parts": {"elu": [{"machine": {"cores": 2, "cpu": "Some CPU"}}],
                      "poisson": [{"machine": {"cores": 16, "cpu": "Other CPU"}},
                                  {"machine": {"cores": 2, "cpu": "Some CPU"}}]}}  # fmt: skip
    (ref / "provenance.json").write_text(json.dumps(prov))
    return ref


def test_headline_rows_in_order_then_the_best_other_by_energy_distance(tmp_path):
    _metrics_csv(tmp_path / "m.csv", ED)
    rows = read_table(tmp_path / "m.csv")
    assert [r["method"] for r in headline_rows(rows)] == [
        "oracle",
        "climatology",
        "deterministic",
        "genuq",
        "vi",
        "decu",
    ]  # fmt: skip  (flow absent; decu's 3.7e-4 beats ridge and mc_dropout)
    assert rows[0]["skill_mean"] == "" and rows[0]["energy_distance_mean"] == 1e-6
    only = [r for r in rows if r["method"] in ("oracle", "genuq")]
    assert [r["method"] for r in headline_rows(only)] == ["oracle", "genuq"]


def test_results_block_shows_rows_figures_claims_and_wall_times(tmp_path):
    ref = _publication(tmp_path)
    text = results_markdown(ref)
    assert "`0123456789`" in text and "(reference/provenance.md)" in text
    assert text.count("| decu (best other) | 2 ok |") == 2  # one table per problem
    assert "| vi | 2 ok, 1 no gain | 0.0006 ± 0.5 |" in text
    assert "| oracle | 2 ok | 1e-06 ± 0.5 | 0.5 ± 0.5 | 0.5 ± 0.5 | 0.5 ± 0.5 | – |" in text
    assert "![elu true vs predicted bands](reference/figures/elu_bands.png)" in text
    assert "[calibration](reference/figures/poisson_calibration.png)" in text
    assert "poisson_correlation.png" not in text  # not drawn: not linked
    assert "| 002 isograd | separates OOD | inconclusive (input_distance saturates) |" in text
    cost = readme_blocks(ref)["cost"]
    assert "| elu | 2.00 h | 2 | Some CPU, 2 cores |" in cost
    assert "| poisson | 0.25 h (2 parts) | 2 | Other CPU, 16 cores; Some CPU, 2 cores |" in cost
    assert "not published yet" in results_markdown(tmp_path / "nothing")


def test_fill_blocks_replaces_only_between_markers_and_names_a_missing_one():
    text = (
        "intro\n<!-- results: made by make reference; do not edit -->\nold\n"
        "<!-- end results -->\nafter\n"
    )
    out = fill_blocks(text, {"results": "new\nrows\n"})
    assert out == text.replace("old\n", "new\nrows\n")
    assert fill_blocks(out, {"results": "new\nrows\n"}) == out  # idempotent
    assert fill_blocks(text, {"results": r"a \1 backslash"}).count(r"a \1 backslash") == 1
    with pytest.raises(ValueError, match="no block 'cost'"):
        fill_blocks(text, {"cost": "x"})


def test_the_readme_shows_what_reference_publishes():
    """The README's blocks are those ``make reference`` writes from ``reference/`` (a
    republication without the README, or a hand edit of a number, fails here)."""
    readme = (REPO / "README.md").read_text()
    assert fill_blocks(readme, readme_blocks(REPO / "reference")) == readme


def test_untraced_numbers_are_those_no_table_prints(tmp_path):
    (tmp_path / "m.md").write_text("| genuq | 0.0001582 ± 1.2e-05 | 1.04 ± 0.27 |\n")
    text = "GenUQ's 0.0001582 (1.2e-05) is 2.3x below VI's, spread 1.04, 0.27. Not 1.041 or 0.158."
    assert untraced_numbers(text, tmp_path) == ["1.041", "0.158"]
    assert untraced_numbers("seeds 0-2, 5 ratios, 12 % and 1.5 %, 2.3× and 4.1 x", tmp_path) == []
    (tmp_path / "m.md").write_text("| deterministic | -0.2673 ± 0.05 | -6.131e-05 |\n")
    assert untraced_numbers("skill −0.2673 and -6.131e-05", tmp_path) == []
    assert untraced_numbers("skill 0.2673, +0.05, 6.131E-05", tmp_path) == ["0.2673", "6.131E-05"]


def test_the_readme_findings_quote_only_published_cells():
    findings = block((REPO / "README.md").read_text(), FINDINGS)
    assert untraced_numbers(findings, REPO / "reference/tables") == []
