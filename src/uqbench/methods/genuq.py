"""genuq: generative hyper-network over a random subset of the base model's parameters.

θ = (θ_det, θ_S), θ_S = μ_S + g_φ(z), z ~ N(0, I_dz) (paper 000, METHODS.md). S is a random
mask of ⌈r·P⌉ flat-parameter indices fixed by the seed. g_φ is an ELU MLP
dz -> 128 -> 128 -> 128 -> |S| whose last layer starts small (×init_scale), and (μ_S, θ_det)
start from the deterministic pre-fit (the problem's recipe, selected by validation), so
training starts at the validated point prediction.
``subset_layers`` narrows where S is drawn from (parameter-name prefixes) and
``train_base: false`` keeps (θ_det, μ_S) at the pre-fit during the energy-score phase: both
are for ablations (variants), the defaults are the paper's method.
Loss: mean over the batch of the fair energy score of n_z predictions per input against the
one observed output (β = 1, RMS norm over points), with the n_z latent draws shared by every
input of the batch. The energy-score phase keeps the epoch with the best validation energy
score (the same n_z·val-size predictions, fixed latent draws). All n_z parameter draws are
evaluated together (``SubsetMethod.predict_perturbed``: shared products plus sparse per-draw
corrections, or one ``vmap(functional_call)``), never a Python loop over draws.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from uqbench.methods.base import Data
from uqbench.methods.subset import SubsetMethod
from uqbench.methods.training import PhaseHyper, rel_l2
from uqbench.metrics.scores import energy_score
from uqbench.models.layers import MLP
from uqbench.seeding import torch_fork, torch_generator


@dataclass(frozen=True)
class GenUQHyper(PhaseHyper):
    n_z: int = 16
    latent_dim: int = 16
    hidden: tuple[int, ...] = (128, 128, 128)
    init_scale: float = 1e-2
    sample_chunk: int = 64
    # where S lies: parameter-name prefixes it is drawn from (empty: all the weights), e.g.
    # ("branch.layers.2",) for the poisson branch's last layer (for ablations)
    subset_layers: tuple[str, ...] = ()
    # whether the energy-score phase trains the base weights (θ_det, μ_S) with φ, or only φ
    train_base: bool = True

    def __post_init__(self) -> None:
        if self.n_z < 2:
            raise ValueError("hyper.genuq.n_z must be >= 2 (the energy score needs 2 draws)")


class GenUQ(SubsetMethod):
    name = "genuq"
    Hyper = GenUQHyper

    def subset_pool(self) -> np.ndarray | None:
        layers = self.hyper.subset_layers
        return self.flat.indices(layers) if layers else None

    def _build_posterior(self) -> None:
        h = self.hyper
        with torch_fork(self.seed, self.name, "hyper-network"):
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

    def loss(self, a: torch.Tensor, y: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        """The GenUQ objective: the mean over the batch of the fair energy score of the
        predictions of the n_z latent draws z (n_z, dz), the same draws for every input of
        the batch a (batch, ...), against the observed outputs y (batch, ...)."""
        pred = self.predict_draws(a, z).flatten(2)  # (n_z, batch, points)
        return energy_score(pred, y.flatten(1)).mean()

    def fit(self, train: Data, val: Data) -> list[dict[str, float]]:
        h = self.hyper
        gen = torch_generator(self.seed, self.name, "latent", device=str(self.device))

        def es(a: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
            return self.loss(a, y, torch.randn(h.n_z, h.latent_dim, device=a.device, generator=gen))

        z_val = torch.randn(h.n_z, h.latent_dim, generator=torch_generator(self.seed, "val z"))
        z_val = z_val.to(self.device)

        @torch.no_grad()
        def validate() -> tuple[float, float]:
            mean = self.predict_draws(val.inputs, z_val).mean(0)
            return float(self.loss(val.inputs, val.outputs, z_val)), rel_l2(mean, val.outputs)

        history = self.fit_mse(train, val, f"{self.name}/pretrain")
        base = list(self.model.parameters()) if h.train_base else []
        params = [*base, *self.hypernet.parameters()]
        return self.fit_base(
            es,
            train,
            validate,
            self.name,
            params=params,
            optim=h.optim(self.recipe.weight_decay),
            history=history,
        )

    @torch.no_grad()
    def sample(
        self, inputs: torch.Tensor, n_samples: int, generator: torch.Generator
    ) -> torch.Tensor:
        z = torch.randn(n_samples, self.hyper.latent_dim, generator=generator).to(self.device)
        return self.sample_chunked(inputs, self.hypernet(z), self.hyper.sample_chunk)
