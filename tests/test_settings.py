"""Settings dataclasses from config slices and the config hash."""

from dataclasses import dataclass, field

import pytest

from uqbench.settings import config_hash, from_mapping


@dataclass(frozen=True)
class Inner:
    a: int = 1


@dataclass(frozen=True)
class Outer:
    inner: Inner = field(default_factory=Inner)
    pair: tuple[float, float] = (0.0, 1.0)
    b: str = "x"


def test_nested_and_tuple_values_are_built():
    s = from_mapping(Outer, {"inner": {"a": 3}, "pair": [2, 3]})
    assert s == Outer(Inner(3), (2, 3), "x")


def test_unknown_key_is_named_with_its_path():
    with pytest.raises(ValueError, match=r"data\.elu\.inner\.typo"):
        from_mapping(Outer, {"inner": {"typo": 1}}, where="data.elu")


def test_config_hash_is_stable_and_sensitive():
    assert config_hash("elu", {"a": 1, "b": 2}) == config_hash("elu", {"b": 2, "a": 1})
    assert config_hash("elu", {"a": 1}) != config_hash("elu", {"a": 2})
    assert config_hash(Outer()) == config_hash(Outer())
