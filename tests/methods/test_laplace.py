"""laplace: the closed form against laplace-torch, the marginal-likelihood λ, the sample moments.

A small float64 MLP (3 -> 16 -> out) stands in for a base model: laplace-torch's
``SubnetLaplace`` (full GGN) is the reference for the GGN, the posterior covariance, the GLM
predictive variance and the log marginal likelihood, with fixed σ and λ.
"""

import math

import pytest
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from uqbench.methods import make_method
from uqbench.methods.base import Buffers, Data, stochastic_indices
from uqbench.methods.laplace import (
    SubsetFunction,
    ggn_eigen,
    log_marginal_likelihood,
    prior_precision,
)
from uqbench.problems import build_model

laplace_torch = pytest.importorskip("laplace")
SIGMA, LAM = 0.3, 2.0
# (outputs, ratio, training cases): reverse-mode Jacobians with eigh of G and JVPs; forward
# mode (|S| < outputs); fewer Jacobian rows than |S| (the Gram form with the prior
# complement); a Jacobian narrower than the model (products with it instead of JVPs)
CASES = {
    "jacrev": (4, 0.38, 40),
    "jacfwd": (64, 0.02, 20),
    "gram": (4, 0.38, 5),
    "explicit": (2, 0.3, 40),
}


def mlp_setup(n_out: int, ratio: float, n: int, sigma2: float = SIGMA**2, lam: float = LAM):
    """A Laplace method on a random MLP, its posterior fitted in closed form at (σ², λ)."""
    gen = torch.Generator().manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 16), nn.Tanh(), nn.Linear(16, n_out)).double()
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(torch.randn(p.shape, generator=gen, dtype=p.dtype))
    x = torch.randn(n, 3, generator=gen, dtype=torch.float64)
    y = torch.randn(n, n_out, generator=gen, dtype=torch.float64)
    m = make_method(
        "laplace", "elu", {"tangent_chunk": 4096, "rounds": 2}, ratio=ratio, seed=0, device="cpu"
    )
    m.attach_pretrained(model)
    fn = SubsetFunction(model, m.S)
    g, v, sse = ggn_eigen(fn, Data(x, y), budget_mb=1e-4)  # one case per chunk
    m.stats = Buffers(
        eigvals=g,
        eigvecs=v,
        prior_precision=torch.tensor(lam, dtype=g.dtype),
        sigma2=torch.tensor(sigma2, dtype=g.dtype),
    )
    return m, fn, x, y, (g, v, sse)


def covariance(m) -> torch.Tensor:
    """Σ = V diag(1/(g/σ² + λ)) Vᵀ + (I − V Vᵀ)/λ (the complement term only for a thin V)."""
    g, v = m.stats.eigvals, m.stats.eigvecs
    lam = float(m.stats.prior_precision)
    sigma = v @ torch.diag(1 / (g / float(m.stats.sigma2) + lam)) @ v.T
    return sigma + (torch.eye(v.shape[0], dtype=v.dtype) - v @ v.T) / lam


@pytest.mark.parametrize("case", sorted(CASES))
def test_closed_form_equals_laplace_torch(case):
    n_out, ratio, n = CASES[case]
    m, fn, x, y, (g, v, sse) = mlp_setup(n_out, ratio, n)
    s = m.S.numel()
    assert (v.shape[1] < s) == (case == "gram") and (s < n_out) == (case == "jacfwd")
    assert (fn.explicit(x) is not None) == (case == "explicit")
    la = laplace_torch.Laplace(
        m.model,
        "regression",
        subset_of_weights="subnetwork",
        subnetwork_indices=m.S.cpu(),
        hessian_structure="full",
        sigma_noise=SIGMA,
        prior_precision=LAM,
    )
    la.fit(DataLoader(TensorDataset(x, y), batch_size=8))
    torch.testing.assert_close(v @ torch.diag(g) @ v.T, la.H, rtol=1e-9, atol=1e-9)
    torch.testing.assert_close(covariance(m), la.posterior_covariance, rtol=1e-10, atol=1e-12)
    x_new = x[:3] + 0.5
    _, f_var = la(x_new, pred_type="glm")
    epi = m.epistemic_variance(x_new)
    torch.testing.assert_close(epi, torch.diagonal(f_var, dim1=-2, dim2=-1), rtol=1e-10, atol=1e-14)
    torch.testing.assert_close(m.epistemic_score(x_new), epi.sum(-1))
    norm2 = float(fn.theta.pow(2).sum())
    mine = log_marginal_likelihood(g, s, norm2, sse, y.numel(), SIGMA**2, LAM)
    f64 = {"dtype": torch.float64}
    ref = float(la.log_marginal_likelihood(torch.tensor(LAM, **f64), torch.tensor(SIGMA, **f64)))
    assert mine == pytest.approx(ref, rel=1e-10)


