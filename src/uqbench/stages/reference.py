"""Stage reference: the reference study's tables, figures and provenance published into the
repository's ``reference/`` (``make reference``), from the problems archived there
(``stages.archive``: each problem's records, kept when it finished).

``make reference`` restores every archived problem into a new study directory and makes the
tables (every ``{problem}_metrics``, ``{problem}_shift``, ``ratio_study``, ``claims``,
``cost``) and the records-only figures anew there, with the checkout's code; ``publish``
then copies them, with the archived prediction figures, into ``reference/tables/`` and
``reference/figures/``, and writes ``provenance.md|json``: the commit of each problem's
records and of the publication, the config hash, each problem's wall time (summed over its
runs) and machine, every published file with its sha256. It refuses records made by
uncommitted code, and records or a checkout whose number-making code differs
(``archive.study_commit``): every published number traces to one code. Everything is
written into a staging folder first, then moved in place, so a failure leaves the earlier
publication. With ``--readme README.md``, the README's results and cost blocks are made
anew from what was published (``report.headline``).

Run: ``python -m uqbench.stages.reference STUDY OUT CONFIG [...] [--readme README]`` (STUDY:
the restored study with its tables made; OUT: ``reference``; CONFIG: the config files the
study was run with).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import os
import shutil
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml

from uqbench import io
from uqbench.catalogue import PROBLEMS
from uqbench.report.headline import fill_blocks, readme_blocks
from uqbench.settings import config_hash
from uqbench.stages.archive import read_archives, study_commit

log = logging.getLogger(__name__)
Pathish = str | os.PathLike[str]
SUBDIRS = {"tables": ("*.csv", "*.md"), "figures": ("*.png",)}


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def publish(
    study: Pathish, out: Pathish, configs: Sequence[Pathish], readme: Pathish | None = None
) -> dict[str, Any]:
    """Copy the tables and figures of the restored ``study`` into ``out`` and write its
    provenance there (see the module docstring); ``configs`` are the config files the
    archived problems were run with, in order. With ``readme``, its results and cost blocks
    (``report.headline``) are made anew from the publication. Returns the provenance
    record."""
    study, out = Path(study), Path(out)
    archives = read_archives(out)
    records = io.read_metrics_files(sorted((study / "results/metrics").rglob("*.json")))
    commit = study_commit(records, out.resolve().parent)
    problems = [p for p in PROBLEMS if any(r["problem"] == p for r in records)]
    if not set(problems) <= set(archives):
        raise ValueError(
            f"{study}: records of problems {problems}, but {out / 'records'} archives "
            f"{list(archives)}: restore the archived problems into a new study"
        )
    tables = study / "results/tables"
    needed = ["claims.csv", "cost.csv", *(f"{p}_metrics.csv" for p in problems)]
    missing = [n for n in needed if not (tables / n).is_file()]
    if missing:
        raise FileNotFoundError(f"{tables}: no {missing}: make the tables first")
    stage = out / f".publish-{os.getpid()}"
    shutil.rmtree(stage, ignore_errors=True)
    try:
        published: dict[str, str] = {}
        for sub, patterns in SUBDIRS.items():
            (stage / sub).mkdir(parents=True)
            found = {f for pat in patterns for f in (study / "results" / sub).glob(pat)}
            for src in sorted(found):
                shutil.copyfile(src, stage / sub / src.name)
                published[f"{sub}/{src.name}"] = _sha256(stage / sub / src.name)
        record = {
            "commit": commit,
            "config_hash": config_hash(*(yaml.safe_load(Path(c).read_text()) for c in configs)),
            "configs": [os.path.relpath(c, out.resolve().parent) for c in configs],
            "problems": problems,
            "wall_seconds": {p: sum(sum(q["wall_runs"]) for q in archives[p]["parts"])
                             for p in problems},
            "wall_runs": {p: sum(len(q["wall_runs"]) for q in archives[p]["parts"])
                          for p in problems},
            "parts": {p: archives[p]["parts"] for p in problems},
            "published": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime()),
            "files": published,
        }  # fmt: skip
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
    log.info("published %d files of %s (commit %s) into %s", len(published), problems, commit,
             out)  # fmt: skip
    return record


def _machine_line(m: Mapping[str, Any]) -> str:
    return f"{m['cpu']}, {m['cores']} cores, {m['platform']}; devices {', '.join(m['devices'])}"


def provenance_markdown(record: Mapping[str, Any]) -> str:
    """The provenance record as the Markdown page ``reference/provenance.md``."""
    parts = [
        f"| {p} | {', '.join(map(str, q['seeds']))} "
        f"| {', '.join(f'`{c[:10]}`' for c in q['commits'])} "
        f"| {sum(q['wall_runs']):.0f} s ({sum(q['wall_runs']) / 3600:.2f} h) "
        f"| {len(q['wall_runs'])} | {q['archived']} | {_machine_line(q['machine'])} |"
        for p, qs in record["parts"].items()
        for q in qs
    ]
    files = [f"| `{name}` | `{sha[:16]}` |" for name, sha in record["files"].items()]
    return "\n".join([
        "# Reference study: provenance",
        "",
        "Each problem was run by `make reference` (`snakemake problem_<p>`, one job per core",
        "at a time), in parts of its seeds where it was too long for one sitting, and archived",
        "in `records/<p>.json.gz` when each part finished: its metrics records,",
        "benchmark files and training logs, made by the commit below (every record's",
        "`git_commit` has the same number-making code as the publishing commit), and its",
        "figures drawn from predictions. The tables and the other figures were made anew from",
        "the archived records by the code of commit",
        f"`{record['commit']}`, with the config files {', '.join(record['configs'])}",
        f"(config hash `{record['config_hash']}`); published {record['published']}. No number",
        "was edited by hand.",
        "",
        "Wall time: of each part of a problem (its seeds, run on their own), summed over its",
        "runs where it was stopped and resumed (the jobs a stop killed ran again).",
        "",
        "| problem | seeds | records' commits | wall time | runs | archived | machine |",
        "|---|---|---|---|---|---|---|",
        *parts,
        "",
        "| file | sha256 |",
        "|---|---|",
        *files,
        "",
    ])  # fmt: skip


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("study", type=Path, help="the restored study, its tables made")
    parser.add_argument("out", type=Path, help="where to publish (reference/)")
    parser.add_argument("configs", nargs="+", type=Path, help="the study's config files")
    parser.add_argument("--readme", type=Path, help="the README whose result blocks to fill")
    args = parser.parse_args()
    publish(args.study, args.out, args.configs, args.readme)
