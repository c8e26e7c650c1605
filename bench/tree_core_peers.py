"""Peers for benches/tree_core.rs: LightGBM fit/predict and a scikit-learn random forest on
the same synthetic table.

    cargo run --release --example bench_table -- /tmp/perf.csv 1000000
    python3 bench/tree_core_peers.py /tmp/perf.csv [repeats]
    CHURNGUARD_BENCH_ROWS=1000000 cargo bench --bench tree_core

Same settings as the Rust bench: boosting 100 trees, 31 leaves, 255 bins, learning rate 0.1,
2 threads; random forest 10 trees, n_jobs=2. Prints the best of `repeats` runs (default 3).
"""

import sys
import time

import lightgbm as lgb
import pandas as pd
import sklearn
from sklearn.ensemble import RandomForestClassifier


def best(f, repeats):
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        out = f()
        times.append(time.perf_counter() - t)
    return min(times), out


def main(path, repeats):
    d = pd.read_csv(path)
    y = d.pop("y").values
    X = d.values
    print(f"{len(y)} rows × {X.shape[1]} features; LightGBM {lgb.__version__}, scikit-learn {sklearn.__version__}")
    make = lambda: lgb.LGBMClassifier(n_estimators=100, num_leaves=31, learning_rate=0.1, max_bin=255, n_jobs=2, verbose=-1)
    t, model = best(lambda: make().fit(X, y), repeats)
    print(f"lightgbm fit 100 trees: {t:.2f} s")
    t, _ = best(lambda: model.predict_proba(X), repeats)
    print(f"lightgbm predict: {t:.2f} s ({len(y) / t / 1e6:.2f} M rows/s)")
    t, _ = best(lambda: RandomForestClassifier(n_estimators=10, n_jobs=2, random_state=0).fit(X, y), repeats)
    print(f"sklearn random forest fit 10 trees: {t:.2f} s")


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 3)
