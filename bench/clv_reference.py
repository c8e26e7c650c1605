"""Reference values for tests/clv.rs: lifetimes 0.11.3 (BetaGeoFitter, GammaGammaFitter,
customer_lifetime_value, summary_data_from_transaction_data) on CDNOW, scipy for the
shifted-beta-geometric model and the hypergeometric function.

Run from the crate root:  python3 bench/clv_reference.py [--bench-csv PATH]
With --bench-csv (written by `cargo run --release --example clv -- --export-bench PATH`), also
times lifetimes' BetaGeoFitter on the first 100,000 rows and on all 1,000,000 rows of that file,
per customer and grouped into distinct rows with weights.
"""
import sys
import time

import numpy as np
import pandas as pd
import scipy
import lifetimes
from lifetimes import BetaGeoFitter, GammaGammaFitter
from lifetimes.utils import summary_data_from_transaction_data
from scipy.optimize import minimize
from scipy.special import betaln, hyp2f1

DATA = "../shared/data/"
np.set_printoptions(precision=17)
print(f"lifetimes {lifetimes.__version__}, scipy {scipy.__version__}, numpy {np.__version__}, pandas {pd.__version__}")


def bgnbd_block(name, d, ids):
    bgf = BetaGeoFitter(penalizer_coef=0.0).fit(d.frequency, d.recency, d["T"], tol=1e-10)
    p = bgf.params_
    # lifetimes reports the mean NLL in scaled time; recompute the summed log-likelihood in weeks.
    r, al, a, b = p["r"], p["alpha"], p["a"], p["b"]
    ll = -BetaGeoFitter._negative_log_likelihood(
        np.log([r, al, a, b]), d.frequency.values.astype(int), d.recency.values, d["T"].values,
        np.ones(len(d)), 0.0) * len(d)
    print(f"\n== BG/NBD on {name} ({len(d)} customers)")
    print(f"r={r!r} alpha={al!r} a={a!r} b={b!r}")
    print(f"log-likelihood (sum, weeks) = {ll!r}")
    sub = d.loc[ids]
    pa = bgf.conditional_probability_alive(sub.frequency, sub.recency, sub["T"])
    e39 = bgf.conditional_expected_number_of_purchases_up_to_time(39, sub.frequency, sub.recency, sub["T"])
    for cid, x, tx, T, p_alive, e in zip(ids, sub.frequency, sub.recency, sub["T"], pa, e39):
        print(f"customer {cid}: x={x} t_x={tx} T={T}  P(alive)={p_alive!r}  E[Y(39)]={e!r}")
    print("E[X(t)] new customer:", {t: repr(float(bgf.expected_number_of_purchases_up_to_time(t))) for t in (1, 39, 78)})
    return bgf


summary = pd.read_csv(DATA + "cdnow_summary.csv").set_index("customer_id")
ids = [1, 2, 3, 18, 1516, 2357]
bgf = bgnbd_block("cdnow_summary.csv", summary, ids)

bgf_pen = BetaGeoFitter(penalizer_coef=0.01).fit(summary.frequency, summary.recency, summary["T"], tol=1e-10)
print("BG/NBD with penalizer_coef=0.01:", {k: repr(v) for k, v in bgf_pen.params_.items()})

fixture = pd.read_csv("tests/fixtures/cdnow_summary_head200.csv").set_index("customer_id")
bgnbd_block("tests/fixtures/cdnow_summary_head200.csv", fixture, [1, 2, 18])

print("\n== Gamma-Gamma on cdnow_summary.csv, customers with frequency > 0")
rep = summary[summary.frequency > 0]
ggf = GammaGammaFitter(penalizer_coef=0.0).fit(rep.frequency, rep.monetary_value, tol=1e-10)
p, q, v = ggf.params_["p"], ggf.params_["q"], ggf.params_["v"]
print(f"p={p!r} q={q!r} v={v!r}  n={len(rep)}")
ll = -GammaGammaFitter._negative_log_likelihood(np.log([p, q, v]), rep.frequency.values.astype(float),
                                                 rep.monetary_value.values, np.ones(len(rep)), 0.0) * len(rep)
print(f"log-likelihood (sum) = {ll!r}")
print(f"corr(frequency, monetary_value) = {np.corrcoef(rep.frequency, rep.monetary_value)[0, 1]!r}")
sub = summary.loc[ids]
cep = ggf.conditional_expected_average_profit(sub.frequency, sub.monetary_value)
for cid, val in zip(ids, cep):
    print(f"customer {cid}: E[M|x, m] = {val!r}")
fix_rep = fixture[fixture.frequency > 0]
# tol=1e-10 stops with "precision loss" (gradient ~1e-9) on this small set; the default 1e-7 converges.
ggf_fix = GammaGammaFitter(penalizer_coef=0.0).fit(fix_rep.frequency, fix_rep.monetary_value)
print("fixture Gamma-Gamma:", {k: repr(v) for k, v in ggf_fix.params_.items()}, f"n={len(fix_rep)}")

print("\n== CLV (GammaGammaFitter.customer_lifetime_value, time=12 months, discount_rate=0.01, freq='W')")
clv = ggf.customer_lifetime_value(bgf, sub.frequency, sub.recency, sub["T"], sub.monetary_value,
                                  time=12, discount_rate=0.01, freq="W")
for cid, val in zip(ids, clv):
    print(f"customer {cid}: CLV = {val!r}")

