"""``make validate-accept``: the validation reference (``validation/{problem}_reference.csv``)
from a run of the reference seeds, whole or in parts of its seeds (a problem whose seeds do
not fit one sitting, as porous), each row with the commit that made its seed's records.

The rule ``accept_validation`` writes the run's own rows (``write_accepted``: exactly the
study's test records, every configured method at the main ratio, of the configured seeds).
``join`` then puts them in the repository: a whole accept replaces the reference; a part
joins the reference's rows of other reference seeds when they were made by the same
number-making code (``archive.number_code_changes``), and the tolerances are recomputed over
all seeds (``report.validate.rows_from_values``). Nothing is written when a part cannot join.
"""

from __future__ import annotations

import argparse
import logging
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from uqbench import io
from uqbench.report import validate
from uqbench.stages import archive
from uqbench.stages.tables import read_csv

log = logging.getLogger(__name__)
Pathish = str | Path
FIELDS = (*validate.FIELDS, "commit")


def _rows(values: Mapping, commits: Mapping[int, str]) -> list[dict[str, Any]]:
    return [row | {"commit": commits[row["seed"]]} for row in validate.rows_from_values(values)]


def write_accepted(paths: Sequence[Pathish], out: Pathish, repo: Pathish) -> list[dict[str, Any]]:
    """The reference rows of the test records in ``paths`` (the accepted run: its records
    must come from committed code whose number-making code is the checkout's, ``repo``),
    each with that commit (``archive.study_commit``), written to ``out``."""
    records = [r for r in io.read_metrics_files(paths) if r.get("split", "test") == "test"]
    commit = archive.study_commit(records, repo)
    values = validate.values_of_records(records)
    rows = _rows(values, {int(r["seed"]): commit for r in records})
    io.write_csv(out, rows, FIELDS)
    log.info("wrote %s: seeds %s from %s", out, sorted({r["seed"] for r in rows}), commit[:12])
    return rows


def check_part(held: Sequence[int], seeds: Sequence[int], part: Sequence[int] | None) -> None:
    """Refuse a part whose seeds are not reference ``seeds`` or are ``held`` by the
    reference already (checked before anything runs, and again when it joins)."""
    if part is None:
        return
    if not set(part) <= set(seeds):
        raise ValueError(f"the part's seeds {sorted(part)} are not all among {sorted(seeds)}")
    if set(held) & set(part):
        raise ValueError(f"the reference already holds seeds {sorted(set(held) & set(part))}")


def held_seeds(reference: Pathish) -> list[int]:
    """The seeds a reference CSV holds (none when it does not exist)."""
    if not Path(reference).exists():
        return []
    return sorted({int(r["seed"]) for r in read_csv(reference)})


def join(
    accepted: Pathish,
    reference: Pathish,
    seeds: Sequence[int],
    part: Sequence[int] | None = None,
    repo: Pathish = ".",
) -> list[dict[str, Any]]:
    """Put the accepted rows (``write_accepted``) of the reference ``seeds`` (or of the
    ``part`` of them) in ``reference``: the whole replaces it, a part joins its rows of
    other seeds (module doc); returns the rows written. Raises naming what is wrong."""
    new = read_csv(accepted)
    want = sorted(part if part is not None else seeds)
    got = sorted({int(r["seed"]) for r in new})
    if got != want:
        raise ValueError(f"{accepted} holds seeds {got}, not the {want} to accept")
    values = validate.values_of_rows(new)
    commits = {int(r["seed"]): r["commit"] for r in new}
    if part is not None and Path(reference).exists():
        old = read_csv(reference)
        old_commits = {int(r["seed"]): r.get("commit") or "" for r in old}
        check_part(list(old_commits), seeds, part)
        if not all(old_commits.values()):
            raise ValueError(
                f"{reference} does not name the commits of its seeds (an older accept): a "
                "part cannot join it; accept all the seeds at once, or delete it first"
            )
        if not set(old_commits) <= set(seeds):
            raise ValueError(
                f"{reference} holds seeds {sorted(set(old_commits) - set(seeds))} that are not "
                f"reference seeds ({sorted(seeds)}): accept all the seeds at once"
            )
        for commit in sorted(set(old_commits.values())):
            changed = archive.number_code_changes(commit, new[0]["commit"], repo)
            if changed:
                raise ValueError(
                    f"{reference}'s seeds came from {commit[:12]}, whose number-making code "
                    f"differs from this part's ({new[0]['commit'][:12]}: {changed[:5]}): "
                    "rerun them, or delete the reference and accept anew"
                )
        old_values = validate.values_of_rows(old)
        if set(old_values) != set(values):
            raise ValueError(
                f"the part's methods and metrics differ from {reference}'s: "
                f"{sorted(set(old_values) ^ set(values))}"
            )
        values = {key: {**old_values[key], **values[key]} for key in values}
        commits = {**old_commits, **commits}
    incomplete = sorted(k for k, by_seed in values.items() if set(by_seed) != set(commits))
    if incomplete:
        raise ValueError(f"not every seed has {incomplete[:5]}: rerun the accept")
    rows = _rows(values, commits)
    io.write_csv(reference, rows, FIELDS)
    log.info("wrote %s: seeds %s (%d rows)", reference, sorted(commits), len(rows))
    return rows


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("accepted", type=Path, help="the run's results/validation/{p}_accepted.csv")
    parser.add_argument("reference", type=Path, help="validation/{problem}_reference.csv")
    parser.add_argument("configs", nargs="+", type=Path, help="the run's config files, layered")
    parser.add_argument("--part", type=Path, help="a config of some of the seeds only")
    parser.add_argument("--check", action="store_true", help="only check the part's seeds")
    args = parser.parse_args()
    seeds = archive.config_seeds(args.configs)
    part = archive.config_seeds([args.part]) if args.part else None
    try:
        if args.check:
            check_part(held_seeds(args.reference), seeds, part)
        else:
            join(args.accepted, args.reference, seeds, part)
    except ValueError as err:
        parser.exit(1, f"make validate-accept: {err}\n")
