"""Reference values for churnguard::eval::ab (tests/ab_test.rs).

Run:  python3 bench/ab_reference.py [path/to/cmf_microfinance_rct.csv]
Versions: see bench/requirements.txt (statsmodels 0.15.0, scipy 1.17.1, pandas).
Every number is printed with r() so it can be pasted into the Rust tests.
"""

import sys

import numpy as np
import pandas as pd
import scipy
import statsmodels
import statsmodels.api as sm
from scipy import stats
from scipy.optimize import brentq
from statsmodels.stats.proportion import (
    confint_proportions_2indep,
    proportion_confint,
    proportions_ztest,
)

np.set_printoptions(floatmode="unique")


def r(x):
    """Shortest round-trip repr of a float (numpy scalars included)."""
    return repr(float(x))


print(f"# scipy {scipy.__version__}, statsmodels {statsmodels.__version__}, pandas {pd.__version__}")


def two_proportions(label, xc, nc, xt, nt, alpha=0.05):
    """Treatment vs control, as churnguard::eval::ab::compare(control, treatment, 1 - alpha)."""
    print(f"\n## two proportions {label}: control {xc}/{nc}, treatment {xt}/{nt}, alpha {alpha}")
    print("control_rate", r(xc / nc), "treatment_rate", r(xt / nt))
    print("wilson_control", [r(v) for v in proportion_confint(xc, nc, alpha=alpha, method="wilson")])
    print("wilson_treatment", [r(v) for v in proportion_confint(xt, nt, alpha=alpha, method="wilson")])
    lo, hi = confint_proportions_2indep(xt, nt, xc, nc, method="newcomb", compare="diff", alpha=alpha)
    print("newcombe_diff_ci", r(lo), r(hi))
    method = "log" if xc > 0 and xt > 0 else "log-adjusted"
    lo, hi = confint_proportions_2indep(xt, nt, xc, nc, method=method, compare="ratio", alpha=alpha)
    print(f"risk_ratio_ci ({method})", r(lo), r(hi))
    z, p = proportions_ztest([xt, xc], [nt, nc])
    print("z", r(z), "z_p", r(p))
    table = np.array([[xt, nt - xt], [xc, nc - xc]])
    chi, pchi, _, expected = stats.chi2_contingency(table, correction=False)
    chiy, pchiy, _, _ = stats.chi2_contingency(table, correction=True)
    print("chi2", r(chi), "p", r(pchi))
    print("chi2_yates", r(chiy), "p", r(pchiy))
    print("fisher_p", r(stats.fisher_exact(table).pvalue))
    print("min_expected", r(expected.min()))


two_proportions("campaign", 602, 2000, 480, 2000)
two_proportions("scipy fisher_exact doc table [[6,2],[1,4]]", 1, 5, 6, 8)
two_proportions("zero treatment events", 5, 20, 0, 20)
two_proportions("90% level", 130, 400, 100, 380, alpha=0.10)


