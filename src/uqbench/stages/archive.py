"""Stage archive: a finished problem of the reference study kept in the repository
(``reference/records/{problem}.json.gz``), so that the study can be run problem by problem, in
different sessions or on different machines, and its tables made anew from what was kept.

A problem's archive holds the text files its tables and its records-only figures are made
from (``KEPT``: its metrics records, the benchmark files of its jobs, its training logs)
and its parts: a problem too long for one sitting can be run seed by seed (``make reference
REFERENCE_SEEDS=1,2``), each part with its seeds, the commit that made them (clean, with the
checkout's number-making code: ``study_commit``), the wall time of each of its runs and the
machine. Its figures drawn from predictions (the predictions are too large to keep) are
kept as PNG in ``reference/records/figures/``. ``restore`` writes every problem archived
with all the study's seeds into a new study directory, where snakemake, allowed only the
rules of ``REMADE_RULES``, makes the tables and the other figures anew (``make reference``).

Run (CONFIG: the study's config files): ``python -m uqbench.stages.archive status OUT RUN
PROBLEM SEEDS CONFIG [...]`` (exits ``ARCHIVED_EXIT`` for "archived", 0 for "run"), ``...
archive RUN PROBLEM OUT CONFIG [...]`` (RUN: the study directory with the problem done; OUT:
``reference``), ``... restore OUT STUDY CONFIG [...]`` (with STUDY/``REMAKE_PROFILE``, the
profile that makes its tables, when a problem is complete).
"""

from __future__ import annotations

import argparse
import gzip
import json
import logging
import os
import platform
import shutil
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml

from uqbench import io
from uqbench.catalogue import PROBLEMS
from uqbench.plots.catalogue import FIGURES

log = logging.getLogger(__name__)
Pathish = str | os.PathLike[str]

#: The files of one problem a study's tables and records-only figures read (globs under
#: the study directory, ``{p}`` the problem).
KEPT = (
    "results/metrics/{p}/**/*.json",
    "results/models/{p}/**/train_log.csv",
    "benchmarks/data/{p}/*.tsv",
    "benchmarks/truth/{p}.tsv",
    *(f"benchmarks/{step}/{{p}}/**/*.tsv" for step in ("train", "predict", "evaluate")),
)
ARCHIVE_SUFFIX = ".json.gz"
#: Figures drawn per problem from its predictions: archived as PNG, not made anew.
PREDICTION_FIGURES = tuple(
    name for name, e in FIGURES.items() if e.reads == "predictions" and e.per == ("problem",)
)
#: The folder of a restored study holding its snakemake profile (``--profile``): only the
#: ``REMADE_RULES``, over the restored problems.
REMAKE_PROFILE = "remake-profile"
#: The exit status of ``status`` for a problem whose seeds are all archived (0: run it).
ARCHIVED_EXIT = 3
#: The rules that make the tables and figures from the kept files.
REMADE_RULES = (
    "metrics_table", "ratio_table", "claims_table", "cost_table", "ablation_table",
    *(f"figure_{name}" for name, e in FIGURES.items() if e.reads != "predictions"),
)  # fmt: skip


#: Code that only turns metrics records into tables and figures, or keeps and publishes
#: them: it may change between a study's problems, since ``make reference`` makes the
#: tables and figures anew from the kept records, with the checkout's code.
PRESENTATION_PATHS = (
    "src/uqbench/report",
    "src/uqbench/plots",
    *(f"src/uqbench/stages/{s}.py" for s in ("tables", "figures", "cost", "archive", "reference",
                                                   "accept", "wall")),
    *(f"scripts/{s}.py" for s in ("metrics_table", "ratio_table", "claims_table", "cost_table",
                                   "ablation_table", "validate", "accept_validation", "figure")),
    "workflow/rules/tables.smk",
    "workflow/rules/figures.smk",
    "workflow/report",
)  # fmt: skip


