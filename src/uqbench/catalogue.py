"""The catalogue of methods: what each method *is*, declared once, torch-free.

The Snakefile reads it at parse time (which runs exist, which files a job needs), the method
registry reads it to find each class, the tables read it to order rows, and the tests check
the schema and the classes against it. Adding a method = its module in
``uqbench/methods/``, one entry here, and its slice of the config schema.

Traits:

* ``ratio``: how the method uses the stochastic-parameter ratio: ``sweep`` (trained once
  per ratio of ``ratios``: the ratio study), ``main`` (a subset of the same size as the
  swept methods' at ``main_ratio`` only; in the per-problem tables, not the ratio study) or
  ``none`` (trained once, with ratio ``na`` in paths).
* ``epistemic``: has an epistemic score (predict writes it, evaluate scores OOD detection).
* ``needs``: methods whose trained model this one works on (the post-hoc methods use the
  deterministic model's checkpoint); a config naming it without them is rejected.
* ``role``: ``oracle`` (fresh draws of the truth: predicted, never trained), ``reference``
  (a yardstick forecast: no divergence check) or ``method``.
* ``stochastic_phase``: trains a stochastic phase that starts from a pre-fit or a fresh
  generator (genuq, vi, flow, pno, ecsg): a run whose phase never beats its start on the
  validation objective has status ``no_gain`` (``STATUSES``).
* ``samples``: draws predictive samples (False: a score only, like ``input_distance``).
* ``cls``: where its class lives, ``module:Class`` (none for the oracle).

A *variant* (config ``variants``) is a catalogued method run with some hyper-parameters
overridden, under its own name (e.g. ``regrad_uniform``: regrad with uniform depth weights):
the one way to ablate. It has its base's traits and ``variant_of`` set to the base.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

ROLES = ("oracle", "reference", "method")
RATIO_USES = ("none", "main", "sweep")
# The model every learned method's validation error is compared with (divergence check).
DIVERGENCE_REFERENCE = "deterministic"
NO_RATIO = "na"  # the ratio's path form for methods that do not sweep it
# A run's status: ``ok``; ``no_gain`` (a stochastic phase that never beat its start on the
# validation objective: its metrics stand, tables mark it, the ratio claim counts it as the
# paper's DnC); ``diverged`` (non-finite, or a mean far worse than the reference: NaN metrics)
STATUSES = ("ok", "no_gain", "diverged")
SCORED = ("ok", "no_gain")  # statuses whose predictions exist and are scored


@dataclass(frozen=True)
class MethodTraits:
    name: str
    cls: str | None
    role: str = "method"
    ratio: str = "none"
    epistemic: bool = False
    needs: tuple[str, ...] = ()
    stochastic_phase: bool = False
    samples: bool = True
    variant_of: str | None = None
    # the tiny study's overrides of its hyper-parameters (config ``tiny: true``)
    tiny: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.role not in ROLES:
            raise ValueError(f"method {self.name!r}: role must be one of {ROLES}")
        if (self.cls is None) != (self.role == "oracle"):
            raise ValueError(f"method {self.name!r}: only the oracle has no class")
        if self.ratio not in RATIO_USES:
            raise ValueError(f"method {self.name!r}: ratio must be one of {RATIO_USES}")
        if not (self.samples or self.epistemic):
            raise ValueError(f"method {self.name!r}: draws no samples and has no score")

    @property
    def base(self) -> str:
        """The catalogued method this one runs (itself, unless it is a variant)."""
        return self.variant_of or self.name

    @property
    def sweeps_ratio(self) -> bool:
        """Whether the method runs at every ratio of ``ratios`` (the ratio study)."""
        return self.ratio == "sweep"

    @property
    def uses_ratio(self) -> bool:
        """Whether the method has a stochastic subset, hence a ratio (swept or the main one)."""
        return self.ratio != "none"

    @property
    def trained(self) -> bool:
        """Whether the method has a training job (all but the oracle)."""
        return self.role != "oracle"

    @property
    def divergence_checked(self) -> bool:
        """Whether a run is compared with ``DIVERGENCE_REFERENCE`` after training: every
        learned method that trains its own model (not the references, not the reference
        itself, not the post-hoc methods that reuse its model)."""
        return (
            self.role == "method"
            and self.name != DIVERGENCE_REFERENCE
            and DIVERGENCE_REFERENCE not in self.needs
        )


def _m(name: str, cls: str | None, **traits: object) -> MethodTraits:
    return MethodTraits(name, cls and f"uqbench.methods.{cls}", **traits)  # type: ignore[arg-type]


DET = "deterministic"  # the trained model the post-hoc methods work on
PHASE = {"epochs": 3, "batch_size": 32}  # a method's own phase in the tiny study
# Table order: the oracle (the floor), the references, then the methods.
CATALOGUE: dict[str, MethodTraits] = {
    t.name: t
    for t in (
        _m("oracle", None, role="oracle"),
        _m("climatology", "climatology:Climatology", role="reference"),
        _m("ridge", "ridge:Ridge", role="reference", tiny={"n_alphas": 7}),
        _m("input_distance", "input_distance:InputDistance", role="reference",
           epistemic=True, samples=False),
        _m("deterministic", "deterministic:Deterministic"),
        _m("genuq", "genuq:GenUQ", ratio="sweep", stochastic_phase=True,
           tiny={**PHASE, "n_z": 4, "hidden": [16, 16]}),
        _m("vi", "vi:VI", ratio="sweep", stochastic_phase=True, tiny={**PHASE, "n_mc": 2}),
        _m("flow", "flow:Flow", ratio="sweep", stochastic_phase=True,
           tiny={**PHASE, "n_mc": 2, "hidden": [16]}),
        _m("mc_dropout", "mc_dropout:MCDropout", tiny={"val_masks": 2}),
        _m("ensemble", "ensemble:Ensemble", epistemic=True, tiny={"members": 3}),
        _m("regrad", "regrad:Regrad", epistemic=True, needs=(DET,),
           tiny={"n_probes": 2, "n_perturbations": 2}),
        _m("isograd", "isograd:Isograd", epistemic=True, needs=(DET,),
           tiny={"n_probes": 4, "score_probes": 2}),
        _m("ecsg", "ecsg:Ecsg", stochastic_phase=True,
           tiny={"latent_u": 4, "latent_a": 4, "ode_steps": 20, "n_pairs": 64, "hidden": [16],
                 "epochs": 3}),
        _m("decu", "decu:Decu", epistemic=True, tiny={"members": 3}),
        _m("laplace", "laplace:Laplace", ratio="main", epistemic=True, needs=(DET,),
           tiny={"rounds": 2, "jacobian_mb": 64, "tangent_chunk": 256}),
        _m("pno", "pno:PNO", stochastic_phase=True, tiny={**PHASE, "n_z": 4}),
    )
}  # fmt: skip


@dataclass(frozen=True)
class ProblemTraits:
    """What a problem is: its class (``module:Class`` in ``uqbench.problems``), how its
    output is drawn with the default settings (``curve``, ``field`` or ``point``), and the
    tiny study's overrides of its data settings (``tiny``) and base-model recipe
    (``tiny_recipe``)."""

    name: str
    cls: str
    output_kind: str
    tiny: Mapping[str, Any] = field(default_factory=dict)
    tiny_recipe: Mapping[str, Any] = field(default_factory=dict)


TINY_SIZES = {"train": 64, "val": 16, "calib": 16, "test": 8, "ood": 8, "realizations": 32}
# Adding a problem = its module in uqbench/problems/, one line here, its config schema slice.
PROBLEMS: dict[str, ProblemTraits] = {
    p.name: p
    for p in (
        ProblemTraits("elu", "elu:Elu", "curve", {"grid": 64, "sizes": TINY_SIZES},
                      {"epochs": 4, "batch_size": 32}),
        ProblemTraits("poisson", "poisson:Poisson", "field", {"n": 12, "sizes": TINY_SIZES},
                      {"epochs": 4, "batch_size": 32}),
        ProblemTraits("porous", "porous:Porous", "point",
                      {"length": 32, "width": 16, "sizes": TINY_SIZES},
                      {"epochs": 3, "batch_size": 32}),
    )
}  # fmt: skip


def _merged(base: Mapping[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    """``base`` with ``over`` on top, nested mappings merged key by key."""
    out = dict(base)
    for k, v in over.items():
        out[k] = _merged(out.get(k, {}), v) if isinstance(v, Mapping) else v
    return out


def tiny_config(config: Mapping[str, Any]) -> dict[str, Any]:
    """A validated config with the tiny study's overrides of every problem's data settings
    and recipe and every method's hyper-parameters (their catalogue entries' ``tiny``) on
    top: what config ``tiny: true`` runs, so a new problem or method is in the tiny study
    by its catalogue line alone. The full-size training budgets (config ``budgets``) are
    dropped: the tiny entries are the tiny study's budgets."""
    out = {k: dict(v) if isinstance(v, Mapping) else v for k, v in config.items()}
    out["budgets"] = {}
    for p, t in PROBLEMS.items():
        out["data"][p] = _merged(config["data"].get(p, {}), t.tiny)
        out["base_model"][p] = _merged(config["base_model"].get(p, {}), t.tiny_recipe)
    for m, t in CATALOGUE.items():
        if t.cls is not None:
            out["hyper"][m] = _merged(config["hyper"].get(m, {}), t.tiny)
    return out


