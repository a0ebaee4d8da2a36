"""The figures' contents (panels, shared colour scales, "no spread", calibration numbers),
not their pixels."""

import numpy as np
import pytest

from uqbench.plots.calibration import calibration_figure, coverage, ranks
from uqbench.plots.catalogue import Sources
from uqbench.plots.common import TRUTH, color
from uqbench.plots.problem import problem_figure
from uqbench.plots.ratio import ratio_study_figure
from uqbench.plots.shift import shift_figure
from uqbench.problems import make_problem
from uqbench.stages.data import split_dataset

SMALL = {
    "elu": {"grid": 64},
    "poisson": {"n": 8},
    "porous": {"length": 16, "width": 8},
}
SIZES = {"train": 4, "val": 4, "test": 3, "ood": 3, "realizations": 40}


def sources(problem):
    """The test split and: truth, a point prediction (no spread), a noisy method."""
    ds = split_dataset(
        make_problem(problem, {**SMALL[problem], "sizes": SIZES}).generate("test", 0)
    )
    truth = np.moveaxis(ds["output"].values, 1, 0)
    mean = truth.mean(0)
    rng = np.random.default_rng(0)
    src = {
        TRUTH: truth,
        "deterministic": np.broadcast_to(mean, truth.shape).copy(),
        "vi": mean + truth.std(0) * rng.standard_normal(truth.shape),
    }
    return Sources(ds, src)


def visible(fig):
    return [ax for ax in fig.axes if ax.get_visible() and ax.get_label() != "<colorbar>"]


def texts(fig):
    return [t.get_text() for ax in fig.axes for t in ax.texts]


@pytest.mark.parametrize("problem", sorted(SMALL))
def test_bands_have_a_panel_per_method_and_case_with_the_truth_in_each(problem):
    ds, src = sources(problem)
    fig = problem_figure(Sources(ds, src), "bands")
    if ds.attrs["output_kind"] == "field":
        # rows truth + 2 methods; per case a std map and (methods only) a difference map
        maps = [ax for ax in visible(fig) if ax.images]
        assert len(maps) == (3 + 2) * 3
        for case in range(3):  # one colour scale per case: the truth's
            stds = [
                ax.images[0].get_clim()
                for ax in maps
                if ax.get_title().endswith(f"std, case {case}")
            ]
            assert len(stds) == 3 and len(set(stds)) == 1
    else:
        assert len(visible(fig)) == 2 * 3  # methods x cases
        for ax in visible(fig):
            labels = {h.get_label() for h in ax.collections} | {h.get_label() for h in ax.lines}
            assert TRUTH in labels or "truth 95 %" in labels  # the truth in every panel


@pytest.mark.parametrize("problem", sorted(SMALL))
def test_correlation_marks_methods_without_spread(problem):
    ds, src = sources(problem)
    fig = problem_figure(Sources(ds, src), "correlation")
    assert any("no spread" in t for t in texts(fig))
    if ds.attrs["output_kind"] == "field":
        clims = {ax.images[0].get_clim() for ax in visible(fig) if ax.images}
        assert clims == {(-1.0, 1.0)}  # one shared scale
    if ds.attrs["output_kind"] == "point":  # one dot per test case, for the method with spread
        (dots,) = [c for ax in visible(fig) for c in ax.collections]
        assert len(dots.get_offsets()) == ds.sizes["case"]


def test_field_correlation_wraps_its_panels_into_rows():
    ds, src = sources("poisson")
    src = {**src, **{f"m{i}": src["vi"] for i in range(8)}}  # truth + 10 methods
    fig = problem_figure(Sources(ds, src), "correlation")
    rows = {ax.get_subplotspec().rowspan.start for ax in visible(fig)}
    assert len(visible(fig)) == 11 and len(rows) == 2  # rows of at most 6 panels


def test_point_correlation_is_the_per_case_xy_correlation():
    from uqbench.plots.problem import _xy_correlation

    rng = np.random.default_rng(2)
    x = rng.standard_normal((5000, 3))
    s = np.stack([x, x * [1.0, -1.0, 0.0] + 0.01 * rng.standard_normal(x.shape)], axis=-1)
    np.testing.assert_allclose(_xy_correlation(s)[:2], [1, -1], atol=1e-3)
    s[:, 2, 1] = 0.5  # y does not vary in case 2: no correlation, not 0/0
    assert np.isnan(_xy_correlation(s)[2])


def test_porous_samples_share_the_bar_frame():
    ds, src = sources("porous")
    fig = problem_figure(Sources(ds, src), "samples")
    for ax in visible(fig):
        assert ax.get_xlim() == (0.0, 1.0) and ax.get_ylim() == (0.0, 1.0)
        assert ax.get_box_aspect() == pytest.approx(8 / 16)


