"""poisson: outputs solve the PDE, each for its own random conductivity."""

import itertools

import numpy as np

from uqbench.pde import sample_field, solve
from uqbench.problems.poisson import Poisson


def test_each_output_solves_the_pde_with_its_own_conductivity():
    """The draws in order: one log-conductivity field per (case, realization), then a solve
    each: the direct solver on the same fields gives the same outputs."""
    p = Poisson({"n": 10})
    f = p.sample_inputs(3, np.random.default_rng(0), None)
    u = p.sample_outputs(f, 4, np.random.default_rng(1))  # (case, realization, x, y)
    g = sample_field(
        p.settings.log_conductivity.spec(), (p._nodes(),) * 2, 12, np.random.default_rng(1)
    )
    direct = solve(np.exp(g), np.repeat(f, 4, axis=0), dim=2).reshape(u.shape)
    np.testing.assert_allclose(u, direct, rtol=1e-9, atol=1e-12)
    assert not np.allclose(u[0, 0], u[0, 1])  # realizations differ (random κ)


def test_one_dimensional_version():
    p = Poisson({"dim": 1, "n": 20})
    d = p.generate("test", 0)
    assert d.output_dims == ("x",) and d.outputs.shape[2:] == (20,)


def test_shift_forcing_gets_rougher_up_the_ladder():
    p = Poisson({"n": 24})
    rng = np.random.default_rng(2)
    rough = [np.abs(np.diff(p.sample_inputs(200, rng, r), axis=1)).mean() for r in (None, 0, 1, 2)]
    assert rough[2] > 2 * rough[0]  # today's ood rung: forcing length 0.05 vs 0.2
    assert all(b > a for a, b in itertools.pairwise(rough))