ORACLE = "oracle"
Variants = Mapping[str, Mapping[str, Any]]  # config ``variants``: {name: {method, hyper}}


def traits(name: str, variants: Variants | None = None) -> MethodTraits:
    """The catalogue entry of ``name``, or of the variant ``name`` of ``variants`` (its
    base's traits under its own name); unknown names raise naming the known ones."""
    if name in CATALOGUE:
        return CATALOGUE[name]
    if variants and name in variants:
        base = variants[name].get("method")
        if base not in CATALOGUE or base == ORACLE:
            raise ValueError(
                f"config key variants.{name}.method must name a catalogued method other "
                f"than the oracle, got {base!r}; catalogue: {sorted(CATALOGUE)}"
            )
        return replace(CATALOGUE[base], name=name, variant_of=base)
    known = sorted(CATALOGUE) + sorted(variants or ())
    raise ValueError(f"unknown method {name!r}; catalogue and variants: {known}")


def select(methods: Iterable[str], variants: Variants | None = None, **want: bool) -> list[str]:
    """The names of ``methods`` whose traits have the given values, in the given order,
    e.g. ``select(config["methods"], config["variants"], sweeps_ratio=True)``."""
    return [
        m for m in methods if all(getattr(traits(m, variants), k) == v for k, v in want.items())
    ]


