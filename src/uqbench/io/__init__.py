"""Reading and writing every data file of the study (NetCDF4/HDF5 via xarray + h5netcdf).

Files are plain NetCDF4: ``xarray.open_dataset(path, engine="h5netcdf")`` and ``h5py`` both
read them. Dimensions are named, never positional:

* data: ``input(case, x[, y])``, ``output(case, realization, <output dims>)`` where the output
  dims are ``x[, y]`` for field problems and ``component`` for point-valued ones (porous).

Every file carries provenance attributes (problem, split, seed, config hash, package version,
git commit when known). Every write is atomic: the dataset is written to a temporary file in
the target directory and renamed over the target, so a killed job never leaves a file that
looks finished.

The package: ``files`` (atomic writes, provenance, the error naming a file), ``datasets``
(data, prediction and truth files), ``records`` (checkpoints, metrics records, training
logs, benchmark records); every name is exported here.
"""

from uqbench.io.datasets import (
    DATA_ATTRS,
    ENGINE,
    OUTPUT_KINDS,
    PREDICTION_ATTRS,
    SPATIAL_DIMS,
    TRUTH_VARS,
    data_dataset,
    prediction_dataset,
    prediction_record,
    read_data,
    read_predictions,
    read_truth,
    truth_dataset,
    write_dataset,
)
from uqbench.io.files import (
    CODE_PATHS,
    DataFileError,
    atomic_path,
    atomic_write_text,
    git,
    git_commit,
    provenance,
    write_csv,
)
from uqbench.io.records import (
    LOG_FIELDS,
    METRICS_KEYS,
    RUN_KEYS,
    MetricsRecord,
    load_checkpoint,
    read_benchmark,
    read_metrics,
    read_metrics_files,
    read_training_log,
    save_checkpoint,
    write_metrics,
    write_training_log,
)

__all__ = [
    "CODE_PATHS", "DATA_ATTRS", "ENGINE", "LOG_FIELDS", "METRICS_KEYS", "OUTPUT_KINDS",
    "PREDICTION_ATTRS",
    "RUN_KEYS", "SPATIAL_DIMS", "TRUTH_VARS", "DataFileError", "MetricsRecord",
    "atomic_path", "atomic_write_text", "data_dataset", "git", "git_commit", "load_checkpoint",
    "prediction_dataset", "prediction_record", "provenance", "read_benchmark", "read_data",
    "read_metrics", "read_metrics_files", "read_predictions", "read_training_log",
    "read_truth", "save_checkpoint", "truth_dataset", "write_csv", "write_dataset",
    "write_metrics", "write_training_log",
]  # fmt: skip
