"""regrad, isograd, ecsg, decu: known answers for their core computations."""

import math

import pytest
import torch
from torch.func import functional_call, jacrev, vmap

from uqbench.methods import make_method, prepare
from uqbench.methods.base import Buffers, Data
from uqbench.methods.ecsg import Mixture, conditional_score
from uqbench.methods.gradients import hutchinson_layer_norms, layer_depths, point_grad_norms
from uqbench.methods.isograd import mle_variances
from uqbench.problems import build_model
from uqbench.seeding import torch_generator

A = torch.randn(6, 32, generator=torch.Generator().manual_seed(0))


def exact_point_norms(model, a):
    """‖∂f_j/∂θ‖² per case and point from the full Jacobian: (case, points)."""
    params = {k: v.detach() for k, v in model.named_parameters()}
    jac = vmap(jacrev(lambda p, x: functional_call(model, p, (x[None],))[0]),
               in_dims=(None, 0))(params, a)  # fmt: skip
    return sum(j.flatten(2).pow(2).sum(-1) for j in jac.values())


def posthoc(method, hyper):
    """A post-hoc method on an (untrained) deterministic elu model: (method, base model)."""
    torch.manual_seed(0)
    det = make_method("deterministic", "elu", device="cpu")
    det.build(Data(A, A))
    m = make_method(method, "elu", hyper, device="cpu")
    m.attach_pretrained(det.model)
    return m, det.model


def test_hutchinson_matches_the_exact_gradient_norms():
    torch.manual_seed(0)
    model = build_model("elu", A, A)
    exact = exact_point_norms(model, A)
    gen = torch.Generator().manual_seed(1)
    total = hutchinson_layer_norms(model, A, 3000, gen).sum(-1)
    torch.testing.assert_close(total, exact.sum(-1), rtol=0.08, atol=0)  # K = 3000 probes
    per_point = point_grad_norms(model, A, 3000, gen)
    assert float((per_point / exact - 1).abs().median()) < 0.05


def test_isograd_samples_have_the_linearised_variance():
    m, base = posthoc("isograd", {"sample_chunk": 500})
    m.stats = Buffers(s2=torch.tensor(1e-3), sigma2=torch.tensor(1e-4))
    s = m.sample(A[:2], 4000, torch.Generator().manual_seed(0))
    expected = 1e-3 * exact_point_norms(base, A[:2]) + 1e-4
    assert float((s.var(0) / expected - 1).abs().max()) < 0.15  # 4000 draws: ~2-7 % noise
    torch.testing.assert_close(s.mean(0), base(A[:2]).detach(), rtol=0, atol=0.05)


@pytest.mark.parametrize(("sigma2", "s2"), [(0.04, 0.09), (0.5, 0.0), (1e-6, 0.09)])
def test_isograd_recovers_both_variances_jointly(sigma2, s2):
    gen = torch.Generator().manual_seed(0)
    g = 4 * torch.rand(20000, generator=gen) ** 2  # gradient norms spread over [0, 4]
    r2 = (sigma2 + s2 * g) * torch.randn(20000, generator=gen, dtype=torch.float64) ** 2
    got_sigma2, got_s2 = mle_variances(r2, g)
    assert math.isclose(got_sigma2, sigma2, rel_tol=0.1)
    assert math.isclose(got_s2, s2, rel_tol=0.1, abs_tol=0.01 * sigma2)


def test_isograd_variance_matches_the_calibration_residuals():
    """On the calibration (validation) data the mean predicted variance σ² + s² mean(g)
    equals the mean squared residual within 5 % (no over-dispersion: fixing σ² at the mean
    squared residual and adding s² g on top gave 1.25x on elu)."""
    torch.manual_seed(0)
    det = make_method("deterministic", "elu", device="cpu",
                      recipe={"epochs": 30, "batch_size": 16, "lr": 3e-3})  # fmt: skip
    gen = torch.Generator().manual_seed(1)
    a = torch.randn(96, 32, generator=gen)
    y = torch.tanh(a) * (1 + 0.3 * torch.randn(96, 1, generator=gen))
    train, val = Data(a[:64], y[:64]), Data(a[64:], y[64:])
    prepare(det, train).fit(train, val)
    m = make_method("isograd", "elu", {"n_probes": 64}, device="cpu")
    m.attach_pretrained(det.model)
    m.fit(train, val)
    with torch.no_grad():
        r2 = (det.model(val.inputs) - val.outputs).pow(2)
    g = point_grad_norms(
        det.model, val.inputs, 64, torch_generator(m.seed, m.name, "gradient probes")
    )
    predicted = float(m.stats.sigma2 + m.stats.s2 * g.mean())
    assert float(m.stats.s2) > 0 and float(m.stats.sigma2) > 0
    assert abs(predicted / float(r2.mean()) - 1) < 0.05


def test_regrad_scores_ood_higher():
    m, _ = posthoc("regrad", {"n_probes": 64})
    m.fit(Data(A, A), Data(A, A))
    assert math.isclose(float(m.stats.weights.sum()), 1.0, rel_tol=1e-6)
    assert m.stats.perturbations.shape == (8, 32)
    score = m.epistemic_score(torch.cat([A, 10 * A]))
    assert score.shape == (12,) and (score[6:].mean() > score[:6].mean())


