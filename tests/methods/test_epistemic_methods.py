"""regrad, isograd, ecsg, decu: known answers for their core computations."""

import math

import pytest
import torch
from torch.func import functional_call, jacrev, vmap

from uqbench.methods import make_method, prepare
from uqbench.methods.base import Buffers, Data
from uqbench.methods.gradients import hutchinson_layer_norms, layer_depths, point_grad_norms
from uqbench.methods.isograd import mle_variances
from uqbench.methods.score_mixture import Mixture, conditional_score, label_pairs
from uqbench.metrics.epistemic import ood_auroc
from uqbench.problems import build_model, make_problem
from uqbench.seeding import stream, torch_generator

A = torch.randn(6, 32, generator=torch.Generator().manual_seed(0))


def exact_point_norms(model, a):
    """‖∂f_j/∂θ‖² per case and point from the full Jacobian: (case, points)."""
    params = {k: v.detach() for k, v in model.named_parameters()}
    jac = vmap(jacrev(lambda p, x: functional_call(model, p, (x[None],))[0]), in_dims=(None, 0))(
        params, a
    )
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


def test_isograd_is_the_joint_mle_and_calibrated_on_fresh_data():
    """isograd keeps (σ², s²) of the joint Gaussian MLE on val, nothing more (no rescale);
    on fresh data from the same law its standardised squared residuals r²/(σ² + s² g) have
    mean 1 within their noise: calibrated where it was not fitted."""
    torch.manual_seed(0)
    det = make_method(
        "deterministic", "elu", device="cpu", recipe={"epochs": 30, "batch_size": 16, "lr": 3e-3}
    )
    gen = torch.Generator().manual_seed(1)
    a = torch.randn(1400, 32, generator=gen)
    y = torch.tanh(a) * (1 + 0.3 * torch.randn(1400, 1, generator=gen))
    train, val, fresh = Data(a[:64], y[:64]), Data(a[64:400], y[64:400]), Data(a[400:], y[400:])
    prepare(det, train).fit(train, val)
    m = make_method("isograd", "elu", {"n_probes": 64}, device="cpu")
    m.attach_pretrained(det.model)
    m.fit(train, val)

    def parts(d):
        with torch.no_grad():
            r2 = (det.model(d.inputs) - d.outputs).pow(2)
        probes = torch_generator(m.seed, m.name, "gradient probes")
        return r2, point_grad_norms(det.model, d.inputs, 64, probes)

    r2, g = parts(val)
    assert (float(m.stats.sigma2), float(m.stats.s2)) == pytest.approx(
        mle_variances(r2, g), rel=1e-5
    )
    r2, g = parts(fresh)
    per_case = (r2 / (m.stats.sigma2 + m.stats.s2 * g)).mean(1)  # the points of a case: dependent
    assert abs(float(per_case.mean()) - 1) < 4 * float(per_case.std()) / len(per_case) ** 0.5


def test_regrad_scores_a_real_shift_of_a_trained_model():
    """A deterministic model trained on elu's law: regrad's score separates the rougher
    inputs of a shift rung from test inputs (AUROC > 0.8)."""
    p = make_problem("elu", {"grid": 32, "modes": 4, "shift_modes": [6, 8, 12]})
    pairs = {}
    for split, n, rung in (("train", 256, None), ("test", 64, None), ("ood", 64, 2)):
        inputs = p.sample_inputs(n, stream(0, "regrad test", split), rung)
        outputs = p.sample_outputs(inputs, 1, stream(0, "regrad test", split, "operator"))
        pairs[split] = Data(
            torch.from_numpy(inputs).float(), torch.from_numpy(outputs[:, 0]).float()
        )
    torch.manual_seed(0)
    det = make_method(
        "deterministic", "elu", device="cpu", recipe={"epochs": 60, "batch_size": 32, "lr": 3e-3}
    )
    prepare(det, pairs["train"]).fit(pairs["train"], pairs["test"])
    m = make_method("regrad", "elu", {"n_probes": 32}, device="cpu")
    m.attach_pretrained(det.model)
    m.fit(pairs["train"], pairs["test"])
    scores = [m.epistemic_score(pairs[s].inputs).numpy() for s in ("test", "ood")]
    assert ood_auroc(*scores) > 0.8


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
    """Also with a component left out per pair: the gradient of the mixture without it."""
    h = Mixture(var_u=0.02, var_a=0.1, var_y=0.05)
    gen = torch.Generator().manual_seed(0)
    du, da, n = 3, 2, 7
    comps = torch.randn(n, du + da, generator=gen, dtype=torch.float64)
    z = torch.randn(4, du + da, generator=gen, dtype=torch.float64)
    y = torch.randn(4, da, generator=gen, dtype=torch.float64)
    exclude = torch.tensor([0, 3, 6, 3])
    score = conditional_score(z, t, y, comps, du, h)
    loo = conditional_score(z, t, y, comps, du, h, exclude=exclude)
    for i in range(4):
        kept = comps[torch.arange(n) != exclude[i]]
        for s, c in ((score, comps), (loo, kept)):
            zi = z[i].clone().requires_grad_()
            (g,) = torch.autograd.grad(mixture_log_density(zi, t, y[i], c, du, h), zi)
            torch.testing.assert_close(s[i], g, rtol=1e-6, atol=1e-8)


