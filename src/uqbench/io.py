"""Reading and writing every data file of the study (NetCDF4/HDF5 via xarray + h5netcdf).

Files are plain NetCDF4: ``xarray.open_dataset(path, engine="h5netcdf")`` and ``h5py`` both
read them. Dimensions are named, never positional:

* data: ``input(case, x[, y])``, ``output(case, realization, <output dims>)`` where the output
  dims are ``x[, y]`` for field problems and ``component`` for point-valued ones (porous).

Every file carries provenance attributes (problem, split, seed, config hash, package version,
git commit when known). Every write is atomic: the dataset is written to a temporary file in
the target directory and renamed over the target, so a killed job never leaves a file that
looks finished.
"""

from __future__ import annotations

import contextlib
import csv
import io as io_text
import json
import logging
import os
import subprocess
import uuid
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypedDict

import numpy as np

import uqbench

if TYPE_CHECKING:
    import xarray as xr

log = logging.getLogger(__name__)

ENGINE = "h5netcdf"
SPATIAL_DIMS = ("x", "y")
# How a problem's output is drawn, with its number of output dims (named by the problem):
# a curve over x, a field over (x, y), a point with named components.
OUTPUT_KINDS = {"curve": 1, "field": 2, "point": 1}
DATA_ATTRS = ("problem", "split", "seed", "config_hash", "uqbench_version", "output_kind")


class DataFileError(ValueError):
    """A data or prediction file is missing, unreadable or does not follow its contract."""

    def __init__(self, path: str | os.PathLike[str], problem: str) -> None:
        super().__init__(f"{path}: {problem}")
        self.path = str(path)


