"""Reference values for tests/survival.rs (churnguard::regression::survival).

Run: python bench/survival_reference.py [path/to/telco_churn.csv]
Peer: lifelines 0.30.3 (see bench/requirements.txt).

Telco set-up: duration = tenure (months), event = churn == "Yes". The 11 customers with tenure 0
(all still customers) are kept: lifelines allows zero durations and so does churnguard; censored at 0
they only count in the at-risk total at time 0. Cox covariates: monthly_charges, senior_citizen,
partner, dependents, paperless_billing, contract=One year, contract=Two year (drop-first one-hot,
reference Month-to-month); lifelines fits them without convergence warnings.
"""
import sys
import warnings

import lifelines
import numpy as np
import pandas as pd
from lifelines import CoxPHFitter, KaplanMeierFitter
from lifelines.statistics import logrank_test, multivariate_logrank_test
from lifelines.utils import concordance_index

warnings.simplefilter("error")  # any lifelines convergence warning fails the script
path = sys.argv[1] if len(sys.argv) > 1 else "../shared/data/telco_churn.csv"
print(f"# lifelines {lifelines.__version__}")
r = lambda v: repr(float(v))

# 1. Kaplan-Meier on the 6-MP treatment arm (Freireich et al. 1963; Klein & Moeschberger, Table 4.1).
T = [6, 6, 6, 7, 10, 13, 16, 22, 23, 6, 9, 10, 11, 17, 19, 20, 25, 32, 32, 34, 35]
E = [1] * 9 + [0] * 12
km = KaplanMeierFitter().fit(T, E)
ci = km.confidence_interval_
print("6-MP (t, S, lower, upper):")
for t in [6, 7, 10, 13, 16, 22, 23]:
    print(f"  ({t}.0, {r(km.survival_function_.loc[t].iloc[0])}, {r(ci.loc[t].iloc[0])}, {r(ci.loc[t].iloc[1])}),")
print("6-MP median:", km.median_survival_time_)
km90 = KaplanMeierFitter(alpha=0.10).fit(T, E)
print("6-MP 90% CI at 13:", r(km90.confidence_interval_.loc[13].iloc[0]), r(km90.confidence_interval_.loc[13].iloc[1]))

# 2. Telco.
df = pd.read_csv(path)
df["event"] = (df["churn"] == "Yes").astype(int)
km = KaplanMeierFitter().fit(df["tenure"], df["event"])
ci = km.confidence_interval_
print("Telco KM (t, S, lower, upper):")
for t in [0, 1, 12, 24, 48, 72]:
    print(f"  ({t}.0, {r(km.survival_function_.loc[t].iloc[0])}, {r(ci.loc[t].iloc[0])}, {r(ci.loc[t].iloc[1])}),")
print("Telco median:", km.median_survival_time_, " timeline length:", len(km.timeline))
for contract, g in df.groupby("contract"):
    k = KaplanMeierFitter().fit(g["tenure"], g["event"])
    print(f"  contract {contract}: n={len(g)}, median={k.median_survival_time_}, S(12)={r(k.predict(12))}, S(36)={r(k.predict(36))}")

mv = multivariate_logrank_test(df["tenure"], df["contract"], df["event"])
print("log-rank by contract: stat", r(mv.test_statistic), "df", mv.degrees_of_freedom, "p", r(mv.p_value))
yes, no = df[df["partner"] == 1], df[df["partner"] == 0]
lr = logrank_test(yes["tenure"], no["tenure"], yes["event"], no["event"])
print("log-rank by partner: stat", r(lr.test_statistic), "p", r(lr.p_value))
g = df[df["payment_method"].isin(["Credit card (automatic)", "Bank transfer (automatic)"])]
lr = multivariate_logrank_test(g["tenure"], g["payment_method"], g["event"])
print("log-rank automatic bank vs card: stat", r(lr.test_statistic), "p", r(lr.p_value))

