"""Shared base of the Gaussian-mixture methods (ensemble, decu): M members each predict a
mean and a log-variance per output point; samples come from the uniform mixture, and the
epistemic score is the members' disagreement as a pairwise-distance (Bhattacharyya)
estimate of the mutual information, per output point and averaged over points."""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Callable

import torch

from uqbench.methods.base import Data, Method
from uqbench.methods.training import Validation, rel_l2
from uqbench.metrics.epistemic import paide_mutual_information

LOG_VAR_MIN = -20.0  # floor of the variance head (keeps exp(-log_var) finite)


def mixture_sample(
    mean: torch.Tensor, log_var: torch.Tensor, n: int, generator: torch.Generator
) -> torch.Tensor:
    """Samples of a uniform mixture of diagonal Gaussians.

    Args:
        mean, log_var: (member, case, *output dims).
        n: number of samples per case.

    Returns:
        (n, case, *output dims); each sample picks one member per case.
    """
    m, cases = mean.shape[:2]
    pick = torch.randint(m, (n, cases), generator=generator).to(mean.device)
    idx = pick.view(n, cases, *([1] * (mean.dim() - 2))).expand(n, *mean.shape[1:])
    mu = torch.gather(mean, 0, idx)
    sd = torch.gather(torch.exp(0.5 * log_var), 0, idx)
    return mu + sd * torch.randn(mu.shape, generator=generator).to(mu.device)


class MixtureMethod(Method):
    @abstractmethod
    def forward_all(self, inputs: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Mean and log-variance of every member: each (member, case, *output dims)."""

    @torch.no_grad()
    def sample(
        self, inputs: torch.Tensor, n_samples: int, generator: torch.Generator
    ) -> torch.Tensor:
        mean, log_var = self.forward_all(inputs.to(self.device))
        return mixture_sample(mean, log_var, n_samples, generator)

    @torch.no_grad()
    def epistemic_score(self, inputs: torch.Tensor) -> torch.Tensor:
        mean, log_var = self.forward_all(inputs.to(self.device))
        return paide_mutual_information(mean, torch.exp(log_var)).flatten(1).mean(-1)

    def mixture_validation(
        self, loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor], val: Data
    ) -> Validation:
        """Validation of the members: ``loss_fn`` on the validation pairs and the rel. L2
        error of the mixture mean (the mean of the members' means)."""

        @torch.no_grad()
        def validate() -> tuple[float, float]:
            mean, _ = self.forward_all(val.inputs)
            return float(loss_fn(val.inputs, val.outputs)), rel_l2(mean.mean(0), val.outputs)

        return validate
