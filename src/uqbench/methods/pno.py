"""pno: a probabilistic neural operator trained on the energy score (Bülte et al. 2025).

The base model with dropout p on its hidden units, trained end to end on GenUQ's loss: the
fair energy score (β = 1, RMS norm over points, ``metrics.scores.energy_score``) of n_z
forward passes per input, each with its own dropout masks, against the one observed output.
Like GenUQ's n_z latent draws, a training step's n_z sets of masks are shared by the inputs
of its batch (``models.layers.shared_masks``): each input's energy score is still an
unbiased estimate over n_z random networks, and the step draws n_z masks per unit instead
of n_z per unit and input (on elu the masks were 46 % of a step).
Its predictive samples are forward passes with dropout on and nothing added (the dropout
masks carry all of the spread, aleatoric and epistemic, as in the paper). It is GenUQ with
the hyper-network swapped for dropout, and mc_dropout with the likelihood swapped for the
energy score, so the three rows answer whether the generator or the scoring rule makes GenUQ
good. Like GenUQ it starts from the deterministic pre-fit under the problem's recipe (here
with dropout on), and its energy-score phase keeps the epoch with the best validation energy
score over n_z fixed dropout masks per input.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from uqbench.methods.base import Data
from uqbench.methods.mc_dropout import MCDropout
from uqbench.methods.training import PhaseHyper, rel_l2
from uqbench.metrics.scores import energy_score
from uqbench.models.layers import shared_masks


@dataclass(frozen=True)
class PNOHyper(PhaseHyper):
    p: float = 0.1
    n_z: int = 16
    sample_chunk: int = 16

    def __post_init__(self) -> None:
        if not 0 < self.p < 1:
            raise ValueError(f"hyper.pno.p must be in (0, 1), got {self.p}")
        if self.n_z < 2:
            raise ValueError("hyper.pno.n_z must be >= 2 (the energy score needs 2 draws)")


class PNO(MCDropout):
    name = "pno"
    Hyper = PNOHyper

    def _build_extra(self) -> None:  # no likelihood noise: the dropout draws are the samples
        pass

    def modules(self) -> dict[str, nn.Module]:
        return {"model": self.model}

    def fit(self, train: Data, val: Data) -> list[dict[str, float]]:
        h = self.hyper
        self.model.train()
        history = self.fit_mse(train, val, f"{self.name}/pretrain")
        self.model.train()  # dropout on

        def es(a: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
            rep = a.expand(h.n_z, *a.shape).reshape(-1, *a.shape[1:])  # draw-major
            with shared_masks(self.model, h.n_z):  # one random network per draw
                pred = self.model(rep).unflatten(0, (h.n_z, a.shape[0]))  # (n_z, batch, ...)
            return energy_score(pred.flatten(2), y.flatten(1)).mean()

        @torch.no_grad()
        def validate() -> tuple[float, float]:
            draws = self.dropout_draws(val.inputs, h.n_z, seed=self.seed)  # the same masks
            score = energy_score(draws.flatten(2), val.outputs.flatten(1)).mean()
            return float(score), rel_l2(draws.mean(0), val.outputs)

        return self.fit_base(
            es, train, validate, self.name, optim=h.optim(self.recipe.weight_decay), history=history
        )

    @torch.no_grad()
    def sample(
        self, inputs: torch.Tensor, n_samples: int, generator: torch.Generator
    ) -> torch.Tensor:
        seed = int(torch.randint(2**62, (), generator=generator))
        return self.dropout_draws(inputs.to(self.device), n_samples, seed)
