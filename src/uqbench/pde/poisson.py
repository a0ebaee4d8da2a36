"""Finite-difference solver for -div(kappa grad u) = f with Dirichlet boundary values.

Grid: on the unit interval (1D) or unit square (2D), nodes x_i = i·h, i = 0..n+1, h = 1/(n+1)
per axis; unknowns live on the n (or n_x × n_y) interior nodes. ``kappa`` is given on all
nodes including the boundary ones; the conductivity of the face between two neighbouring
nodes is the harmonic mean of their values, which is exact for layered media and
second-order accurate for smooth kappa. The stencil is the conservative 3-point (1D) /
5-point (2D) one, so the matrix is symmetric positive definite (an M-matrix).

A boundary node with kappa = 0 makes its face conductivity 0, i.e. an insulated
(homogeneous Neumann) wall; the porous-bar problem uses this for its free sides.

Batches: leading dimensions of ``kappa``, ``f`` and ``boundary`` broadcast. Work is shared
where kappa is shared: every distinct kappa is factorised once (SuperLU) and solved for all
the right-hand sides that use it; distinct kappas are stacked block-diagonally, a chunk at a
time, so there is no Python loop over samples or nodes.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # scipy is imported where a matrix is built: jobs that only load models
    import scipy.sparse as sp  # (predict, via the problem registry) skip its 0.3 s import

log = logging.getLogger(__name__)

# Unknowns per block-diagonal factorisation. SuperLU's cost per block is flat up to a few
# thousand unknowns and grows past that (measured: 2D n=32, chunks of 1-4 blocks are fastest).
DEFAULT_CHUNK_UNKNOWNS = 1 << 12


def _harmonic(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    s = a + b
    # a zero node value (insulated wall) gives a zero face; a + b > 0 is checked by the caller
    return np.divide(2.0 * a * b, s, out=np.zeros_like(s), where=s > 0)


def _spatial_dim(kappa: np.ndarray, f: np.ndarray, dim: int | None) -> int:
    def fits(d: int) -> bool:
        if f.ndim < d or kappa.ndim < d:
            return False
        if tuple(kappa.shape[-d:]) != tuple(s + 2 for s in f.shape[-d:]):
            return False
        try:
            np.broadcast_shapes(kappa.shape[:-d], f.shape[:-d])
        except ValueError:
            return False
        return True

    if dim is not None:
        if dim not in (1, 2):
            raise ValueError(f"dim must be 1 or 2, got {dim}")
        if not fits(dim):
            raise ValueError(
                f"shapes do not fit a {dim}D problem: kappa {kappa.shape} must be "
                f"(..., n+2{', m+2' if dim == 2 else ''}) for f {f.shape} of shape "
                f"(..., n{', m' if dim == 2 else ''}), with broadcastable leading dimensions"
            )
        return dim
    candidates = [d for d in (1, 2) if fits(d)]
    if not candidates:
        raise ValueError(
            f"kappa {kappa.shape} and f {f.shape} do not fit: expected f (..., n) with "
            "kappa (..., n+2) in 1D, or f (..., n, m) with kappa (..., n+2, m+2) in 2D "
            "(kappa is given on all nodes including the boundary)"
        )
    if len(candidates) > 1:
        raise ValueError(
            f"kappa {kappa.shape} and f {f.shape} fit both 1D and 2D; pass dim=1 or dim=2"
        )
    return candidates[0]


def _spacing(space: tuple[int, ...], spacing: float | Sequence[float] | None) -> tuple[float, ...]:
    if spacing is None:
        return tuple(1.0 / (n + 1) for n in space)
    hs = (float(spacing),) * len(space) if np.isscalar(spacing) else tuple(map(float, spacing))
    if len(hs) != len(space) or not all(h > 0 for h in hs):
        raise ValueError(f"spacing must be one positive value per axis, got {spacing!r}")
    return hs


def _faces(kappa: np.ndarray, d: int) -> list[np.ndarray]:
    """Face conductivities per axis; axis a has shape (..., n_a + 1 on axis a, n_b on others)."""
    out = []
    for a in range(d):
        inner = [slice(1, -1)] * d
        lo, hi = list(inner), list(inner)
        lo[a], hi[a] = slice(0, -1), slice(1, None)
        pre = (Ellipsis,)
        out.append(_harmonic(kappa[(*pre, *lo)], kappa[(*pre, *hi)]))
    return out


def _boundary_rhs(
    faces: list[np.ndarray], boundary: np.ndarray, hs: tuple[float, ...], d: int
) -> np.ndarray:
    """Known Dirichlet values moved to the right-hand side: sum of k_face·g/h² at the walls."""
    space = tuple(fa.shape[fa.ndim - d + a] - 1 for a, fa in enumerate(faces))
    batch = np.broadcast_shapes(faces[0].shape[:-d], boundary.shape[:-d])
    out = np.zeros(batch + space)
    for a, (fa, h) in enumerate(zip(faces, hs, strict=True)):
        inner = [slice(1, -1)] * d
        for wall, face_idx, out_idx in ((0, 0, 0), (-1, -1, -1)):
            g_sl, f_sl, o_sl = list(inner), [slice(None)] * d, [slice(None)] * d
            g_sl[a], f_sl[a], o_sl[a] = wall, face_idx, out_idx
            out[(Ellipsis, *o_sl)] += fa[(Ellipsis, *f_sl)] * boundary[(Ellipsis, *g_sl)] / h**2
    return out


def _assemble_blocks(faces: list[np.ndarray], hs: tuple[float, ...], d: int) -> sp.csc_matrix:
    """Block-diagonal matrix of a batch of operators; faces have shape (B, ...)."""
    import scipy.sparse as sp

    nb = faces[0].shape[0]
    space = tuple(fa.shape[1 + a] - 1 for a, fa in enumerate(faces))
    n = math.prod(space)
    idx = np.arange(n).reshape(space)
    offsets = (np.arange(nb) * n).reshape((nb,) + (1,) * d)
    diag = np.zeros((nb, *space))
    rows, cols, vals = [], [], []
    for a, (fa, h) in enumerate(zip(faces, hs, strict=True)):
        lo, hi, mid = [slice(None)] * d, [slice(None)] * d, [slice(None)] * d
        lo[a], hi[a], mid[a] = slice(0, -1), slice(1, None), slice(1, -1)
        diag += (fa[(slice(None), *lo)] + fa[(slice(None), *hi)]) / h**2
        # neighbours p and p + stride along axis a, coupled by the interior faces
        p = (idx[tuple(lo)] + offsets).ravel()
        q = (idx[tuple(hi)] + offsets).ravel()
        w = (-fa[(slice(None), *mid)] / h**2).ravel()
        rows += [p, q]
        cols += [q, p]
        vals += [w, w]
    all_idx = np.arange(nb * n)
    rows.append(all_idx)
    cols.append(all_idx)
    vals.append(diag.ravel())
    return sp.csc_matrix(
        (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
        shape=(nb * n, nb * n),
    )


def assemble(kappa: np.ndarray, spacing: float | Sequence[float] | None = None) -> sp.csc_matrix:
    """System matrix A for one conductivity field (A u = f on the interior nodes).

    Args:
        kappa: node values, shape (n+2,) in 1D or (n+2, m+2) in 2D.
        spacing: grid step per axis; default 1/(n+1) (unit interval / square).

    Returns:
        Sparse (N, N) matrix, N = n or n·m, unknowns in C order over (x, y).
    """
    kappa = np.asarray(kappa, dtype=float)
    if kappa.ndim not in (1, 2) or min(kappa.shape) < 3:
        raise ValueError(
            f"kappa must have shape (n+2,) or (n+2, m+2) with n >= 1, got {kappa.shape}"
        )
    d = kappa.ndim
    space = tuple(s - 2 for s in kappa.shape)
    _check_kappa(kappa, d)
    return _assemble_blocks(_faces(kappa[None], d), _spacing(space, spacing), d)


def _check_kappa(kappa: np.ndarray, d: int) -> None:
    if not np.all(np.isfinite(kappa)):
        raise ValueError("kappa contains NaN or inf")
    interior = kappa[(Ellipsis, *([slice(1, -1)] * d))]
    if np.any(interior <= 0):
        raise ValueError("kappa must be > 0 on interior nodes")
    if np.any(kappa < 0):
        raise ValueError("kappa must be >= 0 on boundary nodes (0 means an insulated wall)")


def solve(
    kappa: np.ndarray,
    f: np.ndarray,
    *,
    boundary: np.ndarray | None = None,
    dim: int | None = None,
    spacing: float | Sequence[float] | None = None,
    chunk_unknowns: int = DEFAULT_CHUNK_UNKNOWNS,
) -> np.ndarray:
    """Solve -div(kappa grad u) = f with u = ``boundary`` (default 0) on the boundary nodes.

    Args:
        kappa: conductivity on all nodes, shape (..., n+2) or (..., n+2, m+2); > 0 inside,
            >= 0 on the boundary (0 = insulated wall).
        f: source on the interior nodes, shape (..., n) or (..., n, m).
        boundary: Dirichlet values with the shape of kappa (only boundary nodes are read);
            leading dims broadcast. None means u = 0.
        dim: 1 or 2; inferred from the shapes when None (an error if ambiguous).
        spacing: grid step per axis (scalar or tuple); default 1/(n+1) per axis.
        chunk_unknowns: unknowns per block-diagonal factorisation (memory bound).

    Returns:
        u on the interior nodes, float64, shape broadcast(leading dims) + f's grid shape.
    """
    kappa = np.asarray(kappa, dtype=float)
    f = np.asarray(f, dtype=float)
    d = _spatial_dim(kappa, f, dim)
    if not np.all(np.isfinite(f)):
        raise ValueError("f contains NaN or inf")
    _check_kappa(kappa, d)
    space = f.shape[-d:]
    hs = _spacing(space, spacing)
    faces = _faces(kappa, d)
    rhs = f
    if boundary is not None:
        boundary = np.asarray(boundary, dtype=float)
        if boundary.shape[-d:] != kappa.shape[-d:]:
            raise ValueError(
                f"boundary must have kappa's grid shape {kappa.shape[-d:]}, got {boundary.shape}"
            )
        rhs = f + _boundary_rhs(faces, boundary, hs, d)

    kb = kappa.shape[:-d]
    batch = np.broadcast_shapes(kb, rhs.shape[:-d])
    kb = (1,) * (len(batch) - len(kb)) + kb
    # Group the batch by distinct kappa: kappa-varying axes first (Bk), the rest are RHS (R).
    k_axes = [i for i, s in enumerate(kb) if s != 1]
    r_axes = [i for i in range(len(batch)) if i not in k_axes]
    perm = k_axes + r_axes
    n_k = math.prod(batch[i] for i in k_axes)
    n_r = math.prod(batch[i] for i in r_axes)
    n = math.prod(space)
    rhs = np.broadcast_to(rhs, batch + space).transpose(*perm, *range(len(batch), len(batch) + d))
    rhs = rhs.reshape(n_k, n_r, n)
    faces = [fa.reshape((n_k, *fa.shape[-d:])) for fa in faces]

    import scipy.sparse.linalg as spla

    u = np.empty((n_k, n_r, n))
    chunk = max(1, chunk_unknowns // n)
    for start in range(0, n_k, chunk):  # loop over chunks of factorisations, not samples
        stop = min(start + chunk, n_k)
        a = _assemble_blocks([fa[start:stop] for fa in faces], hs, d)
        b = rhs[start:stop].transpose(0, 2, 1).reshape((stop - start) * n, n_r)
        # symmetric minimum-degree ordering suits the SPD 5-point matrix (~30 % faster than COLAMD)
        lu = spla.splu(a, permc_spec="MMD_AT_PLUS_A", options={"SymmetricMode": True})
        x = lu.solve(np.ascontiguousarray(b))
        u[start:stop] = x.reshape(stop - start, n, n_r).transpose(0, 2, 1)
    log.debug("solved %d factorisations x %d right-hand sides, %d unknowns", n_k, n_r, n)

    u = u.reshape(tuple(batch[i] for i in perm) + space)
    inv = np.argsort(perm).tolist()
    return u.transpose(*inv, *range(len(batch), len(batch) + d))


def flux_magnitude(
    kappa: np.ndarray,
    u: np.ndarray,
    *,
    boundary: np.ndarray | None = None,
    spacing: float | Sequence[float] | None = None,
) -> np.ndarray:
    """|kappa grad u| at the interior nodes of a 2D solution, from the face fluxes.

    The flux through each face is -k_face (u_hi - u_lo)/h with the same harmonic-mean face
    conductivities as the solver; the node value per axis is the mean of its two faces.

    Args:
        kappa: (..., n+2, m+2) node conductivities (as passed to ``solve``).
        u: (..., n, m) interior solution.
        boundary: Dirichlet values with kappa's shape (None = 0).
        spacing: grid step per axis; default 1/(n+1).

    Returns:
        (..., n, m) flux magnitude (units of kappa · u / length).
    """
    kappa = np.asarray(kappa, dtype=float)
    u = np.asarray(u, dtype=float)
    d = _spatial_dim(kappa, u, 2)
    hs = _spacing(u.shape[-d:], spacing)
    batch = np.broadcast_shapes(kappa.shape[:-d], u.shape[:-d])
    full = np.zeros(batch + kappa.shape[-d:])
    if boundary is not None:
        full[...] = boundary
    full[..., 1:-1, 1:-1] = u
    comps = []
    for a, (fa, h) in enumerate(zip(_faces(kappa, d), hs, strict=True)):
        inner = [slice(1, -1)] * d
        lo, hi = list(inner), list(inner)
        lo[a], hi[a] = slice(0, -1), slice(1, None)
        q = -fa * (full[(Ellipsis, *hi)] - full[(Ellipsis, *lo)]) / h  # (..., n_a + 1, ...)
        first, last = [slice(None)] * d, [slice(None)] * d
        first[a], last[a] = slice(0, -1), slice(1, None)
        comps.append(0.5 * (q[(Ellipsis, *first)] + q[(Ellipsis, *last)]))
    return np.sqrt(sum(c**2 for c in comps))


# Systems per vectorised PCG chunk: small enough that the chunk's vectors stay in cache
# (measured on 2D n = 32: 64 systems per chunk ~1.0 ms per solve, 1024 per chunk ~2.4 ms).
PCG_CHUNK = 64


def _dst_matrix(n: int) -> np.ndarray:
    """The orthonormal DST-I matrix of size n (symmetric, its own inverse)."""
    i = np.arange(1, n + 1)
    return np.sin(np.pi * np.outer(i, i) / (n + 1)) * np.sqrt(2.0 / (n + 1))


def solve_each(
    kappa: np.ndarray,
    f: np.ndarray,
    *,
    dim: int | None = None,
    tol: float = 1e-10,
    max_iter: int = 500,
    chunk: int = PCG_CHUNK,
) -> np.ndarray:
    """Solve -div(kappa grad u) = f, u = 0 on the boundary, for many systems that each have
    their own conductivity and one right-hand side: the case of independent operator draws.

    A direct solve factorises every system (SuperLU costs ~2 ms per 32 x 32 system, most of
    it per-factorisation overhead); here all systems of a chunk are solved together by
    preconditioned conjugate gradients in torch, with the same matrix as ``solve`` (applied
    as a stencil, never assembled). The preconditioner is K^{-1/2} (-Δ_h)^{-1} K^{-1/2}
    (K = the node conductivities, -Δ_h the constant-coefficient Laplacian, inverted exactly
    by the DST-I): the scaled operator is -Δ + (½Δ log κ + ¼|∇ log κ|²), so the
    preconditioned one is the identity plus a compact perturbation: ~27 iterations for the
    poisson problem's κ (log-variance 0.5, length 0.1) at tol 1e-10, whatever the grid,
    against ~150 for Jacobi.

    Args:
        kappa: conductivity on all nodes, (batch, n+2[, m+2]), > 0 everywhere (a zero
            Dirichlet boundary; insulated walls need ``solve``).
        f: source on the interior nodes, (batch, n[, m]).
        dim: 1 or 2; inferred from the shapes when None.
        tol: relative residual ‖b − A u‖ / ‖b‖ every system must reach.
        max_iter: iterations before giving up (raises: never a silent partial solve).
        chunk: systems per vectorised chunk.

    Returns:
        u on the interior nodes, float64, shape of ``f``.
    """
    import torch

    kappa = np.asarray(kappa, dtype=float)
    f = np.asarray(f, dtype=float)
    d = _spatial_dim(kappa, f, dim)
    if kappa.shape[:-d] != f.shape[:-d] or kappa.ndim != d + 1:
        raise ValueError(
            f"solve_each needs one conductivity per right-hand side with one batch dim: "
            f"kappa {kappa.shape}, f {f.shape}"
        )
    if not np.all(np.isfinite(f)):
        raise ValueError("f contains NaN or inf")
    _check_kappa(kappa, d)
    if np.any(kappa <= 0):
        raise ValueError("solve_each needs kappa > 0 on the boundary too (zero Dirichlet walls)")
    space = f.shape[-d:]
    hs = _spacing(space, None)
    faces = _faces(kappa, d)
    dst = [torch.from_numpy(_dst_matrix(n)) for n in space]
    # eigenvalues of -Δ_h: Σ_axes (4/h²) sin²(iπ/(2(n+1)))
    eig = sum(
        torch.from_numpy(
            4 / h**2 * np.sin(np.arange(1, n + 1) * np.pi / (2 * (n + 1))) ** 2
        ).reshape([-1 if a == b else 1 for b in range(d)])
        for a, (n, h) in enumerate(zip(space, hs, strict=True))
    )
    inv_eig = 1 / eig
    axes = tuple(range(-d, 0))
    u = np.empty_like(f)
    iterations = 0
    for start in range(0, f.shape[0], chunk):
        sl = slice(start, start + chunk)
        k_faces = [torch.from_numpy(fa[sl]) for fa in faces]
        b = torch.from_numpy(f[sl])
        inner = (slice(None), *([slice(1, -1)] * d))
        scale = torch.from_numpy(kappa[sl][inner]).rsqrt()

        def apply_a(v: torch.Tensor, k_faces=k_faces) -> torch.Tensor:
            out = torch.zeros_like(v)
            for a, (fa, h) in enumerate(zip(k_faces, hs, strict=True)):
                ax = v.dim() - d + a
                pad = [0, 0] * (d - 1 - a) + [1, 1]
                q = fa * torch.diff(torch.nn.functional.pad(v, pad), dim=ax)  # face fluxes
                out -= torch.diff(q, dim=ax) / h**2
            return out

        def precondition(r: torch.Tensor, scale=scale) -> torch.Tensor:
            # DST along the last axis (and the one before it in 2D): S is symmetric, so
            # S_x @ v @ S_y transforms both axes of a 2D field, v @ S the one of a 1D field
            v = r * scale
            v = v @ dst[-1] if d == 1 else dst[0] @ v @ dst[1]
            v = v * inv_eig
            v = v @ dst[-1] if d == 1 else dst[0] @ v @ dst[1]
            return v * scale

        x = torch.zeros_like(b)
        r = b.clone()
        z = precondition(r)
        p = z.clone()
        rz = (r * z).sum(axes)
        target = tol**2 * (b * b).sum(axes)
        for it in range(1, max_iter + 1):
            ap = apply_a(p)
            alpha = (rz / (p * ap).sum(axes)).reshape(-1, *[1] * d)
            x.add_(alpha * p)
            r.sub_(alpha * ap)
            if bool(((r * r).sum(axes) <= target).all()):
                iterations = max(iterations, it)
                break
            z = precondition(r)
            rz_new = (r * z).sum(axes)
            p = z.add_((rz_new / rz).reshape(-1, *[1] * d) * p)
            rz = rz_new
        else:
            worst = float(((r * r).sum(axes) / (b * b).sum(axes).clamp_min(1e-300)).max().sqrt())
            raise RuntimeError(
                f"solve_each: conjugate gradients reached relative residual {worst:.3g} "
                f"> {tol:g} after {max_iter} iterations"
            )
        u[sl] = x.numpy()
    log.debug("solve_each: %d systems, at most %d PCG iterations", f.shape[0], iterations)
    return u
