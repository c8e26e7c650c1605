"""Reference values for EMPC (src/eval/profit.rs), computed with the EMP-PY package.

EMP-PY 2.0.4 (PyPI `EMP-PY`, module `EMP.metrics.empChurn`) is the Python port of the R
`EMP` package by the measure's authors' group (Verbraken, Verbeke & Baesens 2013). Run
`python3 bench/empc_reference.py` and paste the printed numbers into the
`empc_matches_emp_py_*` tests in tests/empc.rs. Defaults: alpha=6, beta=14, clv=200, d=10, f=1.

The label/score arrays are datasets A and B of bench/metrics_reference.py (heavily tied
scores) plus a seeded random set D with a realistic 20% churn rate.
"""

import numpy as np
from EMP.metrics import empChurn

from metrics_reference import A_LABELS, A_SCORES, B_LABELS, B_SCORES


def bits(s):
    return np.array([int(c) for c in s])


rng = np.random.default_rng(7)
D_N = 200
d_labels = (rng.random(D_N) < 0.2).astype(int)
# Informative but noisy scores, rounded to 3 decimals so the Rust test can hard-code them.
d_scores = np.round(1 / (1 + np.exp(-(1.5 * d_labels + rng.normal(0, 1, D_N) - 1.5))), 3)

if __name__ == "__main__":
    for name, labels, scores in [
        ("A", bits(A_LABELS), np.array(A_SCORES)),
        ("B", bits(B_LABELS), np.array(B_SCORES)),
        ("D", d_labels, d_scores),
    ]:
        out = empChurn(scores, labels)
        print(f"{name}: EMP={out.EMP!r} EMP_fraction={out.EMP_fraction!r} MP={out.MP!r} MP_fraction={out.MP_fraction!r}")
    print("D_LABELS =", "".join(map(str, d_labels)))
    print("D_SCORES =", ", ".join(f"{v:.3f}" for v in d_scores))