def number_code_changes(commit: str, head: str, repo: Pathish) -> list[str]:
    """The files of number-making code (``io.CODE_PATHS`` less ``PRESENTATION_PATHS``)
    that differ between two commits: none for a commit of docs, results, tables or
    figures."""
    paths = [f":(top){p}" for p in io.CODE_PATHS]  # from the checkout's top, wherever repo is
    paths += [f":(top,exclude){p}" for p in PRESENTATION_PATHS]
    try:
        out = io.git(repo, "diff", "--name-only", commit, head, "--", *paths)
    except subprocess.CalledProcessError as err:
        raise ValueError(f"commit {commit!r} is not in the checkout {repo}: {err.stderr}") from err
    except subprocess.TimeoutExpired as err:
        raise ValueError(f"git diff in {repo} took over {err.timeout} s") from err
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
            "truth_statistics), or delete the archived problem and run it again"
        )
    return head


def machine(records: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """The machine this runs on (platform, CPU, cores) and the torch devices the records
    name (jobs sent to a cluster ran elsewhere)."""
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


def wall_runs(run: Pathish, problem: str) -> list[float]:
    """The wall time (seconds) of each run of ``problem`` in the study ``run``, from
    ``run/wall/{problem}.s`` (one line per run, appended by ``stages.wall.timed``)."""
    path = Path(run) / "wall" / f"{problem}.s"
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no wall time recorded: run it by make reference")
    try:
        return [float(line) for line in path.read_text().split()]
    except ValueError as err:
        raise ValueError(f"{path}: not one number of seconds per line: {err}") from err


def kept_files(run: Pathish, problem: str) -> dict[str, str]:
    """The ``KEPT`` files of ``problem`` in the study ``run``: path (relative to ``run``) to
    text."""
    if problem not in PROBLEMS:
        raise ValueError(f"problem {problem!r}: expected one of {list(PROBLEMS)}")
    run = Path(run)
    paths = sorted({f for g in KEPT for f in run.glob(g.format(p=problem)) if f.is_file()})
    return {str(f.relative_to(run)): f.read_text() for f in paths}


def _seeds(records: Sequence[Mapping[str, Any]]) -> list[int]:
    return sorted({int(r["seed"]) for r in records})


def archive(run: Pathish, problem: str, out: Pathish, study_seeds: Sequence[int]) -> dict[str, Any]:
    """Keep the finished ``problem`` of the study in ``run`` in ``out`` (``reference``): its
    ``KEPT`` files in ``out/records/{problem}.json.gz`` with a part (its seeds, the records'
    commits, wall times, machine); when the part holds the study's first seed (of
    ``study_seeds``, whose predictions the figures draw), its ``PREDICTION_FIGURES`` in
    ``out/records/figures/``. A problem already archived with other seeds (a part run
    elsewhere, ``make reference REFERENCE_SEEDS=``) gets this part added; files both parts
    made (the data and truth steps' benchmarks) keep the first part's. Returns the new part."""
    run, out = Path(run), Path(out)
    files = kept_files(run, problem)
    records = io.read_metrics_files([run / f for f in files if f.endswith(".json")])
    repo = out.resolve().parent
    commit = study_commit(records, repo)
    path = archive_path(out, problem)
    earlier = _read_archive(path) if path.is_file() else {"parts": [], "files": {}}
    seeds, done = _seeds(records), archived_seeds(earlier)
    if not set(seeds) <= set(study_seeds):
        raise ValueError(f"{run}: seeds {seeds} of {problem}, the study's are {list(study_seeds)}")
    if set(seeds) & set(done):
        raise FileExistsError(
            f"{path}: seeds {done} of {problem} already archived, and {run} holds seeds "
            f"{seeds}: run the other seeds in a new REFERENCE_DIR, or delete the archive"
        )
    for part in earlier["parts"]:
        changed = [f for c in part["commits"] for f in number_code_changes(c, commit, repo)]
        if changed:
            raise ValueError(
                f"{path}: seeds {part['seeds']} made by commits {part['commits']}, whose "
                f"number-making code differs ({changed[:5]}): delete the archive and rerun"
            )
    first = study_seeds[0] in seeds
    figures = [run / "results/figures" / f"{problem}_{n}.png" for n in PREDICTION_FIGURES]
    missing = [str(f) for f in figures if first and not f.is_file()]
    if missing:
        raise FileNotFoundError(f"{missing}: finish the problem first (problem_{problem})")
    part = {
        "seeds": seeds,
        "commits": sorted({str(r["git_commit"]) for r in records}),  # the records' own
        "wall_runs": wall_runs(run, problem),
        "machine": machine(records),
        "archived": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime()),
    }
    parts = sorted([*earlier["parts"], part], key=lambda q: q["seeds"])
    bundle = {"problem": problem, "parts": parts, "files": {**files, **earlier["files"]}}
    for fig in figures if first else ():
        with io.atomic_path(figures_dir(out) / fig.name) as tmp:
            shutil.copyfile(fig, tmp)
    write_archive(out, bundle)
    log.info("archived %s seeds %s: %d files of commits %s", problem, seeds, len(files),
             part["commits"])  # fmt: skip
    return part


