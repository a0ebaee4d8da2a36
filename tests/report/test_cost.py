import pytest

from uqbench.report.cost import cost_table, project_job_seconds

JOBS = [
    ("data", None, 10.0),
    ("data", None, 5.0),
    ("truth", None, 3.0),
    ("train", "genuq", 100.0),
    ("predict", "genuq", 20.0),
    ("train", "deterministic", 50.0),
    ("evaluate", "deterministic", 7.0),
]


def test_the_projection_repeats_seeds_and_the_swept_ratios_only():
    out = project_job_seconds(JOBS, lambda m: m == "genuq", seeds=3, n_ratios=5)
    assert out["shared"] == 18.0  # data and truth once
    assert out["per_seed"] == 5 * 120.0 + 57.0
    assert out["total"] == 18.0 + 3 * (5 * 120.0 + 57.0)
    one = project_job_seconds(JOBS, lambda m: m == "genuq", seeds=1, n_ratios=1)
    assert one["total"] == sum(s for _, _, s in JOBS)  # the measured run itself


def test_the_projection_rejects_what_it_cannot_place():
    with pytest.raises(ValueError, match="'train' job without a method"):
        project_job_seconds([("train", None, 1.0)], lambda m: False, seeds=1, n_ratios=1)
    with pytest.raises(ValueError, match="seeds and n_ratios"):
        project_job_seconds(JOBS, lambda m: False, seeds=0, n_ratios=5)


def test_the_cost_table_sums_per_rule_and_skips_empty_rules():
    rows = cost_table(
        {
            "train": [{"s": 2.0, "max_rss": 100.0}, {"s": 4.0, "max_rss": 300.0}],
            "figures": [],
        }
    )
    assert rows == [
        {
            "rule": "train",
            "jobs": 2,
            "wall_s_total": 6.0,
            "wall_s_mean": 3.0,
            "wall_s_max": 4.0,
            "max_rss_mb": 300.0,
        }
    ]