def variant_hyper(
    name: str,
    hyper: Mapping[str, Mapping[str, Any]],
    variants: Variants | None = None,
    problem_hyper: Mapping[str, Mapping[str, Any]] | None = None,
    problem: str = "",
    budgets: Mapping[str, Mapping[str, Any]] | None = None,
) -> dict[str, Any]:
    """The hyper-parameters of method ``name`` on ``problem``: its base's slice of ``hyper``
    (config ``hyper``, one slice per catalogued method, defaults filled), then the
    problem's training budget (config ``budgets.<problem>.<base>``: the epochs that fit the
    problem at full size; the tiny study drops them), then the problem's overrides (config
    ``problem_hyper.<problem>.<base>``), then a variant's own overrides (config
    ``variants.<name>.hyper``: an ablation changes what it names, whatever the problem). An
    override key the base does not have raises, naming it."""
    t = traits(name, variants)
    out = dict(hyper.get(t.base, {}))
    layers = [
        (f"{key}.{problem}.{t.base}", (given or {}).get(problem, {}).get(t.base, {}))
        for key, given in (("budgets", budgets), ("problem_hyper", problem_hyper))
    ]
    if t.variant_of is not None:
        layers.append((f"variants.{name}.hyper", variants[name].get("hyper", {})))  # type: ignore[index]
    for where, extra in layers:
        unknown = sorted(set(extra) - set(out))
        if unknown:
            raise ValueError(
                f"config key {where} has unknown key(s) {unknown}; hyper.{t.base} has {sorted(out)}"
            )
        out.update(extra)
    return out


