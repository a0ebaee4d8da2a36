"""``make validate-accept``: the validation reference (``validation/{problem}_reference.csv``)
from a run of the reference seeds, whole or in parts of its seeds (a problem whose seeds do
not fit one sitting, as porous), each row with the commit of the records it came from.

A whole accept replaces the reference. A part joins the reference's rows of other seeds when
they were made by the same number-making code (``archive.number_code_changes``), and the
tolerances are recomputed over all seeds (``report.validate.rows_from_values``); nothing is
written when the part cannot join.
"""

from __future__ import annotations

import argparse
import csv
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from uqbench import io
from uqbench.report import validate
from uqbench.stages import archive

log = logging.getLogger(__name__)
Pathish = str | Path
FIELDS = (*validate.FIELDS, "commit")


def _read(reference: Path) -> list[dict[str, str]]:
    with reference.open(newline="") as fh:
        return list(csv.DictReader(fh))


def _joined(
    reference: Path, values: dict, commits: dict[int, str], repo: Pathish
) -> tuple[dict, dict[int, str]]:
    """The part's values and commits joined to those of the reference's other seeds;
    raises naming why they cannot join."""
    old = _read(reference)
    old_commits = {int(r["seed"]): r.get("commit") or "" for r in old}
    if not all(old_commits.values()):
        raise ValueError(
            f"{reference} does not name the commits of its seeds (an older accept): a part "
            "cannot join it; accept all the seeds at once, or delete it and start the parts anew"
        )
    overlap = sorted(set(old_commits) & set(commits))
    if overlap:
        raise ValueError(f"{reference} already holds seeds {overlap}: accept the other seeds")
    new_commit = next(iter(commits.values()))
    for commit in sorted(set(old_commits.values())):
        changed = archive.number_code_changes(commit, new_commit, repo)
        if changed:
            raise ValueError(
                f"{reference}'s seeds came from {commit[:12]}, whose number-making code "
                f"differs from this part's ({new_commit[:12]}: {changed[:5]}): rerun them, "
                "or delete the reference and accept anew"
            )
    old_values = validate.values_of_rows(old)
    if set(old_values) != set(values):
        raise ValueError(
            f"the part's methods and metrics differ from {reference}'s: "
            f"{sorted(set(old_values) ^ set(values))}"
        )
    joined = {key: {**old_values[key], **values[key]} for key in values}
    return joined, {**old_commits, **commits}


def accept(
    run: Pathish,
    problem: str,
    reference: Pathish,
    seeds: Sequence[int],
    repo: Pathish = ".",
    part: bool = False,
) -> list[dict[str, Any]]:
    """Write the test records of ``seeds`` of ``problem`` in the study directory ``run`` as
    the reference CSV (or, as a ``part``, join them to it); returns its rows. Every seed must
    have records, made by committed code whose number-making code is the checkout's
    (``repo``)."""
    reference = Path(reference)
    paths = sorted(Path(run).glob(f"results/metrics/{problem}/*/*/s*/test.json"))
    records = [r for r in io.read_metrics_files(paths) if int(r["seed"]) in set(seeds)]
    missing = sorted(set(seeds) - {int(r["seed"]) for r in records})
    if missing:
        raise ValueError(f"{run} has no {problem} test records of seeds {missing}: run them")
    commit = archive.study_commit(records, repo)
    values = validate.values_of_records(records)
    commits = dict.fromkeys(sorted(set(seeds)), commit)
    if part and reference.exists():
        values, commits = _joined(reference, values, commits, repo)
    rows = [row | {"commit": commits[row["seed"]]} for row in validate.rows_from_values(values)]
    io.write_csv(reference, rows, FIELDS)
    log.info("wrote %s: seeds %s (%d rows)", reference, sorted(commits), len(rows))
    return rows


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run", type=Path, help="the validation study directory")
    parser.add_argument("problem")
    parser.add_argument("reference", type=Path, help="validation/{problem}_reference.csv")
    parser.add_argument("configs", nargs="+", type=Path, help="its config files, layered")
    parser.add_argument("--part", type=Path, help="a config of some of the seeds only")
    args = parser.parse_args()
    seeds = archive.config_seeds(args.configs)
    if args.part:
        part_seeds = archive.config_seeds([args.part])
        if not set(part_seeds) <= set(seeds):
            parser.error(f"the part's seeds {part_seeds} are not all among {seeds}")
        seeds = part_seeds
    try:
        accept(args.run, args.problem, args.reference, seeds, part=args.part is not None)
    except ValueError as err:
        parser.exit(1, f"make validate-accept: {err}\n")