def git_commit() -> str:
    """Commit of the source tree the package runs from, or '' outside a git checkout."""
    src = Path(uqbench.__file__).resolve().parent
    try:
        out = subprocess.run(
            ["git", "-C", str(src), "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            timeout=5,
            check=True,
        )
    except (OSError, subprocess.SubprocessError):
        return ""
    return out.stdout.strip()


def provenance(**attrs: Any) -> dict[str, Any]:
    """Provenance attributes: the given ones plus package version and git commit."""
    out = {"uqbench_version": uqbench.__version__, "git_commit": git_commit()}
    out.update(attrs)
    return out


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike[str], suffix: str = ".tmp") -> Iterator[Path]:
    """Yield a temporary path next to ``path``; rename it onto ``path`` when the block
    succeeds, remove it when the block fails (the target is then left as it was).

    A fresh unique name, not mkstemp, whose 0600 mode would stick to the final file.
    ``suffix`` lets writers that infer the format from the name (matplotlib) see it.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.parent / f".{path.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}{suffix}"
    try:
        yield tmp
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def write_dataset(ds: xr.Dataset, path: str | os.PathLike[str]) -> Path:
    """Write ``ds`` to ``path`` atomically (temporary file in the same folder, then rename).

    Returns the final path. On any error the temporary file is removed and the target is
    left as it was.
    """
    with atomic_path(path) as tmp:
        ds.to_netcdf(tmp, engine=ENGINE, invalid_netcdf=False)
    path = Path(path)
    log.info("wrote %s (%.1f MB)", path, path.stat().st_size / 1e6)
    return path


def atomic_write_text(path: str | os.PathLike[str], text: str) -> Path:
    """Write ``text`` to ``path`` atomically (temporary file in the same folder, then rename)."""
    with atomic_path(path) as tmp:
        tmp.write_text(text)
    return Path(path)


def write_csv(
    path: str | os.PathLike[str], rows: Sequence[Mapping[str, Any]], fields: Sequence[str]
) -> Path:
    """Write ``rows`` (one mapping per row, keys ``fields``) as a CSV file, atomically."""
    buf = io_text.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(fields), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return atomic_write_text(path, buf.getvalue())


def data_dataset(
    inputs: np.ndarray,
    outputs: np.ndarray,
    input_dims: Sequence[str],
    output_dims: Sequence[str],
    coords: Mapping[str, np.ndarray],
    attrs: Mapping[str, Any],
) -> xr.Dataset:
    """Assemble a data file's dataset.

    Args:
        inputs: (case, *input_dims), stored as float32.
        outputs: (case, realization, *output_dims), stored as float32.
        input_dims, output_dims: dimension names of the grid / output axes.
        coords: coordinate values for those dims (e.g. ``x``, ``y``, ``component``).
        attrs: provenance (problem, split, seed, config_hash, ...).
    """
    import xarray as xr  # here, not at the top: the table jobs read JSON and CSV only

    ds = xr.Dataset(
        {
            "input": (("case", *input_dims), np.asarray(inputs, dtype=np.float32)),
            "output": (("case", "realization", *output_dims), np.asarray(outputs, np.float32)),
        },
        coords={k: np.asarray(v) for k, v in coords.items()},
        attrs=provenance(**attrs),
    )
    _check_data(ds, "<in memory>")
    return ds


def _open(path: Path) -> xr.Dataset:
    if not path.exists():
        raise DataFileError(path, "file does not exist")
    import xarray as xr

    try:
        with xr.open_dataset(path, engine=ENGINE) as ds:
            return ds.load()
    except DataFileError:
        raise
    except Exception as err:  # h5py/h5netcdf raise OSError, ValueError, KeyError, ...
        raise DataFileError(
            path, f"not a readable NetCDF4/HDF5 file (truncated or corrupt?): {err}"
        ) from err


def _check_var(ds: xr.Dataset, path: Path | str, name: str, lead: tuple[str, ...]) -> None:
    if name not in ds.data_vars:
        raise DataFileError(path, f"missing variable {name!r} (has {sorted(ds.data_vars)})")
    dims = ds[name].dims
    rest = tuple(dims[len(lead) :])
    if tuple(dims[: len(lead)]) != lead or not rest:
        raise DataFileError(
            path, f"variable {name!r} has dims {dims}; expected {lead} followed by grid dims"
        )
    if name == "input" and not set(rest) <= set(SPATIAL_DIMS):
        raise DataFileError(path, f"variable {name!r} has dims {dims}; grid dims must be x[, y]")
    values = ds[name].values
    if not np.issubdtype(values.dtype, np.floating):
        raise DataFileError(path, f"variable {name!r} has dtype {values.dtype}; expected float")
    if not np.all(np.isfinite(values)):
        raise DataFileError(path, f"variable {name!r} contains NaN or inf")


def _check_data(ds: xr.Dataset, path: Path | str) -> None:
    _check_var(ds, path, "input", ("case",))
    _check_var(ds, path, "output", ("case", "realization"))
    if ds.sizes["case"] == 0 or ds.sizes["realization"] == 0:
        raise DataFileError(path, f"empty data: {dict(ds.sizes)}")
    missing = [a for a in DATA_ATTRS if a not in ds.attrs]
    if missing:
        raise DataFileError(path, f"missing provenance attribute(s) {missing}")
    kind, out = ds.attrs["output_kind"], ds["output"].dims[2:]
    if OUTPUT_KINDS.get(kind) != len(out):
        raise DataFileError(path, f"output_kind {kind!r} with output dims {out}; expected one "
                            f"of {OUTPUT_KINDS} (kind: number of output dims)")  # fmt: skip


def read_data(path: str | os.PathLike[str], problem: str | None = None) -> xr.Dataset:
    """Read and check a data file; returns the dataset loaded into memory.

    Raises:
        DataFileError: naming the file and what is wrong (unreadable, missing variable,
            wrong dims, non-finite values, missing provenance, other problem).
    """
    path = Path(path)
    ds = _open(path)
    _check_data(ds, path)
    if problem is not None and ds.attrs["problem"] != problem:
        raise DataFileError(path, f"holds problem {ds.attrs['problem']!r}, expected {problem!r}")
    return ds


# -- predictions ----------------------------------------------------------------------------
# ``ratio`` (float) is there only for a method that sweeps the stochastic-parameter ratio
PREDICTION_ATTRS = ("problem", "method", "base_method", "seed", "uqbench_version", "status")


def prediction_dataset(
    samples: np.ndarray | None,
    output_dims: Sequence[str],
    coords: Mapping[str, np.ndarray],
    attrs: Mapping[str, Any],
    epistemic_score: np.ndarray | None = None,
) -> xr.Dataset:
    """Predictions ``prediction(sample, case, *output_dims)`` (float32) with provenance attrs,
    plus ``epistemic_score(case)`` (float64) for methods that score their inputs; a
    score-only method (``samples`` None) has the score alone."""
    if samples is None and epistemic_score is None:
        raise ValueError("a prediction file needs samples, an epistemic score or both")
    data = {}
    if samples is not None:
        data["prediction"] = (("sample", "case", *output_dims), np.asarray(samples, np.float32))
    if epistemic_score is not None:
        data["epistemic_score"] = (("case",), np.asarray(epistemic_score, np.float64))
    import xarray as xr

    return xr.Dataset(
        data,
        coords={k: np.asarray(v) for k, v in coords.items() if k in output_dims},
        attrs=provenance(**attrs),
    )


def read_predictions(path: str | os.PathLike[str]) -> xr.Dataset:
    """Read and check a prediction file (NaN is allowed only when status is 'diverged'); it
    holds ``prediction``, ``epistemic_score`` or both (a score-only method)."""
    path = Path(path)
    ds = _open(path)
    missing = [a for a in PREDICTION_ATTRS if a not in ds.attrs]
    if missing:
        raise DataFileError(path, f"missing provenance attribute(s) {missing}")
    if ds.attrs["status"] == "diverged":
        return ds
    if "prediction" in ds or "epistemic_score" not in ds:
        _check_var(ds, path, "prediction", ("sample", "case"))
    if "epistemic_score" in ds:
        score = ds["epistemic_score"]
        if score.dims != ("case",) or score.sizes["case"] != ds.sizes["case"]:
            raise DataFileError(path, f"variable 'epistemic_score' has dims {score.dims}; "
                                "expected ('case',) matching 'prediction'")  # fmt: skip
        if not np.all(np.isfinite(score.values)):
            raise DataFileError(path, "variable 'epistemic_score' contains NaN or inf")
    return ds


def prediction_record(ds: xr.Dataset) -> dict[str, Any]:
    """A prediction file's attributes as plain Python values, ``ratio`` None when absent."""
    record = {k: (v.item() if hasattr(v, "item") else v) for k, v in ds.attrs.items()}
    record["ratio"] = float(record["ratio"]) if "ratio" in record else None
    return record


