"""NetCDF4/HDF5 datasets (xarray + h5netcdf): data files, prediction files and the truth's
statistics, with named dims, checks on read that name the file, and atomic writes.

xarray is imported where a dataset is built or opened, not at the top: the table jobs read
JSON and CSV only."""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from uqbench.io.files import DataFileError, atomic_path, provenance

if TYPE_CHECKING:
    import xarray as xr

log = logging.getLogger(__name__)

ENGINE = "h5netcdf"
SPATIAL_DIMS = ("x", "y")
# How a problem's output is drawn, with its number of output dims (named by the problem):
# a curve over x, a field over (x, y), a point with named components.
OUTPUT_KINDS = {"curve": 1, "field": 2, "point": 1}
DATA_ATTRS = ("problem", "split", "seed", "config_hash", "uqbench_version", "output_kind")


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
        raise DataFileError(
            path,
            f"output_kind {kind!r} with output dims {out}; expected one "
            f"of {OUTPUT_KINDS} (kind: number of output dims)",
        )


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
            raise DataFileError(
                path,
                f"variable 'epistemic_score' has dims {score.dims}; "
                "expected ('case',) matching 'prediction'",
            )
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
