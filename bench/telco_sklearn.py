"""scikit-learn reference for examples/telco.rs: same data, same folds, same preprocessing.

Usage (from the repository root):
    pip install -r bench/requirements.txt
    cargo run --release --example telco -- ../shared/data/telco_churn.csv --folds-out /tmp/telco_folds.csv
    python3 bench/telco_sklearn.py ../shared/data/telco_churn.csv /tmp/telco_folds.csv

Preprocessing mirrors churnguard's defaults (PreprocessParams::default()), fitted on
each training fold only:
  numeric columns  -> median imputation, standard scaling (population std);
                      plus a 0/1 missing indicator (unscaled) for columns with missing
                      values in the training fold;
  text columns     -> one-hot, one column per level seen in training (unscaled).
Model: LogisticRegression(C=1, lbfgs) == churnguard's alpha = 1 L2 penalty.
"""

import sys

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.impute import MissingIndicator, SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler


def main(data_path: str, folds_path: str) -> None:
    df = pd.read_csv(data_path)
    # churnguard names rows by their CSV line: header is line 1, first data row line 2.
    df["line"] = np.arange(len(df)) + 2
    folds = pd.read_csv(folds_path)
    df = df.merge(folds, on="line", how="inner", validate="one_to_one")
    y = (df.pop("churn").str.strip().str.lower() == "yes").to_numpy()
    fold = df.pop("fold").to_numpy()
    df = df.drop(columns=["line"])
    numeric = [c for c in df.columns if pd.api.types.is_numeric_dtype(df[c])]
    text = [c for c in df.columns if c not in numeric]
    aucs = []
    for k in sorted(set(fold)):
        train, test = fold != k, fold == k
        missing = [c for c in numeric if df.loc[train, c].isna().any()]
        parts = [("num", Pipeline([("impute", SimpleImputer(strategy="median")), ("scale", StandardScaler())]), numeric)]
        if missing:
            parts.append(("missing", MissingIndicator(features="all"), missing))
        parts.append(("cat", OneHotEncoder(handle_unknown="error"), text))
        model = Pipeline([("prep", ColumnTransformer(parts)), ("lr", LogisticRegression(C=1.0, max_iter=5000, tol=1e-8))])
        model.fit(df[train], y[train])
        p = model.predict_proba(df[test])[:, 1]
        aucs.append(roc_auc_score(y[test], p))
        print(f"  fold {k}: ROC-AUC {aucs[-1]:.4f} (train {train.sum()}, test {test.sum()})")
    import sklearn

    print(f"scikit-learn {sklearn.__version__} LogisticRegression, 5-fold ROC-AUC {np.mean(aucs):.4f} ± {np.std(aucs, ddof=1):.4f}")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2])
