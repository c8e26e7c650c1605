"""Reference values for src/stats.rs (normal, Student-t, chi-square helpers).

Run: python3 bench/stats_reference.py   (scipy 1.17.1, see bench/requirements.txt)
"""
from scipy import stats

level_near_one = 1.0 - 1e-9
print("norm.isf(0.025)            ", repr(float(stats.norm.isf(0.025))))
print("norm.isf(1e-10)            ", repr(float(stats.norm.isf(1e-10))))
print("2*norm.sf(1.96)            ", repr(float(2 * stats.norm.sf(1.96))))
print("norm.sf(10)                ", repr(float(stats.norm.sf(10.0))))
print("norm.pdf(0)                ", repr(float(stats.norm.pdf(0.0))))
print("norm.isf((1-0.90)/2)       ", repr(float(stats.norm.isf((1 - 0.90) / 2))))
print("norm.isf((1-(1-1e-9))/2)   ", repr(float(stats.norm.isf((1 - level_near_one) / 2))))
print("chi2.isf(0.05, 1)          ", repr(float(stats.chi2.isf(0.05, 1))))
print("chi2.sf(3.841458820694124,1)", repr(float(stats.chi2.sf(3.841458820694124, 1))))
print("2*t.sf(2.0, 5)             ", repr(float(2 * stats.t.sf(2.0, 5))))
print("t.isf(0.025, 5)            ", repr(float(stats.t.isf(0.025, 5))))
