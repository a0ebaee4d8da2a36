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
* ``cls``: where its class lives, ``module:Class`` (none for the oracle).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

ROLES = ("oracle", "reference", "method")
RATIO_USES = ("none", "main", "sweep")
# The model every learned method's validation error is compared with (divergence check).
DIVERGENCE_REFERENCE = "deterministic"
NO_RATIO = "na"  # the ratio's path form for methods that do not sweep it


@dataclass(frozen=True)
class MethodTraits:
    name: str
    cls: str | None
    role: str = "method"
    ratio: str = "none"
    epistemic: bool = False
    needs: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.role not in ROLES:
            raise ValueError(f"method {self.name!r}: role must be one of {ROLES}")
        if (self.cls is None) != (self.role == "oracle"):
            raise ValueError(f"method {self.name!r}: only the oracle has no class")
        if self.ratio not in RATIO_USES:
            raise ValueError(f"method {self.name!r}: ratio must be one of {RATIO_USES}")

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
# Table order: the oracle (the floor), the references, then the methods.
CATALOGUE: dict[str, MethodTraits] = {
    t.name: t
    for t in (
        _m("oracle", None, role="oracle"),
        _m("climatology", "climatology:Climatology", role="reference"),
        _m("ridge", "ridge:Ridge", role="reference"),
        _m("deterministic", "deterministic:Deterministic"),
        _m("genuq", "genuq:GenUQ", ratio="sweep"),
        _m("vi", "vi:VI", ratio="sweep"),
        _m("flow", "flow:Flow", ratio="sweep"),
        _m("mc_dropout", "mc_dropout:MCDropout"),
        _m("ensemble", "ensemble:Ensemble", epistemic=True),
        _m("regrad", "regrad:Regrad", epistemic=True, needs=(DET,)),
        _m("isograd", "isograd:Isograd", epistemic=True, needs=(DET,)),
        _m("ecsg", "ecsg:Ecsg"),
        _m("decu", "decu:Decu", epistemic=True),
        _m("laplace", "laplace:Laplace", ratio="main", epistemic=True, needs=(DET,)),
        _m("pno", "pno:PNO"),
    )
}
ORACLE = "oracle"


def traits(name: str) -> MethodTraits:
    """The catalogue entry of ``name``; unknown names raise naming the known ones."""
    try:
        return CATALOGUE[name]
    except KeyError:
        raise ValueError(f"unknown method {name!r}; catalogue: {sorted(CATALOGUE)}") from None


def select(methods: Iterable[str], **want: bool) -> list[str]:
    """The names of ``methods`` whose traits have the given values, in the given order,
    e.g. ``select(config["methods"], sweeps_ratio=True)``."""
    return [m for m in methods if all(getattr(traits(m), k) == v for k, v in want.items())]


def check_study(methods: Iterable[str]) -> None:
    """Reject a study whose methods miss what they need, naming both."""
    chosen = list(methods)
    missing = [(m, n) for m in chosen for n in traits(m).needs if n not in chosen]
    if missing:
        raise ValueError(
            "; ".join(
                f"config key methods lists {m!r}, which works on the trained {n!r} model: "
                f"add {n!r} to methods"
                for m, n in missing
            )
        )


def ratio_label(ratio: float | str | None, missing: str = "–") -> str:
    """The one text form of a stochastic-parameter ratio, from config to tables: ``repr`` of
    the float (``0.016``); ``missing`` for none (``NO_RATIO`` where a path needs a word)."""
    if ratio is None or ratio == NO_RATIO:
        return missing
    value = float(ratio)
    return repr(value) if math.isfinite(value) else missing
