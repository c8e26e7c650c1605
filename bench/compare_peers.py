"""Peer table for examples/compare.rs on the IBM Telco data: scikit-learn and LightGBM on the
same folds, with the same preprocessing and the same metrics.

Usage (from the repository root):
    pip install -r bench/requirements.txt
    cargo run --release --example compare -- ../shared/data/telco_churn.csv --folds-out /tmp/telco_folds.csv
    python3 bench/compare_peers.py ../shared/data/telco_churn.csv /tmp/telco_folds.csv

Preprocessing mirrors churnguard's Learner::default_preprocess, fitted on each training fold:
  linear models / SVM: numeric -> median imputation + standard scaling (+ missing indicator),
                       text -> one-hot;
  trees / boosting:    numeric kept as is (NaN = missing, handled natively), text -> one-hot.
Metrics as in src/eval: ROC-AUC, average precision, log loss (clip 1e-15), Brier, ECE (10
equal-width bins), lift in the top 10% (k = ceil(0.1 n)), EMPC from EMP-PY (defaults).
Timings are mean seconds per fold, folds run one after another (n_jobs=2 where supported).
"""

import math
import sys
import time

import lightgbm
import numpy as np
import pandas as pd
import sklearn
from EMP.metrics import empChurn
from sklearn.calibration import CalibratedClassifierCV
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import RandomForestClassifier
from sklearn.impute import MissingIndicator, SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import average_precision_score, brier_score_loss, log_loss, roc_auc_score
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from sklearn.svm import SVC
from sklearn.tree import DecisionTreeClassifier


def ece(y, p, bins=10):
    idx = np.minimum((p * bins).astype(int), bins - 1)
    total = 0.0
    for b in range(bins):
        m = idx == b
        if m.any():
            total += m.sum() / len(p) * abs(y[m].mean() - p[m].mean())
    return total


def lift10(y, p):
    k = max(1, math.ceil(round(0.1 * len(p), 9)))
    order = np.argsort(-p, kind="stable")
    return y[order[:k]].mean() / y.mean()


def prep(df, train, numeric, text, scale):
    missing = [c for c in numeric if df.loc[train, c].isna().any()]
    if scale:
        parts = [("num", Pipeline([("impute", SimpleImputer(strategy="median")), ("scale", StandardScaler())]), numeric)]
        if missing:
            parts.append(("missing", MissingIndicator(features="all"), missing))
    else:
        parts = [("num", "passthrough", numeric)]
    parts.append(("cat", OneHotEncoder(handle_unknown="ignore"), text))
    return ColumnTransformer(parts, sparse_threshold=0)


MODELS = {
    "logistic_regression": (True, lambda: LogisticRegression(C=1.0, max_iter=5000, tol=1e-8)),
    "decision_tree": (False, lambda: DecisionTreeClassifier(max_depth=5, random_state=1)),
    "random_forest": (False, lambda: RandomForestClassifier(n_estimators=200, min_samples_leaf=5, n_jobs=2, random_state=1)),
    "lightgbm": (False, lambda: lightgbm.LGBMClassifier(n_estimators=100, learning_rate=0.05, num_leaves=31, n_jobs=2, verbose=-1, random_state=1)),
    "lightgbm+isotonic": (False, lambda: CalibratedClassifierCV(lightgbm.LGBMClassifier(n_estimators=100, learning_rate=0.05, num_leaves=31, n_jobs=2, verbose=-1, random_state=1), method="isotonic", cv=5, ensemble=False)),
    "svm": (True, lambda: SVC(C=1.0, gamma="scale", probability=True, random_state=1)),
}


def main(data_path, folds_path):
    df = pd.read_csv(data_path)
    df["line"] = np.arange(len(df)) + 2
    df = df.merge(pd.read_csv(folds_path), on="line", how="inner", validate="one_to_one")
    y = (df.pop("churn").str.strip().str.lower() == "yes").to_numpy().astype(int)
    fold = df.pop("fold").to_numpy()
    df = df.drop(columns=["line"])
    numeric = [c for c in df.columns if pd.api.types.is_numeric_dtype(df[c])]
    text = [c for c in df.columns if c not in numeric]
    print(f"scikit-learn {sklearn.__version__}, LightGBM {lightgbm.__version__}; {len(y)} rows, 5 folds\n")
    print("| model | ROC-AUC | PR-AUC | log loss | Brier | ECE | lift@10% | EMPC | fit s | predict s |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for name, (scale, make) in MODELS.items():
        rows = []
        for k in sorted(set(fold)):
            train, test = fold != k, fold == k
            model = Pipeline([("prep", prep(df, train, numeric, text, scale)), ("model", make())])
            t0 = time.perf_counter()
            model.fit(df[train], y[train])
            t1 = time.perf_counter()
            p = model.predict_proba(df[test])[:, 1]
            t2 = time.perf_counter()
            yt = y[test]
            emp = empChurn(p, yt)
            rows.append([roc_auc_score(yt, p), average_precision_score(yt, p), log_loss(yt, np.clip(p, 1e-15, 1 - 1e-15)),
                         brier_score_loss(yt, p), ece(yt, p), lift10(yt, p), emp.EMP, t1 - t0, t2 - t1])
        r = np.array(rows)
        m, s = r.mean(axis=0), r.std(axis=0, ddof=1)
        print(f"| {name} | {m[0]:.4f} ± {s[0]:.4f} | {m[1]:.4f} ± {s[1]:.4f} | {m[2]:.4f} | {m[3]:.4f} | {m[4]:.4f} | {m[5]:.2f} | {m[6]:.3f} | {m[7]:.3f} | {m[8]:.4f} |")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2])
