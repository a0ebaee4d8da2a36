"""Proper scoring rules and calibration metrics, vectorised in torch.

Conventions: ``samples`` has shape (m, ..., d) — m predictive samples, any batch dims, and
the output points flattened in the last axis; ``obs`` has shape (..., d). ‖·‖ is the RMS over
the d points (resolution independent): ‖v‖ = sqrt(mean_j v_j²). Pairwise distances use
``torch.cdist`` (memory ∝ m²·batch: callers chunk over cases). Everything is differentiable,
so the GenUQ loss uses ``energy_score`` directly.
"""

from __future__ import annotations

import math

import torch

from uqbench.seeding import torch_generator


def _rms_cdist(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """(..., m, d), (..., k, d) -> (..., m, k) RMS distances."""
    return torch.cdist(x, y) / math.sqrt(x.shape[-1])


def _mean_offdiag(dist: torch.Tensor) -> torch.Tensor:
    """Mean over i != j of a (..., m, m) matrix with zero diagonal."""
    m = dist.shape[-1]
    if m < 2:
        raise ValueError("needs at least 2 samples for the unbiased (fair) estimator")
    return dist.sum((-2, -1)) / (m * (m - 1))


def energy_score(samples: torch.Tensor, obs: torch.Tensor) -> torch.Tensor:
    """Fair energy score (β = 1): (1/m) Σ‖X_i − y‖ − 1/(2m(m−1)) Σ_{i≠j}‖X_i − X_j‖.

    samples (m, ..., d), obs (..., d) -> (...). Lower is better; m >= 2. Differentiable in
    both arguments (it is the GenUQ training loss, so its cost is the cost of a step).
    """
    return _EnergyScore.apply(samples, obs)  # m < 2 raises in _mean_offdiag


class _EnergyScore(torch.autograd.Function):
    """The energy score from inner products, with a hand-written backward.

    Forward: all distances come from inner products of the samples and the observation
    centred on the sample mean μ (translation leaves distances unchanged and keeps the
    cancellation error relative to the spread, not to ‖x‖): two batched matmuls over the
    (m, d) block per case instead of elementwise passes over (m, d) differences.

    Backward: with c_i = ‖x_i − y‖ and p_ij = ‖x_i − x_j‖ (RMS norms over d points),
    ∂ES/∂x_i = α_i (x_i − y) + Σ_j K_ij (x_i − x_j), α_i = 1/(m·d·c_i),
    K_ij = −1/(m(m−1)·d·p_ij) (0 on the diagonal). So the gradient is one batched matmul
    (diag(α + K·1) − K) @ (x − μ) minus the rank-one α (y − μ)ᵀ, written into one tensor:
    autograd through the forward would allocate about ten (m, ..., d) temporaries.
    Distances clamped at the smallest normal float get zero gradient (as clamp_min's).
    """

    @staticmethod
    def forward(ctx, samples: torch.Tensor, obs: torch.Tensor) -> torch.Tensor:
        m, d = samples.shape[0], samples.shape[-1]
        tiny = torch.finfo(samples.dtype).tiny
        mu = samples.mean(0)  # (..., d)
        xc = samples - mu  # (m, ..., d)
        x = torch.movedim(xc, 0, -2)  # (..., m, d), a view: bmm reads strided batches
        yc = (obs - mu).unsqueeze(-2)  # (..., 1, d)
        gram = x @ x.transpose(-1, -2)  # (..., m, m)
        sq = torch.diagonal(gram, dim1=-2, dim2=-1)  # (..., m): ‖x_i − μ‖²
        cross2 = sq - 2 * (x @ yc.transpose(-1, -2))[..., 0] + yc.pow(2).sum(-1)
        cross = cross2.clamp_min(tiny).sqrt() / math.sqrt(d)  # (..., m)
        d2 = sq.unsqueeze(-1) + sq.unsqueeze(-2) - 2 * gram  # (..., m, m)
        off = ~torch.eye(m, dtype=torch.bool, device=d2.device)
        pair = torch.where(off, d2.clamp_min(tiny).sqrt() / math.sqrt(d), 0.0)
        ctx.save_for_backward(
            xc,
            yc,
            torch.where(cross2 > tiny, 1 / (m * d * cross), 0.0),
            torch.where(off & (d2 > tiny), -1 / (m * (m - 1) * d * pair), 0.0),
        )
        return cross.mean(-1) - 0.5 * _mean_offdiag(pair)

    @staticmethod
    def backward(ctx, grad: torch.Tensor) -> tuple[torch.Tensor | None, torch.Tensor | None]:
        xc, yc, a0, k0 = ctx.saved_tensors
        alpha = grad.unsqueeze(-1) * a0  # (..., m)
        k = grad[..., None, None] * k0  # (..., m, m), zero diagonal
        mat = torch.diag_embed(alpha + k.sum(-1)) - k
        x = torch.movedim(xc, 0, -2)
        g_samples = g_obs = None
        if ctx.needs_input_grad[0]:
            g = mat @ x  # (..., m, d)
            g_samples = torch.movedim(g.addcmul_(alpha.unsqueeze(-1), yc, value=-1), -2, 0)
        if ctx.needs_input_grad[1]:  # ∂/∂y = −Σ_i α_i (x_i − y)
            g_obs = (
                alpha.sum(-1, keepdim=True) * yc[..., 0, :] - (alpha.unsqueeze(-2) @ x)[..., 0, :]
            )
        return g_samples, g_obs


def energy_distance(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Unbiased energy distance 2E‖X−Y‖ − E‖X−X'‖ − E‖Y−Y'‖.

    x (m, ..., d), y (k, ..., d) -> (...). Zero in expectation when both come from one law.
    """
    xm, ym = torch.movedim(x, 0, -2), torch.movedim(y, 0, -2)
    cross = _rms_cdist(xm, ym).mean((-2, -1))
    return 2 * cross - _mean_offdiag(_rms_cdist(xm, xm)) - _mean_offdiag(_rms_cdist(ym, ym))


def crps(samples: torch.Tensor, obs: torch.Tensor) -> torch.Tensor:
    """Pointwise fair CRPS (1-point energy score): samples (m, ..., d), obs (..., d) -> (..., d)."""
    m = samples.shape[0]
    if m < 2:
        raise ValueError("crps needs at least 2 samples")
    return (samples - obs).abs().mean(0) - 0.5 * crps_spread(samples)


def mean_abs_difference(samples: torch.Tensor, obs: torch.Tensor) -> torch.Tensor:
    """E_i |X_i − y| per point for every observation y.

    samples (m, ..., d), obs (k, ..., d) -> (k, ..., d). From the sorted samples and their
    prefix sums: Σ_i |x_i − y| = S − 2·S_below(y) + y·(2·n_below(y) − m), with n_below found
    by searchsorted, so no (k, m) tensor of differences and no loop over observations.
    """
    m = samples.shape[0]
    s = torch.sort(samples.movedim(0, -1), dim=-1).values.contiguous()  # (..., d, m)
    prefix = torch.nn.functional.pad(s.cumsum(-1), (1, 0))  # (..., d, m + 1)
    y = obs.movedim(0, -1).contiguous()  # (..., d, k)
    n_below = torch.searchsorted(s, y)
    below = prefix.gather(-1, n_below)
    total = prefix[..., -1:]
    return ((total - 2 * below + y * (2 * n_below - m)) / m).movedim(-1, 0)


def crps_spread(samples: torch.Tensor) -> torch.Tensor:
    """E|X − X'| over i != j per point, from the sorted samples: (m, ..., d) -> (..., d)."""
    m = samples.shape[0]
    # Σ_i (2i − m + 1) x_(i) · 2 / (m(m−1)) with x_(i) the sorted samples: O(m log m)
    s = torch.sort(samples, dim=0).values
    w = (2 * torch.arange(m, dtype=s.dtype, device=s.device) - m + 1).reshape(
        (m,) + (1,) * (s.ndim - 1)
    )
    return 2 * (w * s).sum(0) / (m * (m - 1))


def variogram_score(
    samples: torch.Tensor, obs: torch.Tensor, p: float = 0.5, pairs: torch.Tensor | None = None
) -> torch.Tensor:
    """Variogram score of order p: Σ_{(i,j)} (|y_i − y_j|^p − E|X_i − X_j|^p)².

    samples (m, ..., d), obs (..., d) -> (...). ``pairs`` (n_pairs, 2) are point index pairs;
    None means all ordered pairs (i, j) (the definition of scoringrules, unit weights).
    """

    def power(v: torch.Tensor) -> torch.Tensor:
        """|v|^p in place on a fresh temporary (sqrt for the common p = 0.5: faster)."""
        v = v.abs_()
        return v.sqrt_() if p == 0.5 else v.pow_(p)

    if pairs is None:
        # All ordered pairs = twice the pairs (i, i + k), one lag k at a time, each lag
        # vectorised over samples, cases and positions: the full (m, ..., d, d) difference
        # tensor would need m·d² numbers per case (214 GB at 256 x 100 x 1024).
        total = obs.new_zeros(obs.shape[:-1])
        for k in range(1, obs.shape[-1]):
            vy = power(obs[..., k:] - obs[..., :-k])
            vx = power(samples[..., k:] - samples[..., :-k]).mean(0)
            total = total + ((vy - vx) ** 2).sum(-1)
        return 2 * total
    i, j = pairs[:, 0].to(obs.device), pairs[:, 1].to(obs.device)
    vy = power(obs[..., i] - obs[..., j])
    vx = power(samples[..., i] - samples[..., j]).mean(0)
    return ((vy - vx) ** 2).sum(-1)


def random_pairs(d: int, n_pairs: int, seed: int = 0) -> torch.Tensor:
    """A fixed subset of distinct point pairs (i < j) out of d points: (pairs, 2).

    All d(d−1)/2 pairs when there are at most ``n_pairs`` of them (d = 2 has one), otherwise
    ``n_pairs`` of them drawn without replacement (seeded, so every method is scored on the
    same pairs).
    """
    total = d * (d - 1) // 2
    if total <= n_pairs:
        return torch.combinations(torch.arange(d), 2)
    gen = torch_generator(seed, "variogram pairs")
    pick = torch.randperm(total, generator=gen)[:n_pairs].sort().values
    # pair number p -> (i, j), i < j, in the row-major order of the strict upper triangle
    start = torch.arange(d) * (2 * d - torch.arange(d) - 1) // 2  # first p of each row i
    i = torch.searchsorted(start, pick, right=True) - 1
    return torch.stack([i, pick - start[i] + i + 1], -1)


def correlation_error(samples: torch.Tensor, truths: torch.Tensor) -> torch.Tensor:
    """‖C_X − C_Y‖_F / ‖C_Y‖_F of the point-by-point sample correlation matrices.

    samples (m, ..., d), truths (k, ..., d) -> (...). A point with zero spread has no
    correlation with anything: its row and column (diagonal included) are 0, so a method
    without any spread scores exactly 1. All norms come from the m×m, m×k and k×k Gram
    matrices of the standardised draws (‖ZᵀZ‖_F = ‖ZZᵀ‖_F, tr(C_X C_Y) = ‖Z_X Z_Yᵀ‖²_F), never
    a d×d matrix.
    """

    def standardised(v: torch.Tensor) -> torch.Tensor:
        c = v - v.mean(0)
        norm = c.pow(2).sum(0).sqrt()  # √(n−1)·std per point
        # spread below round-off of the values is no spread (e.g. a repeated point prediction)
        floor = 10 * torch.finfo(v.dtype).eps * float(v.abs().amax()) * v.shape[0] ** 0.5
        z = torch.where(norm > floor, c / norm.clamp_min(torch.finfo(v.dtype).tiny), 0.0)
        return torch.movedim(z, 0, -2)  # (..., n, d): C = ZᵀZ

    zx, zy = standardised(samples), standardised(truths)
    xx = (zx @ zx.transpose(-1, -2)).pow(2).sum((-2, -1))
    yy = (zy @ zy.transpose(-1, -2)).pow(2).sum((-2, -1))
    xy = (zx @ zy.transpose(-1, -2)).pow(2).sum((-2, -1))
    return (xx + yy - 2 * xy).clamp_min(0).sqrt() / yy.sqrt()


def mean_variance(samples: torch.Tensor) -> torch.Tensor:
    """Pointwise variance (unbiased) averaged over points: (m, ..., d) -> (...)."""
    return samples.var(0).mean(-1)


def sorted_quantile(s: torch.Tensor, q: float) -> torch.Tensor:
    """The ``q`` quantile over the last dim of sorted values s (..., m), interpolated
    linearly between order statistics as ``torch.quantile`` does: (...)."""
    return _lerp_at(s, (s.shape[-1] - 1) * q, 0, s.shape[-1])


def central_interval(samples: torch.Tensor, level: float) -> tuple[torch.Tensor, torch.Tensor]:
    """The central ``level`` interval of samples (m, ...) per position: (lo, hi), each (...);
    ``torch.quantile``'s values (linear interpolation, NaN where a sample is NaN) from the
    two tails alone: the order statistics each end needs by ``topk`` (2x faster than a
    full sort at m = 256, level 0.9), along the last axis."""
    if not 0 < level < 1:
        raise ValueError(f"level must be in (0, 1), got {level}")
    m = samples.shape[0]
    h_lo, h_hi = (m - 1) * (1 - level) / 2, (m - 1) * (1 + level) / 2
    n_lo, n_hi = math.floor(h_lo) + 2, m - math.floor(h_hi)  # smallest / largest needed
    x = samples.movedim(0, -1)
    if n_lo + n_hi >= m:  # few samples: the tails overlap, sort them all
        s = torch.sort(x, dim=-1).values
        small, large = s, s
    else:
        small = torch.topk(x, n_lo, dim=-1, largest=False, sorted=True).values
        large = torch.topk(x, n_hi, dim=-1, largest=True, sorted=True).values.flip(-1)
    nan = torch.isnan(large[..., -1])  # NaN sorts above every number
    lo = _lerp_at(small, h_lo, 0, m)
    hi = _lerp_at(large, h_hi, m - large.shape[-1], m)
    return torch.where(nan, math.nan, lo), torch.where(nan, math.nan, hi)


def _lerp_at(part: torch.Tensor, h: float, start: int, m: int) -> torch.Tensor:
    """``sorted_quantile``'s interpolation at fractional index h of the m sorted values, of
    which ``part`` holds the run starting at index ``start``."""
    i = math.floor(h)
    j = min(i + 1, m - 1)
    return torch.lerp(part[..., i - start], part[..., j - start], h - i)


def interval_coverage(samples: torch.Tensor, obs: torch.Tensor, level: float) -> torch.Tensor:
    """Fraction of points of ``obs`` inside the central ``level`` interval of the samples.

    samples (m, ..., d), obs (..., d) -> (...), in [0, 1].
    """
    lo, hi = central_interval(samples, level)
    return ((obs >= lo) & (obs <= hi)).to(samples.dtype).mean(-1)


def interval_width(samples: torch.Tensor, level: float) -> torch.Tensor:
    """Mean width over points of the central ``level`` interval: (m, ..., d) -> (...)."""
    lo, hi = central_interval(samples, level)
    return (hi - lo).mean(-1)


def _rms(v: torch.Tensor) -> torch.Tensor:
    return v.pow(2).mean(-1).sqrt()


def rel_l2_mean(samples: torch.Tensor, truths: torch.Tensor) -> torch.Tensor:
    """‖mean(samples) − mean(truths)‖ / ‖mean(truths)‖: (m, ..., d), (k, ..., d) -> (...)."""
    t = truths.mean(0)
    return _rms(samples.mean(0) - t) / _rms(t)


def rel_l2_std(samples: torch.Tensor, truths: torch.Tensor) -> torch.Tensor:
    """‖std(samples) − std(truths)‖ / ‖std(truths)‖ (pointwise std over the first axis)."""
    t = truths.std(0)
    return _rms(samples.std(0) - t) / _rms(t)
