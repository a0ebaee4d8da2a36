"""One contract over every registered method: fit -> sample -> write -> read, on each problem."""

import dataclasses
from pathlib import Path

import numpy as np
import pytest
import torch
import yaml

from uqbench import io
from uqbench.catalogue import CATALOGUE, ORACLE, PROBLEMS, table_order, traits, variant_hyper
from uqbench.methods import METHODS, from_checkpoint, make_method, prepare, tiny_hyper
from uqbench.methods.base import Data, stochastic_indices
from uqbench.problems import PROBLEMS as PROBLEM_CLASSES
from uqbench.problems import make_problem
from uqbench.stages.data import split_dataset

REPO = Path(__file__).resolve().parents[2]
TINY_RECIPE = {"epochs": 2, "batch_size": 16}
SIZES = {"train": 48, "val": 8, "calib": 8, "test": 4, "ood": 4, "realizations": 8}
# every catalogued problem at its tiny settings: a new problem cannot escape the contract
SMALL = {name: {**t.tiny, "sizes": SIZES} for name, t in PROBLEMS.items()}


SCHEMA = yaml.safe_load((REPO / "workflow/schemas/config.schema.yaml").read_text())
VARIANTS = SCHEMA["properties"]["variants"]["default"]


def load(path, device="cpu"):
    return from_checkpoint(io.load_checkpoint(path), device)


def test_registry_matches_the_catalogue_and_the_schema():
    props = SCHEMA["properties"]
    # the default study: every catalogued method and every default variant, in table order
    assert props["methods"]["default"] == table_order([*CATALOGUE, *VARIANTS], VARIANTS)
    bases = props["variants"]["additionalProperties"]["properties"]["method"]["enum"]
    assert bases == [m for m in CATALOGUE if m != ORACLE]
    budgets = SCHEMA["definitions"]["method_overrides"]["propertyNames"]["enum"]
    assert budgets == bases
    # every catalogued method but the oracle (the problem's own draws) has a class
    assert set(METHODS) == {n for n, t in CATALOGUE.items() if t.cls is not None}
    assert set(props["hyper"]["properties"]) == set(METHODS)
    # the problems: the catalogue's, each with its class, schema slice and default study
    assert props["problems"]["default"] == list(PROBLEMS)
    assert set(props["data"]["properties"]) == {"seed", *PROBLEMS}
    assert set(props["base_model"]["properties"]) == set(PROBLEMS)
    for name, t in PROBLEMS.items():
        cls = PROBLEM_CLASSES[name]
        assert cls.name == name and cls().output_kind == t.output_kind
    for name, cls in METHODS.items():
        assert cls.name == name and cls.traits() is CATALOGUE[name]
    for name in VARIANTS:  # each default variant's overrides are keys of its base's slice
        defaults = {m: {k: v.get("default") for k, v in slice_props(m).items()} for m in METHODS}
        assert set(variant_hyper(name, defaults, VARIANTS)) == set(
            defaults[traits(name, VARIANTS).base]
        )


def slice_props(method):
    """The keys of a method's hyper slice in the schema (its own and its allOf refs')."""
    node = SCHEMA["properties"]["hyper"]["properties"][method]
    props = dict(node.get("properties", {}))
    for ref in node.get("allOf", []):
        props.update(SCHEMA["definitions"][ref["$ref"].rsplit("/", 1)[1]]["properties"])
    return props


@pytest.mark.parametrize("problem", sorted(SMALL))
@pytest.mark.parametrize("name", sorted(METHODS))
def test_fit_sample_write_read(name, problem, tmp_path):
    p = make_problem(problem, SMALL[problem])
    tr, te = (split_dataset(p.generate(s, 0)) for s in ("train", "test"))
    train = Data(torch.from_numpy(tr["input"].values), torch.from_numpy(tr["output"].values[:, 0]))
    m = make_method(
        name, problem, tiny_hyper()[name], ratio=0.05, seed=0, device="cpu", recipe=TINY_RECIPE
    )
    base = None
    for need in m.traits().needs:
        base = prepare(make_method(need, problem, device="cpu", recipe=TINY_RECIPE), train)
        base.fit(train, train)
    history = prepare(m, train, base).fit(train, train)
    assert all(np.isfinite(r["val_loss"]) for r in history)
    # every phase keeps one epoch; only post-hoc methods and climatology train nothing
    assert sum(r["selected"] for r in history) == len({r["phase"] for r in history})
    assert history or m.traits().needs or m.traits().role == "reference"
    inputs = torch.from_numpy(te["input"].values)
    t = m.traits()
    s = score = None
    if t.samples:
        s = m.sample(inputs, 6, torch.Generator().manual_seed(0))
        assert s.shape == (6, *te["output"].shape[:1], *te["output"].shape[2:])
        assert torch.isfinite(s).all()
    else:  # a score-only reference draws nothing
        with pytest.raises(NotImplementedError):
            m.sample(inputs, 6, torch.Generator().manual_seed(0))
    if t.epistemic:
        score = m.epistemic_score(inputs)
        assert score.shape == (inputs.shape[0],) and torch.isfinite(score).all()

    ckpt = tmp_path / "model.pt"
    io.save_checkpoint({**m.state_dict(), "status": "ok"}, ckpt)
    again = load(ckpt)
    if t.samples:
        torch.testing.assert_close(again.sample(inputs, 6, torch.Generator().manual_seed(0)), s)
    if t.epistemic:
        torch.testing.assert_close(again.epistemic_score(inputs), score)

    attrs = {"problem": problem, "method": name, "base_method": name, "seed": 0, "status": "ok"}
    out = tmp_path / "test.nc"
    samples = None if s is None else s.detach().numpy()
    score_np = None if score is None else score.detach().numpy()
    ds = io.prediction_dataset(samples, te["output"].dims[2:], te.coords, attrs, score_np)
    io.write_dataset(ds, out)
    back = io.read_predictions(out)
    assert ("epistemic_score" in back) == t.epistemic
    assert ("prediction" in back) == t.samples
    if t.samples:
        assert back["prediction"].dims[:2] == ("sample", "case")
        np.testing.assert_allclose(back["prediction"].values, samples, rtol=1e-6)


def test_a_variant_runs_its_base_under_its_own_name(tmp_path):
    """regrad_uniform (a default variant): regrad's class with depth_base 1, its own name in
    the checkpoint, rebuilt as such, the base's random streams (the same probes)."""
    p = make_problem("elu", SMALL["elu"])
    tr = split_dataset(p.generate("train", 0))
    train = Data(torch.from_numpy(tr["input"].values), torch.from_numpy(tr["output"].values[:, 0]))
    det = prepare(make_method("deterministic", "elu", device="cpu", recipe=TINY_RECIPE), train)
    det.fit(train, train)
    hyper = variant_hyper("regrad_uniform", tiny_hyper(), VARIANTS)
    assert hyper["depth_base"] == 1.0
    m = make_method("regrad_uniform", "elu", hyper, device="cpu", variant_of="regrad")
    prepare(m, train, det).fit(train, train)
    assert (m.label, m.name) == ("regrad_uniform", "regrad")
    assert torch.allclose(m.stats.weights, m.stats.weights[0])  # uniform over layers
    io.save_checkpoint({**m.state_dict(), "status": "ok"}, tmp_path / "v.pt")
    again = load(tmp_path / "v.pt")
    assert again.label == "regrad_uniform" and again.hyper.depth_base == 1.0
    base = make_method("regrad", "elu", tiny_hyper()["regrad"], device="cpu")
    prepare(base, train, det).fit(train, train)
    torch.testing.assert_close(base.stats.perturbations, m.stats.perturbations)


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
