"""Small figures shared by health snapshots and benchmarks."""

from __future__ import annotations


def percentile(values: list[float], p: float) -> float:
    """Linear-interpolated percentile (``p`` in 0..100); 0.0 for no values."""
    if not values:
        return 0.0
    s = sorted(values)
    k = (len(s) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (k - lo)