# ---------------------------------------------------------------- cluster-randomised trial
def cluster_reference(path):
    """CMF microfinance RCT (Banerjee et al. 2015): treatment by neighbourhood `areaid`."""
    raw = pd.read_csv(path, low_memory=False)
    d = raw.dropna(subset=["anymfi_1"]).copy()
    print(f"\n## CMF {path}: {len(raw)} rows, {len(raw) - len(d)} dropped (anymfi_1 missing), {len(d)} analysed")
    d["y"] = (d["anymfi_1"] == "Yes").astype(float)
    d["t"] = (d["treatment"] == "Treatment").astype(float)
    for arm, g in d.groupby("t"):
        print(f"arm t={int(arm)}: n {len(g)}, clusters {g.areaid.nunique()}, events {int(g.y.sum())}, mean {r(g.y.mean())}")
    xc, nc = int(d.y[d.t == 0].sum()), int((d.t == 0).sum())
    xt, nt = int(d.y[d.t == 1].sum()), int((d.t == 1).sum())
    two_proportions("CMF anymfi_1 (ignoring clusters)", xc, nc, xt, nt)

    X = sm.add_constant(d["t"].to_numpy())
    y = d["y"].to_numpy()
    ols = sm.OLS(y, X).fit()
    cl = sm.OLS(y, X).fit(cov_type="cluster", cov_kwds={"groups": d["areaid"].to_numpy()}, use_t=True)
    print("ols slope", r(cl.params[1]), "naive se", r(ols.bse[1]))
    print("cluster se", r(cl.bse[1]), "t", r(cl.tvalues[1]), "p", r(cl.pvalues[1]), "df", r(cl.df_resid_inference))
    lo, hi = cl.conf_int(alpha=0.05)[1]
    print("cluster ci", r(lo), r(hi))
    print("design effect", r((cl.bse[1] / ols.bse[1]) ** 2))
    # Delta-method interval of 1 - mean_t/mean_c from the cluster-robust covariance of (b0, b1).
    cov = cl.cov_params()
    b0, b1 = cl.params
    grad = np.array([1 / (b0 + b1) - 1 / b0, 1 / (b0 + b1)])
    se_log = np.sqrt(grad @ cov @ grad)
    crit = stats.t.isf(0.025, cl.df_resid_inference)
    ratio = (b0 + b1) / b0
    print("relative reduction", r(1 - ratio), "ci", r(1 - ratio * np.exp(crit * se_log)), r(1 - ratio * np.exp(-crit * se_log)))
    # ICC: one-way ANOVA, clusters nested in arms; sums of squares from statsmodels anova_lm.
    from statsmodels.formula.api import ols as ols_formula
    from statsmodels.stats.anova import anova_lm

    d["area"] = d["areaid"].astype(str)
    # Areas are nested in arms, so SS(area | arm) = SS(area) - SS(arm); both fits are full rank
    # (the one-step fit y ~ C(t) + C(area) is rank-deficient and its type-I SS is off).
    ss_area = anova_lm(ols_formula("y ~ C(area)", data=d).fit(), typ=1)
    ss_arm = anova_lm(ols_formula("y ~ C(t)", data=d).fit(), typ=1)
    G = d["area"].nunique()
    ms_between = (ss_area.loc["C(area)", "sum_sq"] - ss_arm.loc["C(t)", "sum_sq"]) / (G - 2)
    ms_within = ss_area.loc["Residual", "sum_sq"] / (len(d) - G)
    sizes = d.groupby(["t", "area"]).size()
    n_arm = d.groupby("t").size()
    n0 = (len(d) - sum((sizes[a] ** 2).sum() / n_arm[a] for a in n_arm.index)) / (G - 2)
    icc = (ms_between - ms_within) / (ms_between + (n0 - 1) * ms_within)
    print("icc", r(icc), "n0", r(n0), "mean cluster size", r(len(d) / G))


cluster_reference(sys.argv[1] if len(sys.argv) > 1 else "/work/shared/data/cmf_microfinance_rct.csv")


# Small inline clustered data set (same literal arrays in tests/ab_test.rs): 7 clusters of unequal size.
SMALL_CLUSTERS = ["s1"] * 3 + ["s2"] * 5 + ["s3"] * 4 + ["s4"] * 6 + ["s5"] * 2 + ["s6"] * 5 + ["s7"] * 3
SMALL_TREATED = [c in ("s4", "s5", "s6", "s7") for c in SMALL_CLUSTERS]
SMALL_Y = [1, 0, 1, 0, 0, 1, 1, 1, 0, 0, 0, 1, 0, 0, 1, 0, 0, 0, 1, 1, 0, 0, 0, 0, 1, 0, 1, 0]
print("\n## small clustered data set")
sd = pd.DataFrame({"y": np.array(SMALL_Y, float), "t": np.array(SMALL_TREATED, float), "g": SMALL_CLUSTERS})
Xs = sm.add_constant(sd["t"].to_numpy())
ols_s = sm.OLS(sd["y"].to_numpy(), Xs).fit()
cl_s = sm.OLS(sd["y"].to_numpy(), Xs).fit(cov_type="cluster", cov_kwds={"groups": pd.factorize(sd["g"])[0]}, use_t=True)
print("slope", r(cl_s.params[1]), "cluster se", r(cl_s.bse[1]), "naive se", r(ols_s.bse[1]))
print("t", r(cl_s.tvalues[1]), "p", r(cl_s.pvalues[1]), "df", r(cl_s.df_resid_inference))
lo, hi = cl_s.conf_int(alpha=0.10)[1]
print("90% ci", r(lo), r(hi))


# ---------------------------------------------------------------- power and sample size
from statsmodels.stats.power import NormalIndPower
from statsmodels.stats.proportion import proportion_effectsize