def mixture_log_density(z, t, y, comps, du, h):
    """log p_t(z, y) of the smoothed empirical mixture (up to a constant), by brute force."""
    alpha = 1 - (1 - h.eps0) * t
    beta2 = h.eps0 + (1 - h.eps0) * t
    var = torch.cat([torch.full((du,), h.var_u), torch.full((z.shape[-1] - du,), h.var_a)])
    sigma = alpha**2 * var + beta2
    c = alpha**2 * h.var_a + beta2
    s1, s2, s3 = beta2 / c, alpha * h.var_a / c, beta2 * h.var_a / c
    prior = torch.distributions.Normal(alpha * comps, sigma.sqrt()).log_prob(z[None]).sum(-1)
    mean_y = s2 * z[du:] + s1 * comps[:, du:]
    lik = torch.distributions.Normal(mean_y, math.sqrt(s3 + h.var_y)).log_prob(y[None]).sum(-1)
    return torch.logsumexp(prior + lik, 0)


@pytest.mark.parametrize("t", [0.05, 0.5, 0.95])
def test_exact_conditional_score_is_the_gradient_of_the_log_density(t):
    h = Mixture(var_u=0.02, var_a=0.1, var_y=0.05)
    gen = torch.Generator().manual_seed(0)
    du, da, n = 3, 2, 7
    comps = torch.randn(n, du + da, generator=gen, dtype=torch.float64)
    z = torch.randn(4, du + da, generator=gen, dtype=torch.float64)
    y = torch.randn(4, da, generator=gen, dtype=torch.float64)
    score = conditional_score(z, t, y, comps, du, h)
    for i in range(4):
        zi = z[i].clone().requires_grad_()
        (g,) = torch.autograd.grad(mixture_log_density(zi, t, y[i], comps, du, h), zi)
        torch.testing.assert_close(score[i], g, rtol=1e-6, atol=1e-8)


def test_ecsg_generates_the_conditional_spread_of_a_two_valued_operator():
    # u = ±a with equal probability: the generator must produce both branches
    gen = torch.Generator().manual_seed(0)
    a = torch.randn(800, 2, generator=gen)  # 2-D inputs: many neighbours within the kernel
    sign = torch.where(torch.rand(800, 1, generator=gen) < 0.5, -1.0, 1.0)
    u = torch.cat([a, a.sum(1, keepdim=True), a[:, :1] - a[:, 1:]], dim=1)
    m = make_method("ecsg", "elu", {"latent_u": 4, "latent_a": 2, "ode_steps": 200,
                                    "n_pairs": 3000, "epochs": 60}, device="cpu")  # fmt: skip
    # separate validation pairs choose the bandwidth (on the training pairs themselves the
    # narrowest kernel would win: each input is its own nearest neighbour)
    train = Data(a[:600], (sign * u)[:600])
    prepare(m, train).fit(train, Data(a[600:], (sign * u)[600:]))
    s = m.sample(a[:5], 400, torch.Generator().manual_seed(1))
    cos = torch.nn.functional.cosine_similarity(s, u[:5].expand_as(s), dim=-1)
    assert (cos > 0.5).float().mean() > 0.2 and (cos < -0.5).float().mean() > 0.2


@pytest.mark.parametrize("problem", ["elu", "poisson", "porous"])
def test_decu_head_is_small_and_members_differ(problem):
    # the default sizes of SPEC.md: the head fraction depends on the input size
    shapes = {"elu": ((40, 128), (40, 128)), "poisson": ((40, 32, 32), (40, 32, 32)),
              "porous": ((40, 64, 32), (40, 2))}  # fmt: skip
    a, y = torch.randn(*shapes[problem][0]), torch.randn(*shapes[problem][1])
    m = make_method("decu", problem, {"members": 3}, device="cpu")
    m.build(Data(a, y))
    # the output layers: below 5 % of the MOR-Physics and ConvNet weights; the poisson
    # DeepONet (input PCA, 31k weights with 2 channels) has its linear path and the MLP's
    # last layer as head, about a third of it (decu's docstring)
    assert 0 < m.head_fraction <= (0.35 if problem == "poisson" else 0.05)
    mean, _ = m.forward_all(a[:4])
    assert mean.shape[0] == 3 and not torch.allclose(mean[0], mean[1])
    assert m.epistemic_score(a[:4]).min() > 0


class TwoBranches(torch.nn.Module):
    """out = B(A(x)) + D(C(E(x))): registration order A, B, C, D, E (E is the first layer)."""

    def __init__(self) -> None:
        super().__init__()
        self.a, self.b = torch.nn.Linear(3, 4), torch.nn.Linear(4, 2)
        self.c, self.d, self.e = torch.nn.Linear(5, 5), torch.nn.Linear(5, 2), torch.nn.Linear(3, 5)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.b(torch.tanh(self.a(x))) + self.d(self.c(self.e(x)))


def test_layer_depth_is_the_position_on_the_path_not_the_registration_order():
    assert layer_depths(TwoBranches()) == [0, 1, 1, 2, 0]  # a, b, c, d, e
    # MOR-Physics: h (on the input) and g (on the wavenumbers) are parallel, both from 0
    a = torch.randn(4, 32)
    assert layer_depths(build_model("elu", a, a)) == [0, 1, 2, 0, 1, 2]
    p_in, p_out = torch.randn(40, 8, 8), torch.randn(40, 8, 8)
    assert layer_depths(build_model("poisson", p_in, p_out)) == [0, 1, 2, 0]  # linear path: 0
    img = torch.randn(4, 16, 8)
    assert layer_depths(build_model("porous", img, torch.rand(4, 2))) == [0, 1, 2, 3, 4, 5]


def test_regrad_weights_follow_the_depths():
    m, _ = posthoc("regrad", {"n_probes": 2, "n_perturbations": 2, "depth_base": 2.0})
    m.fit(Data(A, A), Data(A, A))
    w = m.stats.weights
    torch.testing.assert_close(w, torch.tensor([1.0, 2, 4, 1, 2, 4]) / 14)
