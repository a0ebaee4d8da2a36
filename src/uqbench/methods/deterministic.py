"""deterministic: the base model trained with MSE; a point prediction (all samples equal)."""

from __future__ import annotations

from dataclasses import dataclass

import torch

from uqbench.methods.base import Data, Method, point_samples
from uqbench.methods.training import train_loop


@dataclass(frozen=True)
class DeterministicHyper:
    epochs: int = 200
    batch_size: int = 64
    lr: float = 1e-3


class Deterministic(Method):
    name = "deterministic"
    Hyper = DeterministicHyper

    def fit(self, train: Data, val: Data) -> list[dict[str, float]]:
        if self.model is None:
            self.build(train)
        h = self.hyper

        def mse(a: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
            return (self.model(a) - y).pow(2).mean()

        return train_loop(
            mse, self.model.parameters(), train.inputs, train.outputs, epochs=h.epochs,
            batch_size=h.batch_size, lr=h.lr, seed=self.seed, tag=self.name,
        )  # fmt: skip

    def sample(
        self, inputs: torch.Tensor, n_samples: int, generator: torch.Generator
    ) -> torch.Tensor:
        return point_samples(self.model, inputs.to(self.device), n_samples)