def test_ecsg_generates_the_conditional_spread_of_a_two_valued_operator():
    # u = ±a with equal probability: the generator must produce both branches
    gen = torch.Generator().manual_seed(0)
    a = torch.randn(800, 2, generator=gen)  # 2-D inputs: many neighbours within the kernel
    sign = torch.where(torch.rand(800, 1, generator=gen) < 0.5, -1.0, 1.0)
    u = torch.cat([a, a.sum(1, keepdim=True), a[:, :1] - a[:, 1:]], dim=1)
    m = make_method(
        "ecsg",
        "elu",
        {"latent_u": 4, "latent_a": 2, "ode_steps": 200, "n_pairs": 3000, "epochs": 60},
        device="cpu",
    )
    # separate validation pairs choose the bandwidth (on the training pairs themselves the
    # narrowest kernel would win: each input is its own nearest neighbour)
    train = Data(a[:600], (sign * u)[:600])
    prepare(m, train).fit(train, Data(a[600:], (sign * u)[600:]))
    s = m.sample(a[:5], 400, torch.Generator().manual_seed(1))
    cos = torch.nn.functional.cosine_similarity(s, u[:5].expand_as(s), dim=-1)
    assert (cos > 0.5).float().mean() > 0.2 and (cos < -0.5).float().mean() > 0.2


@pytest.mark.parametrize("problem", ["elu", "poisson", "porous"])
def test_decu_head_is_small_and_its_score_measures_disagreement(problem):
    """Heads below 5 % of the weights (a third of the small poisson DeepONet: its linear
    path and last layer); the score is 0 when the members agree and grows as one member's
    mean moves away from the others', up to ln M."""
    shapes = {
        "elu": ((40, 128), (40, 128)),
        "poisson": ((40, 32, 32), (40, 32, 32)),
        "porous": ((40, 64, 32), (40, 2)),
    }
    a, y = torch.randn(*shapes[problem][0]), torch.randn(*shapes[problem][1])
    m = make_method("decu", problem, {"members": 3}, device="cpu")
    m.build(Data(a, y))
    params = dict(m.model.named_parameters())
    share = sum(params[n].numel() for n in m.head_names) / sum(p.numel() for p in params.values())
    assert 0 < share <= (0.35 if problem == "poisson" else 0.05)
    mean, _ = m.forward_all(a[:4])
    assert mean.shape[0] == 3 and not torch.allclose(mean[0], mean[1])
    with torch.no_grad():  # every member the same head: they agree exactly
        for p in m.heads.values():
            p.copy_(p[:1].expand_as(p))
    torch.testing.assert_close(m.epistemic_score(a[:4]), torch.zeros(4), atol=1e-6, rtol=0)
    last = next(n for n in m.head_names if n == f"{type(m.model).HEAD[-1]}.bias")
    bias = m.heads[last.replace(".", "__")]
    scores = []
    for shift in (0.1, 1.0, 10.0):
        with torch.no_grad():
            bias[0] = bias[1] + shift  # member 0's mean (and log-variance) moves away
        scores.append(m.epistemic_score(a[:4]))
    assert (scores[0] > 0).all() and (scores[1] > scores[0]).all() and (scores[2] > scores[1]).all()
    assert (scores[2] <= math.log(3) + 1e-6).all()  # the mutual information of 3 members


def test_ecsg_labels_a_training_pair_without_its_own_component():
    """Two far-apart components: the label conditioned on input a_0 goes to component 0's
    output with it in the mixture, and to component 1's when the pair leaves its own out."""
    comps = torch.tensor([[5.0, 0.0], [-5.0, 6.0]], dtype=torch.float64)  # (u, a) per component
    mix = Mixture(var_u=0.01, var_a=0.5, var_y=0.5)
    z1 = torch.randn(64, 2, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    y = comps[[0] * 64, 1:]  # every pair conditioned on component 0's input
    own = label_pairs(z1, y, comps, 1, mix, 200, 32)
    loo = label_pairs(z1, y, comps, 1, mix, 200, 32, exclude=torch.zeros(64, dtype=torch.long))
    assert (own - 5).abs().max() < 0.5 and (loo + 5).abs().max() < 0.5


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
