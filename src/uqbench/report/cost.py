"""The cost table: Snakemake ``benchmark:`` records of the study's jobs summarised per rule."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

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