print("\n## power: statsmodels NormalIndPower, effect size proportion_effectsize(p_c, p_c*(1-r))")
power_analysis = NormalIndPower()
for p_c, r_, alpha, pw, ratio in [(0.30, 0.20, 0.05, 0.80, 1.0), (0.10, 0.15, 0.05, 0.90, 1.0), (0.30, 0.20, 0.01, 0.80, 9.0)]:
    h = proportion_effectsize(p_c, p_c * (1 - r_))
    n = power_analysis.solve_power(effect_size=h, nobs1=None, alpha=alpha, power=pw, ratio=ratio)
    print(f"sample size p_c {p_c} r {r_} alpha {alpha} power {pw} ratio {ratio}: nobs1", r(n))
for p_c, r_, alpha, n, ratio in [(0.30, 0.20, 0.05, 500, 1.0), (0.30, 0.10, 0.05, 2000, 1.0), (0.05, 0.30, 0.10, 3000, 0.25)]:
    h = proportion_effectsize(p_c, p_c * (1 - r_))
    print(f"power p_c {p_c} r {r_} alpha {alpha} n {n} ratio {ratio}:", r(power_analysis.power(h, nobs1=n, alpha=alpha, ratio=ratio)))
for p_c, alpha, n, pw, ratio in [(0.30, 0.05, 500, 0.80, 1.0), (0.10, 0.05, 10000, 0.90, 1.0), (0.30, 0.05, 1000, 0.80, 4.0)]:
    # solve_power(effect_size=None) stops early (power 0.89999 for a 0.9 target in case 2), so the
    # effect size is solved with brentq at xtol 1e-15 on statsmodels' own power function.
    h_sm = power_analysis.solve_power(effect_size=None, nobs1=n, alpha=alpha, power=pw, ratio=ratio)
    h = brentq(lambda e: power_analysis.power(e, nobs1=n, alpha=alpha, ratio=ratio) - pw, 1e-9, 3.0, xtol=1e-15)
    p_t = np.sin(np.arcsin(np.sqrt(p_c)) - h / 2) ** 2
    print(f"mde p_c {p_c} alpha {alpha} n {n} power {pw} ratio {ratio}: h", r(h), "(solve_power", r(h_sm) + ")", "reduction", r(1 - p_t / p_c))


# ---------------------------------------------------------------- group-sequential boundaries


def mvn_continue_probability(fractions, bounds):
    """P(|Z_1| < c_1, ..., |Z_k| < c_k) for Brownian-motion z-statistics, corr(Z_i, Z_j) = sqrt(t_i/t_j),
    by scipy's multivariate normal cdf (Genz quasi-Monte Carlo), independent of the Rust recursion."""
    t = np.asarray(fractions, float)
    k = len(t)
    cov = np.sqrt(np.minimum.outer(t, t) / np.maximum.outer(t, t))
    b = np.asarray(bounds, float)
    mvn = stats.multivariate_normal(mean=np.zeros(k), cov=cov, allow_singular=False, maxpts=2_000_000 * k, abseps=1e-9, releps=0)
    if k == 1:
        return stats.norm.cdf(b[0]) - stats.norm.cdf(-b[0])
    return mvn.cdf(b, lower_limit=-b, rng=np.random.default_rng(1))


def obf_spent(alpha, t):
    """Two-sided alpha spent by t: each side spends the Lan-DeMets O'Brien-Fleming function
    2 - 2 Phi(z_{a/2} / sqrt(t)) at a = alpha/2 (the convention of ld98/ldbounds and gsDesign sfLDOF)."""
    return 2 * (2 * stats.norm.sf(stats.norm.isf(alpha / 4) / np.sqrt(t)))


def ld_obf_bounds(alpha, fractions):
    bounds = []
    for k in range(len(fractions)):
        target = 1 - obf_spent(alpha, fractions[k])
        f = lambda c: mvn_continue_probability(fractions[: k + 1], bounds + [c]) - target
        bounds.append(brentq(f, 0.5, 12, xtol=1e-7))
    return bounds


print("\n## Lan-DeMets O'Brien-Fleming boundaries via scipy multivariate normal cdf (QMC, abseps 1e-9)")
for fractions in [[0.5, 1.0], [1 / 3, 2 / 3, 1.0], [0.25, 0.5, 0.75, 1.0], [0.2, 0.4, 0.6, 0.8, 1.0], [0.3, 0.7, 1.0]]:
    print("fractions", [round(f, 6) for f in fractions], "bounds", [r(c) for c in ld_obf_bounds(0.05, fractions)])

