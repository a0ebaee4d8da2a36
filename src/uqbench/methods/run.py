"""Entry points of the train and predict rules: data files in, checkpoint / predictions out."""

from __future__ import annotations

import csv
import io as io_text
import logging
import math
import os
import time
from collections.abc import Mapping, Sequence
from typing import Any

import torch

from uqbench import io
from uqbench.methods import METHODS, Data, make_method
from uqbench.methods.training import DivergedError
from uqbench.problems import PROBLEMS
from uqbench.seeding import stream
from uqbench.settings import config_hash

log = logging.getLogger(__name__)

LOG_FIELDS = (
    "phase", "epoch", "loss", "val_loss", "val_rel_l2_mean", "lr", "seconds", "samples_per_s",
    "selected",
)  # fmt: skip


def _data(
    path: str | os.PathLike[str], problem: str, device: torch.device, augment: bool = False
) -> Data:
    """One realization per case; training pairs carry the problem's symmetry augmentation."""
    ds = io.read_data(path, problem=problem)
    return Data(
        torch.from_numpy(ds["input"].values).to(device),
        torch.from_numpy(ds["output"].values[:, 0]).to(device),
        PROBLEMS[problem].augment if augment else None,
    )


def _write_log(history: list[dict[str, Any]], path: str | os.PathLike[str]) -> None:
    buf = io_text.StringIO()
    w = csv.DictWriter(buf, fieldnames=LOG_FIELDS, lineterminator="\n")
    w.writeheader()
    w.writerows({k: r[k] for k in LOG_FIELDS} for r in history)
    io.atomic_write_text(path, buf.getvalue())


def val_rel_l2_mean(m: Any, val: Data, n_samples: int = 64, seed: int = 0) -> float:
    """Relative L2 error of the predictive mean on validation pairs (one realization each).

    ‖mean − y‖ / ‖y‖ over all validation cases and points (a single aggregate number).
    """
    gen = torch.Generator().manual_seed(int(stream(seed, "validate").integers(2**62)))
    with torch.no_grad():
        mean = m.sample(val.inputs, n_samples, gen).mean(0)
    return float((mean - val.outputs).norm() / val.outputs.norm())


def train(
    problem: str,
    method: str,
    ratio: float | None,
    seed: int,
    hyper: Mapping[str, Any],
    recipe: Mapping[str, Any],
    train_path: str,
    val_path: str,
    model_path: str,
    log_path: str,
    device: str = "auto",
    reference_path: str | None = None,
    divergence_factor: float = 2.0,
) -> str:
    """Fit one (problem, method, ratio, seed) and write ``model.pt`` and ``train_log.csv``.

    A run diverges when its loss turns NaN/inf, or when ``reference_path`` (the deterministic
    model's checkpoint, same problem and seed) is given and this run's validation rel. L2
    error of the predictive mean exceeds ``divergence_factor`` times the reference's.

    Returns the status: ``ok`` or ``diverged`` (the checkpoint records it and the reason).
    """
    torch.manual_seed(seed)
    m = make_method(method, problem, dict(hyper), ratio=ratio, seed=seed, device=device,
                    recipe=recipe)  # fmt: skip
    log.info("training %s on %s (ratio %s, seed %d) on %s", method, problem, ratio, seed, m.device)
    train_data = _data(train_path, problem, m.device, augment=True)
    val_data = _data(val_path, problem, m.device)
    if m.needs_pretrained:
        if reference_path is None:
            raise ValueError(
                f"method {method!r} works on the trained deterministic model: add "
                "'deterministic' to the config's methods"
            )
        ref, ref_state = load_method(reference_path, str(m.device))
        if ref_state["status"] != "ok":
            raise ValueError(f"{reference_path}: the deterministic model diverged; "
                             f"{method} has nothing to work on")  # fmt: skip
        m.attach_pretrained(ref.model)
        reference_path = None  # its own base model: nothing to compare against
    start = time.perf_counter()
    status, reason = "ok", ""
    try:
        history = m.fit(train_data, val_data)
    except DivergedError as err:
        log.warning("diverged: %s", err)
        status, history, reason = "diverged", err.history, str(err)
    seconds = time.perf_counter() - start
    checks: dict[str, float] = {}
    if status == "ok":
        checks["val_rel_l2_mean"] = val_rel_l2_mean(m, val_data, seed=seed)
        if not math.isfinite(checks["val_rel_l2_mean"]):
            status, reason = "diverged", "non-finite validation predictions"
    if status == "ok" and reference_path is not None:
        ref, _ = load_method(reference_path, str(m.device))
        checks["reference_val_rel_l2_mean"] = val_rel_l2_mean(ref, val_data, seed=seed)
        limit = divergence_factor * checks["reference_val_rel_l2_mean"]
        if checks["val_rel_l2_mean"] > limit:
            status = "diverged"
            reason = (
                f"validation rel. L2 of the mean {checks['val_rel_l2_mean']:.4g} > "
                f"{divergence_factor} x deterministic {checks['reference_val_rel_l2_mean']:.4g}"
            )
            log.warning("diverged: %s", reason)
    peak = torch.cuda.max_memory_allocated() / 2**20 if m.device.type == "cuda" else 0.0
    log.info("done in %.1f s, status %s, peak GPU memory %.0f MiB", seconds, status, peak)
    state = m.state_dict()
    state.update(checks)
    state.update(
        status=status, status_reason=reason, train_seconds=seconds, device=str(m.device),
        n_params=m.n_params, n_stochastic=m.n_stochastic,
        config_hash=config_hash(problem, method, ratio, seed, hyper, recipe),
    )  # fmt: skip
    io.save_checkpoint(state, model_path)
    _write_log(history, log_path)
    return status


