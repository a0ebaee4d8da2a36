"""input_distance: the reference OOD score, not a UQ method.

The Mahalanobis distance of an input to the training inputs in their PCA space:
score(a) = ‖Λ^{-1/2} Vᵀ (a − ā)‖ over the leading principal directions V of the training
inputs that hold ``variance`` (99 %) of their variance, Λ their variances. It knows nothing of
the model or the outputs: an OOD claim of a method's epistemic score is only as strong as its
margin over this score (on elu the shifted inputs have about twice the variance, so any
norm-sensitive score separates them). It draws no samples; its prediction files hold the
score alone, and its metrics are ood_auroc and shift_auroc.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import torch
from torch import nn

from uqbench.methods.base import Buffers, Data, Method

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class InputDistanceHyper:
    variance: float = 0.99  # fraction of the training inputs' variance the modes hold

    def __post_init__(self) -> None:
        if not 0 < self.variance <= 1:
            raise ValueError(
                f"hyper.input_distance.variance must be in (0, 1], got {self.variance}"
            )


class InputDistance(Method):
    name = "input_distance"
    Hyper = InputDistanceHyper
    buffer_modules = ("pca",)
    pca: Buffers

    def build(self, train: Data) -> None:
        """No base model: the PCA is fitted in closed form by ``fit``."""

    def modules(self) -> dict[str, nn.Module]:
        return {"pca": self.pca}

    def fit(self, train: Data, val: Data) -> list[dict[str, float]]:
        x = train.inputs.flatten(1).double()
        mean = x.mean(0)
        _, s, vt = torch.linalg.svd(x - mean, full_matrices=False)
        var = s.pow(2) / max(x.shape[0] - 1, 1)
        share = var.cumsum(0) / var.sum()
        k = int(torch.searchsorted(share, torch.tensor(self.hyper.variance, dtype=share.dtype)))
        k = min(k + 1, var.numel())
        log.info("input_distance: %d of %d modes hold %.3g of the training inputs' variance",
                 k, var.numel(), float(share[k - 1]))  # fmt: skip
        self.pca = Buffers(mean=mean, basis=vt[:k], variance=var[:k]).to(self.device)
        return []  # nothing is trained

    def sample(
        self, inputs: torch.Tensor, n_samples: int, generator: torch.Generator
    ) -> torch.Tensor:
        raise NotImplementedError("input_distance is a score, not a predictive distribution")

    def epistemic_score(self, inputs: torch.Tensor) -> torch.Tensor:
        """The Mahalanobis distance (case,) of inputs (case, *input grid) to the training
        inputs in their PCA space (units: standard deviations)."""
        p = self.pca
        proj = (inputs.flatten(1).to(p.mean) - p.mean) @ p.basis.T
        return (proj.pow(2) / p.variance).sum(-1).sqrt()
