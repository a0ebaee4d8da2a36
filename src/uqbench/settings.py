"""Frozen settings dataclasses built from a config slice (unknown keys raise).

Problems and methods declare their settings as frozen dataclasses; the workflow hands each
script only its slice of the (schema-validated) config, and this module turns that slice into
the dataclass. Validation against the JSON schema happens once in the Snakefile; the checks
here guard library users who build settings by hand.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import typing
from collections.abc import Mapping
from typing import Any, TypeVar

T = TypeVar("T")


def from_mapping(cls: type[T], data: Mapping[str, Any] | None, where: str = "") -> T:
    """Build the frozen dataclass ``cls`` from ``data``; nested dataclasses are built too.

    Missing keys take the dataclass defaults; an unknown key raises ``ValueError`` naming it
    (with ``where`` as the config path prefix, e.g. ``"data.elu"``).
    """
    if not dataclasses.is_dataclass(cls):
        raise TypeError(f"{cls!r} is not a dataclass")
    data = {} if data is None else dict(data)
    fields = {f.name: f for f in dataclasses.fields(cls)}
    unknown = sorted(set(data) - set(fields))
    if unknown:
        prefix = f"{where}." if where else ""
        raise ValueError(
            f"unknown setting(s) {', '.join(prefix + k for k in unknown)}; "
            f"allowed: {', '.join(sorted(fields))}"
        )
    hints = typing.get_type_hints(cls)
    kwargs: dict[str, Any] = {}
    for name, value in data.items():
        hint = hints[name]
        if dataclasses.is_dataclass(hint) and isinstance(value, Mapping):
            value = from_mapping(hint, value, f"{where}.{name}" if where else name)
        elif typing.get_origin(hint) is tuple and isinstance(value, list):
            value = tuple(value)
        kwargs[name] = value
    return cls(**kwargs)


def config_hash(*parts: Any) -> str:
    """Short stable hash (sha256, 16 hex digits) of JSON-serialisable parts, e.g. a config slice."""

    def default(o: Any) -> Any:
        if dataclasses.is_dataclass(o) and not isinstance(o, type):
            return dataclasses.asdict(o)
        raise TypeError(f"cannot hash {type(o).__name__}")

    text = json.dumps(parts, sort_keys=True, default=default, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]
