"""Base models: shapes, and forward under functional_call + vmap over parameter samples."""

import pytest
import torch
from torch.func import functional_call, vmap

from uqbench.models import decayed
from uqbench.problems import build_model, model_from_args

CASES = {
    "elu": (torch.randn(6, 32), torch.randn(6, 32)),
    "poisson": (torch.randn(40, 8, 8), torch.randn(40, 8, 8)),
    "porous": (torch.randn(6, 16, 8), torch.rand(6, 2)),
}


@pytest.mark.parametrize("problem", sorted(CASES))
def test_vmap_over_parameter_samples_equals_a_loop(problem):
    a, y = CASES[problem]
    model = build_model(problem, a, y)
    assert model(a).shape == y.shape
    gen = torch.Generator().manual_seed(0)
    params = {
        k: v.detach() + 0.01 * torch.randn(3, *v.shape, generator=gen)
        for k, v in model.named_parameters()
    }
    batched = vmap(lambda p: functional_call(model, p, (a,)))(params)
    looped = torch.stack(
        [functional_call(model, {k: v[i] for k, v in params.items()}, (a,)) for i in range(3)]
    )
    torch.testing.assert_close(batched, looped, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("problem", sorted(CASES))
def test_rebuild_from_init_args(problem):
    a, y = CASES[problem]
    model = build_model(problem, a, y)
    clone = model_from_args(problem, model.init_args)
    clone.load_state_dict(model.state_dict())
    torch.testing.assert_close(clone(a), model(a))


def test_pod_basis_reconstructs_the_training_outputs():
    a, y = CASES["poisson"]
    y = torch.randn(40, 3) @ torch.randn(3, 64)  # rank-3 outputs
    model = build_model("poisson", a, y.reshape(40, 8, 8))
    basis = model.basis / model.basis.norm(dim=1, keepdim=True).clamp_min(1e-12)
    proj = (y - model.mean) @ basis[:3].T @ basis[:3]
    torch.testing.assert_close(proj, y - model.mean, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("problem", sorted(CASES))
def test_extra_channels_and_dropout(problem):
    a, y = CASES[problem]
    torch.manual_seed(0)
    two = build_model(problem, a, y, channels=2, dropout=0.3)
    with torch.no_grad():  # a trained model: no layer at its (possibly zero) initial value
        for p in two.parameters():
            p.add_(0.1 * torch.randn_like(p))
    assert two(a).shape == (a.shape[0], 2, *y.shape[1:])
    two.eval()
    torch.testing.assert_close(two(a), two(a))  # no dropout in eval mode
    two.train()
    assert not torch.allclose(two(a), two(a))  # a fresh mask per call in training mode
    clone = model_from_args(problem, two.init_args)
    clone.load_state_dict(two.state_dict())
    clone.eval(), two.eval()
    torch.testing.assert_close(clone(a), two(a))


def test_mor_physics_dropout_masks_differ_between_inputs():
    model = build_model("elu", *CASES["elu"], dropout=0.5)
    a = torch.randn(1, 32).expand(4, 32)  # four copies of one input
    out = model(a)
    assert out.std(0).mean() > 0  # each copy got its own dropout mask (also in g)


def test_deeponet_log_variance_head_can_vanish_at_the_boundary_and_is_not_decayed():
    """The poisson outputs' POD modes all vanish next to the Dirichlet boundary, so the
    second channel's offset must be a field (one value per point) to let the variance fall
    there, and weight decay must not pull it to log σ² = 0 (it did, with poisson's decay 1)."""
    a, y = CASES["poisson"]
    model = build_model("poisson", a, y, channels=2)
    assert model.offset.shape == (1, y[0].numel())
    decayed_ids = {id(p) for p in decayed(model)}
    assert id(model.offset) not in decayed_ids
    with torch.no_grad():  # no input-dependent part (the MLP's last layer starts at zero)
        model.linear.weight.zero_(), model.linear.bias.zero_()
        model.offset.copy_(torch.linspace(-8, 0, y[0].numel())[None])
    torch.testing.assert_close(model(a)[:, 1].flatten(1)[:, 0], torch.full((40,), -8.0))
