"""porous: porosity targets, and failure points that sit in metal next to the pores."""

import numpy as np
from scipy import ndimage

from uqbench.problems.porous import Porous


def test_porosity_reaches_the_target_range():
    p = Porous()
    ladder = ((None, (0.01, 0.05)), (0, (0.05, 0.08)), (1, (0.08, 0.12)), (2, (0.12, 0.18)))
    for rung, (lo, hi) in ladder:
        img = p.sample_inputs(40, np.random.default_rng(0), rung)
        por = img.mean(axis=(1, 2))
        max_void = np.pi * 3.0**2 / img[0].size  # overshoot by at most one void
        assert (por >= lo).all() and (por <= hi + max_void).all()
        assert set(np.unique(img)) == {0.0, 1.0}


def test_failure_points_are_in_metal_and_cluster_at_pores():
    p = Porous()
    img = p.sample_inputs(20, np.random.default_rng(1), None)
    out = p.sample_outputs(img, 64, np.random.default_rng(2))  # (case, real, 2)
    assert ((out > 0) & (out < 1)).all()
    ix = np.floor(out[..., 0] * p.settings.length).astype(int)
    iy = np.floor(out[..., 1] * p.settings.width).astype(int)
    case = np.arange(20)[:, None]
    assert (img[case, ix, iy] == 0).all()  # the bar never fails inside a void
    dist = np.stack([ndimage.distance_transform_edt(1 - im) for im in img])  # to nearest void
    metal_mean = np.array([d[im == 0].mean() for d, im in zip(dist, img, strict=True)])
    assert dist[case, ix, iy].mean() < 0.5 * metal_mean.mean()


def test_stress_is_uniform_without_pores():
    p = Porous({"length": 16, "width": 8})
    s = p.stress(np.zeros((1, 16, 8)))
    np.testing.assert_allclose(s, 1.0, rtol=1e-10)  # φ = x/L over a uniform bar
