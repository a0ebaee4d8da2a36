"""Named, order-independent random streams: one seed, many independent generators.

A stream is keyed by the integer seed plus names (problem, split, purpose); adding a new
stream or changing the size of one never changes the numbers of another.
"""

from __future__ import annotations

import zlib

import numpy as np


def stream(seed: int, *names: str) -> np.random.Generator:
    """NumPy generator for ``seed`` and the given names (stable across runs and platforms)."""
    if seed < 0:
        raise ValueError(f"seed must be >= 0, got {seed}")
    keys = [seed, *(zlib.crc32(n.encode()) for n in names)]
    return np.random.default_rng(np.random.SeedSequence(keys))
