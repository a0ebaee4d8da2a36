"""Sparse per-draw layers: the shared-product path equals vmap(functional_call), values and
gradients, for sparse and dense-fallback subsets."""

import pytest
import torch

from uqbench.methods import make_method
from uqbench.methods.base import Data

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