def test_calibration_of_the_truth_against_itself_is_nominal():
    rng = np.random.default_rng(1)
    truth = rng.standard_normal((400, 5, 20))
    same = rng.standard_normal((400, 5, 20))
    narrow = 0.3 * same
    np.testing.assert_allclose(coverage(same, truth), np.linspace(0.1, 0.9, 9), atol=0.02)
    assert (coverage(narrow, truth) < np.linspace(0.1, 0.9, 9)).all()
    hist, _ = np.histogram(ranks(same, truth), bins=10, range=(0, 1), density=True)
    np.testing.assert_allclose(hist, 1.0, atol=0.1)  # flat
    hist, _ = np.histogram(ranks(narrow, truth), bins=10, range=(0, 1), density=True)
    assert hist[0] > 2 and hist[-1] > 2  # U-shaped: too narrow


def test_calibration_figure_has_one_histogram_per_method_and_a_coverage_panel():
    fig = calibration_figure(sources("elu"))
    axes = visible(fig)
    assert len(axes) == 1 + 2
    assert axes[0].get_title() == "elu: coverage"
    assert any("no spread" in t for t in texts(fig))


def test_ratio_figure_marks_dnc_and_colours_are_fixed():
    def rec(ratio, seed, ed, status="ok"):
        m = {
            k: {"mean": ed if status == "ok" else np.nan}
            for k in (
                "energy_distance",
                "correlation_error",
                "spread_ratio",
                "rel_l2_mean",
                "coverage_95",
            )
        }
        return {
            "problem": "elu",
            "method": "genuq",
            "ratio": ratio,
            "seed": seed,
            "status": status,
            "metrics": m,
        }

    records = [rec(0.01, s, 0.01 + s * 1e-3) for s in range(2)] + [rec(0.2, 0, 0, "diverged")]
    fig = ratio_study_figure(records)
    axes = visible(fig)
    assert len(axes) == 2  # energy distance and correlation error for one problem
    assert any(line.get_label() == "genuq DnC" for line in axes[0].lines)
    assert color("oracle") == color(TRUTH) == "black"
    assert color("genuq") != color("vi")


def test_shift_figure_has_a_line_per_method_over_the_rungs():
    rungs = ["test", "ood_mild", "ood", "ood_strong"]

    def rec(method, split, spread, auroc=None):
        m = {"spread_ratio": {"mean": spread}}
        if auroc is not None:
            m["shift_auroc"] = {"mean": auroc}
        return {
            "problem": "elu",
            "method": method,
            "ratio": None,
            "seed": 0,
            "split": split,
            "status": "ok",
            "metrics": m,
        }

    records = [rec("oracle", s, 1.0) for s in rungs]
    records += [
        rec("ensemble", s, 1.0 - 0.2 * i, None if s == "test" else 0.6 + 0.1 * i)
        for i, s in enumerate(rungs)
    ]
    records += [rec("deterministic", s, 0.0) for s in rungs]  # no spread: no line
    fig = shift_figure(records, rungs, {s: s for s in rungs})
    spread, auroc = visible(fig)
    labels = {c.get_label() for c in spread.containers}
    assert labels == {"oracle", "ensemble"}  # the point prediction has no spread line
    assert {c.get_label() for c in auroc.containers} == {"ensemble"}
    assert [t.get_text() for t in auroc.get_xticklabels()] == rungs[1:]


def test_the_ablation_table_and_figure_show_each_variant_beside_its_default():
    from uqbench.plots.ablation import ablation_figure
    from uqbench.report.ablation import ablation_rows, ablation_table

    def rec(method, seed, ed, base="genuq"):
        return {
            "problem": "poisson",
            "method": method,
            "base_method": base,
            "seed": seed,
            "ratio": 0.016 if base == "genuq" else None,
            "split": "test",
            "status": "ok",
            "n_samples": 256,
            "metrics": {
                "energy_distance": {"mean": ed, "ci95": 0.0, "n": 100},
                "rel_l2_mean": {"mean": 0.05, "ci95": 0.0, "n": 100},
            },
        }

    records = [rec("genuq", s, 1e-3 + 1e-5 * s) for s in range(3)]
    records += [rec("genuq_last", s, 2e-3 + 1e-5 * s) for s in range(3)]
    records += [rec("deterministic", s, 4e-3, base="deterministic") for s in range(3)]
    rows = ablation_rows(records, "genuq", 0.016)
    assert [r["method"] for r in rows] == ["deterministic", "genuq", "genuq_last"]
    last = rows[2]
    assert (
        last["energy_distance_diff"] == pytest.approx(1e-3)
        and last["energy_distance_diff_ci95"] < 1e-9
    )
    _, md = ablation_table(records, "genuq", 0.016)
    assert "| genuq_last | 3 ok | 0.00201 ± " in md and "Δ energy_distance" in md
    fig = ablation_figure(rows, "genuq", "deterministic")
    assert [ax.get_xlabel() for ax in fig.axes] == ["energy_distance", "rel_l2_mean"]
    assert [t.get_text() for t in fig.axes[0].get_yticklabels()] == ["genuq", "genuq_last"]
