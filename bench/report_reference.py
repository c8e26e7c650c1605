"""Reference ROC AUC / average precision / ROC points for tests/report.rs (scikit-learn)."""
import sklearn
from sklearn.metrics import roc_auc_score, average_precision_score, roc_curve

labels = [1, 0, 1, 0, 1, 1, 0, 0, 1, 0]
scores = [0.9, 0.8, 0.7, 0.7, 0.6, 0.4, 0.4, 0.3, 0.2, 0.1]
print("sklearn", sklearn.__version__)
print("auc", repr(roc_auc_score(labels, scores)))
print("ap", repr(average_precision_score(labels, scores)))
fpr, tpr, _ = roc_curve(labels, scores, drop_intermediate=False)
print("fpr", list(fpr)); print("tpr", list(tpr))
