"""ridge: linear least squares on the flattened input, with a residual bootstrap for spread.

The mean is m(a) = ȳ + (a − ā) W with W the ridge solution of the centred training pairs,
W = V diag(s / (s² + λ)) Uᵀ Y from one SVD X = U diag(s) Vᵀ, so every λ of the grid costs one
matrix product. λ = α · ‖X‖²_F / D (α on a log grid; ‖X‖²_F / D is the mean squared singular
value over the D input values, so α means the same on every problem) is chosen by the
validation MSE. Samples are m(a) plus validation residuals y − m(a) drawn at random (a
residual bootstrap: each residual is a whole output field, so their spatial correlation is
kept). A neural method whose mean is worse than ridge's (marked in the tables) does not
learn what a linear map of the input already gives. Nothing is trained by gradients; the
history is one row (the chosen λ's training and validation MSE).
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass

import torch
from torch import nn

from uqbench.methods.base import Buffers, Data, Method
from uqbench.methods.training import rel_l2

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RidgeHyper:
    log10_alpha_min: float = -6.0
    log10_alpha_max: float = 3.0
    n_alphas: int = 37

    def __post_init__(self) -> None:
        if self.n_alphas < 1 or self.log10_alpha_min > self.log10_alpha_max:
            raise ValueError(f"hyper.ridge: empty alpha grid {self}")


class Ridge(Method):
    name = "ridge"
    Hyper = RidgeHyper
    buffer_modules = ("linear",)
    linear: Buffers

    def build(self, train: Data) -> None:
        """No base model: the map is fitted in closed form by ``fit``."""

    def modules(self) -> dict[str, nn.Module]:
        return {"linear": self.linear}

    def fit(self, train: Data, val: Data) -> list[dict[str, float]]:
        h, start = self.hyper, time.perf_counter()
        x, y = train.inputs.flatten(1).double(), train.outputs.flatten(1).double()
        x_mean, y_mean = x.mean(0), y.mean(0)
        u, s, vt = torch.linalg.svd(x - x_mean, full_matrices=False)
        uty = u.T @ (y - y_mean)  # (rank, outputs)
        xv = (val.inputs.flatten(1).double() - x_mean) @ vt.T  # validation inputs, SVD basis
        yv = val.outputs.flatten(1).double()
        alphas = torch.logspace(h.log10_alpha_min, h.log10_alpha_max, h.n_alphas)
        scale = float(s.pow(2).sum()) / x.shape[1]
        errors = []
        for alpha in alphas.tolist():  # one matrix product per λ of the grid
            lam = alpha * scale
            pred = (xv * (s / (s**2 + lam))) @ uty + y_mean
            errors.append(float((pred - yv).pow(2).mean()))
        best = min(range(len(errors)), key=errors.__getitem__)
        lam = float(alphas[best]) * scale
        weight = vt.T @ ((s / (s**2 + lam))[:, None] * uty)  # (inputs, outputs)
        log.info("ridge: validation MSE over alpha %s", [f"{e:.4g}" for e in errors])
        log.info(
            "ridge: alpha %.3g (lambda %.4g) of [%g, %g]",
            float(alphas[best]),
            lam,
            alphas[0],
            alphas[-1],
        )
        if best in (0, len(errors) - 1) and len(errors) > 1:
            log.warning("ridge: the chosen alpha is at the end of the grid; widen it")
        fit_x = (x - x_mean) @ weight + y_mean
        val_mean = (val.inputs.flatten(1).double() - x_mean) @ weight + y_mean
        self.linear = Buffers(
            x_mean=x_mean.float(),
            y_mean=y_mean.float(),
            weight=weight.float(),
            residuals=(yv - val_mean).float().unflatten(1, val.outputs.shape[1:]),
        ).to(self.device)
        return [
            {
                "phase": self.name,
                "epoch": 1.0,
                "loss": float((fit_x - y).pow(2).mean()),
                "val_loss": errors[best],
                "val_rel_l2_mean": rel_l2(val_mean, yv),
                "lr": math.nan,
                "seconds": time.perf_counter() - start,
                "samples_per_s": math.nan,
                "selected": 1.0,
            }
        ]

    def mean(self, inputs: torch.Tensor) -> torch.Tensor:
        """The ridge prediction (case, *output dims) for inputs (case, *input grid)."""
        p = self.linear
        flat = (inputs.flatten(1).to(p.weight) - p.x_mean) @ p.weight + p.y_mean
        return flat.unflatten(1, p.residuals.shape[1:])

    @torch.no_grad()
    def sample(
        self, inputs: torch.Tensor, n_samples: int, generator: torch.Generator
    ) -> torch.Tensor:
        res = self.linear.residuals
        idx = torch.randint(res.shape[0], (n_samples, inputs.shape[0]), generator=generator)
        return self.mean(inputs.to(self.device)) + res[idx.to(res.device)]
