"""Seeded Gaussian random fields on regular 1D and 2D grids.

Fields are sampled by a Karhunen-Loève (KL) expansion of the covariance matrix on the grid
nodes, so the samples have exactly the target covariance at the nodes (no periodic embedding
error). The eigendecomposition is done once per (grid, kernel) and cached; drawing fields is
then one matrix product over all samples.

* Squared-exponential covariance is separable, C(r) = σ² exp(-|r|²/(2ℓ²)) = σ² Π_d
  exp(-r_d²/(2ℓ²)), so 2D fields use the Kronecker structure: two 1D eigendecompositions and
  ``A_x ξ A_yᵀ`` per sample.
* Exponential covariance C(r) = σ² exp(-|r|/ℓ) with the Euclidean norm is not separable in
  2D; it uses one dense eigendecomposition of the (n_x·n_y)² matrix (fine up to a few thousand
  nodes).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Literal

import numpy as np

Kernel = Literal["squared_exponential", "exponential"]
KERNELS: tuple[str, ...] = ("squared_exponential", "exponential")


@dataclass(frozen=True)
class FieldSpec:
    """Covariance of a zero-mean stationary Gaussian field.

    Attributes:
        kernel: ``"squared_exponential"`` or ``"exponential"``.
        length: correlation length ℓ (same units as the grid coordinates), > 0.
        variance: pointwise variance σ², > 0.
    """

    kernel: Kernel
    length: float
    variance: float

    def __post_init__(self) -> None:
        if self.kernel not in KERNELS:
            raise ValueError(f"unknown kernel {self.kernel!r}; expected one of {KERNELS}")
        if not self.length > 0:
            raise ValueError(f"field length must be > 0, got {self.length}")
        if not self.variance > 0:
            raise ValueError(f"field variance must be > 0, got {self.variance}")


def covariance(spec: FieldSpec, r: np.ndarray) -> np.ndarray:
    """Covariance C(r) for distances ``r`` (any shape, same units as ``spec.length``)."""
    if spec.kernel == "squared_exponential":
        return spec.variance * np.exp(-0.5 * (r / spec.length) ** 2)
    return spec.variance * np.exp(-r / spec.length)


def _kl_factor(cov: np.ndarray) -> np.ndarray:
    """Return A with A Aᵀ = cov (symmetric PSD), via eigh; tiny negative eigenvalues clipped.

    Squared-exponential matrices are numerically singular, so Cholesky fails; eigh is robust.
    """
    w, v = np.linalg.eigh(cov)
    w = np.clip(w, 0.0, None)
    keep = w > w.max() * 1e-13  # drop the numerically-zero tail: fewer columns, same field
    return v[:, keep] * np.sqrt(w[keep])


@functools.lru_cache(maxsize=32)
def _factor_1d(coords: tuple[float, ...], spec: FieldSpec) -> np.ndarray:
    x = np.asarray(coords)
    return _kl_factor(covariance(spec, np.abs(x[:, None] - x[None, :])))


@functools.lru_cache(maxsize=8)
def _factor_2d_dense(xs: tuple[float, ...], ys: tuple[float, ...], spec: FieldSpec) -> np.ndarray:
    X, Y = np.meshgrid(np.asarray(xs), np.asarray(ys), indexing="ij")
    pts = np.stack([X.ravel(), Y.ravel()], axis=-1)
    r = np.sqrt(((pts[:, None, :] - pts[None, :, :]) ** 2).sum(-1))
    return _kl_factor(covariance(spec, r))


def sample_field(
    spec: FieldSpec,
    coords: tuple[np.ndarray, ...],
    n_samples: int,
    rng: np.random.Generator,
) -> np.ndarray:
    """Draw ``n_samples`` zero-mean Gaussian fields on a tensor grid.

    Args:
        spec: covariance kernel, length and variance.
        coords: one 1D array of node coordinates per axis, ``(x,)`` or ``(x, y)``.
        n_samples: number of independent fields.
        rng: NumPy generator; the same generator state gives the same fields.

    Returns:
        Array of shape ``(n_samples, len(x))`` or ``(n_samples, len(x), len(y))``, float64.
    """
    if n_samples < 0:
        raise ValueError(f"n_samples must be >= 0, got {n_samples}")
    keys = tuple(tuple(float(c) for c in np.asarray(ax).ravel()) for ax in coords)
    if len(keys) == 1:
        a = _factor_1d(keys[0], spec)
        return rng.standard_normal((n_samples, a.shape[1])) @ a.T
    if len(keys) != 2:
        raise ValueError(f"random fields support 1 or 2 axes, got {len(keys)}")
    if spec.kernel == "squared_exponential":
        ax, ay = _factor_1d(keys[0], spec), _factor_1d(keys[1], spec)
        # separable covariance σ² k(x) k(y): normalise so the product has variance σ²
        ax = ax / np.sqrt(spec.variance)
        xi = rng.standard_normal((n_samples, ax.shape[1], ay.shape[1]))
        return np.einsum("ik,skl,jl->sij", ax, xi, ay, optimize=True)
    a = _factor_2d_dense(keys[0], keys[1], spec)
    flat = rng.standard_normal((n_samples, a.shape[1])) @ a.T
    return flat.reshape(n_samples, len(keys[0]), len(keys[1]))
