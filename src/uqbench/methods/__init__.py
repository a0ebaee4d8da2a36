"""Method registry: one module per UQ method, all subclasses of ``base.Method``, found through
the torch-free catalogue (``uqbench.catalogue``), where each method's traits are declared."""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from dataclasses import asdict
from typing import Any

import torch

from uqbench.catalogue import CATALOGUE, traits
from uqbench.methods.base import Data, Method


def _load(path: str) -> type[Method]:
    module, _, name = path.partition(":")
    cls = getattr(importlib.import_module(module), name)
    if not (isinstance(cls, type) and issubclass(cls, Method)):
        raise TypeError(f"catalogue entry {path} is not a Method subclass")
    return cls


METHODS: dict[str, type[Method]] = {
    name: _load(t.cls) for name, t in CATALOGUE.items() if t.cls is not None
}

__all__ = ["METHODS", "Data", "Method", "from_checkpoint", "make_method", "prepare", "tiny_hyper"]


def make_method(
    name: str,
    problem: str,
    hyper: dict[str, Any] | None = None,
    ratio: float | None = None,
    seed: int = 0,
    device: str | torch.device = "auto",
    recipe: Mapping[str, Any] | None = None,
    variant_of: str | None = None,
) -> Method:
    """Instantiate a registered method from its config slice (``hyper.<name>``) and the
    problem's base-model recipe (``base_model.<problem>``). A variant (config ``variants``)
    is built as its base ``variant_of`` under its own name ``name``, with ``hyper`` its
    merged slice (``catalogue.variant_hyper``)."""
    base = variant_of or name
    if base not in METHODS:
        traits(base)  # unknown names raise there, naming the catalogue
        raise ValueError(f"method {base!r} has no class: it is predicted, never built")
    cls = METHODS[base]
    return cls(
        problem,
        hyper,
        ratio=ratio if cls.traits().uses_ratio else None,
        seed=seed,
        device=device,
        recipe=recipe,
        variant=name if variant_of else None,
    )


def tiny_hyper() -> dict[str, dict[str, Any]]:
    """Every method's tiny settings as config slices: its Hyper defaults with its catalogue
    entry's ``tiny`` overrides (what config ``tiny: true`` runs; the contract test too)."""
    return {
        name: {
            **{k: list(v) if isinstance(v, tuple) else v for k, v in asdict(cls.Hyper()).items()},
            **CATALOGUE[name].tiny,
        }
        for name, cls in METHODS.items()
    }


def prepare(m: Method, train: Data, pretrained: Method | None = None) -> Method:
    """Give ``m`` its base model before ``fit``: the trained model of ``pretrained`` for a
    method that needs one (catalogue ``needs``), else a fresh one sized for ``train``."""
    needs = m.traits().needs
    if needs:
        if pretrained is None or pretrained.name != needs[0]:
            got = "nothing" if pretrained is None else repr(pretrained.name)
            raise ValueError(f"method {m.name!r} works on a trained {needs[0]!r}, got {got}")
        m.attach_pretrained(pretrained.model)
    else:
        m.build(train)
    return m


def from_checkpoint(state: Mapping[str, Any], device: str | torch.device = "auto") -> Method:
    """Rebuild a trained method (a variant too) from its checkpoint's state (as saved by
    ``Method.state_dict``, read by ``io.load_checkpoint``) and load its weights."""
    base = state.get("base_method", state["method"])
    variant_of = base if base != state["method"] else None
    m = make_method(
        state["method"],
        state["problem"],
        state["hyper"],
        state["ratio"],
        state["seed"],
        device,
        state["recipe"],
        variant_of=variant_of,
    )
    m.load_state_dict(dict(state))
    return m