def is_stochastic_phase(phase: str, name: str) -> bool:
    """Whether a training-log phase is one of method ``name``'s stochastic phases: tagged
    ``name`` or ``name/...`` other than its pre-fit ``name/pretrain`` (ecsg: one per
    smoothing value). A variant trains under its base's name."""
    return phase == name or (phase.startswith(f"{name}/") and phase != f"{name}/pretrain")


def table_order(names: Iterable[str], variants: Variants | None = None) -> list[str]:
    """``names`` in table order: the catalogue's, each variant right after its base."""
    order = list(CATALOGUE)

    def key(name: str) -> tuple[int, int, str]:
        base = (variants or {}).get(name, {}).get("method", name)
        rank = order.index(base) if base in order else len(order)
        return rank, int(base != name), name

    return sorted(names, key=key)


def check_study(
    methods: Iterable[str], variants: Variants | None = None, key: str = "methods"
) -> None:
    """Reject a study with an unknown method, a variant that shadows a catalogued name, or
    methods that miss what they need, naming them (``key``: the config key of the list)."""
    chosen = list(methods)
    clash = sorted(set(variants or ()) & set(CATALOGUE))
    if clash:
        raise ValueError(f"config key variants: {clash} already name catalogued methods")
    missing = [(m, n) for m in chosen for n in traits(m, variants).needs if n not in chosen]
    if missing:
        raise ValueError(
            "; ".join(
                f"config key {key} lists {m!r}, which works on the trained {n!r} model: "
                f"add {n!r} to {key}"
                for m, n in missing
            )
        )


def problem_methods(
    methods: Sequence[str],
    chosen: Mapping[str, Sequence[str]],
    problems: Iterable[str],
    variants: Variants | None = None,
) -> dict[str, list[str]]:
    """The methods each of ``problems`` runs: those of ``methods`` that its entry of config
    ``problem_methods`` (``chosen``) lists, in the order of ``methods`` (so a config layered
    on top that narrows ``methods`` narrows every problem with it), or every method without
    an entry. Unknown names, a problem left with no method, and lists that miss what their
    methods need (``check_study``) raise, naming the key."""
    known = set(CATALOGUE) | set(variants or ())
    for p, subset in chosen.items():
        unknown = [m for m in subset if m not in known]
        if unknown:
            raise ValueError(
                f"config key problem_methods.{p}: unknown method(s) {unknown}; catalogue "
                f"and variants: {sorted(known)}"
            )
    out = {}
    for p in problems:
        subset = chosen.get(p)
        if subset is None:
            out[p] = list(methods)
            continue
        out[p] = [m for m in methods if m in subset]
        if not out[p]:
            raise ValueError(
                f"config key problem_methods.{p} lists {list(subset)}: none of them is in "
                f"methods {list(methods)}, so {p} would run no method"
            )
        check_study(out[p], variants, key=f"problem_methods.{p}")
    return out


def ratio_label(ratio: float | str | None, missing: str = "–") -> str:
    """The one text form of a stochastic-parameter ratio, from config to tables: ``repr`` of
    the float (``0.016``); ``missing`` for none (``NO_RATIO`` where a path needs a word)."""
    if ratio is None or ratio == NO_RATIO:
        return missing
    value = float(ratio)
    return repr(value) if math.isfinite(value) else missing
