//! Tie-aware ranking curves (ROC, precision–recall, cumulative gain) computed from labels and scores.

use crate::error::Result;
use crate::eval::{check_scores, tie_groups_desc};

/// Points of a ranking curve and a summary area.
#[derive(Debug, Clone, PartialEq)]
pub struct CurvePoints {
    /// (x, y) points in threshold order, one per distinct score plus the starting point.
    pub points: Vec<(f64, f64)>,
    /// Summary: AUC for ROC, average precision for precision–recall, trapezoid area for gain.
    pub area: f64,
}

/// Cumulative (false positives, true positives) per distinct score, highest score first
/// (customers with equal scores move together, so ties become one diagonal step), with the
/// totals of positives and negatives.
struct Counts {
    steps: Vec<(usize, usize)>,
    positives: usize,
    negatives: usize,
}

/// Input checks and tie groups are the ones the ranking metrics use ([`crate::eval::roc_auc`]),
/// so a chart and the metric beside it always agree.
fn cumulative_counts(labels: &[bool], scores: &[f64]) -> Result<Counts> {
    let positives = check_scores(labels, scores, "ranking curve")?;
    let (mut fp, mut tp) = (0usize, 0usize);
    let steps = tie_groups_desc(labels, scores)
        .into_iter()
        .map(|(pos, neg)| {
            tp += pos;
            fp += neg;
            (fp, tp)
        })
        .collect();
    Ok(Counts { steps, positives, negatives: labels.len() - positives })
}

fn trapezoid(points: &[(f64, f64)]) -> f64 {
    points.windows(2).map(|w| (w[1].0 - w[0].0) * (w[1].1 + w[0].1) / 2.0).sum()
}

/// ROC curve: (false positive rate, true positive rate), starting at (0, 0), one step per
/// distinct score; `area` is the AUC by the trapezoid rule, which with tie-aware steps equals
/// the Mann–Whitney statistic (Fawcett 2006, "An introduction to ROC analysis", Alg. 2).
///
/// # Errors
/// [`Error::EmptyData`](crate::Error::EmptyData), [`Error::ShapeMismatch`](crate::Error::ShapeMismatch),
/// [`Error::NonFinite`](crate::Error::NonFinite), [`Error::SingleClass`](crate::Error::SingleClass).
pub fn roc_points(labels: &[bool], scores: &[f64]) -> Result<CurvePoints> {
    let Counts { steps, positives: p, negatives: n } = cumulative_counts(labels, scores)?;
    let mut points = vec![(0.0, 0.0)];
    points.extend(steps.iter().map(|&(fp, tp)| (fp as f64 / n as f64, tp as f64 / p as f64)));
    let area = trapezoid(&points);
    Ok(CurvePoints { points, area })
}

/// Precision–recall curve: (recall, precision), starting at (0, 1), one point per distinct
/// score; `area` is average precision, AP = Σ (Rₖ − Rₖ₋₁) Pₖ (scikit-learn's
/// `average_precision_score` definition).
///
/// # Errors
/// As [`roc_points`].
pub fn pr_points(labels: &[bool], scores: &[f64]) -> Result<CurvePoints> {
    let Counts { steps, positives: p, .. } = cumulative_counts(labels, scores)?;
    let mut points = vec![(0.0, 1.0)];
    let mut area = 0.0;
    let mut last_recall = 0.0;
    for &(fp, tp) in &steps {
        let recall = tp as f64 / p as f64;
        let precision = tp as f64 / (tp + fp) as f64;
        area += (recall - last_recall) * precision;
        last_recall = recall;
        points.push((recall, precision));
    }
    Ok(CurvePoints { points, area })
}

/// Cumulative gain curve: (share of customers contacted, share of churners reached), starting at
/// (0, 0), one point per distinct score; `area` is the trapezoid area under it (0.5 = random).
/// Lift at a point is y / x.
///
/// # Errors
/// As [`roc_points`].
pub fn gain_points(labels: &[bool], scores: &[f64]) -> Result<CurvePoints> {
    let Counts { steps, positives: p, negatives: n } = cumulative_counts(labels, scores)?;
    let total = (p + n) as f64;
    let mut points = vec![(0.0, 0.0)];
    points.extend(steps.iter().map(|&(fp, tp)| ((fp + tp) as f64 / total, tp as f64 / p as f64)));
    let area = trapezoid(&points);
    Ok(CurvePoints { points, area })
}
