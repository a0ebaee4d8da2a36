"""mc_dropout: Monte Carlo dropout (Gal & Ghahramani) on the base model.

Dropout with probability p on the base model's hidden units, a Gaussian likelihood with a
learned homoscedastic noise σ, trained on its negative log-likelihood under the problem's
recipe and selected by the validation NLL (dropout on, the same ``val_masks`` masks at every
epoch). At test time dropout stays on: each sample is one forward pass with a fresh dropout
mask, plus noise σ·ε. The samples of all draws are computed as one batch (inputs repeated),
not a loop over draws.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from uqbench.methods.base import Data, Method
from uqbench.methods.likelihood import NoiseScale, gaussian_nll
from uqbench.methods.training import rel_l2
from uqbench.seeding import torch_fork


@dataclass(frozen=True)
class MCDropoutHyper:
    p: float = 0.1
    val_masks: int = 4
    sample_chunk: int = 16

    def __post_init__(self) -> None:
        if not 0 < self.p < 1:
            raise ValueError(f"hyper.mc_dropout.p must be in (0, 1), got {self.p}")


class MCDropout(Method):
    name = "mc_dropout"
    Hyper = MCDropoutHyper

    def model_options(self) -> dict:
        return {"dropout": self.hyper.p}

    def _build_extra(self) -> None:
        self.noise = NoiseScale().to(self.device)

    def modules(self) -> dict[str, nn.Module]:
        return {"model": self.model, "noise": self.noise}

    def fit(self, train: Data, val: Data) -> list[dict[str, float]]:
        self.noise.set_std(float(train.outputs.std()))
        self.model.train()

        def nll(a: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
            return gaussian_nll(self.model(a), y, self.noise.log_var).mean()

        @torch.no_grad()
        def validate() -> tuple[float, float]:
            draws = self.dropout_draws(val.inputs, self.hyper.val_masks, seed=self.seed)
            loss = gaussian_nll(draws, val.outputs, self.noise.log_var).mean()
            return float(loss), rel_l2(draws.mean(0), val.outputs)

        params = [*self.model.parameters(), self.noise.log_var]
        return self.fit_base(nll, train, validate, self.name, params=params)

    @torch.no_grad()
    def dropout_draws(self, inputs: torch.Tensor, n: int, seed: int) -> torch.Tensor:
        """n forward passes with dropout on, (n, case, *output dims), in batches of
        ``sample_chunk`` passes; the masks depend on ``seed`` only (a forked global RNG:
        torch's dropout draws from it)."""
        self.model.train()  # dropout on at test time
        out = []
        with torch_fork(seed, self.name, "dropout", device=self.device):
            for k in range(0, n, self.hyper.sample_chunk):
                m = min(self.hyper.sample_chunk, n - k)
                rep = inputs.expand(m, *inputs.shape).reshape(-1, *inputs.shape[1:])
                out.append(self.model(rep).unflatten(0, (m, inputs.shape[0])))
        return torch.cat(out)

    @torch.no_grad()
    def sample(
        self, inputs: torch.Tensor, n_samples: int, generator: torch.Generator
    ) -> torch.Tensor:
        seed = int(torch.randint(2**62, (), generator=generator))
        pred = self.dropout_draws(inputs.to(self.device), n_samples, seed)
        eps = torch.randn(pred.shape, generator=generator).to(pred.device)
        return pred + self.noise.std * eps
