"""Reference values and timing for churnguard::cluster (k-means, silhouette, RFM scores).

Usage:
  python bench/kmeans_sklearn.py gmm          # GaussianMixture(diag) BIC per k on the fixture
  python bench/kmeans_sklearn.py rfm          # RFM quintile scores for the RFM test
  python bench/kmeans_sklearn.py profile      # standardised differences and Wilson intervals for the profile tests
  python bench/kmeans_sklearn.py fixture      # writes tests/fixtures/cluster_blobs.csv, prints sklearn reference values
  python bench/kmeans_sklearn.py time FILE.csv K N_INIT MAX_ITER   # times sklearn KMeans on a CSV (no header)

scikit-learn 1.9.1, numpy 2.4.6 (bench/requirements.txt).
"""
import sys
import time

import numpy as np
from sklearn.cluster import KMeans
from sklearn.metrics import silhouette_score


def fixture():
    rng = np.random.default_rng(20261125)
    centres = np.array([[0.0, 0.0, 0.0], [6.0, 0.0, 1.0], [0.0, 6.0, -1.0], [6.0, 6.0, 3.0]])
    x = np.vstack([c + rng.normal(scale=1.0, size=(75, 3)) for c in centres])
    np.savetxt("tests/fixtures/cluster_blobs.csv", x, delimiter=",", fmt="%.17g")
    x = np.loadtxt("tests/fixtures/cluster_blobs.csv", delimiter=",")
    km = KMeans(n_clusters=4, n_init=10, max_iter=300, tol=1e-4, random_state=0, algorithm="lloyd").fit(x)
    print(f"sklearn KMeans k=4 inertia = {km.inertia_:.12f}")
    print(f"silhouette (sklearn labels) = {silhouette_score(x, km.labels_):.12f}")
    sizes = sorted(np.bincount(km.labels_).tolist())
    print(f"cluster sizes = {sizes}")
    for k in (2, 3, 5):
        km = KMeans(n_clusters=k, n_init=10, max_iter=300, random_state=0).fit(x)
        print(f"k={k}: inertia = {km.inertia_:.12f}, silhouette = {silhouette_score(x, km.labels_):.12f}")


def gmm():
    """Diagonal GaussianMixture (init from k-means) BIC per k on the blobs fixture."""
    from sklearn.mixture import GaussianMixture
    x = np.loadtxt("tests/fixtures/cluster_blobs.csv", delimiter=",")
    for k in (1, 2, 3, 4, 5, 6):
        g = GaussianMixture(n_components=k, covariance_type="diag", random_state=0).fit(x)
        print(f"k={k}: bic = {g.bic(x):.9f}, loglik = {g.score(x) * len(x):.9f}, iters = {g.n_iter_}, converged = {g.converged_}")


def profile():
    """Standardised mean differences (Austin 2009 eq. 1, population variances) for the tiny
    profile test in tests/cluster.rs, and Wilson intervals (statsmodels proportion_confint)."""
    import numpy as np
    from statsmodels.stats.proportion import proportion_confint
    x1 = np.array([1, 2, 3, 4, 10, 11, 12, 13.0])
    x2 = np.array([5, 5, 6, 6, 5, 6, 5, 6.0])
    seg = np.array([0, 0, 0, 0, 1, 1, 1, 1])
    for name, x in (("x1", x1), ("x2", x2)):
        a, b = x[seg == 1], x[seg == 0]
        d = (a.mean() - b.mean()) / np.sqrt((a.var() + b.var()) / 2)
        print(f"segment 1 {name}: smd = {d:.15f}, mean = {a.mean()}, median = {np.median(a)}")
    for c, n in [(1, 4), (3, 4), (7, 40), (0, 25), (30, 30), (120, 1000)]:
        lo, hi = proportion_confint(c, n, alpha=0.05, method="wilson")
        print(f"wilson {c}/{n}: [{lo:.15f}, {hi:.15f}]")


def rfm():
    """Quintile scores from average ranks, ceil(5 * rank / n) (scipy rankdata), for the RFM test."""
    import numpy as np
    from scipy.stats import rankdata
    x = np.array([3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5, 8, 9, 7, 9, 3, 2, 3, 8, 4], dtype=float)
    scores = np.clip(np.ceil(5 * rankdata(x, method="average") / len(x)), 1, 5).astype(int)
    print("frequency", x.astype(int).tolist())
    print("F scores ", scores.tolist())
    r = np.clip(np.ceil(5 * rankdata(-x, method="average") / len(x)), 1, 5).astype(int)
    print("R scores (x as recency days)", r.tolist())


def timing(path, k, n_init, max_iter):
    import pandas as pd
    x = pd.read_csv(path, header=None).to_numpy(dtype=np.float64)
    best = float("inf")
    for _ in range(3):
        t = time.perf_counter()
        km = KMeans(n_clusters=k, n_init=n_init, max_iter=max_iter, tol=0.0, random_state=0, algorithm="lloyd").fit(x)
        best = min(best, time.perf_counter() - t)
    print(f"sklearn KMeans {x.shape[0]}x{x.shape[1]} k={k} n_init={n_init} max_iter={max_iter}: "
          f"best of 3 = {best:.3f} s, inertia = {km.inertia_:.6f}, iterations = {km.n_iter_}")


if __name__ == "__main__":
    if sys.argv[1] == "fixture":
        fixture()
    elif sys.argv[1] == "gmm":
        gmm()
    elif sys.argv[1] == "rfm":
        rfm()
    elif sys.argv[1] == "profile":
        profile()
    else:
        timing(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]))
