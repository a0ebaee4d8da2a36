"""poisson: outputs solve the PDE for a random conductivity shared by all inputs."""

import numpy as np

from uqbench.problems.poisson import Poisson


def test_outputs_are_linear_in_the_forcing_per_realization():
    # one operator draw per realization, applied to every input: u_r(f1 + f2) = u_r(f1) + u_r(f2)
    p = Poisson({"n": 10})
    f = p.sample_inputs(2, np.random.default_rng(0), False)
    both = np.concatenate([f, f[:1] + f[1:]])
    u = p.sample_outputs(both, 5, np.random.default_rng(1), paired=False)
    np.testing.assert_allclose(u[2], u[0] + u[1], atol=1e-10)
    assert not np.allclose(u[0, 0], u[0, 1])  # realizations differ (random κ)


def test_one_dimensional_version():
    p = Poisson({"dim": 1, "n": 20})
    ds = p.generate("test", 0)
    assert ds["output"].dims == ("case", "realization", "x")
    assert ds.sizes["x"] == 20


def test_ood_forcing_is_rougher():
    p = Poisson({"n": 24})
    rng = np.random.default_rng(2)
    f_in, f_ood = p.sample_inputs(200, rng, False), p.sample_inputs(200, rng, True)
    rough = lambda f: np.abs(np.diff(f, axis=1)).mean()  # noqa: E731
    assert rough(f_ood) > 2 * rough(f_in)
