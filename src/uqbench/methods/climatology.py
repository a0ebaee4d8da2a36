"""climatology: the unconditional law, the reference forecast of weather verification.

Samples are training outputs drawn at random (with replacement, independently per case)
whatever the input. A method that does not beat it (skill = 1 − ES / ES_climatology ≤ 0 in
the tables) has learned nothing about the input-to-output map. Nothing is trained.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from uqbench.methods.base import Buffers, Data, Method


@dataclass(frozen=True)
class ClimatologyHyper:
    """No settings: the reference is the training outputs themselves."""


class Climatology(Method):
    name = "climatology"
    Hyper = ClimatologyHyper
    buffer_modules = ("bank",)
    bank: Buffers

    def build(self, train: Data) -> None:
        """No base model: ``fit`` keeps the training outputs."""

    def modules(self) -> dict[str, nn.Module]:
        return {"bank": self.bank}

    def fit(self, train: Data, val: Data) -> list[dict[str, float]]:
        self.bank = Buffers(outputs=train.outputs.clone()).to(self.device)
        return []  # nothing is trained

    @torch.no_grad()
    def sample(
        self, inputs: torch.Tensor, n_samples: int, generator: torch.Generator
    ) -> torch.Tensor:
        outputs = self.bank.outputs
        idx = torch.randint(outputs.shape[0], (n_samples, inputs.shape[0]), generator=generator)
        return outputs[idx.to(outputs.device)]
