"""Reference values for churnguard::warn drift and ranking tests (tests/warn.rs).

Samples are deterministic formulas so the Rust tests rebuild them exactly.
Run: python3 bench/drift_reference.py   (scipy 1.17.1, numpy as in requirements.txt)
"""
import math

import numpy as np
from scipy import stats


def sample_a(n):
    return np.array([(i * 37 % 101) / 10.0 for i in range(n)])


def sample_b(n, shift):
    return np.array([(i * 53 % 97) / 10.0 + shift for i in range(n)])


def ties(n, k, offset):
    return np.array([float((i * 7 + offset) % k) for i in range(n)])


cases = {
    "shifted_60_45": (sample_a(60), sample_b(45, 1.5)),
    "close_400_300": (sample_a(400), sample_b(300, 0.3)),
    "ties_200_150": (ties(200, 6, 0), ties(150, 5, 2)),
}
for name, (a, b) in cases.items():
    r = stats.ks_2samp(a, b, method="asymp")
    en = len(a) * len(b) / (len(a) + len(b))
    d = r.statistic
    stephens = stats.kstwobign.sf((math.sqrt(en) + 0.12 + 0.11 / math.sqrt(en)) * d)
    print(f"{name}: D={d!r} ks_2samp_asymp_p={r.pvalue!r} kstwobign_stephens_p={stephens!r}")

for lam in [0.3, 0.8, 1.0, 1.18, 1.5, 2.5]:
    print(f"kstwobign.sf({lam}) = {stats.kstwobign.sf(lam)!r}")

# Percentile rank (kind='mean': % below plus half the ties) of each probability.
probs = [0.9, 0.1, 0.5, 0.5, 0.3, 0.7, 0.5, 0.05]
print("percentileofscore mean:", [stats.percentileofscore(probs, p, kind="mean") for p in probs])
