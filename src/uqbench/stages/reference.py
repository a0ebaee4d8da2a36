"""Stage reference: a finished study's tables, figures and provenance copied into the
repository's ``reference/`` (``make reference``), all from one clean commit.

``publish`` refuses a study whose metrics records name uncommitted code (``-dirty``), no
commit, or commits whose number-making code differs, and a checkout whose number-making code
differs from theirs: every published number traces to one code. The number-making code is
``io.CODE_PATHS`` less ``PRESENTATION_PATHS``, the code that turns records into tables and
figures (and publishes them): that may change between a study's runs, since ``make
reference`` makes every table and figure anew from the records, with the checkout's code,
just before publishing. The tables (every
``*.csv`` and ``*.md`` of ``results/tables``) go to ``reference/tables/``, the PNG figures
to ``reference/figures/``, and ``provenance.md|json`` (commit, config hash, machine, wall
time per problem, every published file with its sha256) beside them: all written into a
staging folder first, then moved in place, so a failure leaves the earlier publication.
With ``--readme README.md``, the README's results and cost blocks are made anew from what
was published (``report.headline``).

Run: ``python -m uqbench.stages.reference RUN OUT CONFIG [...] [--readme README]`` (RUN: the study
directory; OUT: ``reference``; CONFIG: the config files the study was run with). The wall
time of each problem is the sum of the lines of ``RUN/wall/{problem}.s``, which ``make
reference`` appends to around each run of the problem (a problem stopped and resumed has one
line per run).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import os
import platform
import shutil
import subprocess
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml

from uqbench import io
from uqbench.catalogue import PROBLEMS
from uqbench.report.headline import fill_blocks, readme_blocks
from uqbench.settings import config_hash

log = logging.getLogger(__name__)
Pathish = str | os.PathLike[str]
SUBDIRS = {"tables": ("*.csv", "*.md"), "figures": ("*.png",)}


#: Code that only turns metrics records into tables and figures, or publishes them.
PRESENTATION_PATHS = (
    "src/uqbench/report",
    "src/uqbench/plots",
    "src/uqbench/stages/tables.py",
    "src/uqbench/stages/figures.py",
    "src/uqbench/stages/cost.py",
    "src/uqbench/stages/reference.py",
    *(f"scripts/{s}.py" for s in ("metrics_table", "ratio_table", "claims_table", "cost_table",
                                   "ablation_table", "validate", "figure")),
    "workflow/rules/tables.smk",
    "workflow/rules/figures.smk",
    "workflow/report",
)  # fmt: skip


def number_code_changes(commit: str, head: str, repo: Pathish) -> list[str]:
    """The files of number-making code (``io.CODE_PATHS`` less ``PRESENTATION_PATHS``) that
    differ between two commits: none for a commit of docs, results, tables or figures."""
    paths = [f":(top){p}" for p in io.CODE_PATHS]  # from the checkout's top, wherever repo is
    paths += [f":(top,exclude){p}" for p in PRESENTATION_PATHS]
    try:
        out = io.git(repo, "diff", "--name-only", commit, head, "--", *paths)
    except subprocess.CalledProcessError as err:
        raise ValueError(f"commit {commit!r} is not in the checkout {repo}: {err.stderr}") from err
    return out.splitlines()


def study_commit(records: Sequence[Mapping[str, Any]], repo: Pathish) -> str:
    """The latest commit of the study's metrics records, when every record was made by
    committed code, their commits' code is the same and so is the checkout's (``repo``);
    raises naming what is wrong otherwise."""
    if not records:
        raise ValueError("the study has no metrics records: run it first")
    by_commit: dict[str, list[str]] = {}
    for r in records:
        by_commit.setdefault(str(r.get("git_commit", "")), []).append(
            f"{r['problem']}/{r['method']}/{r.get('ratio')}/s{r['seed']}/{r['split']}"
        )
    bad = sorted(c for c in by_commit if not c or c.endswith("-dirty"))
    if bad:
        raise ValueError(
            f"records made by uncommitted code or outside git ({bad}, e.g. "
            f"{by_commit[bad[0]][:3]}): rerun them from a clean checkout, so that every "
            "number traces to its code"
        )
    head = io.git_commit(repo)
    if not head or head.endswith("-dirty"):
        raise ValueError(f"the checkout {repo} has uncommitted code ({head!r}): commit it")
    changes = {c: number_code_changes(c, head, repo) for c in by_commit}
    differ = sorted(c for c, files in changes.items() if files)
    if differ:
        raise ValueError(
            f"records made by code other than this checkout's (commits {differ}, e.g. "
            f"{by_commit[differ[0]][:3]}; changed: {changes[differ[0]][:5]}): rerun their "
            "jobs (snakemake --forcerun train predict predict_oracle evaluate "
            "truth_statistics) or delete those the study no longer makes"
        )
    return head


def machine(records: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """The machine ``make reference`` ran on (platform, CPU, cores) and the torch devices
    the study's records name (jobs sent to a cluster ran elsewhere)."""
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