# 3. Cox.
X = pd.DataFrame({
    "monthly_charges": df["monthly_charges"].astype(float),
    "senior_citizen": df["senior_citizen"].astype(float),
    "partner": df["partner"].astype(float),
    "dependents": df["dependents"].astype(float),
    "paperless_billing": df["paperless_billing"].astype(float),
    "contract=One year": (df["contract"] == "One year").astype(float),
    "contract=Two year": (df["contract"] == "Two year").astype(float),
})
data = X.assign(tenure=df["tenure"], event=df["event"])
tight = {"precision": 1e-12, "r_precision": 1e-15, "max_steps": 200}
for ties in ["efron", "breslow"]:
    cph = CoxPHFitter()
    if ties == "breslow":
        # lifelines fits Efron only; Breslow reference values come from statsmodels PHReg (ties="breslow").
        import statsmodels
        from statsmodels.duration.hazard_regression import PHReg
        ph = PHReg(df["tenure"], X, status=df["event"], ties="breslow").fit()
        print(f"Breslow (statsmodels {statsmodels.__version__} PHReg) (name, coef, se):")
        for name, c, s in zip(X.columns, ph.params, ph.bse):
            print(f'  ("{name}", {r(c)}, {r(s)}),')
        print("  llf", r(ph.llf))
        continue
    cph.fit(data, "tenure", "event", fit_options=tight)
    print("Cox Efron (name, coef, se, p):")
    for name in X.columns:
        print(f'  ("{name}", {r(cph.params_[name])}, {r(cph.standard_errors_[name])}, {r(cph.summary.loc[name, "p"])}),')
    print("  log_likelihood", r(cph.log_likelihood_), "null", r(cph._ll_null_), "concordance", r(cph.concordance_index_))
    print("  AIC_partial", r(cph.AIC_partial_))
    lrt = cph.log_likelihood_ratio_test()
    print("  LR test", r(lrt.test_statistic), lrt.degrees_freedom)
    bch = cph.baseline_cumulative_hazard_["baseline cumulative hazard"]
    print("  baseline cumulative hazard at 1, 12, 72:", r(bch.loc[1]), r(bch.loc[12]), r(bch.loc[72]))
    rows = X.iloc[[0, 1, 2]]
    sf = cph.predict_survival_function(rows, times=[12.0, 24.0])
    print("  S(12), S(24) rows 0..3:", [[r(sf.loc[t, i]) for t in [12.0, 24.0]] for i in rows.index])
    print("  partial hazard rows 0..3:", [r(v) for v in cph.predict_partial_hazard(rows)])

pen = CoxPHFitter(penalizer=0.1).fit(data, "tenure", "event", fit_options=tight)
print("Cox Efron penalizer=0.1 (name, coef, se):")
for name in X.columns:
    print(f'  ("{name}", {r(pen.params_[name])}, {r(pen.standard_errors_[name])}),')

# 4. Concordance with tied times and tied scores.
t = [1, 2, 2, 2, 3, 3, 4, 5, 5, 6, 1, 7]
e = [1, 1, 0, 1, 1, 0, 0, 1, 1, 0, 0, 1]
s = [0.5, 1.0, 1.0, 0.2, 3.0, 1.0, 2.0, 2.0, 0.5, 4.0, 1.0, 2.0]
print("concordance small:", r(concordance_index(t, s, e)))

# 5. Small Cox with ties for a unit-size check.
small = pd.DataFrame({"t": [1, 1, 2, 3, 3, 3, 4, 5, 6, 7], "e": [1, 1, 0, 1, 1, 0, 1, 0, 1, 0],
                      "x": [1.0, 0.0, 1.0, 2.0, 0.5, 0.0, 1.5, 1.0, 0.0, 0.2]})
c = CoxPHFitter().fit(small, "t", "e", fit_options=tight)
print("small Cox efron: coef", r(c.params_["x"]), "se", r(c.standard_errors_["x"]), "ll", r(c.log_likelihood_),
      "concordance", r(c.concordance_index_))