print("\n## type-I error of naive repeated testing at |z| > 1.96, K equally spaced looks (scipy MVN)")
for k in [2, 3, 4, 5, 10]:
    fr = [(i + 1) / k for i in range(k)]
    print("looks", k, "alpha", r(1 - mvn_continue_probability(fr, [stats.norm.isf(0.025)] * k)))


# ---------------------------------------------------------------- stratified (Mantel-Haenszel)
from statsmodels.stats.contingency_tables import StratifiedTable

# (name, control n, control events, treatment n, treatment events); same literals in tests/ab_test.rs.
TIERS = [("high", 420, 168, 410, 127), ("medium", 800, 120, 790, 99), ("low", 1500, 45, 1480, 41)]


def mantel_haenszel(tiers, alpha=0.05):
    print(f"\n## stratified {[t[0] for t in tiers]}, alpha {alpha}")
    # statsmodels orientation: rows = treatment, control; columns = churned, stayed.
    tables = np.array([[[xt, nt - xt], [xc, nc - xc]] for _, nc, xc, nt, xt in tiers], float).transpose(1, 2, 0)
    st = StratifiedTable(tables)
    print("statsmodels oddsratio_pooled", r(st.oddsratio_pooled), "ci", [r(v) for v in st.oddsratio_pooled_confint(alpha=alpha)])
    print("statsmodels riskratio_pooled", r(st.riskratio_pooled))
    t0, t1 = st.test_null_odds(correction=False), st.test_null_odds(correction=True)
    print("statsmodels cmh", r(t0.statistic), r(t0.pvalue), "corrected", r(t1.statistic), r(t1.pvalue))
    # Greenland & Robins (1985) variances, transcribed (statsmodels has no MH risk difference
    # and no risk-ratio interval); with one stratum they reduce to the Wald and Katz forms.
    a, b = tables[0, 0], tables[0, 1]
    c, d = tables[1, 0], tables[1, 1]
    n1, n0 = a + b, c + d
    n = n1 + n0
    m1 = a + c
    z = stats.norm.isf(alpha / 2)
    rd = np.sum((a * n0 - c * n1) / n) / np.sum(n1 * n0 / n)
    rd_se = np.sqrt(np.sum((a * b * n0**3 + c * d * n1**3) / (n1 * n0 * n**2))) / np.sum(n1 * n0 / n)
    print("mh risk difference", r(rd), "ci", r(rd - z * rd_se), r(rd + z * rd_se))
    rr = np.sum(a * n0 / n) / np.sum(c * n1 / n)
    rr_se = np.sqrt(np.sum((n1 * n0 * m1 - a * c * n) / n**2) / (np.sum(a * n0 / n) * np.sum(c * n1 / n)))
    print("mh risk ratio", r(rr), "ci", r(rr * np.exp(-z * rr_se)), r(rr * np.exp(z * rr_se)))


mantel_haenszel(TIERS)
mantel_haenszel(TIERS[:1])


# ---------------------------------------------------------------- SipHash-2-4 for the arm assigner
import siphashc  # siphashc==2.9.1 (bench/requirements.txt)

KEY = bytes(range(16))
print("\n## siphash-2-4, key bytes 00..0f (paper vectors: '' -> 0x726fdb47dd0e0e31, 00..0e -> 0xa129ca6149be45e5)")
for msg in [b"", bytes(range(15)), bytes(range(8)), b"customer-0000042"]:
    print(msg, hex(siphashc.siphash(KEY, msg)))


def assigner_draw(seed, customer_id):
    """churnguard Assigner draw: keys (seed, seed ^ 0x9E3779B97F4A7C15), top 53 bits / 2^53."""
    k = seed.to_bytes(8, "little") + (seed ^ 0x9E3779B97F4A7C15).to_bytes(8, "little")
    return (siphashc.siphash(k, customer_id.encode()) >> 11) / 2.0**53


for seed, cid in [(2024, "customer-42"), (7, "C-000123"), (7, "")]:
    print(f"assigner draw seed {seed} id {cid!r}:", r(assigner_draw(seed, cid)))
