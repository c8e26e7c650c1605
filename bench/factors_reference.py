"""Reference values for tests/regression_factors.rs (churnguard::regression::factors).

Run: python bench/factors_reference.py [path/to/telco_churn.csv]
Peers: statsmodels 0.15.0 (Logit), scikit-learn (L2 logistic), see bench/requirements.txt.

Encoding (identical to churnguard's DesignMatrix::from_features with MissingValues::DropRows):
- the 11 rows with blank total_charges are dropped (complete cases, 7,032 rows remain);
- numeric columns as they are, in file order: female, senior_citizen, partner, dependents, tenure,
  phone_service, paperless_billing, monthly_charges, total_charges;
- categorical columns in file order, one `{col}={level}` indicator per level except the first in
  sorted order (pandas get_dummies(drop_first=True));
- the 7 indicators `{service}=No internet service` (six add-on services) and
  `multiple_lines=No phone service` duplicate `internet_service=No` and `1 - phone_service`
  exactly; they are removed so the design has full rank (churnguard warns about and drops them).
"""
import sys

import numpy as np
import pandas as pd
import statsmodels
import statsmodels.api as sm

path = sys.argv[1] if len(sys.argv) > 1 else "../shared/data/telco_churn.csv"
raw = pd.read_csv(path)
y = (raw["churn"] == "Yes").astype(float)
features = raw.drop(columns=["churn"])
features["total_charges"] = pd.to_numeric(features["total_charges"], errors="coerce")
numeric = [c for c in features.columns if pd.api.types.is_numeric_dtype(features[c])]
categorical = [c for c in features.columns if c not in numeric]
keep = features[numeric].notna().all(axis=1) & features[categorical].notna().all(axis=1)
features, y = features[keep], y[keep]
cols = {c: features[c].astype(float) for c in numeric}
for c in categorical:
    levels = sorted(features[c].unique())
    for level in levels[1:]:
        cols[f"{c}={level}"] = (features[c] == level).astype(float)
design = pd.DataFrame(cols)
aliased = [c for c in design.columns if c.endswith("=No internet service") or c == "multiple_lines=No phone service"]
design = design.drop(columns=aliased)
print(f"# statsmodels {statsmodels.__version__}, {len(design)} rows, {design.shape[1]} columns")
print("# dropped as aliased:", aliased)
X = sm.add_constant(design, prepend=True)
fit = sm.Logit(y, X).fit(method="newton", tol=1e-14, maxiter=100, disp=0)
for stat in ["llf", "llnull", "aic", "bic", "prsquared"]:
    print(f"{stat} = {float(getattr(fit, stat))!r}")
print("// (name, coef, se, p) — statsmodels Logit, bench/factors_reference.py")
for name in X.columns:
    print(f'("{name}", {float(fit.params[name])!r}, {float(fit.bse[name])!r}, {float(fit.pvalues[name])!r}),')
ci = np.exp(fit.conf_int(alpha=0.10))
print("// 90% odds-ratio CI of contract=Two year:", repr(float(ci.loc["contract=Two year", 0])), repr(float(ci.loc["contract=Two year", 1])))

# Small 2x2 case: a=12 churned & exposed, b=8 retained & exposed, c=5 churned & unexposed, d=25 retained & unexposed.
a, b, c, d = 12, 8, 5, 25
x2 = np.r_[np.ones(a + b), np.zeros(c + d)]
y2 = np.r_[np.ones(a), np.zeros(b), np.ones(c), np.zeros(d)]
f2 = sm.Logit(y2, sm.add_constant(x2)).fit(method="newton", tol=1e-14, disp=0)
print("2x2 coef, log OR, se, sqrt(1/a+1/b+1/c+1/d):", *(repr(float(v)) for v in (f2.params[1], np.log(a * d / (b * c)), f2.bse[1], np.sqrt(1 / a + 1 / b + 1 / c + 1 / d))))

# L2 penalty: scikit-learn LogisticRegression(C = 1/lambda) on three Telco columns (tenure, monthly_charges, senior_citizen).
from sklearn.linear_model import LogisticRegression
import sklearn

Xs = design[["tenure", "monthly_charges", "senior_citizen"]].to_numpy()
lam = 50.0
sk = LogisticRegression(C=1.0 / lam, tol=1e-12, max_iter=10000, solver="lbfgs").fit(Xs, y)
print(f"# scikit-learn {sklearn.__version__} L2 lambda={lam}: intercept {float(sk.intercept_[0])!r}, coef {[float(v) for v in sk.coef_[0]]}")
sk2 = LogisticRegression(C=1.0 / lam, tol=1e-12, max_iter=10000, solver="newton-cg").fit(Xs, y)
print(f"# newton-cg: intercept {float(sk2.intercept_[0])!r}, coef {[float(v) for v in sk2.coef_[0]]}")
