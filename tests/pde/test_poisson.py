"""FD Poisson solver: second-order convergence, matrix properties, batching, errors."""

import numpy as np
import pytest
import scipy.sparse.linalg as spla

from uqbench.pde.poisson import assemble, flux_magnitude, solve

PI = np.pi


def _error_1d(n: int) -> float:
    x = np.arange(n + 2) / (n + 1)
    kappa = 1 + 0.5 * np.sin(2 * PI * x)
    u = np.sin(PI * x) * np.exp(x)
    du = (PI * np.cos(PI * x) + np.sin(PI * x)) * np.exp(x)
    d2u = (2 * PI * np.cos(PI * x) + (1 - PI**2) * np.sin(PI * x)) * np.exp(x)
    f = -(PI * np.cos(2 * PI * x) * du + kappa * d2u)  # -(κ u')'
    return np.abs(solve(kappa, f[1:-1]) - u[1:-1]).max()


def _error_2d(n: int) -> float:
    x = np.arange(n + 2) / (n + 1)
    X, Y = np.meshgrid(x, x, indexing="ij")
    kappa = 2 + np.sin(2 * PI * X) * np.cos(PI * Y)
    kx, ky = 2 * PI * np.cos(2 * PI * X) * np.cos(PI * Y), -PI * np.sin(2 * PI * X) * np.sin(PI * Y)
    u = np.sin(PI * X) * np.sin(PI * Y)
    ux, uy = PI * np.cos(PI * X) * np.sin(PI * Y), PI * np.sin(PI * X) * np.cos(PI * Y)
    f = -(kx * ux + ky * uy) + kappa * 2 * PI**2 * u  # -div(κ grad u)
    return np.abs(solve(kappa, f[1:-1, 1:-1]) - u[1:-1, 1:-1]).max()


@pytest.mark.parametrize(
    ("error", "sizes"), [(_error_1d, [15, 31, 63, 127]), (_error_2d, [7, 15, 31, 63])]
)
def test_manufactured_solution_converges_at_second_order(error, sizes):
    # h = 1/(n+1) halves at each refinement
    errs = np.array([error(n) for n in sizes])
    orders = np.log2(errs[:-1] / errs[1:])
    assert len(orders) == 3
    assert orders.min() >= 1.9, orders


def test_matrix_is_symmetric_positive_definite_m_matrix():
    rng = np.random.default_rng(0)
    kappa = np.exp(rng.normal(size=(8, 7)))
    a = assemble(kappa).toarray()
    assert a.shape == (6 * 5, 6 * 5)
    np.testing.assert_allclose(a, a.T, rtol=0, atol=0)
    assert np.linalg.eigvalsh(a).min() > 0
    off = a - np.diag(np.diag(a))
    assert off.max() <= 0  # M-matrix: non-positive off-diagonal entries
    assert np.all(np.diag(a) > 0)


def test_batched_solve_matches_per_sample_spsolve():
    rng = np.random.default_rng(1)
    kappa = np.exp(0.5 * rng.normal(size=(5, 12, 12)))
    f = rng.normal(size=(5, 10, 10))
    u = solve(kappa, f, chunk_unknowns=200)  # several chunks of factorisations
    for i in range(5):
        ref = spla.spsolve(assemble(kappa[i]), f[i].ravel()).reshape(10, 10)
        np.testing.assert_allclose(u[i], ref, rtol=1e-10, atol=1e-12)


def test_shared_kappa_broadcasts_over_right_hand_sides():
    rng = np.random.default_rng(2)
    kappa = np.exp(0.5 * rng.normal(size=(3, 1, 9)))  # 3 operators
    f = rng.normal(size=(1, 4, 7))  # 4 inputs
    u = solve(kappa, f)
    assert u.shape == (3, 4, 7)
    for r in range(3):
        for c in range(4):
            ref = spla.spsolve(assemble(kappa[r, 0]), f[0, c])
            np.testing.assert_allclose(u[r, c], ref, rtol=1e-10, atol=1e-12)


def test_dirichlet_values_and_insulated_walls():
    # uniform κ, φ = 0 / 1 on the x grips, κ = 0 on the y walls (insulated): φ = x exactly
    n, m = 10, 6
    kappa = np.ones((n + 2, m + 2))
    kappa[1:-1, [0, -1]] = 0.0
    grips = np.zeros_like(kappa)
    grips[-1] = 1.0
    phi = solve(kappa, np.zeros((n, m)), boundary=grips, spacing=1.0 / (n + 1))
    x = np.arange(1, n + 1) / (n + 1)
    np.testing.assert_allclose(phi, np.broadcast_to(x[:, None], (n, m)), atol=1e-12)
    s = flux_magnitude(kappa, phi, boundary=grips, spacing=1.0 / (n + 1))
    np.testing.assert_allclose(s, 1.0, atol=1e-12)  # |κ grad φ| = 1 everywhere


@pytest.mark.parametrize(
    ("kappa_shape", "f_shape", "match"),
    [
        ((10,), (10,), "do not fit"),
        ((12, 12), (10, 9), "do not fit"),
        ((3, 12), (4, 10), "do not fit"),  # batch dims do not broadcast
    ],
)
def test_shape_errors_are_clear(kappa_shape, f_shape, match):
    with pytest.raises(ValueError, match=match):
        solve(np.ones(kappa_shape), np.ones(f_shape))


def test_ambiguous_shapes_need_dim():
    with pytest.raises(ValueError, match="pass dim"):
        solve(np.ones((3, 3)), np.ones((1, 1)))
    assert solve(np.ones((3, 3)), np.ones((1, 1)), dim=2).shape == (1, 1)


@pytest.mark.parametrize(
    ("kappa_value", "f_value", "match"),
    [(0.0, 1.0, "> 0 on interior"), (np.nan, 1.0, "NaN"), (1.0, np.inf, "f contains")],
)
def test_bad_values_are_rejected(kappa_value, f_value, match):
    kappa = np.ones(6)
    kappa[2] = kappa_value
    with pytest.raises(ValueError, match=match):
        solve(kappa, np.full(4, f_value))