def walls(run: Pathish) -> dict[str, dict[str, float]]:
    """Each timed problem's wall time (seconds, summed over its runs) and number of runs,
    from ``run/wall/{problem}.s`` (one line of seconds per run)."""
    out = {}
    for path in sorted((Path(run) / "wall").glob("*.s")):
        try:
            runs = [float(line) for line in path.read_text().split()]
        except ValueError as err:
            raise ValueError(f"{path}: not one number of seconds per line: {err}") from err
        out[path.stem] = {"seconds": sum(runs), "runs": len(runs)}
    return out


def publish(
    run: Pathish, out: Pathish, configs: Sequence[Pathish], readme: Pathish | None = None
) -> dict[str, Any]:
    """Copy the tables and figures of the study in ``run`` into ``out`` and write its
    provenance there (see the module docstring); ``configs`` are the config files it was
    run with, in order. With ``readme``, its results and cost blocks
    (``report.headline``) are made anew from the publication. Returns the provenance
    record."""
    run, out = Path(run), Path(out)
    records = io.read_metrics_files(sorted((run / "results/metrics").rglob("*.json")))
    commit = study_commit(records, out.resolve().parent)
    problems = [p for p in PROBLEMS if any(r["problem"] == p for r in records)]
    tables = run / "results/tables"
    needed = ["claims.csv", "cost.csv", *(f"{p}_metrics.csv" for p in problems)]
    missing = [n for n in needed if not (tables / n).is_file()]
    if missing:
        raise FileNotFoundError(f"{tables}: no {missing}: finish the study first")
    stage = out / f".publish-{os.getpid()}"
    shutil.rmtree(stage, ignore_errors=True)
    try:
        published: dict[str, str] = {}
        for sub, patterns in SUBDIRS.items():
            (stage / sub).mkdir(parents=True)
            for src in sorted({f for pat in patterns for f in (run / "results" / sub).glob(pat)}):
                shutil.copyfile(src, stage / sub / src.name)
                published[f"{sub}/{src.name}"] = _sha256(stage / sub / src.name)
        timed = walls(run)
        record = {
            "commit": commit,
            "config_hash": config_hash(*(yaml.safe_load(Path(c).read_text()) for c in configs)),
            "configs": [os.path.relpath(c, out.resolve().parent) for c in configs],
            "problems": problems,
            "wall_seconds": {p: timed.get(p, {}).get("seconds") for p in problems},
            "wall_runs": {p: timed.get(p, {}).get("runs", 0) for p in problems},
            "machine": machine(records),
            "published": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime()),
            "files": published,
        }
        (stage / "provenance.json").write_text(json.dumps(record, indent=1) + "\n")
        (stage / "provenance.md").write_text(provenance_markdown(record))
        if readme is not None:  # checked before anything is replaced: the markers exist
            link = os.path.relpath(out.resolve(), Path(readme).resolve().parent)
            text = fill_blocks(Path(readme).read_text(), readme_blocks(stage, link))
        old = out / f".old-{os.getpid()}"
        for name in (*SUBDIRS, "provenance.json", "provenance.md"):
            if (out / name).exists():  # an earlier publication: replaced whole
                old.mkdir(exist_ok=True)
                (out / name).rename(old / name)
            (stage / name).rename(out / name)
        shutil.rmtree(old, ignore_errors=True)
        if readme is not None:
            io.atomic_write_text(readme, text)
    finally:
        shutil.rmtree(stage, ignore_errors=True)
    log.info("published %d files of commit %s into %s", len(published), commit, out)
    return record


def provenance_markdown(record: Mapping[str, Any]) -> str:
    """The provenance record as the Markdown page ``reference/provenance.md``."""
    m = record["machine"]
    walls = [
        f"| {p} | {'not recorded' if s is None else f'{s:.0f} s ({s / 3600:.2f} h)'} "
        f"| {record['wall_runs'][p]} |"
        for p, s in record["wall_seconds"].items()
    ]
    files = [f"| `{name}` | `{sha[:16]}` |" for name, sha in record["files"].items()]
    return "\n".join([
        "# Reference study: provenance",
        "",
        f"Every file here was made by the code of commit `{record['commit']}` (every metrics",
        "record's `git_commit` has the same number-making code; the tables and figures were",
        f"made anew from them), with the config files {', '.join(record['configs'])} (config hash",
        f"`{record['config_hash']}`); published {record['published']} by `make reference`.",
        "No number was edited by hand.",
        "",
        f"`make reference` ran on: {m['platform']}; {m['cpu']}; {m['cores']} cores. Torch",
        f"device(s) of the study's jobs: {', '.join(m['devices']) or 'none recorded'}.",
        "",
        "Wall time: each problem's run (`snakemake problem_<p>`, one job per core at a time),",
        "summed over its runs where it was stopped and resumed (the jobs a stop killed ran",
        "again).",
        "",
        "| problem | wall time | runs |",
        "|---|---|---|",
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
    parser.add_argument("--readme", type=Path, help="the README whose result blocks to fill")
    args = parser.parse_args()
    publish(args.run, args.out, args.configs, args.readme)
