"""Reference values for src/classify/calibration.rs, computed with scikit-learn.

Run `python3 bench/calibration_reference.py`; the printed numbers are pasted into
tests/calibration.rs. Uses dataset D of bench/empc_reference.py (n = 200, 20% churn,
scores rounded to 3 decimals).

- Isotonic: sklearn.isotonic.IsotonicRegression(out_of_bounds="clip", y_min=0, y_max=1)
  fitted on (score, label), predictions at a few probe points.
- Platt: sklearn.calibration._sigmoid_calibration on log-odds of the scores, which fits
  P = 1/(1 + exp(A·f + B)) with Platt's smoothed targets; churnguard's slope = −A,
  intercept = −B. scikit-learn minimises with L-BFGS, so agreement is to ~1e-5.
"""

import numpy as np
import sklearn
from sklearn.calibration import _sigmoid_calibration
from sklearn.isotonic import IsotonicRegression

from empc_reference import d_labels, d_scores

if __name__ == "__main__":
    print("scikit-learn", sklearn.__version__)
    iso = IsotonicRegression(out_of_bounds="clip", y_min=0, y_max=1).fit(d_scores, d_labels)
    probes = np.array([0.0, 0.05, 0.15, 0.25, 0.333, 0.5, 0.61, 0.75, 0.9, 1.0])
    print("isotonic probes:", ", ".join(repr(float(v)) for v in iso.predict(probes)))
    f = np.log(np.clip(d_scores, 1e-12, 1 - 1e-12) / (1 - np.clip(d_scores, 1e-12, 1 - 1e-12)))
    a, b = _sigmoid_calibration(f, d_labels)
    print(f"platt slope={-a!r} intercept={-b!r}")