def status(
    out: Pathish, run: Pathish, problem: str, part: Sequence[int] | None, study_seeds: Sequence[int]
) -> str:
    """What ``make reference`` is to do with ``problem`` before it runs anything: "archived"
    when the seeds asked (``part``, else all ``study_seeds``) are all archived in ``out``,
    "run" when none is and the study directory ``run`` holds no other seeds of it; raises
    naming what is wrong otherwise (seeds outside the study, a part overlapping the
    archived seeds, a whole run asked of a problem archived in part)."""
    asked = sorted(part) if part else sorted(study_seeds)
    if not asked or not set(asked) <= set(study_seeds):
        raise ValueError(f"{problem}: seeds {asked} asked, the study's are {list(study_seeds)}")
    path = archive_path(out, problem)
    done = archived_seeds(_read_archive(path)) if path.is_file() else []
    if set(asked) <= set(done):
        log.info("%s: seeds %s archived in %s (delete it to run them again)", problem, done, path)
        return "archived"
    if set(asked) & set(done):
        rest = ",".join(str(s) for s in asked if s not in done)
        raise ValueError(
            f"{problem}: seeds {done} archived in {path}, {asked} asked: run the rest in a new "
            f"REFERENCE_DIR (make reference REFERENCE_PROBLEMS={problem} REFERENCE_SEEDS={rest})"
        )
    held = {int(d.name[1:]) for d in Path(run).glob(f"results/metrics/{problem}/*/*/s*")}
    if held - set(asked):
        raise ValueError(
            f"{run} holds seeds {sorted(held)} of {problem}, seeds {asked} asked: run a part "
            "in a new REFERENCE_DIR of its own"
        )
    return "run"


def archive_path(out: Pathish, problem: str) -> Path:
    """Where ``problem``'s archive lies in ``out``: gzipped JSON (the metrics records' per-case
    values are most of it: about 20 MB of text per problem, 7 MB gzipped)."""
    return Path(out) / "records" / f"{problem}{ARCHIVE_SUFFIX}"


def figures_dir(out: Pathish) -> Path:
    """Where the archived problems' prediction figures lie in ``out`` (kept apart from the
    published ``figures/``, which each publication replaces whole)."""
    return Path(out) / "records" / "figures"


def write_archive(out: Pathish, bundle: Mapping[str, Any]) -> Path:
    """Write an archive (``problem``, ``parts``, ``files``) into ``out`` atomically, the same
    bytes for the same content (no time stamp in the gzip header)."""
    path = archive_path(out, bundle["problem"])
    text = json.dumps(bundle, indent=0, sort_keys=True) + "\n"
    with io.atomic_path(path) as tmp:
        tmp.write_bytes(gzip.compress(text.encode(), mtime=0))
    return path


def _read_archive(path: Path) -> dict[str, Any]:
    problem = path.name.removesuffix(ARCHIVE_SUFFIX)
    try:
        bundle = json.loads(gzip.decompress(path.read_bytes()))
    except (OSError, ValueError) as err:
        raise ValueError(f"{path}: not a gzipped JSON archive: {err}") from err
    if bundle.get("problem") != problem or not {"parts", "files"} <= set(bundle):
        raise ValueError(f"{path}: not the archive of problem {problem!r}")
    return bundle


def read_archives(out: Pathish) -> dict[str, dict[str, Any]]:
    """Every archived problem of ``out`` (``reference``), in the catalogue's order: its
    archive (``archive``) with its files."""
    paths = (Path(out) / "records").glob(f"*{ARCHIVE_SUFFIX}")
    found = {p.name.removesuffix(ARCHIVE_SUFFIX): _read_archive(p) for p in paths}
    return {p: found[p] for p in PROBLEMS if p in found}


def archived_seeds(bundle: Mapping[str, Any]) -> list[int]:
    """The seeds of every part of an archived problem."""
    return sorted({s for part in bundle["parts"] for s in part["seeds"]})


