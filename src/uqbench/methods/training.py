"""A compact training loop shared by the methods, with honest progress logging.

Data stay on the device; the loss is summed on the device and read back once per epoch (no
host-device sync per step). Every epoch logs loss, samples/s and elapsed time. A non-finite
loss stops training and is reported as divergence, never hidden.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Iterable

import torch

log = logging.getLogger(__name__)


class DivergedError(RuntimeError):
    """Training produced a non-finite loss; ``history`` holds the epochs up to it."""

    def __init__(self, message: str, history: list[dict[str, float]]) -> None:
        super().__init__(message)
        self.history = history


def train_loop(
    loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
    params: Iterable[torch.nn.Parameter],
    inputs: torch.Tensor,
    outputs: torch.Tensor,
    *,
    epochs: int,
    batch_size: int,
    lr: float,
    seed: int,
    tag: str,
    log_every: int = 10,
    history: list[dict[str, float]] | None = None,
    with_index: bool = False,
) -> list[dict[str, float]]:
    """Minimise ``loss_fn(batch_inputs, batch_outputs)`` with Adam over shuffled mini-batches.

    Args:
        inputs, outputs: (case, ...) tensors on the training device.
        epochs, batch_size, lr: optimisation settings; seed fixes the shuffling.
        tag: phase name in the log lines (e.g. ``genuq/pretrain``).
        history: list to append to (phases share one history).
        with_index: call ``loss_fn(batch_inputs, batch_outputs, batch_indices)`` (e.g. for
            per-sample bootstrap weights).

    Returns:
        The history: one dict per epoch (phase, epoch, loss, seconds, samples_per_s).

    Raises:
        DivergedError: when an epoch's mean loss is NaN or inf.
    """
    history = [] if history is None else history
    params = [p for p in params if p.requires_grad]
    opt = torch.optim.Adam(params, lr=lr)
    n = inputs.shape[0]
    gen = torch.Generator(device="cpu").manual_seed(seed)
    start = time.perf_counter()
    offset = history[-1]["seconds"] if history else 0.0
    for epoch in range(1, epochs + 1):
        t0 = time.perf_counter()
        perm = torch.randperm(n, generator=gen).to(inputs.device)
        total = torch.zeros((), device=inputs.device)
        for i in range(0, n, batch_size):
            idx = perm[i : i + batch_size]
            args = (inputs[idx], outputs[idx], idx) if with_index else (inputs[idx], outputs[idx])
            loss = loss_fn(*args)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            total += loss.detach() * idx.numel()
        mean = total.item() / n  # one sync per epoch
        dt = time.perf_counter() - t0
        row = {
            "phase": tag,
            "epoch": float(len(history) + 1),
            "loss": mean,
            "seconds": offset + time.perf_counter() - start,
            "samples_per_s": n / dt,
        }
        history.append(row)
        if epoch % log_every == 0 or epoch in (1, epochs) or not math.isfinite(mean):
            log.info(
                "%s epoch %d/%d loss %.5g  %.0f samples/s  %.1f s",
                tag, epoch, epochs, mean, row["samples_per_s"], row["seconds"],
            )  # fmt: skip
        if not math.isfinite(mean):
            raise DivergedError(f"{tag}: loss became {mean} at epoch {epoch}", history)
    return history
