"""Problem registry: one module per problem, all with the interface of ``base.Problem``."""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from uqbench import io
from uqbench.problems.base import SPLITS, Problem, Sizes
from uqbench.problems.elu import Elu
from uqbench.problems.poisson import Poisson
from uqbench.problems.porous import Porous
from uqbench.seeding import stream
from uqbench.settings import config_hash

log = logging.getLogger(__name__)

PROBLEMS: dict[str, type[Problem]] = {
    "elu": Elu,
    "poisson": Poisson,
    "porous": Porous,
}

__all__ = [
    "PROBLEMS", "SPLITS", "Problem", "Sizes", "generate_data", "make_problem", "oracle_predict",
]  # fmt: skip


def make_problem(name: str, settings: Mapping[str, Any] | None = None) -> Problem:
    """Instantiate a registered problem from its config slice (``data.<name>``)."""
    try:
        cls = PROBLEMS[name]
    except KeyError:
        raise ValueError(f"unknown problem {name!r}; registered: {sorted(PROBLEMS)}") from None
    return cls(settings)


def generate_data(
    name: str, settings: Mapping[str, Any], split: str, seed: int, path: str | os.PathLike[str]
) -> None:
    """Generate one split of a problem and write it atomically to ``path``."""
    ds = make_problem(name, settings).generate(split, seed)
    io.write_dataset(ds, path)


def oracle_predict(
    name: str,
    settings: Mapping[str, Any],
    data_paths: Sequence[str | os.PathLike[str]],
    outputs: Sequence[str | os.PathLike[str]],
    n_samples: int,
    seed: int,
) -> None:
    """The ``oracle`` method: fresh realizations of the true operator as predictions.

    For each data file (test, ood) the problem's own sampler applies ``n_samples`` new draws
    of the random operator to the split's inputs, from the stream (seed, problem, split,
    "oracle"), which no data file uses. The result is a prediction file like any method's
    (``prediction(sample, case, ...)``), scored like every method: the floor of each metric.
    """
    if len(data_paths) != len(outputs):
        raise ValueError(f"{len(data_paths)} data files but {len(outputs)} outputs")
    problem = make_problem(name, settings)
    for path, out in zip(data_paths, outputs, strict=True):
        ds = io.read_data(path, problem=name)
        split = ds.attrs["split"]
        start = time.perf_counter()
        draws = problem.sample_outputs(
            ds["input"].values.astype(np.float64), n_samples,
            stream(seed, name, split, "oracle"), paired=False,
        )  # fmt: skip
        seconds = time.perf_counter() - start
        attrs = {
            "problem": name, "method": "oracle", "ratio": "na", "seed": seed, "split": split,
            "config_hash": config_hash(name, settings, seed), "device": "cpu", "status": "ok",
            "status_reason": "", "train_seconds": 0.0, "predict_seconds": seconds,
            "n_params": 0, "n_stochastic": 0,
        }  # fmt: skip
        samples = np.moveaxis(draws, 1, 0)  # (sample, case, ...)
        io.write_dataset(
            io.prediction_dataset(samples, ds["output"].dims[2:], ds.coords, attrs), out
        )
        log.info("oracle %s/%s: %d draws x %d cases in %.2f s", name, split, n_samples,
                 samples.shape[1], seconds)  # fmt: skip
