"""Stage predict: a checkpoint (or, for the oracle, the problem's own sampler) and the test
and ood data files in, one prediction file per split out."""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import torch

from uqbench import io
from uqbench.catalogue import ORACLE, SCORED
from uqbench.methods import Method, from_checkpoint
from uqbench.problems import make_problem
from uqbench.seeding import stream, torch_generator
from uqbench.settings import config_hash

log = logging.getLogger(__name__)


def _pairs(data_paths: Sequence[str], outputs: Sequence[str]) -> list[tuple[str, str]]:
    if len(data_paths) != len(outputs):
        raise ValueError(f"{len(data_paths)} data files but {len(outputs)} outputs")
    return list(zip(data_paths, outputs, strict=True))


def _attrs(state: Mapping[str, Any], split: str, **extra: Any) -> dict[str, Any]:
    """A prediction file's attributes: run identity (no ratio attribute for a method that
    does not sweep it), status and cost."""
    attrs = {
        "problem": state["problem"],
        "method": state["method"],
        "base_method": state.get("base_method", state["method"]),
        "seed": state["seed"],
        "split": split,
        "config_hash": state["config_hash"],
        "status": state["status"],
        "status_reason": state.get("status_reason", ""),
        "train_seconds": state["train_seconds"],
        "n_params": state["n_params"],
        "n_stochastic": state["n_stochastic"],
    }
    if state["ratio"] is not None:
        attrs["ratio"] = float(state["ratio"])
    attrs.update(extra)
    return attrs


def predict(
    model_path: str,
    data_path: str | Sequence[str],
    output: str | Sequence[str],
    n_samples: int,
    seed: int,
    device: str = "auto",
) -> None:
    """Draw ``n_samples`` predictive samples per input of each split (the model is loaded
    once); write one prediction file per split (``data_path`` and ``output`` pair up)."""
    state = io.load_checkpoint(model_path)
    m = from_checkpoint(state, device)
    data_paths = [data_path] if isinstance(data_path, str) else list(data_path)
    outputs = [output] if isinstance(output, str) else list(output)
    for path, out in _pairs(data_paths, outputs):
        _predict_split(m, state, path, out, n_samples, seed)


def _predict_split(
    m: Method, state: dict[str, Any], data_path: str, output: str, n_samples: int, seed: int
) -> None:
    ds = io.read_data(data_path, problem=state["problem"])
    inputs = torch.from_numpy(ds["input"].values)
    start = time.perf_counter()
    split = ds.attrs["split"]
    # one stream for every split: a method that draws parameters once per call (genuq's z,
    # vi's and flow's θ_S) predicts calib, test and the shift rungs with the same draws, so
    # the calib cases and a test case are exchangeable given them (split conformal's premise)
    gen = torch_generator(seed, "predict")
    t = m.traits()
    samples = score = None
    if state["status"] in SCORED:
        if t.samples:
            samples = m.sample(inputs, n_samples, gen).detach().cpu().numpy()
        if t.epistemic:
            score = m.epistemic_score(inputs).detach().cpu().numpy()
    else:  # a diverged run predicts nothing; NaN keeps the shape and says so
        shape = (n_samples, *ds["output"].shape[:1], *ds["output"].shape[2:])
        samples = np.full(shape, np.nan, dtype=np.float32) if t.samples else None
        score = np.full(shape[1:2], np.nan, dtype=np.float32) if t.epistemic else None
    seconds = time.perf_counter() - start
    attrs = _attrs(state, split, device=str(m.device), predict_seconds=seconds)
    io.write_dataset(
        io.prediction_dataset(samples, ds["output"].dims[2:], ds.coords, attrs, score), output
    )


def predict_oracle(
    problem: str,
    settings: Mapping[str, Any],
    data_paths: Sequence[str | os.PathLike[str]],
    outputs: Sequence[str | os.PathLike[str]],
    n_samples: int,
    seed: int,
) -> None:
    """The ``oracle`` method: fresh realizations of the true operator as predictions.

    For each data file (calib, test, the shift rungs) the problem's own sampler draws
    ``n_samples`` new operator draws per input (each (case, sample) its own, like the
    data's realizations), from the stream (seed, problem, split, "oracle"), which no data
    file uses. The result is a prediction file like any method's
    (``prediction(sample, case, ...)``), scored like every method: the floor of each metric.
    """
    sampler = make_problem(problem, settings)
    state = {
        "problem": problem,
        "method": ORACLE,
        "base_method": ORACLE,
        "ratio": None,
        "seed": seed,
        "status": "ok",
        "config_hash": config_hash(problem, settings, seed),
        "train_seconds": 0.0,
        "n_params": 0,
        "n_stochastic": 0,
    }
    for path, out in _pairs([str(p) for p in data_paths], [str(o) for o in outputs]):
        ds = io.read_data(path, problem=problem)
        split = ds.attrs["split"]
        start = time.perf_counter()
        draws = sampler.sample_outputs(
            ds["input"].values.astype(np.float64), n_samples, stream(seed, problem, split, ORACLE)
        )
        seconds = time.perf_counter() - start
        samples = np.moveaxis(draws, 1, 0)  # (sample, case, ...)
        attrs = _attrs(state, split, device="cpu", predict_seconds=seconds)
        io.write_dataset(
            io.prediction_dataset(samples, ds["output"].dims[2:], ds.coords, attrs), out
        )
        log.info(
            "oracle %s/%s: %d draws x %d cases in %.2f s",
            problem,
            split,
            n_samples,
            samples.shape[1],
            seconds,
        )
