"""Reference values for src/eval/ab.rs (tests/ab_test.rs), from statsmodels and scipy.

    pip install -r bench/requirements.txt
    python3 bench/ab_reference.py ../shared/data/cmf_microfinance_rct.csv

1. The CMF microfinance trial (Banerjee, Duflo, Glennerster & Kinnan 2015), randomised by
   neighbourhood (`areaid`): outcome `anymfi_1` ("Yes"/"No", rows with a missing outcome
   dropped), arm `treatment` ("Treatment"/"Control"). Per-arm rates, statsmodels'
   confint_proportions_2indep (method="newcomb": Newcombe's hybrid score, his method 10; Katz
   log for the ratio), z-test,
   chi-square with Yates, Fisher exact, and OLS outcome ~ treatment with
   cov_type="cluster" (CR1) with use_t=True (t on G - 1 df, the reference churnguard uses).
2. O'Brien-Fleming-type Lan-DeMets boundaries (two-sided, alpha 0.05) found by bisection on
   scipy's multivariate normal CDF (Genz), an independent check of the AMR recursion.
3. Power / sample size: statsmodels NormalIndPower with Cohen's h.
4. Cochran-Mantel-Haenszel: statsmodels StratifiedTable on a small 3-stratum example.
"""

import sys

import numpy as np
import pandas as pd
import scipy
import statsmodels
import statsmodels.api as sm
from scipy.stats import chi2_contingency, fisher_exact, multivariate_normal, norm
from statsmodels.stats.contingency_tables import StratifiedTable
from statsmodels.stats.power import NormalIndPower
from statsmodels.stats.proportion import confint_proportions_2indep, proportion_effectsize, proportions_ztest


def cmf(path):
    df = pd.read_csv(path, usecols=["areaid", "treatment", "anymfi_1"], low_memory=False)
    n_all = len(df)
    df = df.dropna(subset=["anymfi_1", "treatment", "areaid"])
    df = df[df["anymfi_1"].astype(str).str.strip() != ""]
    y = (df["anymfi_1"].astype(str).str.strip().str.lower() == "yes").astype(float).to_numpy()
    t = (df["treatment"].astype(str).str.strip().str.lower() == "treatment").astype(float).to_numpy()
    g = df["areaid"].to_numpy()
    print(f"rows {n_all}, with outcome {len(df)}, dropped {n_all - len(df)}; clusters {len(np.unique(g))}")
    n1, n0 = int(t.sum()), int((1 - t).sum())
    a, c = int(y[t == 1].sum()), int(y[t == 0].sum())
    print(f"treatment {a}/{n1} = {a / n1!r}; control {c}/{n0} = {c / n0!r}")
    lo, hi = confint_proportions_2indep(a, n1, c, n0, method="newcomb", compare="diff")
    print(f"newcombe diff CI {lo!r} {hi!r}")
    lo, hi = confint_proportions_2indep(a, n1, c, n0, method="log", compare="ratio")
    print(f"katz log ratio CI {lo!r} {hi!r}")
    z, p = proportions_ztest([a, c], [n1, n0])
    print(f"z {z!r} p {p!r}")
    table = np.array([[a, n1 - a], [c, n0 - c]])
    chi2, p_y, _, _ = chi2_contingency(table, correction=True)
    print(f"chi2 yates {chi2!r} p {p_y!r}")
    print(f"fisher p {fisher_exact(table)[1]!r}")
    X = sm.add_constant(t)
    fit = sm.OLS(y, X).fit(cov_type="cluster", cov_kwds={"groups": g})
    ci = fit.conf_int(alpha=0.05)[1]
    print(f"cluster diff {fit.params[1]!r} se {fit.bse[1]!r} ci {ci[0]!r} {ci[1]!r} p {fit.pvalues[1]!r}")
    fit_t = sm.OLS(y, X).fit(cov_type="cluster", cov_kwds={"groups": g}, use_t=True)
    ci = fit_t.conf_int(alpha=0.05)[1]
    print(f"cluster use_t ci {ci[0]!r} {ci[1]!r} p {fit_t.pvalues[1]!r} df {fit_t.df_resid_inference!r}")
    naive = sm.OLS(y, X).fit()
    print(f"naive se {naive.bse[1]!r}")


def obf(k, alpha=0.05):
    t = np.arange(1, k + 1) / k
    spend = 2 * norm.sf(norm.ppf(1 - alpha / 2) / np.sqrt(t))
    cov = np.sqrt(np.minimum.outer(t, t) / np.maximum.outer(t, t))
    bounds = []
    for i in range(k):
        def cont(c):
            b = np.array(bounds + [c])
            m = i + 1
            # P(|Z_j| < b_j for all j <= i) by inclusion-exclusion over signs = rectangle probability.
            mvn = multivariate_normal(mean=np.zeros(m), cov=cov[:m, :m], abseps=1e-10, releps=1e-10, maxpts=2_000_000)
            return mvn.cdf(b, lower_limit=-b)
        target = 1 - spend[i]
        lo, hi = 0.0, 10.0
        for _ in range(60):
            mid = (lo + hi) / 2
            if cont(mid) < target:
                lo = mid
            else:
                hi = mid
        bounds.append((lo + hi) / 2)
    return bounds


if __name__ == "__main__":
    print(f"statsmodels {statsmodels.__version__}, scipy {scipy.__version__}")
    if len(sys.argv) > 1:
        cmf(sys.argv[1])
    for k in [2, 3, 5]:
        print(f"OBF K={k}:", ", ".join(f"{b:.6f}" for b in obf(k)))
    h = abs(proportion_effectsize(0.30, 0.24))
    n = NormalIndPower().solve_power(effect_size=h, alpha=0.05, power=0.8, ratio=1)
    print(f"n per arm (0.30 -> 0.24, power 0.8) {n!r}; power at 500 {NormalIndPower().power(h, 500, 0.05)!r}")
    strata = [np.array([[30, 70], [45, 55]]), np.array([[12, 88], [20, 80]]), np.array([[5, 95], [9, 91]])]
    st = StratifiedTable(strata)
    lo, hi = st.oddsratio_pooled_confint()
    r = st.test_null_odds(correction=False)
    print(f"CMH OR {st.oddsratio_pooled!r} CI {lo!r} {hi!r} RR {st.riskratio_pooled!r} chi2 {r.statistic!r} p {r.pvalue!r}")
