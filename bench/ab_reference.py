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
