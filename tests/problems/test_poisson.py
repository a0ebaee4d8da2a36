"""poisson: outputs solve the PDE for a random conductivity shared by all inputs."""

import itertools

import numpy as np

from uqbench.problems.poisson import Poisson


def test_outputs_are_linear_in_the_forcing_per_realization():
    # one operator draw per realization, applied to every input: u_r(f1 + f2) = u_r(f1) + u_r(f2)
    p = Poisson({"n": 10})
    f = p.sample_inputs(2, np.random.default_rng(0), None)
    both = np.concatenate([f, f[:1] + f[1:]])
    u = p.sample_outputs(both, 5, np.random.default_rng(1), paired=False)
    np.testing.assert_allclose(u[2], u[0] + u[1], atol=1e-10)
    assert not np.allclose(u[0, 0], u[0, 1])  # realizations differ (random κ)


def test_one_dimensional_version():
    p = Poisson({"dim": 1, "n": 20})
    ds = p.generate("test", 0)
    assert ds["output"].dims == ("case", "realization", "x")
    assert ds.sizes["x"] == 20


def test_shift_forcing_gets_rougher_up_the_ladder():
    p = Poisson({"n": 24})
    rng = np.random.default_rng(2)
    rough = [np.abs(np.diff(p.sample_inputs(200, rng, r), axis=1)).mean() for r in (None, 0, 1, 2)]
    assert rough[2] > 2 * rough[0]  # today's ood rung: forcing length 0.05 vs 0.2
    assert all(b > a for a, b in itertools.pairwise(rough))
