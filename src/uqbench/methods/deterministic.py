"""deterministic: the base model trained with MSE; a point prediction (all samples equal).

Trained under the problem's recipe (``base_model.<problem>``) and selected by the validation
MSE: the kept weights are those of the best validation epoch.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Self

import torch

from uqbench.methods.base import Data, Method, point_samples


@dataclass(frozen=True)
class DeterministicHyper:
    """No settings of its own: the base model's recipe is the problem's (``base_model``)."""

    @classmethod
    def tiny(cls) -> Self:
        """Settings for the contract test and the tiny study (seconds on a CPU)."""
        return cls()


class Deterministic(Method):
    name = "deterministic"
    Hyper = DeterministicHyper

    def fit(self, train: Data, val: Data) -> list[dict[str, float]]:
        return self.fit_mse(train, val, self.name)

    def sample(
        self, inputs: torch.Tensor, n_samples: int, generator: torch.Generator
    ) -> torch.Tensor:
        return point_samples(self.model, inputs.to(self.device), n_samples)
