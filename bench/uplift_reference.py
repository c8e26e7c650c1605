"""Reference values for src/eval/uplift.rs metrics, computed with scikit-uplift 0.5.1.

    pip install -r bench/requirements.txt
    python3 bench/uplift_reference.py

Arrays: n = 60 from numpy default_rng(11); y = success (retained), t = treated, scores
rounded to one decimal so ties occur. The printed arrays and numbers are pasted into
tests/uplift.rs.
"""

import numpy as np
import sklift
from sklift.metrics import qini_auc_score, qini_curve, uplift_at_k, uplift_auc_score, uplift_curve

rng = np.random.default_rng(11)
n = 60
t = (rng.random(n) < 0.5).astype(int)
score = np.round(rng.normal(0, 1, n), 1)
y = (rng.random(n) < 0.5 + 0.15 * t * np.sign(score)).astype(int)

if __name__ == "__main__":
    print("scikit-uplift", sklift.__version__)
    print("Y =", "".join(map(str, y)))
    print("T =", "".join(map(str, t)))
    print("S =", ", ".join(f"{v:.1f}" for v in score))
    print(f"qini neg {qini_auc_score(y, score, t, negative_effect=True)!r}")
    print(f"qini nonneg {qini_auc_score(y, score, t, negative_effect=False)!r}")
    print(f"auuc {uplift_auc_score(y, score, t)!r}")
    print(f"uplift@30% overall {uplift_at_k(y, score, t, strategy='overall', k=0.3)!r}")
    print(f"uplift@30% by_group {uplift_at_k(y, score, t, strategy='by_group', k=0.3)!r}")
    x, v = qini_curve(y, score, t)
    print("qini curve x", list(map(int, x[:6])), "y", [float(a) for a in v[:6]])
    x, v = uplift_curve(y, score, t)
    print("uplift curve last", int(x[-1]), float(v[-1]), "area", float(np.trapezoid(v, x)))
