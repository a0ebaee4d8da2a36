"""Stage train: data files in, one run's checkpoint and training log out."""

from __future__ import annotations

import logging
import math
import os
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import torch

from uqbench import io
from uqbench.catalogue import SCORED
from uqbench.methods import Data, Method, from_checkpoint, make_method, prepare
from uqbench.methods.training import DivergedError, kept_start
from uqbench.problems import PROBLEMS
from uqbench.seeding import torch_generator
from uqbench.settings import config_hash

log = logging.getLogger(__name__)


def read_pairs(
    path: str | os.PathLike[str], problem: str, device: torch.device, augment: bool = False
) -> Data:
    """(input, first realization) pairs of a data file as tensors on ``device``; training
    pairs carry the problem's symmetry augmentation (``augment``)."""
    ds = io.read_data(path, problem=problem)
    return Data(
        torch.from_numpy(ds["input"].values).to(device),
        torch.from_numpy(ds["output"].values[:, 0]).to(device),
        PROBLEMS[problem].augment if augment else None,
    )


def val_rel_l2_mean(m: Method, val: Data, n_samples: int = 64, seed: int = 0) -> float:
    """Relative L2 error of the predictive mean on validation pairs (one realization each):
    ‖mean − y‖ / ‖y‖ over all validation cases and points (one aggregate number)."""
    with torch.no_grad():
        mean = m.sample(val.inputs, n_samples, torch_generator(seed, "validate")).mean(0)
    return float((mean - val.outputs).norm() / val.outputs.norm())


def _load(model_path: str, device: torch.device) -> tuple[Method, dict[str, Any]]:
    state = io.load_checkpoint(model_path)
    return from_checkpoint(state, device), state


def _pretrained(path: str, device: torch.device, method: str) -> Method:
    base, state = _load(path, device)
    if state["status"] not in SCORED:
        raise ValueError(f"{path}: the {base.name} model diverged; {method} has nothing to work on")
    return base


def _checks(
    m: Method,
    history: list[dict[str, float]],
    val_data: Data,
    seed: int,
    reference_path: str | None,
    divergence_factor: float,
) -> tuple[str, str, dict[str, float]]:
    """(status, reason, validation numbers) of a run whose training ended without a NaN:
    diverged when its validation predictions are not finite or its mean is more than
    ``divergence_factor`` x the reference's error, no_gain when its stochastic phase kept
    its start, else ok."""
    checks: dict[str, float] = {}
    if m.traits().samples:  # a score-only reference has no mean
        checks["val_rel_l2_mean"] = val_rel_l2_mean(m, val_data, seed=seed)
        if not math.isfinite(checks["val_rel_l2_mean"]):
            return "diverged", "non-finite validation predictions", checks
    if reference_path is not None:
        ref, _ = _load(reference_path, m.device)
        checks["reference_val_rel_l2_mean"] = val_rel_l2_mean(ref, val_data, seed=seed)
        limit = divergence_factor * checks["reference_val_rel_l2_mean"]
        if checks["val_rel_l2_mean"] > limit:
            reason = (
                f"validation rel. L2 of the mean {checks['val_rel_l2_mean']:.4g} > "
                f"{divergence_factor} x {ref.name} {checks['reference_val_rel_l2_mean']:.4g}"
            )
            log.warning("diverged: %s", reason)
            return "diverged", reason, checks
    if m.traits().stochastic_phase and kept_start(history, m.name):
        reason = f"the {m.name} phase never beat its start on the validation objective"
        log.warning("no gain: %s", reason)
        return "no_gain", reason, checks
    return "ok", "", checks


@dataclass(frozen=True)
class Run:
    """One training run as the rule names it: its wildcards and its slices of config.

    ``hyper``: the method's hyper-parameters; ``recipe``: the problem's base-model training
    recipe; ``device``: "auto", "cpu" or "cuda[:k]"; ``divergence_factor``: a run with a
    divergence reference diverges when its validation rel. L2 error of the mean exceeds
    this many times the reference's; ``variant_of``: the catalogued method a variant
    ``method`` runs (None for a catalogued method).
    """

    problem: str
    method: str
    ratio: float | None
    seed: int
    hyper: Mapping[str, Any] = field(default_factory=dict)
    recipe: Mapping[str, Any] = field(default_factory=dict)
    device: str = "auto"
    divergence_factor: float = 2.0
    variant_of: str | None = None


def train(
    run: Run,
    train_path: str,
    val_path: str,
    model_path: str,
    log_path: str,
    pretrained_path: str | None = None,
    reference_path: str | None = None,
) -> str:
    """Fit one run and write ``model.pt`` and ``train_log.csv``.

    The stage gives the method its base model before ``fit``: the trained model of
    ``pretrained_path`` for a method that needs one (catalogue ``needs``), else a fresh one
    sized for the data (``Method.build``). A run diverges when its loss turns NaN/inf, or
    when ``reference_path`` (the divergence reference's checkpoint, same problem and seed)
    is given and its validation error exceeds ``run.divergence_factor`` times the
    reference's. A method with a stochastic phase (catalogue ``stochastic_phase``) whose
    phase kept its start has status ``no_gain``.

    Returns the status (``catalogue.STATUSES``; the checkpoint records it and the reason).
    """
    problem, method, ratio, seed = run.problem, run.method, run.ratio, run.seed
    m = make_method(
        method,
        problem,
        dict(run.hyper),
        ratio=ratio,
        seed=seed,
        device=run.device,
        recipe=run.recipe,
        variant_of=run.variant_of,
    )
    log.info("training %s on %s (ratio %s, seed %d) on %s", method, problem, ratio, seed, m.device)
    train_data = read_pairs(train_path, problem, m.device, augment=True)
    val_data = read_pairs(val_path, problem, m.device)
    base = None if pretrained_path is None else _pretrained(pretrained_path, m.device, method)
    prepare(m, train_data, base)
    start = time.perf_counter()
    status, reason = "ok", ""
    try:
        history = m.fit(train_data, val_data)
    except DivergedError as err:
        log.warning("diverged: %s", err)
        status, history, reason = "diverged", err.history, str(err)
    seconds = time.perf_counter() - start
    if status == "ok":
        status, reason, checks = _checks(
            m, history, val_data, seed, reference_path, run.divergence_factor
        )
    else:
        checks = {}
    peak = torch.cuda.max_memory_allocated() / 2**20 if m.device.type == "cuda" else 0.0
    log.info("done in %.1f s, status %s, peak GPU memory %.0f MiB", seconds, status, peak)
    state = m.state_dict()
    state.update(checks)
    state.update(
        status=status,
        status_reason=reason,
        train_seconds=seconds,
        device=str(m.device),
        n_params=m.n_params,
        n_stochastic=m.n_stochastic,
        config_hash=config_hash(problem, method, ratio, seed, run.hyper, run.recipe),
    )
    io.save_checkpoint(state, model_path)
    identity = {"problem": problem, "method": method, "ratio": ratio, "seed": seed}
    io.write_training_log(history, identity, log_path)
    return status
