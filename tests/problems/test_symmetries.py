"""The problems' augmentations are exact symmetries of their physics."""

import numpy as np
import pytest
import torch

from uqbench.pde import solve
from uqbench.problems import PROBLEMS
from uqbench.problems.porous import Porous


def test_porous_stress_is_reflected_with_the_bar():
    p = Porous({"length": 24, "width": 12})
    img = p.sample_inputs(3, np.random.default_rng(0), None)
    s = p.stress(img)
    for axis in (1, 2):  # x (grips swap) and y (sides swap)
        np.testing.assert_allclose(p.stress(np.flip(img, axis)), np.flip(s, axis), atol=1e-9)


@pytest.mark.parametrize("move", ["flip_x", "flip_y", "transpose"])
def test_poisson_solution_moves_with_forcing_and_conductivity(move):
    rng = np.random.default_rng(0)
    kappa, f = np.exp(rng.normal(size=(10, 10))), rng.normal(size=(8, 8))
    g = {
        "flip_x": lambda t: np.flip(t, 0),
        "flip_y": lambda t: np.flip(t, 1),
        "transpose": lambda t: t.T,
    }[move]
    np.testing.assert_allclose(solve(g(kappa), g(f), dim=2), g(solve(kappa, f, dim=2)), atol=1e-12)


def test_porous_augment_reflects_image_and_failure_point_together():
    gen = torch.Generator().manual_seed(0)
    img = torch.rand(64, 8, 4)
    point = torch.rand(64, 2)
    a, y = PROBLEMS["porous"].augment(img, point, gen)
    for c in range(64):
        fx, fy = bool(y[c, 0] != point[c, 0]), bool(y[c, 1] != point[c, 1])
        want = img[c].flip(0) if fx else img[c]
        want = want.flip(1) if fy else want
        torch.testing.assert_close(a[c], want)
        torch.testing.assert_close(
            y[c],
            torch.stack(
                [1 - point[c, 0] if fx else point[c, 0], 1 - point[c, 1] if fy else point[c, 1]]
            ),
        )
    assert 0 < (y[:, 0] != point[:, 0]).float().mean() < 1  # a fair coin per case


def test_poisson_augment_moves_input_and_output_alike_over_the_whole_group():
    gen = torch.Generator().manual_seed(0)
    u = torch.randn(1, 6, 6).expand(400, 6, 6)
    a, y = PROBLEMS["poisson"].augment(u, u.clone(), gen)
    torch.testing.assert_close(a, y)  # the same move for input and output of a case
    images = {tuple(x.flatten().tolist()) for x in a}
    assert len(images) == 8  # reflections and the diagonal generate the square's 8 symmetries


def test_elu_has_no_augmentation():
    x = torch.randn(4, 16)
    a, y = PROBLEMS["elu"].augment(x, x, torch.Generator())
    assert a is x and y is x
