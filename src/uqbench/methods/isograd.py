"""isograd: isotropic gradient-norm UQ around the trained deterministic model (paper 002).

First-order Taylor expansion with an isotropic parameter covariance Cov[θ] = s² I:
Var_epi[u_j] = s² ‖∂f_j/∂θ‖², plus aleatoric noise σ² = the validation residual variance.
s² is fitted on validation data by a 1-D search of the Gaussian NLL, with the per-point
‖∂f_j/∂θ‖² estimated by forward-mode probes E_δ[(Jδ)_j²]. Samples come from the linearised
model, f_θ(a) + J (s δ) + σ ε with δ ~ N(0, I_P), by ``torch.func.jvp`` vectorised over
draws, so each sample's pointwise variance is exactly s²‖∂f_j/∂θ‖² + σ². The epistemic
score Σ_j ‖∂f_j/∂θ‖² uses the Hutchinson code shared with regrad. Paper 002 is about
classifiers; this regression form is ours (METHODS.md).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from uqbench.methods.base import Buffers, Data
from uqbench.methods.gradients import hutchinson_layer_norms, jvp_outputs, point_grad_norms
from uqbench.methods.posthoc import PostHocMethod

LOG10_S2_GRID = torch.linspace(-14.0, 2.0, 321, dtype=torch.float64)


@dataclass(frozen=True)
class IsogradHyper:
    n_probes: int = 32
    score_probes: int = 16
    sample_chunk: int = 32


def fit_s2(residual2: torch.Tensor, grad2: torch.Tensor, sigma2: float) -> float:
    """argmin over a log grid of s² of the Gaussian NLL of residuals r² under variance
    s² g + σ² (residual2, grad2: same shape, any)."""
    r2, g = residual2.double().flatten(), grad2.double().flatten()
    s2 = 10.0**LOG10_S2_GRID
    var = s2[:, None] * g[None] + sigma2
    nll = 0.5 * (r2[None] / var + torch.log(var)).mean(1)
    return float(s2[int(torch.argmin(nll))])


class Isograd(PostHocMethod):
    name = "isograd"
    Hyper = IsogradHyper

    def fit(self, train: Data, val: Data) -> list[dict[str, float]]:
        if self.model is None:
            raise RuntimeError("isograd linearises a trained model: call attach_pretrained first")
        gen = torch.Generator().manual_seed(self.seed)
        with torch.no_grad():
            residual2 = (self.model(val.inputs) - val.outputs).pow(2)
        sigma2 = float(residual2.mean())
        grad2 = point_grad_norms(self.model, val.inputs, self.hyper.n_probes, gen).detach()
        s2 = fit_s2(residual2, grad2, sigma2)
        self.stats = Buffers(s2=torch.tensor(s2), sigma2=torch.tensor(sigma2)).to(self.device)
        return []  # nothing is trained; s² and σ² are fitted in closed form / by search

    def sample(
        self, inputs: torch.Tensor, n_samples: int, generator: torch.Generator
    ) -> torch.Tensor:
        inputs = inputs.to(self.device)
        s, sigma = math.sqrt(float(self.stats.s2)), math.sqrt(float(self.stats.sigma2))
        params = dict(self.model.named_parameters())
        out = []
        for k0 in range(0, n_samples, self.hyper.sample_chunk):
            k = min(self.hyper.sample_chunk, n_samples - k0)
            tangents = {n: s * torch.randn(k, *p.shape, generator=generator).to(p)
                        for n, p in params.items()}  # fmt: skip
            f, jd = jvp_outputs(self.model, inputs, tangents)
            out.append((f + jd).detach())
        pred = torch.cat(out)
        return pred + sigma * torch.randn(pred.shape, generator=generator).to(pred)

    def epistemic_score(self, inputs: torch.Tensor) -> torch.Tensor:
        gen = torch.Generator().manual_seed(self.seed)
        return hutchinson_layer_norms(
            self.model, inputs.to(self.device), self.hyper.score_probes, gen
        ).sum(-1)
