"""vi, flow, mc_dropout, ensemble: the pieces that make them what they are."""

import pytest
import torch

from uqbench.methods import make_method
from uqbench.methods.base import Data
from uqbench.methods.likelihood import gaussian_nll
from uqbench.methods.mixture import mixture_sample
from uqbench.methods.variational import standard_normal_log_prob

_GEN = torch.Generator().manual_seed(0)  # fixed data, whatever ran before
ELU = Data(torch.randn(32, 32, generator=_GEN), torch.randn(32, 32, generator=_GEN))


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


def test_vi_and_flow_weigh_the_kl_by_one_over_n():
    """The negative ELBO per training input is E_q[NLL] + KL / N: drop the 1/N and the loss
    no longer equals its parts."""
    for name in ("vi", "flow"):
        m = built(name, init_std=0.05, n_mc=3)
        a, y = ELU.inputs[:8], ELU.outputs[:8]
        loss, pred = m.neg_elbo(a, y, torch.Generator().manual_seed(0), n_train=500)
        delta, log_q = m.draw(3, torch.Generator().manual_seed(0))  # the same draws
        nll = gaussian_nll(m.predict_perturbed(a, delta), y, m.noise.log_var).mean()
        kl = m.kl(m.subset_values() + delta, log_q)
        torch.testing.assert_close(loss, nll + kl / 500)
        assert not torch.allclose(loss, nll + kl)  # the weight matters at this size
        assert pred.shape == (3, 8, 32)


def test_mc_dropout_spread_is_the_masks_plus_the_likelihood_noise():
    """The samples are dropout passes (their masks from the sampling generator) plus the
    learned noise: without dropout (p → 0) and noise they do not vary at all; with p = 0.3
    the passes vary, sampling switches dropout on by itself, and what ``sample`` adds to the
    passes of the same masks is independent noise of the learned std."""
    trained = {}
    for p in (1e-9, 0.3):
        m = make_method("mc_dropout", "elu", {"p": p}, seed=0, device="cpu")
        m.build(ELU)
        with torch.no_grad():  # a trained model: no layer at its (possibly zero) initial value
            for q in m.model.parameters():
                q.add_(0.1 * torch.randn(q.shape, generator=torch.Generator().manual_seed(1)))
        trained[p] = m
    still = trained[1e-9]
    still.noise.set_std(1e-30)
    s = still.sample(ELU.inputs[:3], 16, torch.Generator().manual_seed(0))
    assert float(s.std(0).max()) < 1e-6 * float(s.abs().max())  # no masks, no noise: one value
    m = trained[0.3]
    m.noise.set_std(0.2)
    m.model.eval()  # sampling must switch dropout on itself
    gen = torch.Generator().manual_seed(0)
    s = m.sample(ELU.inputs[:3], 400, gen)
    assert m.model.training
    gen = torch.Generator().manual_seed(0)
    seed = int(torch.randint(2**62, (), generator=gen))  # the masks' seed, as sample draws it
    passes = m.dropout_draws(ELU.inputs[:3], 400, seed)
    assert float(passes.std(0).mean()) > 0.05  # the masks vary the prediction
    noise = (s - passes).flatten()
    assert abs(float(noise.std()) / 0.2 - 1) < 0.02  # 38,400 draws: ~0.4 % noise
    assert abs(float(torch.corrcoef(torch.stack([noise[:-1], noise[1:]]))[0, 1])) < 0.03


def test_decu_trains_heads_on_bootstrap_resamples_with_the_backbone_frozen():
    m = make_method(
        "decu", "elu", {"members": 3}, seed=0, device="cpu", recipe={"epochs": 2, "batch_size": 8}
    )
    m.build(ELU)
    history = m.pretrain(ELU, ELU)
    backbone = {n: p.detach().clone() for n, p in m.model.named_parameters()}
    heads = {k: p.detach().clone() for k, p in m.heads.items()}
    m.fit_heads(ELU, ELU, history)
    for n, p in m.model.named_parameters():
        torch.testing.assert_close(p, backbone[n])  # frozen, head layers included
    assert any(not torch.equal(p, heads[k]) for k, p in m.heads.items())
    w = m.bootstrap_weights(32)
    assert w.shape == (3, 32) and (w.sum(1) == 32).all() and not torch.equal(w[0], w[1])
    # the member loss weighs each case by its count: a case out of every resample adds nothing
    a, y = ELU.inputs[:4], ELU.outputs[:4]
    zero_first = torch.ones(3, 4)
    zero_first[:, 0] = 0
    base = m.member_loss(a, y, zero_first)
    changed = y.clone()
    changed[0] += 100.0
    torch.testing.assert_close(m.member_loss(a, changed, zero_first), base)
    assert not torch.allclose(m.member_loss(a, changed, torch.ones(3, 4)), base)


def test_genuq_shares_the_latent_draws_across_the_batch():
    """The loss of a batch is the mean of the per-input losses with the same z: were z drawn
    per input, the batch loss would not decompose so."""
    m = built("genuq", n_z=4, hidden=[8])
    gen = torch.Generator().manual_seed(0)
    with torch.no_grad():  # draws that differ visibly (a fixed generator: no global state)
        m.hypernet.layers[-1].weight.normal_(generator=gen)
    # in float64: the energy score is a difference of two large terms here, whose float32
    # rounding (which depends on the CPU's kernels) would be amplified ~1e3 times
    m.model.double(), m.hypernet.double()
    z = torch.randn(4, m.hyper.latent_dim, generator=gen, dtype=torch.float64)
    a, y = ELU.inputs[:6].double(), ELU.outputs[:6].double()
    batch = m.loss(a, y, z)
    single = torch.stack([m.loss(a[i : i + 1], y[i : i + 1], z) for i in range(6)]).mean()
    # sums in a different order: equal to ~1e-12 relative; per-input z would differ O(1)
    torch.testing.assert_close(batch, single, rtol=1e-9, atol=1e-9)


def test_genuq_subset_layers_and_a_frozen_base_are_what_they_say():
    """``subset_layers`` draws S from the named parameters only (all of them when they hold
    fewer than ⌈r·P⌉); ``train_base: false`` leaves the pre-fit weights as they are."""
    m = built("genuq", subset_layers=["h.layers.2"], n_z=2, hidden=[8], epochs=2)
    names = [
        m.flat.names[i]
        for i in torch.bucketize(m.S, torch.tensor(m.flat.sizes).cumsum(0), right=True)
    ]
    assert set(names) <= {"h.layers.2.weight", "h.layers.2.bias"} and len(m.S) == 33  # all 33
    with pytest.raises(ValueError, match=r"no parameter starts with \['trunk'\]"):
        built("genuq", subset_layers=["trunk"])
    m = built("genuq", train_base=False, n_z=2, hidden=[8], epochs=2)
    m.fit_mse = lambda *a, **k: []  # the pre-fit is not what this test is about
    before = {n: p.detach().clone() for n, p in m.model.named_parameters()}
    m.fit(ELU, ELU)
    assert all(torch.equal(p, before[n]) for n, p in m.model.named_parameters())
