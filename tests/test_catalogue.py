"""The method catalogue: one declaration of what each method is, read by the registry, the
rules and the tests; defaults written once; random streams that do not depend on order."""

from dataclasses import asdict
from pathlib import Path

import pytest
import torch
import yaml
from snakemake.utils import validate

from uqbench.catalogue import (
    CATALOGUE,
    PROBLEMS,
    check_study,
    problem_methods,
    ratio_label,
    select,
    table_order,
    tiny_config,
    traits,
    variant_hyper,
)
from uqbench.methods import METHODS, Data, make_method, prepare, tiny_hyper

REPO = Path(__file__).resolve().parents[1]


def _plain(hyper) -> dict:
    return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(hyper).items()}


def test_a_method_without_what_it_needs_is_rejected_naming_both():
    check_study(["deterministic", "regrad"])
    with pytest.raises(ValueError, match=r"'regrad'.*'deterministic'"):
        check_study(["oracle", "regrad", "isograd"])


def test_problem_methods_narrow_the_study_in_its_order():
    study = ["oracle", "deterministic", "genuq", "regrad"]
    out = problem_methods(study, {"porous": ["genuq", "oracle", "vi"]}, ["elu", "porous"])
    assert out == {"elu": study, "porous": ["oracle", "genuq"]}  # vi: not in the study
    with pytest.raises(ValueError, match=r"problem_methods.porous lists 'regrad'.*'deterministic'"):
        problem_methods(study, {"porous": ["regrad"]}, ["porous"])
    with pytest.raises(ValueError, match=r"problem_methods.elu: unknown method\(s\) \['gp'\]"):
        problem_methods(study, {"elu": ["genuq", "gp"]}, ["elu"])
    with pytest.raises(ValueError, match="elu would run no method"):
        problem_methods(["genuq"], {"elu": ["vi"]}, ["elu"])
    with pytest.raises(ValueError, match="unknown"):  # a typo fails on a problem not run too
        problem_methods(study, {"porous": ["gp"]}, ["elu"])


def test_unknown_method_names_the_catalogue():
    with pytest.raises(ValueError, match=r"unknown method 'genuqq'.*catalogue"):
        traits("genuqq")


VARIANTS = {"genuq_last": {"method": "genuq", "hyper": {"n_z": 8}}}


def test_a_variant_has_its_base_traits_under_its_own_name():
    t = traits("genuq_last", VARIANTS)
    assert (t.name, t.variant_of, t.base, t.sweeps_ratio) == ("genuq_last", "genuq", "genuq", True)
    assert select(["vi", "genuq_last"], VARIANTS, sweeps_ratio=True) == ["vi", "genuq_last"]
    hyper = variant_hyper("genuq_last", {"genuq": {"n_z": 16, "latent_dim": 16}}, VARIANTS)
    assert hyper == {"n_z": 8, "latent_dim": 16}
    assert table_order(["genuq_last", "vi", "oracle", "genuq"], VARIANTS) == [
        "oracle",
        "genuq",
        "genuq_last",
        "vi",
    ]


def test_a_problem_budget_sits_between_the_slice_and_a_variant():
    hyper = {"genuq": {"n_z": 16, "epochs": 300, "patience": 50}}
    per_problem = {"porous": {"genuq": {"epochs": 40, "n_z": 12}}}
    on = lambda name, problem: variant_hyper(name, hyper, VARIANTS, per_problem, problem)  # noqa: E731
    assert on("genuq", "porous") == {"n_z": 12, "epochs": 40, "patience": 50}
    assert on("genuq", "elu") == hyper["genuq"]
    assert on("genuq_last", "porous") == {"n_z": 8, "epochs": 40, "patience": 50}  # its own n_z
    with pytest.raises(ValueError, match=r"problem_hyper\.porous\.genuq has unknown key"):
        variant_hyper("genuq", hyper, None, {"porous": {"genuq": {"epoch": 3}}}, "porous")


def test_a_budget_sits_under_the_problem_overrides_and_a_variant():
    hyper = {"genuq": {"n_z": 16, "epochs": 300, "patience": 50}}
    budgets = {"porous": {"genuq": {"epochs": 40, "patience": 10}}}
    per_problem = {"porous": {"genuq": {"patience": 1000}}}
    on = lambda name, over: variant_hyper(name, hyper, VARIANTS, over, "porous", budgets)  # noqa: E731
    assert on("genuq", None) == {"n_z": 16, "epochs": 40, "patience": 10}
    assert on("genuq", per_problem) == {"n_z": 16, "epochs": 40, "patience": 1000}
    assert on("genuq_last", None) == {"n_z": 8, "epochs": 40, "patience": 10}
    assert variant_hyper("genuq", hyper, None, None, "elu", budgets) == hyper["genuq"]
    with pytest.raises(ValueError, match=r"budgets\.porous\.genuq has unknown key"):
        variant_hyper("genuq", hyper, None, None, "porous", {"porous": {"genuq": {"epoch": 3}}})


