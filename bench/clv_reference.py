"""Reference values for src/regression/clv.rs (tests/clv.rs), computed with lifetimes 0.11.3.

    pip install -r bench/requirements.txt
    python3 bench/clv_reference.py ../shared/data/cdnow_summary.csv tests/fixtures/cdnow_summary_head200.csv

For each summary file: BetaGeoFitter (penalizer 0) parameters and log-likelihood,
P(alive) and expected purchases in 39 weeks for customers 1, 2, 3, 18; GammaGammaFitter on
customers with frequency > 0; 12-month CLV (freq "W", monthly discount 0.01) for the same
customers. Also times BetaGeoFitter on a simulated 100k-customer summary for the speed ratio.
"""

import sys
import time
import warnings

import lifetimes
import numpy as np
import pandas as pd
from lifetimes import BetaGeoFitter, GammaGammaFitter

warnings.filterwarnings("ignore")


def report(path):
    d = pd.read_csv(path)
    bgf = BetaGeoFitter(penalizer_coef=0.0).fit(d["frequency"], d["recency"], d["T"])
    p = bgf.params_
    print(f"{path}: r={p['r']!r} alpha={p['alpha']!r} a={p['a']!r} b={p['b']!r} ll={bgf._negative_log_likelihood_ * -len(d)!r}")
    ids = [1, 2, 3, 18] if len(d) > 18 else [1, 2, 3]
    sel = d[d.customer_id.isin(ids)]
    pa = bgf.conditional_probability_alive(sel["frequency"], sel["recency"], sel["T"])
    ep = bgf.conditional_expected_number_of_purchases_up_to_time(39, sel["frequency"], sel["recency"], sel["T"])
    for cid, a, e in zip(sel.customer_id, pa, ep):
        print(f"  customer {cid}: p_alive={a!r} expected_39={e!r}")
    print(f"  new customer expected 39: {bgf.expected_number_of_purchases_up_to_time(39)!r}")
    ret = d[(d.frequency > 0) & (d.monetary_value > 0)]
    ggf = GammaGammaFitter(penalizer_coef=0.0).fit(ret["frequency"], ret["monetary_value"])
    g = ggf.params_
    print(f"  gamma-gamma p={g['p']!r} q={g['q']!r} v={g['v']!r}")
    spend = ggf.conditional_expected_average_profit(sel["frequency"], sel["monetary_value"])
    clv = ggf.customer_lifetime_value(bgf, sel["frequency"], sel["recency"], sel["T"], sel["monetary_value"], time=12, discount_rate=0.01, freq="W")
    for cid, s, c in zip(sel.customer_id, spend, clv):
        print(f"  customer {cid}: expected_spend={s!r} clv_12m={c!r}")


def speed(n=100_000, seed=1):
    rng = np.random.default_rng(seed)
    r, alpha, a, b = 0.243, 4.414, 0.793, 2.426
    lam = rng.gamma(r, 1 / alpha, n)
    p = rng.beta(a, b, n)
    T = np.round(rng.uniform(30, 40, n), 1)
    freq = np.zeros(n)
    rec = np.zeros(n)
    for i in range(n):
        t, x, last = 0.0, 0, 0.0
        while True:
            t += rng.exponential(1 / lam[i])
            if t > T[i]:
                break
            x += 1
            last = t
            if rng.random() < p[i]:
                break
        freq[i], rec[i] = x, np.round(last, 1) if x > 0 else 0.0
    t0 = time.perf_counter()
    BetaGeoFitter().fit(freq, rec, T)
    print(f"lifetimes BetaGeoFitter on {n} simulated customers: {time.perf_counter() - t0:.2f} s")


if __name__ == "__main__":
    print("lifetimes", lifetimes.__version__)
    for path in sys.argv[1:]:
        report(path)
    speed()
