"""Interface shared by all problems: shapes, dims, provenance, determinism, registry."""

import numpy as np
import pytest

from uqbench.problems import PROBLEMS, SHIFTS, SPLITS, make_problem
from uqbench.problems.base import PAIRED
from uqbench.stages.data import split_dataset


@pytest.mark.parametrize("name", sorted(PROBLEMS))
@pytest.mark.parametrize("split", SPLITS)
def test_split_layout(name, split, tiny_sizes):
    ds = split_dataset(make_problem(name, {"sizes": tiny_sizes}).generate(split, seed=3))
    n_real = 1 if split in PAIRED else tiny_sizes["realizations"]
    assert ds.sizes["case"] == tiny_sizes["ood" if split in SHIFTS else split]
    assert ds.sizes["realization"] == n_real
    assert ds["input"].dims[0] == "case"
    assert ds["output"].dims[:2] == ("case", "realization")
    assert ds.attrs["problem"] == name and ds.attrs["split"] == split
    assert ds.attrs["seed"] == 3 and len(ds.attrs["config_hash"]) == 16
    assert np.isfinite(ds["output"].values).all()


@pytest.mark.parametrize("name", sorted(PROBLEMS))
def test_same_seed_same_arrays_other_seed_other_arrays(name, tiny_sizes):
    p = make_problem(name, {"sizes": tiny_sizes})
    a, b, c = p.generate("test", 0), p.generate("test", 0), p.generate("test", 1)
    for var in ("inputs", "outputs"):
        np.testing.assert_array_equal(getattr(a, var), getattr(b, var))
        assert not np.array_equal(getattr(a, var), getattr(c, var))
    assert a.attrs["config_hash"] != c.attrs["config_hash"]


@pytest.mark.parametrize("name", sorted(PROBLEMS))
def test_every_case_and_realization_is_its_own_operator_draw(name):
    """Two cases with the same input: their realizations are independent draws of the same
    law (they differ draw by draw, their means agree within the noise), never the same R
    operators applied to both (which made the cases of a split dependent)."""
    p = make_problem(name, {"n": 8} if name == "poisson" else None)  # small grids: fast
    rng = np.random.default_rng(5)
    u = p.sample_inputs(1, rng, None)
    out = p.sample_outputs(np.concatenate([u, u]), 400, rng)  # (2, 400, ...)
    a, b = out[0].reshape(400, -1), out[1].reshape(400, -1)
    assert np.mean(np.all(a == b, axis=1)) < 0.2  # draw by draw: different operators
    se = np.sqrt((a.var(0) + b.var(0)) / 400)
    assert (np.abs(a.mean(0) - b.mean(0)) < 5 * se + 1e-12).all()  # one law


@pytest.mark.parametrize("name", sorted(PROBLEMS))
def test_realizations_differ_within_a_case(name, tiny_sizes):
    out = make_problem(name, {"sizes": tiny_sizes}).generate("test", 0).outputs
    spread = out.std(axis=1)  # over realizations of the same input
    assert (spread.reshape(len(out), -1).max(axis=1) > 0).all()


def test_unknown_problem_and_setting_are_named():
    with pytest.raises(ValueError, match="unknown problem 'heat'"):
        make_problem("heat")
    with pytest.raises(ValueError, match=r"data\.elu\.gird"):
        make_problem("elu", {"gird": 64})
    with pytest.raises(ValueError, match=r"sizes\.train must be >= 1"):
        make_problem("elu", {"sizes": {"train": 0}})
    with pytest.raises(ValueError, match="unknown split"):
        make_problem("elu").generate("holdout", 0)
    with pytest.raises(ValueError, match=r"data\.poisson\.shift_forcing_length needs one value"):
        make_problem("poisson", {"shift_forcing_length": [0.1, 0.05]})


@pytest.mark.parametrize("name", sorted(PROBLEMS))
def test_the_ladder_keeps_ood_in_the_middle_and_its_rungs_differ(name, tiny_sizes):
    """The middle rung keeps the split name (and input stream) of the single OOD split it
    replaces; the rungs draw different inputs and each names its law."""
    p = make_problem(name, {"sizes": tiny_sizes})
    rungs = {s: p.generate(s, 0).inputs for s in SHIFTS}
    assert SHIFTS[1] == "ood"
    assert not np.array_equal(rungs["ood_mild"], rungs["ood_strong"])
    assert all(p.shift_law(i) for i in range(len(SHIFTS)))
