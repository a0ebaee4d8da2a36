"""isograd: isotropic gradient-norm UQ around the trained deterministic model (paper 002).

First-order Taylor expansion with an isotropic parameter covariance Cov[θ] = s² I:
Var_epi[u_j] = s² ‖∂f_j/∂θ‖², plus aleatoric noise σ². (σ², s²) are fitted jointly on the
validation residuals by the Gaussian likelihood (``mle_variances``; paper 002's estimate,
nothing more: no rescale to the mean squared residual afterwards, which would be a
recalibration on val that no other method gets; recalibration is the +cp columns' job, the
same for every method), with the per-point
‖∂f_j/∂θ‖² estimated by forward-mode probes E_δ[(Jδ)_j²]. Samples come from the linearised
model, f_θ(a) + J (s δ) + σ ε with δ ~ N(0, I_P), by ``torch.func.jvp`` vectorised over
draws, so each sample's pointwise variance is exactly s²‖∂f_j/∂θ‖² + σ². The epistemic
score Σ_j ‖∂f_j/∂θ‖² uses the Hutchinson code shared with regrad. Paper 002 is about
classifiers; this regression form is ours (METHODS.md).
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass

import torch

from uqbench.methods.base import Buffers, Data
from uqbench.methods.gradients import hutchinson_layer_norms, jvp_outputs, point_grad_norms
from uqbench.methods.posthoc import PostHocMethod
from uqbench.seeding import torch_generator

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class IsogradHyper:
    n_probes: int = 32
    score_probes: int = 16
    sample_chunk: int = 32


def gaussian_nll(r2: torch.Tensor, g: torch.Tensor, sigma2: torch.Tensor, s2: torch.Tensor):
    """Mean Gaussian NLL (up to constants) of squared residuals r² (n,) under variance
    σ² + s² g, for parameter values of any common shape (...,): returns (...)."""
    var = sigma2[..., None] + s2[..., None] * g
    return 0.5 * (r2 / var + torch.log(var)).mean(-1)


def mle_variances(residual2: torch.Tensor, grad2: torch.Tensor) -> tuple[float, float]:
    """(σ², s²) maximising the Gaussian likelihood of residuals r_j with variance
    σ² + s²‖∂f_j/∂θ‖² (residual2 = r², grad2 = ‖∂f_j/∂θ‖², same shape, any).

    A 2-D log grid around the data's own scales (σ² from 1e-4 to 2 times the mean r²; s²
    such that s² mean(g) spans 1e-6 to 1e2 times it, plus s² = 0), then L-BFGS on the log
    parameters from the best grid point. Both are fitted jointly: fixing σ² at the whole
    mean r² and adding s² g on top would over-disperse (the residuals are then explained
    twice). At the optimum the standardised residuals have mean square 1 (the likelihood is
    stationary in a common scale of σ² and s²).
    """
    r2, g = residual2.double().flatten(), grad2.double().flatten()
    m_r2, m_g = float(r2.mean()), float(g.mean().clamp_min(1e-300))
    log_sig = math.log(m_r2) + torch.linspace(math.log(1e-4), math.log(2.0), 31, dtype=r2.dtype)
    log_s = math.log(m_r2 / m_g) + torch.linspace(math.log(1e-6), math.log(1e2), 41, dtype=r2.dtype)
    s2_grid = torch.cat([torch.zeros(1, dtype=r2.dtype), log_s.exp()])
    nll = torch.stack(
        [gaussian_nll(r2, g, ls.exp().expand_as(s2_grid), s2_grid) for ls in log_sig]
    )  # (σ², s²) grid, one row per σ² value
    i, j = divmod(int(torch.argmin(nll)), nll.shape[1])
    if j == 0:  # no epistemic variance fits best: σ²'s MLE is then the mean squared residual
        return m_r2, 0.0
    x = torch.tensor(
        [float(log_sig[i]), math.log(float(s2_grid[j]))], dtype=r2.dtype, requires_grad=True
    )
    opt = torch.optim.LBFGS([x], max_iter=100, line_search_fn="strong_wolfe")

    def closure() -> torch.Tensor:
        opt.zero_grad()
        loss = gaussian_nll(r2, g, x[0].exp(), x[1].exp())
        loss.backward()
        return loss

    opt.step(closure)
    x = x.detach()
    return float(x[0].exp()), float(x[1].exp())


class Isograd(PostHocMethod):
    name = "isograd"
    Hyper = IsogradHyper

    def fit(self, train: Data, val: Data) -> list[dict[str, float]]:
        gen = torch_generator(self.seed, self.name, "gradient probes")
        with torch.no_grad():
            residual2 = (self.model(val.inputs) - val.outputs).pow(2)
        grad2 = point_grad_norms(self.model, val.inputs, self.hyper.n_probes, gen).detach()
        sigma2, s2 = mle_variances(residual2, grad2)
        log.info(
            "isograd: sigma2 %.4g, s2 %.4g: mean variance %.4g vs mean squared residual "
            "%.4g on the validation data",
            sigma2,
            s2,
            sigma2 + s2 * float(grad2.mean()),
            float(residual2.mean()),
        )
        self.stats = Buffers(s2=torch.tensor(s2), sigma2=torch.tensor(sigma2)).to(self.device)
        return []  # nothing is trained; σ² and s² are fitted by maximum likelihood

    def sample(
        self, inputs: torch.Tensor, n_samples: int, generator: torch.Generator
    ) -> torch.Tensor:
        inputs = inputs.to(self.device)
        s, sigma = math.sqrt(float(self.stats.s2)), math.sqrt(float(self.stats.sigma2))
        params = dict(self.model.named_parameters())
        out = []
        for k0 in range(0, n_samples, self.hyper.sample_chunk):
            k = min(self.hyper.sample_chunk, n_samples - k0)
            tangents = {
                n: s * torch.randn(k, *p.shape, generator=generator).to(p)
                for n, p in params.items()
            }
            f, jd = jvp_outputs(self.model, inputs, tangents)
            out.append((f + jd).detach())
        pred = torch.cat(out)
        return pred + sigma * torch.randn(pred.shape, generator=generator).to(pred)

    def epistemic_score(self, inputs: torch.Tensor) -> torch.Tensor:
        gen = torch_generator(self.seed, self.name, "score probes")
        return hutchinson_layer_norms(
            self.model, inputs.to(self.device), self.hyper.score_probes, gen
        ).sum(-1)