@pytest.mark.parametrize("case", ["jacrev", "gram"])
def test_prior_precision_is_the_marginal_likelihood_argmax(case):
    m, fn, _, y, (g, _, sse) = mlp_setup(*CASES[case])
    norm2, s = float(fn.theta.pow(2).sum()), m.S.numel()
    for sigma2 in (0.01, 0.09, 1.0):
        lam = prior_precision(g, norm2, sigma2)
        grid = lam * torch.logspace(-1.5, 1.5, 301, base=10, dtype=torch.float64)
        lml = torch.tensor(
            [log_marginal_likelihood(g, s, norm2, sse, y.numel(), sigma2, float(p)) for p in grid],
            dtype=torch.float64,
        )
        assert int(torch.argmax(lml)) == 150  # the root sits at the grid's centre
        best = log_marginal_likelihood(g, s, norm2, sse, y.numel(), sigma2, lam)
        assert best >= float(lml.max()) - 1e-9


# eigh of G (|S| = 51 ≤ 52 rows); the Gram form; the explicit Jacobian (2·30 ≤ P = 98)
@pytest.mark.parametrize(("n_out", "ratio", "n"), [(4, 0.38, 13), (4, 0.38, 5), (2, 0.3, 15)])
def test_sample_moments_match_the_glm_predictive(n_out, ratio, n):
    """Empirical mean and variance of 20000 draws vs f(a) and σ² + diag(J Σ Jᵀ) (1 % std)."""
    m, *_ = mlp_setup(n_out, ratio, n, sigma2=0.01, lam=0.5)
    x = torch.randn(3, 3, generator=torch.Generator().manual_seed(5), dtype=torch.float64)
    s = m.sample(x, 20000, torch.Generator().manual_seed(1))
    assert s.shape == (20000, 3, n_out) and (m.stats.eigvecs.shape[1] < m.S.numel()) == (n == 5)
    epi = m.epistemic_variance(x)
    assert float(epi.min()) > 0.01  # the epistemic part is at least half: the test sees it
    var = epi + 0.01
    torch.testing.assert_close(s.var(0) / var, torch.ones_like(var), rtol=0, atol=0.05)
    with torch.no_grad():
        z = (s.mean(0) - m.model(x)) / (var / 20000).sqrt()
    assert float(z.abs().max()) < 4.5
    again = m.sample(x, 20000, torch.Generator().manual_seed(1))
    torch.testing.assert_close(again, s)  # the generator decides every draw


def test_fit_chooses_the_likelihood_optima():
    """After fit: λ maximises the marginal likelihood at the fitted σ², and σ² maximises the
    validation likelihood at that λ (up to the alternation's last step)."""
    m, fn, x, y, (g, *_) = mlp_setup(4, 0.38, 40)
    gen = torch.Generator().manual_seed(3)
    xv = torch.randn(30, 3, generator=gen, dtype=torch.float64)
    with torch.no_grad():
        yv = m.model(xv) + 0.2 * torch.randn(30, 4, generator=gen, dtype=torch.float64)
    m.fit(Data(x, y), Data(xv, yv))
    lam, sigma2 = float(m.stats.prior_precision), float(m.stats.sigma2)
    assert lam == pytest.approx(prior_precision(g, float(fn.theta.pow(2).sum()), sigma2))
    r2 = (m.model(xv) - yv).detach().pow(2)

    def nll(s2: float) -> float:
        w = 1 / (m.stats.eigvals / s2 + lam)
        epi = m._epistemic(xv, w[:, None], 1 / lam)[..., 0]
        return float((r2 / (s2 + epi) + (s2 + epi).log()).mean())

    assert nll(sigma2) <= min(nll(sigma2 * 0.95), nll(sigma2 * 1.05))
    assert 0.2**2 / 3 < sigma2 < 0.2**2 * 3


def test_the_subset_is_genuqs():
    train = Data(torch.randn(16, 64), torch.randn(16, 64))
    genuq = make_method("genuq", "elu", ratio=0.05, seed=3, device="cpu")
    genuq.build(train)
    m = make_method("laplace", "elu", {"rounds": 1}, ratio=0.05, seed=3, device="cpu")
    m.attach_pretrained(build_model("elu", train.inputs, train.outputs))
    total = sum(p.numel() for p in m.model.parameters())
    assert torch.equal(m.S, genuq.S) and m.n_stochastic == math.ceil(0.05 * total)
    assert torch.equal(m.S, stochastic_indices(total, 0.05, 3))