def restore(out: Pathish, study: Pathish, seeds: Sequence[int]) -> list[str]:
    """Write every problem archived in ``out`` with all the study's ``seeds`` into the new
    study directory ``study``: its kept files and prediction figures (a problem missing
    seeds is left out, and logged), and the snakemake profile that makes their tables and
    figures anew (``remake_profile``). Returns the problems written (none, and no profile,
    when no archived problem has all its seeds yet)."""
    study = Path(study)
    if study.exists() and any(study.iterdir()):
        raise FileExistsError(f"{study}: not empty; restore into a new directory")
    archives = read_archives(out)
    if not archives:
        raise FileNotFoundError(f"{Path(out) / 'records'}: no problem archived yet")
    complete = {}
    for p, bundle in archives.items():
        have = archived_seeds(bundle)
        if set(have) - set(seeds):
            raise ValueError(f"archive {p}: seeds {have}, the study's are {list(seeds)}")
        if set(have) == set(seeds):
            complete[p] = bundle
        else:
            log.warning("%s: seeds %s of %s archived; left out until the rest are", p, have,
                        list(seeds))  # fmt: skip
    for p, bundle in complete.items():
        for rel, text in bundle["files"].items():
            if Path(rel).is_absolute() or ".." in Path(rel).parts:
                raise ValueError(f"archive {p}: file {rel!r} outside the study directory")
            io.atomic_write_text(study / rel, text)
        for name in PREDICTION_FIGURES:
            src = figures_dir(out) / f"{p}_{name}.png"
            if not src.is_file():
                raise FileNotFoundError(f"{src}: archived with {p} but missing")
            (study / "results/figures").mkdir(parents=True, exist_ok=True)
            shutil.copyfile(src, study / "results/figures" / src.name)
    if complete:
        profile = {"allowed-rules": list(REMADE_RULES), "config": [remake_config(complete)]}
        io.atomic_write_text(study / REMAKE_PROFILE / "config.yaml", yaml.safe_dump(profile))
    return list(complete)


def config_seeds(configs: Sequence[Pathish]) -> list[int]:
    """The ``seeds`` of the config files layered in order (the last that sets them)."""
    seeds = None
    for path in configs:
        seeds = (yaml.safe_load(Path(path).read_text()) or {}).get("seeds", seeds)
    if not seeds:
        raise ValueError(f"no config of {[str(c) for c in configs]} sets seeds")
    return [int(s) for s in seeds]


def remake_config(problems: Sequence[str]) -> str:
    """The ``--config`` item that narrows the study to the restored ``problems``."""
    return f"problems=[{','.join(problems)}]"


def parse_seeds(text: str) -> list[int]:
    """Seeds written "1,2" or "1 2" ('' for none)."""
    try:
        return [int(t) for t in text.replace(",", " ").split()]
    except ValueError as err:
        raise ValueError(f"seeds {text!r}: expected integers like 1,2") from err


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    ask = sub.add_parser("status", help=f"exit {ARCHIVED_EXIT}: archived, 0: to run, else bad")
    ask.add_argument("out", type=Path, help="reference/")
    ask.add_argument("run", type=Path, help="the study directory")
    ask.add_argument("problem")
    ask.add_argument("seeds", help="the part's seeds, e.g. 1,2 ('': all the study's)")
    keep = sub.add_parser("archive", help="keep a finished problem in reference/")
    keep.add_argument("run", type=Path, help="the study directory")
    keep.add_argument("problem", help="the finished problem")
    keep.add_argument("out", type=Path, help="reference/")
    back = sub.add_parser("restore", help="write the archived problems into a new study")
    back.add_argument("out", type=Path, help="reference/")
    back.add_argument("study", type=Path, help="a new study directory")
    for command in (ask, keep, back):
        command.add_argument("configs", nargs="+", type=Path, help="the study's config files")
    args = parser.parse_args()
    study_seeds = config_seeds(args.configs)
    if args.command == "status":
        todo = status(args.out, args.run, args.problem, parse_seeds(args.seeds), study_seeds)
        sys.exit(ARCHIVED_EXIT if todo == "archived" else 0)
    elif args.command == "archive":
        archive(args.run, args.problem, args.out, study_seeds)
    else:
        restore(args.out, args.study, study_seeds)
