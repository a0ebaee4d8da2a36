"""vi, flow, mc_dropout, ensemble: the pieces that make them what they are."""

import pytest
import torch

from uqbench.methods import make_method
from uqbench.methods.base import Data
from uqbench.methods.mixture import mixture_sample
from uqbench.methods.variational import standard_normal_log_prob

ELU = Data(torch.randn(32, 32), torch.randn(32, 32))


def built(name, **hyper):
    m = make_method(name, "elu", hyper, ratio=0.2, seed=0, device="cpu")
    m.build(ELU)
    return m


def test_vi_draws_have_the_posterior_std_and_closed_form_kl():
    m = built("vi", init_std=0.05)
    gen = torch.Generator().manual_seed(0)
    delta, log_q = m.draw(20000, gen)
    assert delta.shape == (20000, m.n_stochastic)
    torch.testing.assert_close(delta.std(0), m.posterior.std.detach(), rtol=0.05, atol=0)
    theta = m.subset_values().detach() + delta
    mc = (log_q - standard_normal_log_prob(theta)).mean().detach()
    closed = m.kl(theta, log_q).detach()
    assert abs(float(mc - closed)) < 0.02 * abs(float(closed))


def test_flow_log_q_is_the_density_of_its_draws():
    m = built("flow", init_std=0.01, hidden=[8])
    delta, log_q = m.draw(6, torch.Generator().manual_seed(0))
    post = m.posterior
    x = delta / torch.exp(post.log_scale)
    ref = post.flow().log_prob(x) - post.log_scale.sum()
    torch.testing.assert_close(log_q, ref, rtol=1e-4, atol=1e-3)
    assert delta.abs().max() < 1.0  # starts near the point fit


def test_flow_with_a_single_stochastic_weight():
    m = make_method("flow", "elu", {"hidden": [4]}, ratio=1e-6, seed=0, device="cpu")
    m.build(ELU)
    assert m.n_stochastic == 1
    delta, log_q = m.draw(5, torch.Generator().manual_seed(0))
    assert delta.shape == (5, 1) and torch.isfinite(log_q).all()


@pytest.mark.parametrize("name", ["vi", "flow", "mc_dropout"])
def test_samples_carry_the_likelihood_noise(name):
    m = built(name)
    m.noise.set_std(0.3)
    s = m.sample(ELU.inputs[:4], 200, torch.Generator().manual_seed(0))
    # the weights barely vary at init, so the pointwise spread is the noise, uncorrelated in x
    assert 0.25 < float(s.std(0).mean()) < 0.4
    corr = torch.corrcoef(s[:, 0, :2].T)[0, 1]
    assert abs(float(corr)) < 0.3


def test_sampling_is_reproducible_with_the_generator():
    for name in ["vi", "flow", "mc_dropout", "ensemble"]:
        m = built(name)
        a = m.sample(ELU.inputs[:3], 5, torch.Generator().manual_seed(7))
        b = m.sample(ELU.inputs[:3], 5, torch.Generator().manual_seed(7))
        torch.testing.assert_close(a, b)


def test_mixture_sample_moments():
    mean = torch.tensor([[-1.0, 0.0], [1.0, 2.0]])[:, :, None]  # (member, case, point)
    log_var = torch.log(torch.tensor([[0.25, 1.0], [0.25, 1.0]]))[:, :, None]
    s = mixture_sample(mean, log_var, 200000, torch.Generator().manual_seed(0))
    assert s.shape == (200000, 2, 1)
    torch.testing.assert_close(s.mean(0)[:, 0], torch.tensor([0.0, 1.0]), atol=0.02, rtol=0)
    # mixture variance = mean of variances + variance of means
    torch.testing.assert_close(s.var(0)[:, 0], torch.tensor([1.25, 2.0]), atol=0.03, rtol=0)


def test_ensemble_members_are_vectorised_and_distinct():
    m = built("ensemble", members=3)
    a = ELU.inputs[:5]
    mean, log_var = m.forward_all(a)
    assert mean.shape == (3, 5, 32) == log_var.shape
    for i, member in enumerate(m.members):
        out = member(a)
        torch.testing.assert_close(mean[i], out[:, 0], rtol=1e-4, atol=1e-5)
    assert not torch.allclose(mean[0], mean[1])  # different initialisations
    assert m.n_params == 3 * sum(p.numel() for p in m.members[0].parameters())


def test_bad_hyper_values_are_named():
    with pytest.raises(ValueError, match=r"hyper\.mc_dropout\.p"):
        make_method("mc_dropout", "elu", {"p": 1.5})
    with pytest.raises(ValueError, match=r"hyper\.flow\.kind"):
        make_method("flow", "elu", {"kind": "realnvp"}, ratio=0.1)
    with pytest.raises(ValueError, match=r"hyper\.ensemble\.members"):
        make_method("ensemble", "elu", {"members": 1})
