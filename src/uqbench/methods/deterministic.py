"""deterministic: the base model trained with MSE; a point prediction (all samples equal).

Trained under the problem's recipe (``base_model.<problem>``) and selected by the validation
MSE: the kept weights are those of the best validation epoch.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from uqbench.methods.base import Data, Method, point_samples


@dataclass(frozen=True)
class DeterministicHyper:
    """No settings of its own: the base model's recipe is the problem's (``base_model``)."""


class Deterministic(Method):
    name = "deterministic"
    Hyper = DeterministicHyper

    def fit(self, train: Data, val: Data) -> list[dict[str, float]]:
        return self.fit_mse(train, val, self.name)

    def sample(
        self, inputs: torch.Tensor, n_samples: int, generator: torch.Generator
    ) -> torch.Tensor:
        return point_samples(self.model, inputs.to(self.device), n_samples)
