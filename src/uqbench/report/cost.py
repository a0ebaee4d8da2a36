"""The cost table: Snakemake ``benchmark:`` records of the study's jobs summarised per rule."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

FIELDS = ("rule", "jobs", "wall_s_total", "wall_s_mean", "wall_s_max", "max_rss_mb")


def cost_table(benchmarks: Mapping[str, Sequence[Mapping[str, float]]]) -> list[dict]:
    """Per rule ({rule: benchmark records with ``s`` and ``max_rss``}): job count, total /
    mean / max wall seconds and the largest max RSS (MB)."""
    rows = []
    for rule, bs in sorted(benchmarks.items()):
        if not bs:
            continue
        wall = [b["s"] for b in bs]
        rows.append(
            {
                "rule": rule,
                "jobs": len(bs),
                "wall_s_total": round(sum(wall), 2),
                "wall_s_mean": round(sum(wall) / len(wall), 2),
                "wall_s_max": round(max(wall), 2),
                "max_rss_mb": round(max(b["max_rss"] for b in bs), 1),
            }
        )
    return rows


# The jobs that do not repeat per seed: a problem's data splits and truth, the tables.
SHARED_RULES = ("data", "truth", "tables")


def project_job_seconds(
    jobs: Sequence[tuple[str, str | None, float]],
    sweeps: Callable[[str], bool],
    seeds: int,
    n_ratios: int,
) -> dict[str, float]:
    """The job seconds of a whole study of one problem projected from a run of one seed at
    the main ratio: ``jobs`` are (rule, method or None, wall seconds); the data, truth and
    tables jobs run once, every other job once per seed, and a method that ``sweeps`` the ratio
    once per ratio. Returns {"shared", "per_seed", "total"} in seconds: job time, so the
    wall time on c cores is at least total / c (perfect packing, no start-up gaps)."""
    if seeds < 1 or n_ratios < 1:
        raise ValueError(f"seeds and n_ratios must be >= 1, got {seeds} and {n_ratios}")
    shared = per_seed = 0.0
    for rule, method, seconds in jobs:
        if rule in SHARED_RULES:
            shared += seconds
        elif method is None:
            raise ValueError(f"a {rule!r} job without a method cannot be projected")
        else:
            per_seed += seconds * (n_ratios if sweeps(method) else 1)
    return {"shared": shared, "per_seed": per_seed, "total": shared + seeds * per_seed}
