"""One contract over every registered method: fit -> sample -> write -> read, on each problem."""

import dataclasses
from pathlib import Path

import numpy as np
import pytest
import torch
import yaml

from uqbench import io
from uqbench.methods import METHODS, make_method
from uqbench.methods.base import Data, stochastic_indices
from uqbench.methods.run import load_method
from uqbench.problems import make_problem

REPO = Path(__file__).resolve().parents[2]
TINY_RECIPE = {"epochs": 2, "batch_size": 16}
TINY_HYPER = {
    "climatology": {},
    "ridge": {"n_alphas": 5},
    "deterministic": {},
    "genuq": {"epochs": 2, "batch_size": 16, "n_z": 4, "hidden": [8]},
    "vi": {"epochs": 2, "batch_size": 16, "n_mc": 2},
    "flow": {"epochs": 2, "batch_size": 16, "n_mc": 2, "hidden": [8]},
    "mc_dropout": {"val_masks": 2},
    "ensemble": {"members": 3},
    "regrad": {"n_probes": 2, "n_perturbations": 2},
    "isograd": {"n_probes": 4, "score_probes": 2},
    "ecsg": {
        "latent_u": 4,
        "latent_a": 4,
        "ode_steps": 10,
        "n_pairs": 32,
        "hidden": [8],
        "epochs": 2,
    },
    "decu": {"members": 3},
}
SIZES = {"train": 48, "val": 8, "test": 4, "ood": 4, "realizations": 8}
SMALL = {"elu": {"grid": 64}, "poisson": {"n": 8}, "porous": {"length": 16, "width": 8}}


def test_registry_matches_the_schema():
    schema = yaml.safe_load((REPO / "workflow/schemas/config.schema.yaml").read_text())
    # the oracle is no registered method: its predictions are the problem's own draws
    assert set(schema["properties"]["methods"]["items"]["enum"]) == {*METHODS, "oracle"}
    assert set(schema["properties"]["hyper"]["properties"]) == set(METHODS)
    assert set(TINY_HYPER) == set(METHODS)  # this contract test covers every method
    smk = (REPO / "workflow/rules/common.smk").read_text()
    consts = (("RATIO_METHODS", "uses_ratio"), ("SCORE_METHODS", "has_score"),
              ("REFERENCE_METHODS", "reference"))  # fmt: skip
    for const, attr in consts:
        line = smk.split(f"{const} = ")[1].split("\n")[0]
        declared = {n for n, cls in METHODS.items() if getattr(cls, attr)}
        assert {w.strip('" ') for w in line.strip("{}").split(",")} == declared, const


@pytest.mark.parametrize("problem", sorted(SMALL))
@pytest.mark.parametrize("name", sorted(METHODS))
def test_fit_sample_write_read(name, problem, tmp_path):
    p = make_problem(problem, {**SMALL[problem], "sizes": SIZES})
    tr, te = p.generate("train", 0), p.generate("test", 0)
    train = Data(torch.from_numpy(tr["input"].values), torch.from_numpy(tr["output"].values[:, 0]))
    m = make_method(name, problem, TINY_HYPER[name], ratio=0.05, seed=0, device="cpu",
                    recipe=TINY_RECIPE)  # fmt: skip
    if m.needs_pretrained:
        det = make_method("deterministic", problem, device="cpu", recipe=TINY_RECIPE)
        det.fit(train, train)
        m.attach_pretrained(det.model)
    history = m.fit(train, train)
    assert all(np.isfinite(r["val_loss"]) for r in history)
    # every phase keeps one epoch; only post-hoc methods and climatology train nothing
    assert sum(r["selected"] for r in history) == len({r["phase"] for r in history})
    assert history or m.needs_pretrained or name == "climatology"
    inputs = torch.from_numpy(te["input"].values)
    s = m.sample(inputs, 6, torch.Generator().manual_seed(0))
    assert s.shape == (6, *te["output"].shape[:1], *te["output"].shape[2:])
    assert torch.isfinite(s).all()
    score = m.epistemic_score(inputs) if m.has_score else None
    if m.has_score:
        assert score.shape == (inputs.shape[0],) and torch.isfinite(score).all()

    ckpt = tmp_path / "model.pt"
    io.save_checkpoint({**m.state_dict(), "status": "ok"}, ckpt)
    again, _ = load_method(str(ckpt), device="cpu")
    torch.testing.assert_close(again.sample(inputs, 6, torch.Generator().manual_seed(0)), s)
    if m.has_score:
        torch.testing.assert_close(again.epistemic_score(inputs), score)

    attrs = {"problem": problem, "method": name, "ratio": 0.05, "seed": 0, "status": "ok"}
    out = tmp_path / "test.nc"
    score_np = None if score is None else score.detach().numpy()
    ds = io.prediction_dataset(
        s.detach().numpy(), te["output"].dims[2:], te.coords, attrs, score_np
    )
    io.write_dataset(ds, out)
    back = io.read_predictions(out)
    assert ("epistemic_score" in back) == m.has_score
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
    m = make_method("genuq", "elu", TINY_HYPER["genuq"], ratio=0.2, seed=0, device="cpu")
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
