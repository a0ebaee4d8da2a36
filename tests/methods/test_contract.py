"""One contract over every registered method: fit -> sample -> write -> read, on each problem."""

import dataclasses
from pathlib import Path

import numpy as np
import pytest
import torch
import yaml

from uqbench import io
from uqbench.catalogue import CATALOGUE
from uqbench.methods import METHODS, make_method, prepare, tiny_hyper
from uqbench.methods.base import Data, stochastic_indices
from uqbench.problems import make_problem
from uqbench.stages.train import load_method

REPO = Path(__file__).resolve().parents[2]
TINY_RECIPE = {"epochs": 2, "batch_size": 16}
SIZES = {"train": 48, "val": 8, "test": 4, "ood": 4, "realizations": 8}
SMALL = {"elu": {"grid": 64}, "poisson": {"n": 8}, "porous": {"length": 16, "width": 8}}


def test_registry_matches_the_catalogue_and_the_schema():
    schema = yaml.safe_load((REPO / "workflow/schemas/config.schema.yaml").read_text())
    assert schema["properties"]["methods"]["items"]["enum"] == list(CATALOGUE)
    assert schema["properties"]["methods"]["default"] == list(CATALOGUE)
    # every catalogued method but the oracle (the problem's own draws) has a class
    assert set(METHODS) == {n for n, t in CATALOGUE.items() if t.cls is not None}
    assert set(schema["properties"]["hyper"]["properties"]) == set(METHODS)
    for name, cls in METHODS.items():
        assert cls.name == name and cls.traits() is CATALOGUE[name]


@pytest.mark.parametrize("problem", sorted(SMALL))
@pytest.mark.parametrize("name", sorted(METHODS))
def test_fit_sample_write_read(name, problem, tmp_path):
    p = make_problem(problem, {**SMALL[problem], "sizes": SIZES})
    tr, te = p.generate("train", 0), p.generate("test", 0)
    train = Data(torch.from_numpy(tr["input"].values), torch.from_numpy(tr["output"].values[:, 0]))
    m = make_method(name, problem, tiny_hyper()[name], ratio=0.05, seed=0, device="cpu",
                    recipe=TINY_RECIPE)  # fmt: skip
    base = None
    for need in m.traits().needs:
        base = prepare(make_method(need, problem, device="cpu", recipe=TINY_RECIPE), train)
        base.fit(train, train)
    history = prepare(m, train, base).fit(train, train)
    assert all(np.isfinite(r["val_loss"]) for r in history)
    # every phase keeps one epoch; only post-hoc methods and climatology train nothing
    assert sum(r["selected"] for r in history) == len({r["phase"] for r in history})
    assert history or m.traits().needs or name == "climatology"
    inputs = torch.from_numpy(te["input"].values)
    s = m.sample(inputs, 6, torch.Generator().manual_seed(0))
    assert s.shape == (6, *te["output"].shape[:1], *te["output"].shape[2:])
    assert torch.isfinite(s).all()
    score = m.epistemic_score(inputs) if m.traits().epistemic else None
    if m.traits().epistemic:
        assert score.shape == (inputs.shape[0],) and torch.isfinite(score).all()

    ckpt = tmp_path / "model.pt"
    io.save_checkpoint({**m.state_dict(), "status": "ok"}, ckpt)
    again, _ = load_method(str(ckpt), device="cpu")
    torch.testing.assert_close(again.sample(inputs, 6, torch.Generator().manual_seed(0)), s)
    if m.traits().epistemic:
        torch.testing.assert_close(again.epistemic_score(inputs), score)

    attrs = {"problem": problem, "method": name, "seed": 0, "status": "ok"}
    out = tmp_path / "test.nc"
    score_np = None if score is None else score.detach().numpy()
    ds = io.prediction_dataset(
        s.detach().numpy(), te["output"].dims[2:], te.coords, attrs, score_np
    )
    io.write_dataset(ds, out)
    back = io.read_predictions(out)
    assert ("epistemic_score" in back) == m.traits().epistemic
    assert back["prediction"].dims[:2] == ("sample", "case")
    np.testing.assert_allclose(back["prediction"].values, s.detach().numpy(), rtol=1e-6)


def test_hyper_rejects_unknown_keys():
    with pytest.raises(ValueError, match=r"hyper\.genuq\.epoch"):
        make_method("genuq", "elu", {"epoch": 3}, ratio=0.1)
    assert dataclasses.is_dataclass(METHODS["genuq"].Hyper)


def test_checkpoint_of_another_method_is_refused(tmp_path):
    m = make_method("deterministic", "elu", device="cpu")
    m.build(Data(torch.randn(8, 64), torch.randn(8, 64)))
    io.save_checkpoint({**m.state_dict(), "status": "ok"}, tmp_path / "m.pt")
    with pytest.raises(io.DataFileError, match="checkpoint is for method 'deterministic'"):
        io.load_checkpoint(tmp_path / "m.pt", method="genuq")


def test_pickle_with_code_is_refused(tmp_path):
    class Evil:
        def __reduce__(self):
            return (print, ("pwned",))

    torch.save({"method": "genuq", "problem": "elu", "x": Evil()}, tmp_path / "evil.pt")
    with pytest.raises(io.DataFileError, match="weights-only"):
        io.load_checkpoint(tmp_path / "evil.pt")


def test_stochastic_subset_size_and_seed():
    s = stochastic_indices(1000, 0.016, seed=3)
    assert len(s) == 16 and len(set(s.tolist())) == 16
    assert torch.equal(s, stochastic_indices(1000, 0.016, seed=3))
    assert not torch.equal(s, stochastic_indices(1000, 0.016, seed=4))


def test_genuq_draws_are_vectorised_and_equal_a_loop():
    m = make_method("genuq", "elu", tiny_hyper()["genuq"], ratio=0.2, seed=0, device="cpu")
    m.build(Data(torch.randn(8, 64), torch.randn(8, 64)))
    with torch.no_grad():
        m.hypernet.layers[-1].weight.normal_()  # make draws differ visibly
    a = torch.randn(5, 64)
    z = torch.randn(4, m.hyper.latent_dim)
    batched = m.predict_draws(a, z)
    looped = torch.cat([m.predict_draws(a, z[i : i + 1]) for i in range(4)])
    torch.testing.assert_close(batched, looped, rtol=1e-3, atol=1e-3)  # float32 batched FFT
    assert batched.std(0).mean() > 1e-3


def test_checkpoint_of_another_problem_or_truncated_is_refused(tmp_path):
    m = make_method("deterministic", "elu", device="cpu")
    m.build(Data(torch.randn(8, 64), torch.randn(8, 64)))
    path = tmp_path / "m.pt"
    io.save_checkpoint({**m.state_dict(), "status": "ok"}, path)
    with pytest.raises(io.DataFileError, match=r"m\.pt.*problem 'elu'"):
        io.load_checkpoint(path, problem="poisson")
    path.write_bytes(path.read_bytes()[:100])
    with pytest.raises(io.DataFileError, match=r"m\.pt"):
        io.load_checkpoint(path)
