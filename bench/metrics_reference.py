"""Reference values for the metrics in src/eval/metrics.rs, computed with scikit-learn.

Run with `python3 bench/metrics_reference.py` and paste the printed numbers into the
`sklearn_reference_*` tests at the bottom of src/eval/metrics.rs. The arrays below are
hard-coded there too; keep both copies identical. Values pasted into the tests came from
scikit-learn 1.9.1 and numpy 2.4.6 (Python 3.11).

The arrays were drawn once from numpy's default_rng(2024) and rounded so that scores are
heavily tied (1 decimal, 2 decimals, integers), which is the case where naive AUC/AP
implementations differ from scikit-learn. No probability is exactly 0 or 1, because
scikit-learn clips log-loss inputs to machine epsilon while churnguard clips to 1e-15.
"""

import numpy as np
import sklearn
from sklearn.metrics import average_precision_score, brier_score_loss, log_loss, roc_auc_score

# A: n = 40, probabilities rounded to one decimal (many ties across both classes).
A_LABELS = "0100011101001010000010101101110101000001"
A_SCORES = [
    0.6, 0.6, 0.3, 0.1, 0.1, 0.8, 0.4, 0.8, 0.7, 0.6,
    0.1, 0.4, 0.8, 0.3, 0.7, 0.6, 0.6, 0.5, 0.2, 0.3,
    0.8, 0.3, 0.5, 0.2, 0.5, 0.5, 0.3, 0.9, 0.5, 0.8,
    0.4, 0.7, 0.2, 0.6, 0.7, 0.4, 0.5, 0.5, 0.6, 0.6,
]

# B: n = 30, probabilities rounded to two decimals (a few ties, including 0.01 four times).
B_LABELS = "010010101111010100101111001010"
B_SCORES = [
    0.30, 0.66, 0.39, 0.01, 0.56, 0.01, 0.62, 0.34, 0.68, 0.61,
    0.69, 0.69, 0.38, 0.66, 0.01, 0.49, 0.37, 0.12, 0.49, 0.32,
    0.64, 0.83, 0.75, 0.56, 0.32, 0.01, 0.49, 0.27, 0.17, 0.24,
]

# C: n = 50, integer margins in [-2, 4] (not probabilities: ranking metrics only).
C_LABELS = "11110010100010000000001101100000010000010101100110"
C_SCORES = [
    0, 4, -1, 1, -1, 1, 0, -1, 0, -2,
    -1, 0, 0, -2, 0, 0, 1, -1, 0, 1,
    -1, 0, 1, 0, 0, 3, 4, -2, 1, 1,
    1, -1, 0, 1, 1, 1, 0, 0, 1, 2,
    -1, 3, 1, 2, 2, 1, 1, 0, 0, -2,
]


def labels(bits: str) -> np.ndarray:
    return np.array([c == "1" for c in bits], dtype=bool)


def g(x: float) -> str:
    return format(float(x), ".15g")


def main() -> None:
    print(f"# scikit-learn {sklearn.__version__}, numpy {np.__version__}")
    for name, bits, scores, is_prob in [
        ("A", A_LABELS, A_SCORES, True),
        ("B", B_LABELS, B_SCORES, True),
        ("C", C_LABELS, C_SCORES, False),
    ]:
        y = labels(bits)
        s = np.array(scores, dtype=np.float64)
        assert len(y) == len(s), name
        print(f"{name}: n={len(y)} positives={int(y.sum())}")
        print(f"  roc_auc_score           {g(roc_auc_score(y, s))}")
        print(f"  average_precision_score {g(average_precision_score(y, s))}")
        if is_prob:
            print(f"  log_loss                {g(log_loss(y, s))}")
            print(f"  brier_score_loss        {g(brier_score_loss(y, s))}")


if __name__ == "__main__":
    main()