def load_method(model_path: str, device: str = "auto") -> tuple[Any, dict[str, Any]]:
    """Rebuild a trained method from its checkpoint (weights_only load)."""
    state = io.load_checkpoint(model_path)
    if state["method"] not in METHODS:
        raise io.DataFileError(model_path, f"unknown method {state['method']!r}")
    m = make_method(state["method"], state["problem"], state["hyper"], state["ratio"],
                    state["seed"], device, state["recipe"])  # fmt: skip
    m.load_state_dict(state)
    return m, state


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
    m, state = load_method(model_path, device)
    data_paths = [data_path] if isinstance(data_path, str) else list(data_path)
    outputs = [output] if isinstance(output, str) else list(output)
    if len(data_paths) != len(outputs):
        raise ValueError(f"{len(data_paths)} data files but {len(outputs)} outputs")
    for path, out in zip(data_paths, outputs, strict=True):
        _predict_split(m, state, path, out, n_samples, seed)


def _predict_split(
    m: Any, state: dict[str, Any], data_path: str, output: str, n_samples: int, seed: int
) -> None:
    ds = io.read_data(data_path, problem=state["problem"])
    inputs = torch.from_numpy(ds["input"].values)
    start = time.perf_counter()
    # the stream depends on (seed, split): test and ood draw independent samples
    gen = torch.Generator().manual_seed(
        int(stream(seed, "predict", ds.attrs["split"]).integers(2**62))
    )
    score = None
    if state["status"] == "ok":
        samples = m.sample(inputs, n_samples, gen).detach().cpu().numpy()
        if m.has_score:
            score = m.epistemic_score(inputs).detach().cpu().numpy()
    else:  # a diverged run predicts nothing; NaN keeps the shape and says so
        shape = (n_samples, *ds["output"].shape[:1], *ds["output"].shape[2:])
        samples = torch.full(shape, float("nan")).numpy()
        if m.has_score:
            score = torch.full(shape[1:2], float("nan")).numpy()
    seconds = time.perf_counter() - start
    out_dims = ds["output"].dims[2:]
    attrs = {
        "problem": state["problem"], "method": state["method"],
        "ratio": "na" if state["ratio"] is None else state["ratio"], "seed": state["seed"],
        "split": ds.attrs["split"], "config_hash": state["config_hash"],
        "device": str(m.device), "status": state["status"],
        "status_reason": state.get("status_reason", ""),
        "train_seconds": state["train_seconds"], "predict_seconds": seconds,
        "n_params": state["n_params"], "n_stochastic": state["n_stochastic"],
    }  # fmt: skip
    io.write_dataset(io.prediction_dataset(samples, out_dims, ds.coords, attrs, score), output)
