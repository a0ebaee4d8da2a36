"""A compact, validation-driven training loop shared by the methods, with honest logging.

Every training phase (a deterministic fit, a pre-fit, an energy-score or ELBO phase, ensemble
members, heads, ecsg's MLP) runs through ``train_loop``:

* AdamW over shuffled mini-batches, with decoupled weight decay on the parameters the caller
  names (base-model weight matrices; never variances, posteriors or hyper-networks), and a
  cosine learning-rate decay over the phase's epoch budget (or a constant rate);
* after every epoch the method's validation objective is evaluated (the training objective on
  the validation split, with fixed random draws so epochs compare) together with the
  validation error of its predictive mean; the weights of the best validation epoch are kept,
  where epoch 0 is the state the phase started from, so a phase that never helps leaves the
  model as it found it;
* training stops after ``patience`` epochs without a better validation objective, and the
  best epoch's weights are restored: the model is selected by validation, never the last
  epoch, so it cannot end up memorising the noisy targets;
* data stay on the device and the loss is summed there, read back once per epoch (no host
  sync per step). Every epoch is a row of the history (train loss, validation objective and
  error, learning rate, samples/s); a non-finite loss stops training and is reported as
  divergence, never hidden.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass

import torch

from uqbench.catalogue import is_stochastic_phase
from uqbench.seeding import torch_fork, torch_generator

log = logging.getLogger(__name__)

# A random symmetry transform of a mini-batch: (inputs, outputs, generator) -> (inputs, outputs)
Augment = Callable[[torch.Tensor, torch.Tensor, torch.Generator], tuple[torch.Tensor, torch.Tensor]]


@dataclass(frozen=True)
class Data:
    """Training or validation pairs as tensors on the method's device.

    inputs: (case, *input grid); outputs: (case, *output dims), one realization per case.
    augment: the problem's symmetry augmentation (``Problem.augment``) applied to training
    mini-batches by ``training.train_loop``; None for no augmentation.
    """

    inputs: torch.Tensor
    outputs: torch.Tensor
    augment: Augment | None = None


SCHEDULES = ("cosine", "constant")
# One validation evaluation: (objective, rel. L2 error of the predictive mean), both floats.
Validation = Callable[[], tuple[float, float]]


class DivergedError(RuntimeError):
    """Training produced a non-finite loss; ``history`` holds the epochs up to it."""

    def __init__(self, message: str, history: list[dict[str, float]]) -> None:
        super().__init__(message)
        self.history = history


@dataclass(frozen=True)
class Optim:
    """Optimisation settings of one phase: a problem's base-model recipe (config
    ``base_model.<problem>``) or a method's own phase (built from its hyper-parameters).

    epochs: the epoch budget (the cosine period); lr: AdamW's initial learning rate;
    weight_decay: AdamW's decoupled decay of the decayed parameters; patience: epochs
    without a better validation objective before stopping; schedule: cosine or constant.
    """

    epochs: int = 300
    batch_size: int = 64
    lr: float = 3e-3
    weight_decay: float = 0.0
    patience: int = 50
    schedule: str = "cosine"

    def __post_init__(self) -> None:
        if self.schedule not in SCHEDULES:
            raise ValueError(f"schedule must be one of {SCHEDULES}, got {self.schedule!r}")
        if self.epochs < 0 or self.batch_size < 1 or self.patience < 1:
            raise ValueError(f"bad optimisation settings {self}")


@dataclass(frozen=True)
class PhaseHyper:
    """Optimisation settings of a method's own training phase (shared fields of its Hyper);
    its weight decay is the problem recipe's (it acts on the base model's weights)."""

    epochs: int = 300
    batch_size: int = 64
    lr: float = 1e-3
    patience: int = 50
    schedule: str = "cosine"

    def optim(self, weight_decay: float = 0.0) -> Optim:
        return Optim(
            self.epochs, self.batch_size, self.lr, weight_decay, self.patience, self.schedule
        )


def rel_l2(mean: torch.Tensor, target: torch.Tensor) -> float:
    """‖mean − target‖ / ‖target‖ over all cases and points (one aggregate number)."""
    return float((mean - target).norm() / target.norm())


def point_validation(model: torch.nn.Module, val: Data) -> Validation:
    """Validation of a point prediction: (MSE, rel. L2 error) on the validation pairs."""

    @torch.no_grad()
    def validate() -> tuple[float, float]:
        pred = model(val.inputs)
        return float((pred - val.outputs).pow(2).mean()), rel_l2(pred, val.outputs)

    return validate


def _optimizer(
    params: list[torch.nn.Parameter], decay: Collection[torch.nn.Parameter], optim: Optim
) -> tuple[torch.optim.Optimizer, torch.optim.lr_scheduler.LRScheduler | None]:
    """AdamW with weight decay on ``decay`` only, and the cosine schedule if asked for."""
    decayed = {id(p) for p in decay}
    groups = [
        {"params": [p for p in params if id(p) in decayed], "weight_decay": optim.weight_decay},
        {"params": [p for p in params if id(p) not in decayed], "weight_decay": 0.0},
    ]
    opt = torch.optim.AdamW([g for g in groups if g["params"]], lr=optim.lr)
    if optim.schedule != "cosine":
        return opt, None
    return opt, torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=max(optim.epochs, 1))


def _epoch(
    loss_fn: Callable[..., torch.Tensor],
    train: Data,
    opt: torch.optim.Optimizer,
    batch_size: int,
    gen: torch.Generator,
    with_index: bool,
) -> float:
    """One pass over ``train`` in mini-batches of a permutation drawn from ``gen`` (then the
    augmentations, in batch order); returns the mean training loss per pair."""
    n = train.inputs.shape[0]
    perm = torch.randperm(n, generator=gen).to(train.inputs.device)
    total = torch.zeros((), device=train.inputs.device)
    for i in range(0, n, batch_size):
        idx = perm[i : i + batch_size]
        a, y = train.inputs[idx], train.outputs[idx]
        if train.augment is not None:
            a, y = train.augment(a, y, gen)
        loss = loss_fn(a, y, idx) if with_index else loss_fn(a, y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        total += loss.detach() * idx.numel()
    return total.item() / n  # one sync per epoch


def _log_epoch(row: dict[str, float], epochs: int, improved: bool) -> None:
    """One progress line: losses, validation error, throughput, wall time; * = kept so far."""
    log.info(
        "%s epoch %d/%d loss %.5g  val %.5g  val rel. L2 %.4g%s  %.0f samples/s  %.1f s",
        row["phase"],
        int(row["epoch"]),
        epochs,
        row["loss"],
        row["val_loss"],
        row["val_rel_l2_mean"],
        " *" if improved else "",
        row["samples_per_s"],
        row["seconds"],
    )


def train_loop(
    loss_fn: Callable[..., torch.Tensor],
    params: Iterable[torch.nn.Parameter],
    train: Data,
    validate: Validation,
    optim: Optim,
    *,
    seed: int,
    tag: str,
    decay: Collection[torch.nn.Parameter] = (),
    history: list[dict[str, float]] | None = None,
    with_index: bool = False,
    log_every: int = 10,
) -> list[dict[str, float]]:
    """Minimise ``loss_fn(batch_inputs, batch_outputs)`` and keep the best validation epoch.

    Args:
        loss_fn: the training objective of a mini-batch (a scalar tensor).
        params: the trainable parameters of this phase (frozen ones are skipped).
        train: training pairs on the device; ``train.augment`` (if set) transforms each
            mini-batch by the problem's symmetries before the loss.
        validate: returns (validation objective, validation rel. L2 of the predictive mean);
            called before the first epoch and after every epoch, in this order.
        optim: epochs, batch size, learning rate, weight decay, patience, schedule.
        seed: the run's seed; shuffling and augmentation draw from the stream (seed, tag),
            every other draw (z, dropout masks, posterior noise) from torch's global
            generator forked and seeded from (seed, "global", tag) for the phase.
        tag: phase name in the history and the log lines (e.g. ``genuq/pretrain``).
        decay: the parameters (a subset of ``params``) that get weight decay.
        history: list to append to (phases share one history).
        with_index: call ``loss_fn(batch_inputs, batch_outputs, batch_indices)``.

    Returns:
        The history: one dict per epoch, epoch 0 being the evaluation before training
        (phase, epoch, loss, val_loss, val_rel_l2_mean, lr, seconds, samples_per_s,
        selected = 1 on the epoch whose weights were kept).

    Raises:
        DivergedError: when an epoch's training loss or validation objective is NaN or inf.
    """
    with torch_fork(seed, "global", tag):
        history = [] if history is None else history
        params = [p for p in params if p.requires_grad]
        opt, sched = _optimizer(params, decay, optim)
        n = train.inputs.shape[0]
        gen = torch_generator(seed, "train", tag)
        offset = history[-1]["seconds"] if history else 0.0
        start = time.perf_counter()
        first = len(history)

        def record(epoch: int, loss: float, rate: float) -> dict[str, float]:
            val_loss, val_err = validate()
            row = {
                "phase": tag,
                "epoch": float(epoch),
                "loss": loss,
                "val_loss": val_loss,
                "val_rel_l2_mean": val_err,
                "lr": opt.param_groups[0]["lr"],
                "seconds": offset + time.perf_counter() - start,
                "samples_per_s": rate,
                "selected": 0.0,
            }
            history.append(row)
            return row

        best = record(0, math.nan, math.nan)
        best_state = [p.detach().clone() for p in params]
        for epoch in range(1, optim.epochs + 1):
            t0 = time.perf_counter()
            mean = _epoch(loss_fn, train, opt, optim.batch_size, gen, with_index)
            row = record(epoch, mean, n / (time.perf_counter() - t0))
            if sched is not None:
                sched.step()
            improved = row["val_loss"] < best["val_loss"]
            if improved:
                best = row
                for keep, p in zip(best_state, params, strict=True):
                    keep.copy_(p.detach())
            if epoch % log_every == 0 or epoch in (1, optim.epochs) or not math.isfinite(mean):
                _log_epoch(row, optim.epochs, improved)
            if not (math.isfinite(mean) and math.isfinite(row["val_loss"])):
                raise DivergedError(
                    f"{tag}: loss became {mean} (validation {row['val_loss']}) at epoch {epoch}",
                    history,
                )
            if epoch - int(best["epoch"]) >= optim.patience:
                log.info(
                    "%s: no better validation objective for %d epochs: stopping at epoch %d",
                    tag,
                    optim.patience,
                    epoch,
                )
                break
        with torch.no_grad():
            for keep, p in zip(best_state, params, strict=True):
                p.copy_(keep)
        best["selected"] = 1.0
        log.info(
            "%s: kept epoch %d of %d (val %.5g, val rel. L2 %.4g)",
            tag,
            int(best["epoch"]),
            len(history) - first - 1,
            best["val_loss"],
            best["val_rel_l2_mean"],
        )
        return history


def kept_start(history: list[dict[str, float]], name: str) -> bool:
    """Whether every stochastic phase of method ``name`` in ``history`` kept its epoch 0,
    i.e. never beat the state it started from (a pre-fit, or a fresh generator) on its
    validation objective (``catalogue.is_stochastic_phase``); False when there is none."""
    kept = [r for r in history if is_stochastic_phase(r["phase"], name) and r["selected"]]
    return bool(kept) and all(r["epoch"] == 0 for r in kept)