print("\n== Summary extraction: lifetimes summary_data_from_transaction_data(freq='D', freq_multiplier=7,")
print("   observation_period_end='1997-09-30') vs cdnow_summary.csv (monetary rounded half-up to cents)")
tx = pd.read_csv(DATA + "cdnow_sample_transactions.csv")
ext = summary_data_from_transaction_data(tx, "customer_id", "date", "spend", observation_period_end="1997-09-30",
                                         freq="D", freq_multiplier=7).reindex(summary.index)
for c in ["frequency", "recency", "T"]:
    print(f"{c}: rows differing after rounding to 2 decimals = {int(((ext[c].round(2) - summary[c]).abs() > 1e-9).sum())}")
print(f"monetary_value: max |diff| = {(ext.monetary_value - summary.monetary_value).abs().max()!r}")
print("customer 1 extracted:", ext.loc[1].to_dict())
hold = lifetimes.utils.calibration_and_holdout_data(tx, "customer_id", "date", calibration_period_end="1997-09-30",
                                                    observation_period_end="1998-06-30", freq="D", freq_multiplier=7,
                                                    monetary_value_col="spend")
print("calibration/holdout, customers 1, 2, 18:")
print(hold.loc[[1, 2, 18]].to_string())
print(f"holdout: total frequency_holdout = {hold.frequency_holdout.sum()!r}, customers = {len(hold)}")

print("\n== Shifted-beta-geometric (Fader & Hardie 2007), scipy Nelder-Mead + BFGS polish")


def sbg_nll(log_ab, survivors):
    al, be = np.exp(log_ab)
    n = len(survivors) - 1
    t = np.arange(1, n + 1)
    # P(T = t) = B(α+1, β+t−1)/B(α, β); S(n) = B(α, β+n)/B(α, β)  (Fader & Hardie 2007, eqs. 2-3)
    lp = betaln(al + 1, be + t - 1) - betaln(al, be)
    ls = betaln(al, be + n) - betaln(al, be)
    lost = -np.diff(survivors)
    return -(np.sum(lost * lp) + survivors[-1] * ls)


# Fader & Hardie (2007), Table 1: "High End" and "Regular" survivors of 1,000 customers over 7 years.
for name, surv in [("high end", [1000, 869, 743, 653, 593, 551, 517, 491]),
                   ("regular", [1000, 631, 468, 382, 326, 289, 262, 241])]:
    surv = np.array(surv, dtype=float)
    res = minimize(sbg_nll, [0.0, 0.0], args=(surv,), method="Nelder-Mead", options={"xatol": 1e-12, "fatol": 1e-12})
    res = minimize(sbg_nll, res.x, args=(surv,), method="BFGS", options={"gtol": 1e-10})
    al, be = np.exp(res.x)
    print(f"{name}: alpha={al!r} beta={be!r} ll={-res.fun!r}")
    t = np.arange(1, 13)
    surv_curve = np.exp(betaln(al, be + t) - betaln(al, be))
    print(f"  S(t), t=1..12: {surv_curve.tolist()!r}")
    print(f"  retention r_t=(β+t−1)/(α+β+t−1), t=1..5: {((be + t[:5] - 1) / (al + be + t[:5] - 1)).tolist()!r}")
    # DERL (Fader & Hardie 2010, eq. 6) at d = 10% for a customer who has made n-1 = 4 renewals,
    # checked against the direct sum of discounted survival probabilities.
    d, n = 0.10, 5
    derl_closed = (be + n - 1) / (al + be + n - 1) * hyp2f1(1, be + n, al + be + n, 1 / (1 + d))
    # The closed form counts the payment at the n-th renewal (if made) undiscounted: Σ_{t>=n} S(t)/S(n-1)/(1+d)^(t-n).
    k = np.arange(n, n + 2000)
    s_n1 = np.exp(betaln(al, be + n - 1) - betaln(al, be))
    derl_sum = np.sum(np.exp(betaln(al, be + k) - betaln(al, be)) / s_n1 / (1 + d) ** (k - n))
    print(f"  DERL(d=0.1, n=5): closed form {derl_closed!r}, direct sum {derl_sum!r}")

print("\n== scipy.special.hyp2f1 spot values")
for args in [(0.5, 1.5, 2.5, 0.3), (3.243, 4.426, 6.219, 0.47), (0.25, 2.4, 2.2, 0.95), (10.0, 12.0, 14.0, 0.9)]:
    print(f"hyp2f1{args} = {hyp2f1(*args)!r}")

if "--bench-csv" in sys.argv:
    path = sys.argv[sys.argv.index("--bench-csv") + 1]
    big = pd.read_csv(path)
    print(f"\n== lifetimes BetaGeoFitter timing on {path}")
    for n in (100_000, 1_000_000):
        d = big.iloc[:n]
        start = time.perf_counter()
        b = BetaGeoFitter().fit(d.frequency, d.recency, d["T"])
        el = time.perf_counter() - start
        print(f"n={n}: fit {el:.3f} s, params {b.params_.to_dict()}")
        g = d.groupby(["frequency", "recency", "T"]).size().reset_index(name="w")
        start = time.perf_counter()
        b = BetaGeoFitter().fit(g.frequency, g.recency, g["T"], weights=g.w)
        el = time.perf_counter() - start
        print(f"n={n} grouped into {len(g)} rows: fit {el:.3f} s, params {b.params_.to_dict()}")