def test_bad_variants_are_rejected_naming_the_key():
    with pytest.raises(ValueError, match=r"variants\.x\.method must name a catalogued method"):
        traits("x", {"x": {"method": "genuqq"}})
    with pytest.raises(
        ValueError, match=r"variants\.genuq_last\.hyper has unknown key\(s\) \['nz'\]"
    ):
        variant_hyper(
            "genuq_last",
            {"genuq": {"n_z": 16}},
            {"genuq_last": {"method": "genuq", "hyper": {"nz": 8}}},
        )
    with pytest.raises(ValueError, match=r"variants: \['vi'\] already name catalogued methods"):
        check_study(["vi"], {"vi": {"method": "genuq"}})
    uniform = {"regrad_uniform": {"method": "regrad", "hyper": {"depth_base": 1.0}}}
    with pytest.raises(ValueError, match=r"'regrad_uniform'.*'deterministic'"):
        check_study(["regrad_uniform"], uniform)


def test_selections_keep_the_given_order():
    methods = ["vi", "oracle", "genuq", "regrad", "deterministic"]
    assert select(methods, sweeps_ratio=True) == ["vi", "genuq"]
    assert select(methods, trained=False) == ["oracle"]
    assert select(methods, epistemic=True) == ["regrad"]


def test_every_default_is_written_once():
    """Dataclass defaults = schema defaults = config.yaml where it documents them."""
    filled: dict = {}
    validate(filled, str(REPO / "workflow/schemas/config.schema.yaml"))
    study = yaml.safe_load((REPO / "config.yaml").read_text())
    for name, cls in METHODS.items():
        want = _plain(cls.Hyper())
        assert filled["hyper"][name] == want, f"schema defaults of hyper.{name}"
        if name in study["hyper"]:
            assert study["hyper"][name] == want, f"config.yaml hyper.{name}"


def test_the_tiny_study_takes_every_problem_and_method_from_the_catalogue():
    """tests/config/tiny.yaml (the README's tiny-study command) sets ``tiny: true``; every
    catalogued method's and problem's tiny overrides are keys of its config slice, and the
    tiny config they give validates against the schema."""
    study = yaml.safe_load((REPO / "tests/config/tiny.yaml").read_text())
    assert study["tiny"] is True and not {"hyper", "data", "base_model"} & set(study)
    cfg = yaml.safe_load((REPO / "config.yaml").read_text()) | study
    validate(cfg, str(REPO / "workflow/schemas/config.schema.yaml"))
    tiny = tiny_config(cfg)
    validate(tiny, str(REPO / "workflow/schemas/config.schema.yaml"))  # known keys, in range
    assert tiny["hyper"] == {**cfg["hyper"], **tiny_hyper()}
    assert cfg["budgets"] and tiny["budgets"] == {}  # the full-size budgets are not tiny's
    for name, t in CATALOGUE.items():
        assert set(t.tiny) <= set(cfg["hyper"].get(name, {})), name
    for name, t in PROBLEMS.items():
        assert tiny["data"][name]["sizes"]["train"] == t.tiny["sizes"]["train"]
        assert set(t.tiny_recipe) <= set(cfg["base_model"][name]), name


@pytest.mark.parametrize(
    ("ratio", "label"), [(0.016, "0.016"), ("0.016", "0.016"), (1, "1.0"), (None, "–")]
)
def test_ratio_has_one_text_form(ratio, label):
    assert ratio_label(ratio) == label
    assert ratio_label(None, missing="na") == "na"


def test_samples_do_not_depend_on_the_order_methods_are_built_and_fit():
    train = Data(torch.randn(24, 64), torch.randn(24, 64))
    recipe = {"epochs": 2, "batch_size": 8}

    def run(name: str) -> torch.Tensor:
        m = make_method(
            name, "elu", tiny_hyper()[name], ratio=0.05, seed=3, device="cpu", recipe=recipe
        )
        prepare(m, train).fit(train, train)
        return m.sample(train.inputs[:4], 5, torch.Generator().manual_seed(0))

    torch.manual_seed(0)
    first = {name: run(name) for name in ("genuq", "mc_dropout", "ensemble")}
    torch.manual_seed(1)  # whatever the global state, the named streams decide
    second = {name: run(name) for name in ("ensemble", "mc_dropout", "genuq")}
    for name in first:
        torch.testing.assert_close(first[name], second[name], msg=name)
    assert next(iter(CATALOGUE)) == "oracle"  # the floor stands first in every table
