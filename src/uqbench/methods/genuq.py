"""genuq: generative hyper-network over a random subset of the base model's parameters.

θ = (θ_det, θ_S), θ_S = μ_S + g_φ(z), z ~ N(0, I_dz) (paper 000, METHODS.md). S is a random
mask of ⌈r·P⌉ flat-parameter indices fixed by the seed. g_φ is an ELU MLP
dz -> 128 -> 128 -> 128 -> |S| whose last layer starts small (×init_scale), and (μ_S, θ_det)
start from a short deterministic pre-fit, so training starts at the point prediction.
Loss: mean over the batch of the fair energy score of n_z predictions per input against the
one observed output (β = 1, RMS norm over points). All n_z parameter draws are evaluated
together (``SubsetMethod.predict_perturbed``: shared products plus sparse per-draw
corrections, or one ``vmap(functional_call)``), never a Python loop over draws.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from uqbench.methods.base import Data
from uqbench.methods.subset import SubsetMethod
from uqbench.methods.training import train_loop
from uqbench.metrics.scores import energy_score
from uqbench.models.layers import MLP


@dataclass(frozen=True)
class GenUQHyper:
    epochs: int = 300
    pretrain_epochs: int = 50
    batch_size: int = 64
    lr: float = 1e-3
    n_z: int = 16
    latent_dim: int = 16
    hidden: tuple[int, ...] = (128, 128, 128)
    init_scale: float = 1e-2
    sample_chunk: int = 64

    def __post_init__(self) -> None:
        if self.n_z < 2:
            raise ValueError("methods.genuq.n_z must be >= 2 (the energy score needs 2 draws)")


class GenUQ(SubsetMethod):
    name = "genuq"
    Hyper = GenUQHyper

    def _build_posterior(self) -> None:
        h = self.hyper
        torch.manual_seed(self.seed + 1)
        self.hypernet = MLP([h.latent_dim, *h.hidden, self.S.numel()]).to(self.device)
        last = self.hypernet.layers[-1]
        with torch.no_grad():
            last.weight.mul_(h.init_scale)
            last.bias.mul_(h.init_scale)

    def modules(self) -> dict[str, nn.Module]:
        return {"model": self.model, "hypernet": self.hypernet}

    def predict_draws(self, inputs: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        """Predictions (draw, case, ...) for latent draws z (draw, dz) and inputs (case, ...)."""
        return self.predict_perturbed(inputs, self.hypernet(z))  # θ_S = μ_S + g(z)

    def fit(self, train: Data, val: Data) -> list[dict[str, float]]:
        h = self.hyper
        if self.model is None:
            self.build(train)
        gen = torch.Generator(device=self.device).manual_seed(self.seed)

        def es(a: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
            z = torch.randn(h.n_z, h.latent_dim, device=a.device, generator=gen)
            pred = self.predict_draws(a, z).flatten(2)  # (n_z, batch, points)
            return energy_score(pred, y.flatten(1)).mean()

        history = self.pretrain(train, h.pretrain_epochs, h.batch_size, h.lr)
        params = [*self.model.parameters(), *self.hypernet.parameters()]
        return train_loop(
            es, params, train.inputs, train.outputs, epochs=h.epochs, batch_size=h.batch_size,
            lr=h.lr, seed=self.seed + 1, tag="genuq", history=history,
        )  # fmt: skip

    @torch.no_grad()
    def sample(
        self, inputs: torch.Tensor, n_samples: int, generator: torch.Generator
    ) -> torch.Tensor:
        z = torch.randn(n_samples, self.hyper.latent_dim, generator=generator).to(self.device)
        return self.sample_chunked(inputs, self.hypernet(z), self.hyper.sample_chunk)