# -- the truth's statistics --------------------------------------------------------------------
# ``metrics.evaluate.truth_statistics`` of one split, by name: their dims after ``case``
TRUTH_VARS = {
    "sorted": ("point", "realization"),
    "mean": ("point",),
    "variance": ("point",),
    "self_distance": (),
    "correlation_norm2": (),
    "variogram_sum": ("pair",),
    "variogram_sq": ("pair",),
}


def truth_dataset(stats: Mapping[str, np.ndarray], attrs: Mapping[str, Any]) -> xr.Dataset:
    """The truth's statistics of one split (``TRUTH_VARS``; the variogram sums only where
    the output has point pairs) with provenance attrs (problem, split, the data file's
    config hash)."""
    unknown = sorted(set(stats) - set(TRUTH_VARS))
    if unknown:
        raise ValueError(f"unknown truth statistics {unknown}; expected {sorted(TRUTH_VARS)}")
    import xarray as xr

    data = {k: (("case", *TRUTH_VARS[k]), np.asarray(v)) for k, v in stats.items()}
    return xr.Dataset(data, attrs=provenance(**attrs))


def read_truth(path: str | os.PathLike[str], data_attrs: Mapping[str, Any]) -> xr.Dataset:
    """Read the truth's statistics of a split, checking they were computed from the data
    file whose attributes are ``data_attrs`` (same problem, split, config hash)."""
    path = Path(path)
    ds = _open(path)
    for key in ("problem", "split", "config_hash"):
        if ds.attrs.get(key) != data_attrs[key]:
            found, want = ds.attrs.get(key), data_attrs[key]
            raise DataFileError(
                path, f"{key} {found!r} is not the data file's {want!r}: recompute them"
            )
    missing = [k for k in TRUTH_VARS if k not in ds and not k.startswith("variogram")]
    if missing:
        raise DataFileError(path, f"missing variable(s) {missing}")
    return ds


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
    "phase", "epoch", "loss", "val_loss", "val_rel_l2_mean", "lr", "seconds", "samples_per_s",
    "selected",
)  # fmt: skip


def write_training_log(
    history: Sequence[Mapping[str, Any]], identity: Mapping[str, Any], path: str | os.PathLike[str]
) -> Path:
    """The training log (CSV): one row per epoch and phase (``LOG_FIELDS``), each carrying
    the run's identity (``RUN_KEYS``; ratio empty when none), written atomically."""
    ident = {k: "" if identity[k] is None else identity[k] for k in RUN_KEYS}
    return write_csv(path, [{**ident, **{k: r[k] for k in LOG_FIELDS}} for r in history],
                     (*RUN_KEYS, *LOG_FIELDS))  # fmt: skip


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
    identity = {"problem": first["problem"], "method": first["method"],
                "ratio": float(first["ratio"]) if first["ratio"] else None,
                "seed": int(first["seed"])}  # fmt: skip
    rows = [{k: r[k] if k == "phase" else float(r[k]) for k in LOG_FIELDS} for r in raw]
    return identity, rows
