"""laplace: linearised Laplace (GLM predictive) over GenUQ's stochastic subset S.

Model. The trained deterministic base model (``attach_pretrained``) is linearised in the
subnetwork θ_S, S = ``stochastic_indices(P, ratio, seed)``: the very flat-parameter subset
genuq, vi and flow perturb at that ratio (same base model, same seed stream), so the main
table compares "learned generator over S" with "Gaussian posterior over S"; all other
weights stay at their trained values. It runs at the study's ``main_ratio`` only (catalogue
``ratio="main"``), not in the ratio sweep: its cost grows as |S|²–|S|³ (about 45 min per
poisson run at 0.256 on one CPU core, below) and its checkpoint holds an |S| × rank
eigenbasis (up to 0.87 GB at 0.256). With outputs flattened to n points and
J(a) = ∂f(a)/∂θ_S (n, |S|), a Gaussian likelihood N(y; f(a), σ² I) and prior N(0, λ⁻¹ I):

* GGN G = Σ_n J(a_n)ᵀ J(a_n) over the training set (|S|, |S|); posterior precision
  H = G/σ² + λ I, posterior N(θ̂_S, Σ), Σ = H⁻¹;
* GLM predictive y | a ~ N(f(a), J Σ Jᵀ + σ² I); epistemic variance diag(J Σ Jᵀ).

One eigendecomposition G = V diag(g) Vᵀ serves every (σ², λ): Σ = V diag(w) Vᵀ with
w = 1/(g/σ² + λ), log det H = Σ_i log(g_i/σ² + λ), δ = V (√w ξ) ~ N(0, Σ). When the training
set has fewer Jacobian rows R = N·n than |S| (porous at ratio 0.256: R = 8000, |S| = 27092)
G has rank ≤ R: its eigenpairs come from the R×R Gram J Jᵀ = U diag(g) Uᵀ (V = Jᵀ U g^-½)
and the complement of span V keeps the prior variance 1/λ (its share of diag(J Σ Jᵀ) is
(‖J_j‖² − ‖(J V)_j‖²)/λ, and draws add (ξ' − V Vᵀ ξ')/√λ).

Fitting (``fit``; nothing is trained):

* λ maximises the Laplace log marginal likelihood of the training data (laplace-torch's
  form) log_lik(θ̂) − ½ (log det H − |S| log λ + λ ‖θ̂_S‖²). Its λ-derivative vanishes where
  λ ‖θ̂_S‖² = Σ_i h_i/(h_i + λ), h = g/σ² (MacKay's effective number of parameters): one
  monotone equation, solved by bisection in log λ (``prior_precision``);
* σ² maximises the Gaussian likelihood of the validation residuals r_j under variance
  σ² + diag(J Σ Jᵀ)_j (Σ depends on σ² too): a log grid over [1e-4, 2] × mean r², refined
  by a parabola through the best three points;
* the two alternate for ``rounds`` rounds, from σ² = the mean squared validation residual.

Sampling: f(a) + J(a) δ + σ ε with δ ~ N(0, Σ) through the eigenbasis and ε ~ N(0, I), one
δ per sample for all cases; every draw comes from the caller's generator. Epistemic score:
Σ_j diag(J Σ Jᵀ)_j (case,). J δ and J V come from ``torch.func.jvp`` vectorised over the
directions, or, where the Jacobian is narrower than the model (n·|S| ≤ P: porous, the
known-truth toy), from products with the explicit per-case Jacobian.

Why a closed form, not laplace-torch (0.3). Its ``SubnetLaplace`` (full GGN; the default
curvlinops backend falls back to torch.func for subnetworks) takes ``jacrev`` of the *batched*
model with respect to *all* P parameters and only then keeps S: (batch, n, P) per batch, and
batch·n backward passes through the whole batch. Measured on random data of the full shapes
(fit only; one CPU thread, float32, peak RSS of the process, on a shared machine):

* elu (P = 2339, n = 128, N = 1000): batch 8: 80 s / 1.2 GB at ratio 0.016, 76 s / 1.2 GB
  at 0.256; batch 16: 146 s / 3.3 GB; batch 64: killed out of memory (> 20 GB). Here:
  3.8 s / 0.5 GB at 0.016, 17 s / 0.9 GB at 0.256.
* poisson (P = 25920, n = 1024; 64 of the N = 2000 cases): batch 8: 13.6 s / 2.3 GB at 0.016
  (7 min for N), 101 s / 2.6 GB at 0.256; batch 1: 11.1 s / 0.7 GB at 0.016. Here: 2.4 s /
  0.7 GB at 0.016 (18 s / 0.9 GB for all 2000 cases); 180 s / 1.7 GB at 0.256, where both are
  bound by the G products (10 s per 8 cases: ~45 min for N on one core, seconds on a GPU)
  and the one eigh of G (76 s; laplace-torch's Cholesky inverse: 11 s).

It also needs (batch, n) outputs (a flattening wrapper), keeps no eigenbasis for the λ/σ²
search to reuse, and its GLM predictive forms n×n covariances per case. So one closed-form
code path serves every problem and ratio; tests/methods/test_laplace.py checks its GGN,
covariance, GLM variance and log marginal likelihood against laplace-torch on a small model.

Cost: Jacobians in chunks of cases (≤ ``case_chunk``, ≤ ``jacobian_mb``): forward mode, one
JVP per basis tangent, when |S| ≤ n, else ``jacrev`` per case; G costs N n |S|² flops, the
eigendecomposition min(|S|, R)³; each validation round (``rounds`` + 1) and each predicted
split take rank directions per case, sampling one per draw. The checkpoint holds V (|S| ×
rank floats: 176 MB for poisson at 0.256, up to 0.87 GB for porous at 0.256).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterator
from dataclasses import dataclass

import torch
from torch import nn
from torch.func import functional_call, jacrev, jvp, vmap

from uqbench.methods.base import Buffers, Data, FlatParams, stochastic_indices
from uqbench.methods.posthoc import PostHocMethod

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class LaplaceHyper:
    rounds: int = 3
    case_chunk: int = 64
    jacobian_mb: int = 512
    tangent_chunk: int = 128


class SubsetFunction:
    """f(θ_S, a): the model's flattened outputs (case, n) as a function of θ_S (|S|,), the
    other parameters at their current values (read when constructed)."""

    def __init__(self, model: nn.Module, subset: torch.Tensor) -> None:
        self.model, self.subset, self.flat = model, subset, FlatParams(model)
        self.base = torch.cat([p.detach().reshape(-1) for p in model.parameters()])
        self.theta = self.base[subset]

    def __call__(self, theta: torch.Tensor, inputs: torch.Tensor) -> torch.Tensor:
        params = self.flat.unflatten(self.base.index_copy(0, self.subset, theta))
        return functional_call(self.model, params, (inputs,)).flatten(1)

    def jacobian(self, inputs: torch.Tensor) -> torch.Tensor:
        """J (case, n, |S|): forward mode (a JVP per basis tangent, vectorised) when |S| ≤ n,
        else reverse mode per case (``jacrev`` vectorised over cases)."""
        s = self.theta.numel()
        if s <= self(self.theta, inputs[:1]).shape[1]:
            basis = torch.eye(s, dtype=self.theta.dtype, device=self.theta.device)
            return self.jvp(inputs, basis).permute(1, 2, 0)
        per_case = jacrev(lambda t, a: self(t, a[None])[0])
        return vmap(per_case, in_dims=(None, 0))(self.theta, inputs)

    def jvp(self, inputs: torch.Tensor, tangents: torch.Tensor) -> torch.Tensor:
        """J·t for tangents (k, |S|): (k, case, n)."""
        f = lambda t: self(t, inputs)  # noqa: E731
        return vmap(lambda t: jvp(f, (self.theta,), (t,))[1])(tangents)

    def explicit(self, inputs: torch.Tensor) -> torch.Tensor | None:
        """The Jacobian (case, n, |S|) where it is narrower than the model (n·|S| ≤ P: a
        product with it costs less than a JVP, e.g. porous's 2 outputs), else None."""
        n_out = self(self.theta, inputs[:1]).shape[1]
        narrow = n_out * self.theta.numel() <= self.base.numel()
        return self.jacobian(inputs).detach() if narrow else None

    def apply(
        self, inputs: torch.Tensor, jac: torch.Tensor | None, tangents: torch.Tensor
    ) -> torch.Tensor:
        """J·t for tangents (k, |S|): (k, case, n), from ``explicit``'s Jacobian or by JVPs."""
        if jac is not None:
            return torch.einsum("cns,ks->kcn", jac, tangents)
        return self.jvp(inputs, tangents).detach()


def case_chunks(n_cases: int, row_bytes: int, budget_mb: float, most: int) -> Iterator[slice]:
    """Slices of at most ``most`` cases whose Jacobians (row_bytes each) fit ``budget_mb``
    (at least one case)."""
    step = max(1, min(most, int(budget_mb * 2**20 // max(row_bytes, 1))))
    return (slice(i, min(i + step, n_cases)) for i in range(0, n_cases, step))


def ggn_eigen(
    fn: SubsetFunction, data: Data, budget_mb: float, most: int = 64
) -> tuple[torch.Tensor, torch.Tensor, float]:
    """Eigenpairs of the GGN G = Σ_n J_nᵀ J_n over ``data`` and the sum of squared residuals,
    with Jacobians in chunks of ≤ ``most`` cases that fit ``budget_mb``.

    Returns g (k,) ≥ 0 (float64), V (|S|, k) orthonormal (float64) and the SSE: k = |S|
    (eigh of G, accumulated per chunk) when the data have at least |S| Jacobian rows, else
    the numerically non-zero eigenpairs of the Gram J Jᵀ (V = Jᵀ U g^-½).
    """
    s, (n_cases, n_out) = fn.theta.numel(), data.outputs.flatten(1).shape
    primal = n_cases * n_out >= s
    # per case: its Jacobian, and in reverse mode a full gradient (P) per output on the way
    row_bytes = n_out * (s + (fn.base.numel() if s > n_out else 0)) * fn.theta.element_size()
    gram = torch.zeros(s, s, dtype=torch.float64, device=fn.theta.device) if primal else None
    rows, sse = [], 0.0
    for sl in case_chunks(n_cases, row_bytes, budget_mb, most):
        jac = fn.jacobian(data.inputs[sl]).detach().flatten(0, 1)  # (chunk·n, |S|)
        with torch.no_grad():
            r = fn(fn.theta, data.inputs[sl]) - data.outputs[sl].flatten(1)
        sse += float(r.double().pow(2).sum())
        if primal:
            gram += (jac.T @ jac).double()
        else:  # keep the rows: the Gram J Jᵀ is the smaller matrix
            rows.append(jac.double())
    if primal:
        g, v = torch.linalg.eigh(gram)
        return g.clamp_min(0), v, sse
    jac = torch.cat(rows)
    g, u = torch.linalg.eigh(jac @ jac.T)
    keep = g > g.max() * jac.shape[0] * torch.finfo(g.dtype).eps
    g, u = g[keep], u[:, keep]
    return g, jac.T @ u / g.sqrt(), sse


def prior_precision(g: torch.Tensor, norm2: float, sigma2: float) -> float:
    """λ maximising the Laplace log marginal likelihood for GGN eigenvalues g (k,) (zero
    eigenvalues do not matter), ‖θ̂_S‖² = norm2 and noise σ²: the root of
    λ norm2 = Σ h/(h + λ), h = g/σ², by bisection in log λ (the left side rises, the right
    falls: one root, where the derivative changes sign from + to −)."""
    h = g.double().cpu() / sigma2
    hi = max(float((h > 0).sum()), 1.0) / norm2  # λ norm2 ≥ k there
    lo, hi = math.log(hi) - 80.0, math.log(hi)
    for _ in range(100):
        mid = 0.5 * (lo + hi)
        lam = math.exp(mid)
        lo, hi = (mid, hi) if lam * norm2 < float((h / (h + lam)).sum()) else (lo, mid)
    return math.exp(0.5 * (lo + hi))


def log_marginal_likelihood(
    g: torch.Tensor,
    n_params: int,
    norm2: float,
    sse: float,
    n_rows: int,
    sigma2: float,
    lam: float,
) -> float:
    """Laplace log marginal likelihood (laplace-torch's): log_lik − ½ (log det H − |S| log λ
    + λ ‖θ̂_S‖²), H = G/σ² + λ I with eigenvalues g (k,) of G (n_params − k zeros), SSE over
    n_rows = N·n training values."""
    log_lik = -0.5 * sse / sigma2 - 0.5 * n_rows * math.log(2 * math.pi * sigma2)
    log_lam = math.log(lam)
    log_det = float(torch.log(g.double() / sigma2 + lam).sum()) + (n_params - len(g)) * log_lam
    return log_lik - 0.5 * (log_det - n_params * log_lam + lam * norm2)


class Laplace(PostHocMethod):
    name = "laplace"
    Hyper = LaplaceHyper

    def _build_extra(self) -> None:
        total = sum(p.numel() for p in self.model.parameters())
        self.S = stochastic_indices(total, self.ratio, self.seed).to(self.device)

    @property
    def n_stochastic(self) -> int:
        return int(self.S.numel())

    def fit(self, train: Data, val: Data) -> list[dict[str, float]]:
        fn = SubsetFunction(self.model, self.S)
        train = Data(train.inputs.to(self.device), train.outputs.to(self.device))
        g, v, sse = ggn_eigen(fn, train, self.hyper.jacobian_mb, self.hyper.case_chunk)
        s, norm2 = self.S.numel(), float(fn.theta.double().pow(2).sum())
        with torch.no_grad():
            r2 = (self.model(val.inputs.to(self.device)) - val.outputs.to(self.device)).pow(2)
        r2 = r2.double().flatten(1)
        sigma2 = float(r2.mean())
        scalar = torch.zeros((), dtype=torch.float64, device=g.device)
        self.stats = Buffers(
            eigvals=g, eigvecs=v.to(fn.theta.dtype), prior_precision=scalar, sigma2=scalar + sigma2
        )
        for _ in range(self.hyper.rounds):
            lam = prior_precision(g, norm2, sigma2)
            sigma2 = self._fit_sigma2(val.inputs, r2, lam)
        lam = prior_precision(g, norm2, sigma2)
        self.stats.prior_precision.fill_(lam)
        self.stats.sigma2.fill_(sigma2)
        epi = self.epistemic_variance(val.inputs).double().flatten(1)
        lml = log_marginal_likelihood(g, s, norm2, sse, train.outputs.numel(), sigma2, lam)
        log.info(
            "laplace: |S| %d, %d GGN eigenpairs, prior precision %.4g, sigma2 %.4g, log "
            "marginal likelihood %.6g; validation: mean variance %.4g (epistemic %.4g) vs "
            "mean squared residual %.4g",
            s,
            len(g),
            lam,
            sigma2,
            lml,
            sigma2 + float(epi.mean()),
            float(epi.mean()),
            float(r2.mean()),
        )
        return []  # nothing is trained: λ and σ² are fitted in closed form

    def _fit_sigma2(self, inputs: torch.Tensor, r2: torch.Tensor, lam: float) -> float:
        """σ² maximising the Gaussian likelihood of squared validation residuals r2 (case, n)
        under variance σ² + diag(J Σ(σ², λ) Jᵀ): log grid, then a parabola in log σ²."""
        g = self.stats.eigvals.double()
        x = math.log(float(r2.mean())) + torch.linspace(
            math.log(1e-4), math.log(2.0), 48, dtype=g.dtype, device=g.device
        )
        weights = 1.0 / (g[:, None] / x.exp()[None] + lam)  # (k, M)
        var = x.exp() + self._epistemic(inputs, weights, 1.0 / lam).double()  # (case, n, M)
        nll = (r2.to(var.device)[..., None] / var + var.log()).mean((0, 1)).cpu()  # (M,)
        i = int(torch.argmin(nll))
        if 0 < i < len(x) - 1:
            y0, y1, y2 = float(nll[i - 1]), float(nll[i]), float(nll[i + 1])
            step, curv = float(x[1] - x[0]), y0 - 2 * y1 + y2
            shift = 0.5 * step * (y0 - y2) / curv if curv > 0 else 0.0
            return math.exp(float(x[i]) + max(-step, min(step, shift)))
        log.warning(
            "laplace: the validation likelihood of sigma2 peaks at the end of its grid "
            "(%.3g, mean squared residual %.3g)",
            math.exp(float(x[i])),
            float(r2.mean()),
        )
        return math.exp(float(x[i]))

    def _chunks(self, inputs: torch.Tensor) -> Iterator[torch.Tensor]:
        """Chunks of ``hyper.case_chunk`` cases of inputs, on the device."""
        return iter(inputs.to(self.device).split(self.hyper.case_chunk))

    def _epistemic(self, inputs: torch.Tensor, weights: torch.Tensor, rest: float) -> torch.Tensor:
        """Σ_k (J v_k)_j² weights_km (+ the complement's (‖J_j‖² − ‖(J V)_j‖²)·rest) for inputs
        (case, *input grid) and weights (k, M): (case, n, M), J V along V's column chunks."""
        fn, v = SubsetFunction(self.model, self.S), self.stats.eigvecs
        step, weights, out = self.hyper.tangent_chunk, weights.to(v), []
        for a in self._chunks(inputs):
            jac, var, proj = fn.explicit(a), 0.0, 0.0
            for k0 in range(0, v.shape[1], step):
                jv2 = fn.apply(a, jac, v[:, k0 : k0 + step].T).pow(2)  # (k, case, n)
                var = var + torch.einsum("kcn,km->cnm", jv2, weights[k0 : k0 + step])
                proj = proj + jv2.sum(0)
            if v.shape[1] < v.shape[0]:  # the complement of span V keeps the prior variance
                jac2 = (fn.jacobian(a).detach() if jac is None else jac).pow(2).sum(-1)
                var = var + ((jac2 - proj).clamp_min(0) * rest)[..., None]
            out.append(var)
        return torch.cat(out)

    def epistemic_variance(self, inputs: torch.Tensor) -> torch.Tensor:
        """diag(J Σ Jᵀ) per output point: inputs (case, *input grid) -> (case, *output dims)."""
        g, lam = self.stats.eigvals.double(), float(self.stats.prior_precision)
        w = 1.0 / (g / float(self.stats.sigma2) + lam)
        var = self._epistemic(inputs, w[:, None], 1.0 / lam)[..., 0]
        with torch.no_grad():
            shape = self.model(inputs[:1].to(self.device)).shape[1:]
        return var.reshape(-1, *shape)

    def sample(
        self, inputs: torch.Tensor, n_samples: int, generator: torch.Generator
    ) -> torch.Tensor:
        fn, v = SubsetFunction(self.model, self.S), self.stats.eigvecs
        step = self.hyper.tangent_chunk
        lam, sigma2 = float(self.stats.prior_precision), float(self.stats.sigma2)
        scale = (1.0 / (self.stats.eigvals.double() / sigma2 + lam)).sqrt().to(v)
        deltas = []  # one parameter draw δ ~ N(0, Σ) per sample, shared by all cases
        for k0 in range(0, n_samples, step):
            k = min(step, n_samples - k0)
            xi = torch.randn(k, v.shape[1], generator=generator, dtype=v.dtype).to(v)
            delta = (xi * scale) @ v.T
            if v.shape[1] < v.shape[0]:  # the complement of span V: prior variance 1/λ
                xi = torch.randn(k, v.shape[0], generator=generator, dtype=v.dtype).to(v)
                delta = delta + (xi - (xi @ v) @ v.T) / math.sqrt(lam)
            deltas.append(delta)
        pred = []
        for a in self._chunks(inputs):
            with torch.no_grad():
                f = self.model(a)
            jac = fn.explicit(a)
            jd = torch.cat([fn.apply(a, jac, d) for d in deltas])  # (sample, case, n)
            pred.append(f + jd.reshape(n_samples, *f.shape))
        pred = torch.cat(pred, dim=1)
        noise = torch.randn(pred.shape, generator=generator, dtype=pred.dtype).to(pred)
        return pred + math.sqrt(sigma2) * noise

    def epistemic_score(self, inputs: torch.Tensor) -> torch.Tensor:
        return self.epistemic_variance(inputs).flatten(1).sum(-1)
