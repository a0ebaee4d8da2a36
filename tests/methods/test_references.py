"""The reference forecasts: climatology ignores the input, ridge is least squares plus a
residual bootstrap."""

import torch

from uqbench.methods import make_method
from uqbench.methods.base import Data


def linear_data(n: int, seed: int, noise: float = 0.3) -> tuple[Data, torch.Tensor]:
    """y = a W + correlated noise (every output point moves with one common draw)."""
    gen = torch.Generator().manual_seed(seed)
    w = torch.linspace(-1, 1, 6 * 5, dtype=torch.float64).reshape(6, 5).float()
    a = torch.randn(n, 6, generator=gen)
    common = noise * torch.randn(n, 1, generator=gen)
    return Data(a, a @ w + common), w


def test_ridge_recovers_a_linear_map_and_resamples_whole_residual_fields():
    train, w = linear_data(2000, 0)
    val, _ = linear_data(400, 1)
    m = make_method("ridge", "elu", device="cpu")
    history = m.fit(train, val)
    assert len(history) == 1 and history[0]["selected"] == 1
    torch.testing.assert_close(m.linear.weight, w, atol=0.03, rtol=0)
    a = torch.randn(3, 6, generator=torch.Generator().manual_seed(2))
    s = m.sample(a, 4000, torch.Generator().manual_seed(3))
    assert s.shape == (4000, 3, 5)
    torch.testing.assert_close(m.mean(a), a @ w, atol=0.03, rtol=0)
    # around the mean: resampled residuals (their mean is ~0.3/√400 from 0)
    torch.testing.assert_close(s.mean(0), m.mean(a), atol=0.05, rtol=0)
    assert abs(float(s.std(0).mean()) - 0.3) < 0.03
    # a residual is one whole field: the common noise keeps the points perfectly correlated
    corr = torch.corrcoef((s[:, 0] - s[:, 0].mean(0)).T)
    assert float(corr.min()) > 0.98


def test_ridge_shrinks_when_the_inputs_are_noise():
    gen = torch.Generator().manual_seed(0)
    train = Data(torch.randn(40, 200, generator=gen), torch.randn(40, 3, generator=gen))
    val = Data(torch.randn(200, 200, generator=gen), torch.randn(200, 3, generator=gen))
    m = make_method("ridge", "elu", device="cpu")
    m.fit(train, val)
    assert float(m.linear.weight.abs().max()) < 0.05  # λ large: the mean is the training mean


def test_climatology_draws_training_outputs_whatever_the_input():
    train, _ = linear_data(50, 0)
    m = make_method("climatology", "elu", device="cpu")
    assert m.fit(train, train) == []
    gen = torch.Generator().manual_seed(0)
    s = m.sample(torch.randn(4, 6), 300, gen)
    assert s.shape == (300, 4, 5)
    rows = {tuple(r.tolist()) for r in train.outputs}
    assert all(tuple(x.tolist()) in rows for x in s.reshape(-1, 5))
    # the same law for every input: the per-case means agree within sampling noise
    assert float((s.mean(0) - train.outputs.mean(0)).abs().max()) < 0.3


def test_input_distance_sees_a_shift_off_the_training_inputs_span():
    """Training inputs in a 3-dimensional subspace of R^20 (plus a trace of noise): a shift
    along a direction the training inputs never vary in scores far above them, though its
    projection on the PCA modes is that of an in-distribution input."""
    gen = torch.Generator().manual_seed(0)
    basis = torch.linalg.qr(torch.randn(20, 20, generator=gen))[0]
    inside, outside = basis[:, :3], basis[:, 3]

    def draw(n: int) -> torch.Tensor:
        z = torch.randn(n, 3, generator=gen) @ inside.T
        return z + 1e-3 * torch.randn(n, 20, generator=gen)

    train = Data(draw(500), torch.zeros(500, 1))
    m = make_method("input_distance", "elu", device="cpu")
    assert m.fit(train, train) == []
    assert m.pca.basis.shape[0] == 3  # the three modes hold 99 % of the variance
    test, shifted = draw(200), draw(200) + 0.5 * outside
    s_test, s_shift = m.epistemic_score(test), m.epistemic_score(shifted)
    assert 3.5 < float(s_test.median()) < 5.5  # ~√20: one standard deviation per direction
    assert float(s_shift.min()) > 10 * float(s_test.max())
    # the PCA part alone (METHODS.md's form) cannot tell them apart
    proj = lambda a: ((a.double() - m.pca.mean) @ m.pca.basis.T).pow(2).div(m.pca.variance).sum(-1)  # noqa: E731
    assert abs(float(proj(shifted).mean() / proj(test).mean()) - 1) < 0.3
