"""Shared ELBO training of the variational (r) methods vi and flow (METHODS.md).

q(θ_S) is a variational posterior over the stochastic subset S; the other weights are point
estimates. Loss per mini-batch (the negative ELBO per training input):
    E_q[-log N(y; f_θ(a), σ² I)] + KL(q(θ_S) ‖ N(0, I)) / N,
with the expectation over ``n_mc`` reparameterised draws evaluated in one vmapped call and σ
a learned homoscedastic noise (started at the pre-fit's validation residual). The ELBO phase
starts from the deterministic pre-fit (the problem's recipe, selected by validation) and
keeps the epoch with the best validation negative ELBO (fixed posterior draws). Predictive
samples add the likelihood noise σ·ε to each parameter draw's prediction — that is what
makes these samples look noisy and uncorrelated; it is kept on purpose.
"""

from __future__ import annotations

import math
from abc import abstractmethod
from dataclasses import dataclass

import torch
from torch import nn

from uqbench.methods.base import Data
from uqbench.methods.likelihood import NoiseScale, gaussian_nll
from uqbench.methods.subset import SubsetMethod
from uqbench.methods.training import PhaseHyper, rel_l2
from uqbench.seeding import torch_fork, torch_generator


@dataclass(frozen=True)
class VariationalHyper(PhaseHyper):
    n_mc: int = 4
    init_std: float = 1e-3
    sample_chunk: int = 64


def standard_normal_log_prob(x: torch.Tensor) -> torch.Tensor:
    """log N(x; 0, I) summed over the last dim: (..., d) -> (...)."""
    return -0.5 * (x.pow(2).sum(-1) + x.shape[-1] * math.log(2 * math.pi))


class VariationalMethod(SubsetMethod):
    """ELBO training and noisy sampling; subclasses define q through ``draw`` and ``kl``."""

    posterior: nn.Module

    def _build_posterior(self) -> None:
        with torch_fork(self.seed, self.name, "posterior"):
            self.posterior = self._make_posterior(int(self.S.numel())).to(self.device)
        self.noise = NoiseScale().to(self.device)

    @abstractmethod
    def _make_posterior(self, dim: int) -> nn.Module:
        """The module holding q's parameters for a subset of ``dim`` parameters."""

    @abstractmethod
    def draw(self, n: int, generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
        """n reparameterised perturbations δ (n, |S|) of θ_S = μ_S + δ and log q(θ_S) (n,)."""

    @abstractmethod
    def kl(self, theta: torch.Tensor, log_q: torch.Tensor) -> torch.Tensor:
        """KL(q ‖ N(0, I)) (a scalar) given draws θ_S (n, |S|) and their log q (n,)."""

    def modules(self) -> dict[str, nn.Module]:
        return {"model": self.model, "posterior": self.posterior, "noise": self.noise}

    def neg_elbo(
        self, a: torch.Tensor, y: torch.Tensor, generator: torch.Generator, n_train: int
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """The negative ELBO per training input, E_q[−log N(y; f, σ²)] + KL(q ‖ p) / N, by
        ``n_mc`` posterior draws (shared by the batch a, y), and the draws' predictions
        (n_mc, batch, ...)."""
        delta, log_q = self.draw(self.hyper.n_mc, generator)
        pred = self.predict_perturbed(a, delta)
        nll = gaussian_nll(pred, y, self.noise.log_var).mean()
        return nll + self.kl(self.subset_values() + delta, log_q) / n_train, pred

    def fit(self, train: Data, val: Data) -> list[dict[str, float]]:
        h = self.hyper
        history = self.fit_mse(train, val, f"{self.name}/pretrain")
        with torch.no_grad():
            self.noise.set_std(float((self.model(val.inputs) - val.outputs).pow(2).mean()) ** 0.5)
        n_train = train.inputs.shape[0]
        gen = torch_generator(self.seed, self.name, "posterior", device=str(self.device))

        def neg_elbo(a: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
            return self.neg_elbo(a, y, gen, n_train)[0]

        @torch.no_grad()
        def validate() -> tuple[float, float]:  # the same posterior draws at every epoch
            g = torch_generator(self.seed, "val draws")
            loss, pred = self.neg_elbo(val.inputs, val.outputs, g, n_train)
            return float(loss), rel_l2(pred.mean(0), val.outputs)

        params = [*self.model.parameters(), *self.posterior.parameters(), self.noise.log_var]
        return self.fit_base(
            neg_elbo,
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
        delta, _ = self.draw(n_samples, generator)
        pred = self.sample_chunked(inputs, delta, self.hyper.sample_chunk)
        eps = torch.randn(pred.shape, generator=generator).to(pred.device)
        return pred + self.noise.std * eps
