"""Sparse per-draw layers: the shared-product path equals vmap(functional_call), values and
gradients, for sparse and dense-fallback subsets."""

import pytest
import torch
from torch import nn

from uqbench.methods import make_method
from uqbench.methods.base import Data
from uqbench.models.layers import SparseIndex, linear_draws

SHAPES = {"elu": (48, 64), "poisson": (48, 12, 12)}


@pytest.mark.parametrize("problem", sorted(SHAPES))
@pytest.mark.parametrize("ratio", [0.016, 0.3])  # 0.3: some layers take the dense fallback
def test_shared_product_path_equals_vmap(problem, ratio):
    torch.manual_seed(0)
    m = make_method("genuq", problem, {}, ratio=ratio, seed=0, device="cpu")
    m.build(Data(torch.randn(*SHAPES[problem]), torch.randn(*SHAPES[problem])))
    assert m.sparse_path
    a = torch.randn(5, *SHAPES[problem][1:])
    delta = (0.1 * torch.randn(4, m.n_stochastic)).requires_grad_()
    fast, ref = m.predict_perturbed(a, delta), m.predict_vmapped(a, delta)
    torch.testing.assert_close(fast, ref, rtol=1e-4, atol=1e-5)
    w = torch.randn_like(ref)
    params = [delta, *m.model.parameters()]
    g_fast = torch.autograd.grad((fast * w).sum(), params, allow_unused=True)
    g_ref = torch.autograd.grad((ref * w).sum(), params, allow_unused=True)
    for gf, gr in zip(g_fast, g_ref, strict=True):
        if gr is None:
            assert gf is None or not gf.abs().max() > 0
        else:
            torch.testing.assert_close(gf, gr, rtol=1e-4, atol=1e-4)


def test_convnet_uses_vmap():
    m = make_method("genuq", "porous", {}, ratio=0.05, seed=0, device="cpu")
    m.build(Data(torch.randn(8, 16, 8), torch.rand(8, 2)))
    assert not m.sparse_path


@pytest.mark.parametrize("has_draw", [False, True])
def test_linear_draws_equals_dense_per_draw_weights(has_draw):
    # unsorted indices, one row holding most entries and rows holding none (padding)
    torch.manual_seed(0)
    layer = nn.Linear(40, 6)
    flat = torch.tensor([5 * 40 + c for c in range(0, 40, 3)] + [7, 2 * 40 + 1, 3])[
        torch.randperm(17)
    ]
    vals = torch.randn(3, flat.numel(), requires_grad=True)
    b_idx, b_vals = torch.tensor([4, 0]), torch.randn(3, 2)
    x = torch.randn(3, 5, 40) if has_draw else torch.randn(5, 40)
    out, flag = linear_draws(
        x, layer, (SparseIndex(flat, (6, 40)), vals), (SparseIndex(b_idx, (6,)), b_vals), has_draw
    )
    w = layer.weight + torch.zeros(3, 240).index_add(1, flat, vals).view(3, 6, 40)
    b = layer.bias + torch.zeros(3, 6).index_add(1, b_idx, b_vals)
    ref = torch.einsum("dli,doi->dlo", x.expand(3, 5, 40), w) + b[:, None]
    assert flag and out.shape == (3, 5, 6)
    torch.testing.assert_close(out, ref, rtol=1e-5, atol=1e-5)
    g = torch.randn_like(ref)
    torch.testing.assert_close(
        torch.autograd.grad((out * g).sum(), vals)[0], torch.autograd.grad((ref * g).sum(), vals)[0]
    )


@pytest.mark.parametrize("problem", ["elu", "poisson", "porous"])
def test_shared_masks_give_one_random_network_per_group(problem):
    """Within ``shared_masks(model, G)`` the G groups of a batch of one repeated input give
    G different outputs, each the same for every input of its group; outside, every input
    draws its own masks again (and the models are left as they were)."""
    from uqbench.models.layers import shared_masks
    from uqbench.problems import build_model

    g = torch.Generator().manual_seed(0)
    shapes = {
        "elu": ((40, 64), (40, 64)),
        "poisson": ((40, 12, 12), (40, 12, 12)),
        "porous": ((40, 32, 16), (40, 2)),
    }
    a, y = torch.randn(*shapes[problem][0], generator=g), torch.randn(*shapes[problem][1])
    model = build_model(problem, a, y, dropout=0.3)
    with torch.no_grad():  # a trained model: no layer at its (zero) initial value
        for p in model.parameters():
            p.add_(0.3 * torch.randn(p.shape, generator=g))
    model.train()
    rep = a[:1].expand(4 * 5, *a.shape[1:])  # 4 groups x 5 copies of one input
    with shared_masks(model, 4):
        out = model(rep).unflatten(0, (4, 5))
    assert torch.equal(out, out[:, :1].expand_as(out))  # one network per group
    assert all((out[i, 0] - out[j, 0]).abs().max() > 1e-3 for i in range(4) for j in range(i))
    assert all(m.mask_groups == 0 for m in model.modules() if hasattr(m, "mask_groups"))
    plain = model(rep)
    assert (plain[0] - plain[1]).abs().max() > 1e-3  # per input again
