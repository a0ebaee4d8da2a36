"""mc_dropout: Monte Carlo dropout (Gal & Ghahramani) on the base model.

Dropout with probability p on the base model's hidden units, a Gaussian likelihood with a
learned homoscedastic noise σ, trained on its negative log-likelihood. At test time dropout
stays on: each sample is one forward pass with a fresh dropout mask, plus noise σ·ε. The
samples of all draws are computed as one batch (inputs repeated), not a loop over draws.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from uqbench.methods.base import Data, Method
from uqbench.methods.likelihood import NoiseScale, gaussian_nll
from uqbench.methods.training import train_loop


@dataclass(frozen=True)
class MCDropoutHyper:
    epochs: int = 200
    batch_size: int = 64
    lr: float = 1e-3
    p: float = 0.1
    sample_chunk: int = 16

    def __post_init__(self) -> None:
        if not 0 < self.p < 1:
            raise ValueError(f"methods.mc_dropout.p must be in (0, 1), got {self.p}")


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
        h = self.hyper
        if self.model is None:
            self.build(train)
        self.noise.set_std(float(train.outputs.std()))
        self.model.train()

        def nll(a: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
            return gaussian_nll(self.model(a), y, self.noise.log_var).mean()

        return train_loop(
            nll, [*self.model.parameters(), self.noise.log_var], train.inputs, train.outputs,
            epochs=h.epochs, batch_size=h.batch_size, lr=h.lr, seed=self.seed, tag=self.name,
        )  # fmt: skip

    @torch.no_grad()
    def sample(
        self, inputs: torch.Tensor, n_samples: int, generator: torch.Generator
    ) -> torch.Tensor:
        # dropout masks come from the global RNG: seed it from the caller's generator
        seed = int(torch.randint(2**62, (), generator=generator))
        inputs = inputs.to(self.device)
        self.model.train()  # dropout on at test time
        out = []
        with torch.random.fork_rng(devices=[self.device] if self.device.type == "cuda" else []):
            torch.manual_seed(seed)
            for k in range(0, n_samples, self.hyper.sample_chunk):
                m = min(self.hyper.sample_chunk, n_samples - k)
                rep = inputs.expand(m, *inputs.shape).reshape(-1, *inputs.shape[1:])
                out.append(self.model(rep).unflatten(0, (m, inputs.shape[0])))
        pred = torch.cat(out)
        eps = torch.randn(pred.shape, generator=generator).to(pred.device)
        return pred + self.noise.std * eps
