"""The exact conditional score of a smoothed empirical Gaussian mixture (paper 003).

Training latents m_i = (r_i, a_i) (output block first, ``du`` wide) define the prior
Σ_i N(m_i, diag(var_u, var_a)); the observation is y = a + N(0, var_y). Along the
variance-preserving path Z_t = α_t Z_0 + β_t ε, α_t = 1 − (1 − ε0) t, β_t² = ε0 + (1 − ε0) t,
the conditional score ∇_z log p_t(z | y) is closed-form (``conditional_score``), and the
probability-flow ODE (``label_pairs``) transports noise to draws of the t = 0 law, which is
itself a mixture (``mixture_draws``). Pure tensor functions: ``uqbench.methods.ecsg`` fits the
bandwidths and the generator with them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch


@dataclass(frozen=True)
class Mixture:
    """Smoothing variances of the empirical Gaussian-mixture prior (standardised latents)."""

    var_u: float
    var_a: float
    var_y: float
    eps0: float = 1e-5


def median_nn_sq_distance(x: torch.Tensor) -> float:
    """Median over rows of x (N, d) of the squared distance to the nearest other row."""
    d2 = torch.cdist(x, x).pow(2)
    d2.fill_diagonal_(math.inf)
    return float(d2.min(1).values.median())


def mixture_draws(
    y: torch.Tensor, comps: torch.Tensor, du: int, mix: Mixture, n: int, gen: torch.Generator
) -> torch.Tensor:
    """n draws per condition of the exact t = 0 conditional law Σ_i w_i N(r_i, var_u),
    w_i ∝ N(y; a_i, var_a + var_y): y (case, da), comps (N, du + da) -> (n, case, du)."""
    log_w = -0.5 * torch.cdist(y, comps[:, du:]).pow(2) / (mix.var_a + mix.var_y)
    idx = torch.multinomial(torch.softmax(log_w, 1), n, replacement=True, generator=gen)
    noise = torch.randn(*idx.shape, du, generator=gen, dtype=comps.dtype).to(comps.device)
    return (comps[idx, :du] + math.sqrt(mix.var_u) * noise).transpose(0, 1)


def conditional_score(
    z: torch.Tensor,
    t: float,
    y: torch.Tensor,
    comps: torch.Tensor,
    du: int,
    h: Mixture,
    exclude: torch.Tensor | None = None,
) -> torch.Tensor:
    """Exact score ∇_z log p_t(z | y) of the smoothed empirical mixture.

    The component weights are a softmax over i of
    log N(z; α m_i, Σ_t) + log N(y; s2 z_a + s1 a_i, s3 + var_y), in which only the terms
    that depend on i matter: α ⟨z/Σ_t, m_i⟩ + (s1/v) ⟨y − s2 z_a, a_i⟩ − ½ α² Σ_d m_id²/Σ_td
    − ½ (s1²/v) ‖a_i‖², v = s3 + var_y. They are one matmul of the pairs' features against
    the components' keys with a per-component bias (``torch.addmm``): the ODE calls this
    ``steps`` times per pair, so it is the whole cost of ecsg's labelling.

    Args:
        z: (pair, du + da) current states; y: (pair, da) observed input latents.
        comps: (N, du + da) mixture means m_i = (u_i, a_i).
        exclude: (pair,) a component per pair left out of its mixture (leave-one-out:
            the component of the training pair whose input is the condition), or None.

    Returns:
        (pair, du + da).
    """
    alpha = 1 - (1 - h.eps0) * t
    beta2 = h.eps0 + (1 - h.eps0) * t
    var = torch.cat([torch.full((du,), h.var_u), torch.full((z.shape[1] - du,), h.var_a)])
    sigma = (alpha**2 * var + beta2).to(z)  # (d,) Σ_t
    c = alpha**2 * h.var_a + beta2
    s1, s2, s3 = beta2 / c, alpha * h.var_a / c, beta2 * h.var_a / c
    lik_var = s3 + h.var_y
    a_comp = comps[:, du:]
    q = y - s2 * z[:, du:]  # y − s2 z_a
    feats = torch.cat([(alpha / sigma) * z, (s1 / lik_var) * q], dim=1)  # (pair, d + da)
    keys = torch.cat([comps, a_comp], dim=1)  # (N, d + da)
    bias = -0.5 * (
        alpha**2 * (comps.pow(2) / sigma).sum(1) + s1**2 / lik_var * a_comp.pow(2).sum(1)
    )  # (N,)
    log_w = torch.addmm(bias, feats, keys.T)  # (pair, N)
    if exclude is not None:
        log_w[torch.arange(len(z), device=z.device), exclude] = -math.inf
    w = torch.softmax(log_w, dim=1)  # logsumexp-stable
    mean_m = w @ comps  # Σ_i w_i m_i (pair, d); its a-block is Σ_i w_i a_i
    score = -(z - alpha * mean_m) / sigma
    lik = s2 * (q - s1 * mean_m[:, du:]) / lik_var
    return torch.cat([score[:, :du], score[:, du:] + lik], dim=1)


def label_pairs(
    z1: torch.Tensor,
    y: torch.Tensor,
    comps: torch.Tensor,
    du: int,
    mix: Mixture,
    steps: int,
    chunk: int,
    exclude: torch.Tensor | None = None,
) -> torch.Tensor:
    """Integrate the probability-flow ODE dz = (b z − ½σ² S) dt from t = 1 to 0 (Euler,
    ``steps`` steps, ``chunk`` pairs at a time).

    z1: (pair, d) noise, y: (pair, da) conditions -> z_0's output block (pair, du).
    ``exclude`` (pair,): the component each pair's mixture leaves out (``conditional_score``).
    """
    out = []
    dt, e = 1.0 / steps, mix.eps0
    excl = [None] * len(z1.split(chunk)) if exclude is None else exclude.split(chunk)
    for zc, yc, xc in zip(z1.split(chunk), y.split(chunk), excl, strict=True):
        z = zc.clone()
        for k in range(steps):  # time steps are sequential by nature
            t = 1.0 - k * dt
            alpha = 1 - (1 - e) * t
            b = -(1 - e) / alpha
            sig2 = (1 - e) - 2 * b * (e + (1 - e) * t)
            drift = b * z - 0.5 * sig2 * conditional_score(z, t, yc, comps, du, mix, xc)
            z = z - dt * drift
        out.append(z[:, :du])
    return torch.cat(out)
