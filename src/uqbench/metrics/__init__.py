"""Metrics: what scores a prediction. ``catalogue`` declares every metric (torch-free, read
by the reports); ``scores`` the proper scoring rules, calibration and errors; ``conformal``
the split-conformal factor; ``epistemic`` the scores' evaluation; ``evaluate`` a split's
per-case metrics. Import the submodules: this package imports nothing, so that the table
jobs stay torch-free."""
