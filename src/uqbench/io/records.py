"""Small files of a run: checkpoints (torch, weights only), metrics records (JSON),
training logs (CSV) and Snakemake benchmark records (TSV)."""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, TypedDict

import uqbench
from uqbench.io.files import DataFileError, atomic_path, atomic_write_text, write_csv


# -- checkpoints ----------------------------------------------------------------------------
def save_checkpoint(state: Mapping[str, Any], path: str | os.PathLike[str]) -> Path:
    """Save a checkpoint (tensors, numbers, strings, lists, dicts only) atomically."""
    import torch

    payload = {
        **state,
        "versions": {"uqbench": uqbench.__version__, "torch": str(torch.__version__)},
    }
    with atomic_path(path) as tmp:
        torch.save(payload, tmp)
    return Path(path)


def load_checkpoint(
    path: str | os.PathLike[str], method: str | None = None, problem: str | None = None
) -> dict[str, Any]:
    """Load a checkpoint with ``weights_only=True`` (a pickle carrying code is refused)."""
    import torch

    path = Path(path)
    if not path.exists():
        raise DataFileError(path, "checkpoint does not exist")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:
        raise DataFileError(path, f"not a loadable weights-only checkpoint: {err}") from err
    for key, want in (("method", method), ("problem", problem)):
        if key not in state:
            raise DataFileError(path, f"checkpoint has no {key!r} entry")
        if want is not None and state[key] != want:
            raise DataFileError(path, f"checkpoint is for {key} {state[key]!r}, expected {want!r}")
    return state


# -- small files: metrics records and training logs ------------------------------------------
RUN_KEYS = ("problem", "method", "ratio", "seed")  # a run's identity, in every small file


class MetricsRecord(TypedDict, total=False):
    """One metrics JSON (``results/metrics/<run>/<split>.json``): the prediction file's
    attributes (run identity, ``base_method`` (the catalogued method a variant runs),
    status, cost) plus ``split``, ``n_cases``, ``n_realizations``, ``n_samples``,
    ``metrics`` ({name: {"mean": float, "ci95": float, "n": units}}, the 95 % interval
    half-width over ``n`` independent cases) and ``cases`` ({name: per-case values}, for
    paired comparisons; ratio metrics as their per-case numerator and denominator).
    ``ratio`` is a float, or ``None`` for a method that does not sweep it."""

    problem: str
    method: str
    base_method: str
    ratio: float | None
    seed: int
    split: str
    status: str
    n_cases: int
    n_realizations: int
    n_samples: int
    metrics: dict[str, dict[str, float]]
    cases: dict[str, list[float]]


METRICS_KEYS = (*RUN_KEYS, "split", "status", "metrics")


def write_metrics(record: Mapping[str, Any], path: str | os.PathLike[str]) -> Path:
    """Write one metrics record as JSON, atomically (checked against ``METRICS_KEYS``)."""
    _check_record(record, path, METRICS_KEYS)
    return atomic_write_text(path, json.dumps(record, indent=2, default=str))


def read_metrics(path: str | os.PathLike[str]) -> MetricsRecord:
    """Read one metrics JSON; a file missing a key of ``METRICS_KEYS`` raises naming it."""
    try:
        record = json.loads(Path(path).read_text())
    except (OSError, json.JSONDecodeError) as err:
        raise DataFileError(path, f"cannot read metrics: {err}") from err
    _check_record(record, path, METRICS_KEYS)
    return record


def read_metrics_files(paths: Sequence[str | os.PathLike[str]]) -> list[MetricsRecord]:
    return [read_metrics(p) for p in paths]


def _check_record(record: Mapping[str, Any], path: str | os.PathLike[str], keys: Sequence[str]):
    missing = [k for k in keys if k not in record]
    if missing:
        raise DataFileError(path, f"record lacks {', '.join(missing)}")


def read_benchmark(path: str | os.PathLike[str]) -> dict[str, float]:
    """The last row of a Snakemake benchmark TSV (s, max_rss in MB) as floats (NaN where
    Snakemake could not measure and wrote "-")."""
    with open(path, newline="") as fh:
        rows = list(csv.DictReader(fh, delimiter="\t"))
    if not rows:
        raise DataFileError(path, "benchmark file has no rows")
    out = {}
    for key in ("s", "max_rss"):
        try:
            out[key] = float(rows[-1][key])
        except (KeyError, ValueError):
            out[key] = float("nan")
    return out


LOG_FIELDS = (
    "phase",
    "epoch",
    "loss",
    "val_loss",
    "val_rel_l2_mean",
    "lr",
    "seconds",
    "samples_per_s",
    "selected",
)


def write_training_log(
    history: Sequence[Mapping[str, Any]], identity: Mapping[str, Any], path: str | os.PathLike[str]
) -> Path:
    """The training log (CSV): one row per epoch and phase (``LOG_FIELDS``), each carrying
    the run's identity (``RUN_KEYS``; ratio empty when none), written atomically."""
    ident = {k: "" if identity[k] is None else identity[k] for k in RUN_KEYS}
    return write_csv(
        path,
        [{**ident, **{k: r[k] for k in LOG_FIELDS}} for r in history],
        (*RUN_KEYS, *LOG_FIELDS),
    )


def read_training_log(
    path: str | os.PathLike[str],
) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
    """(run identity, rows) of a training log; identity is None for a log with no rows
    (a method that trains nothing). Numbers come back as floats."""
    with open(path, newline="") as fh:
        reader = csv.DictReader(fh)
        missing = [k for k in (*RUN_KEYS, *LOG_FIELDS) if k not in (reader.fieldnames or ())]
        if missing:
            raise DataFileError(path, f"training log lacks column(s) {', '.join(missing)}")
        raw = list(reader)
    if not raw:
        return None, []
    first = raw[0]
    identity = {
        "problem": first["problem"],
        "method": first["method"],
        "ratio": float(first["ratio"]) if first["ratio"] else None,
        "seed": int(first["seed"]),
    }
    rows = [{k: r[k] if k == "phase" else float(r[k]) for k in LOG_FIELDS} for r in raw]
    return identity, rows
