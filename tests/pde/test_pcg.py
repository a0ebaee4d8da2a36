"""The iterative solver agrees with the direct one and refuses what it cannot solve."""

import numpy as np
import pytest

from uqbench.pde import sample_field, solve
from uqbench.pde.pcg import solve_each
from uqbench.pde.random_fields import FieldSpec


def _kappa(dim: int, n: int, count: int, seed: int = 0) -> np.ndarray:
    spec = FieldSpec(kernel="squared_exponential", length=0.1, variance=0.5)
    coords = (np.linspace(0.0, 1.0, n + 2),) * dim
    return np.exp(sample_field(spec, coords, count, np.random.default_rng(seed)))


@pytest.mark.parametrize("dim", [1, 2])
def test_matches_direct_solve_system_by_system(dim: int) -> None:
    n, count = 24, 70  # more systems than one chunk, the last chunk partial
    kappa = _kappa(dim, n, count)
    f = np.random.default_rng(1).normal(size=(count,) + (n,) * dim)
    u = solve_each(kappa, f, dim=dim, chunk=32)
    ref = solve(kappa, f, dim=dim)
    assert u.shape == f.shape
    assert np.max(np.abs(u - ref)) <= 1e-8 * np.max(np.abs(ref))


def test_gives_up_loudly_instead_of_returning_a_partial_solve() -> None:
    kappa = _kappa(2, 16, 4)
    f = np.ones((4, 16, 16))
    with pytest.raises(RuntimeError, match="after 2 iterations"):
        solve_each(kappa, f, max_iter=2)


def test_rejects_insulated_walls_and_shared_conductivities() -> None:
    kappa = _kappa(2, 8, 3)
    f = np.ones((3, 8, 8))
    walls = kappa.copy()
    walls[:, 0, :] = 0.0
    with pytest.raises(ValueError, match="kappa > 0 on the boundary"):
        solve_each(walls, f)
    with pytest.raises(ValueError, match="one conductivity per right-hand side"):
        solve_each(kappa[:1], f)
