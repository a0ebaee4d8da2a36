"""Stage reference: a finished study's tables, figures and provenance copied into the
repository's ``reference/`` (``make reference``), all from one clean commit.

``publish`` refuses a study whose metrics records name more than one commit, a commit with
uncommitted code (``-dirty``) or none: the code that makes the numbers must be the same for
every file it publishes. The tables (every ``*.csv`` and ``*.md`` of ``results/tables``)
go to ``reference/tables/``, the PNG figures to ``reference/figures/``, each written
atomically; files of an earlier publication that the study no longer makes are removed;
``provenance.md`` and ``provenance.json`` (commit, config hash, machine, wall time per
problem, and every published file with its sha256) are written last.

Run: ``python -m uqbench.stages.reference RUN OUT CONFIG [CONFIG ...]`` (RUN: the study
directory; OUT: ``reference``; CONFIG: the config files the study was run with). The wall
time of each problem is read from ``RUN/wall/{problem}.s``, which ``make reference`` writes
around each problem's run.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import os
import platform
import shutil
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from uqbench import io
from uqbench.catalogue import PROBLEMS
from uqbench.settings import config_hash

log = logging.getLogger(__name__)
Pathish = str | os.PathLike[str]
SUBDIRS = {"tables": ("*.csv", "*.md"), "figures": ("*.png",)}


def study_commit(records: Sequence[Mapping[str, Any]]) -> str:
    """The one commit every metrics record was made by; raises naming what is wrong when
    there are several, one with uncommitted code, or none."""
    commits = sorted({str(r.get("git_commit", "")) for r in records})
    if not records:
        raise ValueError("the study has no metrics records: run it first")
    if len(commits) > 1:
        raise ValueError(
            f"the study's records come from {len(commits)} commits {commits}: rerun the "
            "jobs of the older ones (the code that makes the numbers must be the same)"
        )
    commit = commits[0]
    if not commit or commit.endswith("-dirty"):
        raise ValueError(
            f"the study's records name commit {commit!r}: run it from a clean checkout "
            "(committed code) so that every number can be traced to its code"
        )
    return commit


def machine(records: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Where the study ran: platform, CPU, cores and the torch devices of its records."""
    cpu = platform.processor()
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.is_file():
        names = [ln.split(":", 1)[1].strip() for ln in cpuinfo.read_text().splitlines()
                 if ln.startswith("model name")]  # fmt: skip
        cpu = names[0] if names else cpu
    return {
        "platform": platform.platform(),
        "cpu": cpu,
        "cores": os.cpu_count(),
        "devices": sorted({str(r.get("device", "")) for r in records} - {""}),
    }


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _walls(run: Path) -> dict[str, float]:
    return {p.stem: float(p.read_text()) for p in sorted((run / "wall").glob("*.s"))}


def publish(run: Pathish, out: Pathish, configs: Sequence[Pathish]) -> dict[str, Any]:
    """Copy the tables and figures of the study in ``run`` into ``out`` and write its
    provenance there (see the module docstring); ``configs`` are the config files it was
    run with, in order. Returns the provenance record."""
    run, out = Path(run), Path(out)
    records = io.read_metrics_files(sorted((run / "results/metrics").rglob("*.json")))
    commit = study_commit(records)
    problems = [p for p in PROBLEMS if any(r["problem"] == p for r in records)]
    tables = run / "results/tables"
    needed = ["claims.csv", "cost.csv", *(f"{p}_metrics.csv" for p in problems)]
    missing = [n for n in needed if not (tables / n).is_file()]
    if missing:
        raise FileNotFoundError(f"{tables}: no {missing}: finish the study first")
    published: dict[str, str] = {}
    for sub, patterns in SUBDIRS.items():
        sources = sorted({f for pat in patterns for f in (run / "results" / sub).glob(pat)})
        for src in sources:
            dst = out / sub / src.name
            with io.atomic_path(dst, suffix=src.suffix) as tmp:
                shutil.copyfile(src, tmp)
            published[f"{sub}/{src.name}"] = _sha256(dst)
        stale = [f for f in sorted((out / sub).glob("*")) if f"{sub}/{f.name}" not in published]
        for f in stale:  # an earlier publication's file that this study does not make
            f.unlink()
            log.info("removed %s (not made by this study)", f)
    walls = _walls(run)
    record = {
        "commit": commit,
        "config_hash": config_hash(*(Path(c).read_text() for c in configs)),
        "configs": [str(c) for c in configs],
        "problems": problems,
        "wall_seconds": {p: walls.get(p) for p in problems},
        "machine": machine(records),
        "published": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime()),
        "files": published,
    }
    io.atomic_write_text(out / "provenance.json", json.dumps(record, indent=1) + "\n")
    io.atomic_write_text(out / "provenance.md", provenance_markdown(record))
    log.info("published %d files of commit %s into %s", len(published), commit, out)
    return record


def provenance_markdown(record: Mapping[str, Any]) -> str:
    """The provenance record as the Markdown page ``reference/provenance.md``."""
    m = record["machine"]
    walls = [
        f"| {p} | {'not recorded' if s is None else f'{s:.0f} s ({s / 3600:.2f} h)'} |"
        for p, s in record["wall_seconds"].items()
    ]
    files = [f"| `{name}` | `{sha[:16]}` |" for name, sha in record["files"].items()]
    return "\n".join([
        "# Reference study: provenance",
        "",
        f"Every file here was made by commit `{record['commit']}` (the `git_commit` of every",
        f"metrics record of the study), with the config files {', '.join(record['configs'])}",
        f"(config hash `{record['config_hash']}`); published {record['published']} by",
        "`make reference`. No number was edited by hand.",
        "",
        f"Machine: {m['platform']}; {m['cpu']}; {m['cores']} cores; torch device(s):",
        f"{', '.join(m['devices']) or 'none recorded'}.",
        "",
        "| problem | wall time of its run |",
        "|---|---|",
        *walls,
        "",
        "| file | sha256 |",
        "|---|---|",
        *files,
        "",
    ])  # fmt: skip


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run", type=Path, help="the finished study directory")
    parser.add_argument("out", type=Path, help="where to publish (reference/)")
    parser.add_argument("configs", nargs="+", type=Path, help="the study's config files")
    args = parser.parse_args()
    publish(args.run, args.out, args.configs)
