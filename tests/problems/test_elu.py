"""elu: input spectrum and the random operator."""

import numpy as np

from uqbench.problems.elu import Elu


def test_input_mode_variances_follow_the_decay():
    p = Elu({"grid": 64, "modes": 8, "shift_modes": [12, 16, 24]})
    rng = np.random.default_rng(0)
    for rung, modes, decay in ((None, 8, 2.0), (0, 12, 1.5), (1, 16, 1.0), (2, 24, 0.5)):
        u = p.sample_inputs(20000, rng, rung)
        c = np.fft.rfft(u, axis=-1) / (64 / 2)  # a_k - i b_k for k >= 1
        k = np.arange(1, modes + 1)
        var_a = (c.real[:, 1 : modes + 1] ** 2).mean(0)
        np.testing.assert_allclose(var_a, k**-decay, rtol=0.05)
        assert np.abs(c[:, modes + 1 :]).max() < 1e-9  # no energy above the last mode


def test_operator_is_a_random_smoothing_of_elu():
    p = Elu({"grid": 64, "amplitude_log_std": 0.0, "length_log_std": 0.0, "length": 0.3})
    u = p.sample_inputs(3, np.random.default_rng(1), None)
    out = p.sample_outputs(u, 5, np.random.default_rng(2))
    # deterministic operator when both log-stds are zero: all realizations equal
    np.testing.assert_allclose(out, np.broadcast_to(out[:, :1], out.shape), atol=1e-12)
    k = np.fft.rfftfreq(64, 1 / 64)
    elu = np.where(u > 0, u, np.expm1(u))
    expected = np.fft.irfft(np.fft.rfft(elu) * np.exp(-((0.3 * k) ** 2)), n=64)
    np.testing.assert_allclose(out[:, 0], expected, atol=1e-12)


def test_each_case_and_realization_draws_its_own_amplitude():
    """With the length fixed, out = A·smooth(ELU(u)): A of every (case, realization) is
    log-normal with the configured log-std, and independent across cases."""
    p = Elu({"grid": 64, "amplitude_log_std": 0.2, "length_log_std": 0.0})
    u = p.sample_inputs(4, np.random.default_rng(3), None)
    out = p.sample_outputs(u, 500, np.random.default_rng(4))  # (case, realization, x)
    smooth = p.sample_outputs(u, 1, np.random.default_rng(0))  # one draw: the shape
    j = np.abs(smooth[:, 0]).argmax(-1)  # a point where each case's output is large
    amp = out[np.arange(4), :, j] / smooth[np.arange(4), 0, j][:, None]
    amp = amp / np.exp(np.log(amp).mean())  # the draw in `smooth` had its own amplitude
    np.testing.assert_allclose(np.log(amp).std(1), 0.2, rtol=0.15)
    corr = np.corrcoef(np.log(amp))[np.triu_indices(4, 1)]
    assert np.abs(corr).max() < 0.2  # independent across cases (shared draws: 1)
