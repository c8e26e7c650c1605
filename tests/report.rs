//! Tests for churnguard::report: SVG charts parse as XML, carry their legend and axis text,
//! contain no NaN, and degenerate input behaves (typed error or padded chart).
#![cfg(feature = "plots")]

use approx::assert_abs_diff_eq;
use churnguard::Error;
use churnguard::eval::reliability_curve;
use churnguard::report::{ScoredModel, calibration_svg, gain_svg, lift_svg, pr_points, pr_svg, roc_points, roc_svg};

// Reference data for bench/report_reference.py (scikit-learn 1.9.1).
const LABELS: [bool; 10] = [true, false, true, false, true, true, false, false, true, false];
const SCORES: [f64; 10] = [0.9, 0.8, 0.7, 0.7, 0.6, 0.4, 0.4, 0.3, 0.2, 0.1];

/// All text nodes of a parsed SVG, joined; panics (test failure) if the SVG is not well-formed XML.
fn svg_text(svg: &str) -> String {
    let doc = roxmltree::Document::parse(svg).unwrap();
    assert_eq!(doc.root_element().tag_name().name(), "svg");
    doc.descendants().filter(|n| n.is_text()).filter_map(|n| n.text()).collect::<Vec<_>>().join("|")
}

fn assert_chart(svg: &str, expected_texts: &[&str]) {
    let text = svg_text(svg);
    for t in expected_texts {
        assert!(text.contains(t), "missing text {t:?} in chart text {text:?}");
    }
    assert!(!svg.contains("NaN"), "chart contains NaN");
    assert!(!svg.contains("inf"), "chart contains inf");
}

fn model<'a>(name: &'a str, scores: &'a [f64]) -> ScoredModel<'a> {
    ScoredModel { name, labels: &LABELS, scores }
}

#[test]
fn roc_points_match_sklearn_with_ties() {
    // sklearn roc_curve(drop_intermediate=False) and roc_auc_score, bench/report_reference.py.
    let fpr = [0.0, 0.0, 0.2, 0.4, 0.4, 0.6, 0.8, 0.8, 1.0];
    let tpr = [0.0, 0.2, 0.2, 0.4, 0.6, 0.8, 0.8, 1.0, 1.0];
    let c = roc_points(&LABELS, &SCORES).unwrap();
    assert_eq!(c.points.len(), fpr.len());
    for (p, (x, y)) in c.points.iter().zip(fpr.iter().zip(&tpr)) {
        assert_abs_diff_eq!(p.0, *x, epsilon = 1e-12);
        assert_abs_diff_eq!(p.1, *y, epsilon = 1e-12);
    }
    assert_abs_diff_eq!(c.area, 0.6, epsilon = 1e-12);
}

#[test]
fn average_precision_matches_sklearn() {
    // sklearn average_precision_score = 0.6453968253968254, bench/report_reference.py.
    let c = pr_points(&LABELS, &SCORES).unwrap();
    assert_abs_diff_eq!(c.area, 0.6453968253968254, epsilon = 1e-12);
}

#[test]
fn roc_chart_overlays_models_with_auc_in_legend() {
    let reversed: Vec<f64> = SCORES.iter().map(|s| 1.0 - s).collect();
    let svg = roc_svg(&[model("logit", &SCORES), model("forest", &reversed)]).unwrap();
    assert_chart(
        &svg,
        &[
            "ROC curve",
            "logit (AUC = 0.600)",
            "forest (AUC = 0.400)",
            "chance",
            "False positive rate",
            "True positive rate",
        ],
    );
}

#[test]
fn pr_and_gain_charts_carry_legend_and_axes() {
    let svg = pr_svg(&[model("logit", &SCORES)]).unwrap();
    assert_chart(&svg, &["Precision-recall curve", "logit (AP = 0.645)", "base churn rate", "Recall", "Precision"]);
    let svg = gain_svg(&[model("logit", &SCORES)]).unwrap();
    assert_chart(
        &svg,
        &["Cumulative gain", "logit", "random", "Share of customers contacted", "Share of churners reached"],
    );
}

#[test]
fn calibration_chart_has_diagram_and_histogram() {
    let bins = reliability_curve(&LABELS, &SCORES, 5).unwrap();
    let svg = calibration_svg("logit", &bins).unwrap();
    assert_chart(
        &svg,
        &[
            "Calibration",
            "logit",
            "perfectly calibrated",
            "Mean predicted probability",
            "Observed churn rate",
            "Customers",
        ],
    );
}

#[test]
fn all_equal_scores_give_a_valid_chart() {
    let flat = [0.5; 10];
    let c = roc_points(&LABELS, &flat).unwrap();
    // One tie group: the curve is the chance diagonal, AUC exactly 0.5.
    assert_eq!(c.points, vec![(0.0, 0.0), (1.0, 1.0)]);
    assert_abs_diff_eq!(c.area, 0.5, epsilon = 1e-12);
    assert_chart(&roc_svg(&[model("flat", &flat)]).unwrap(), &["flat (AUC = 0.500)"]);
    let bins = reliability_curve(&LABELS, &flat, 10).unwrap();
    assert_chart(&calibration_svg("flat", &bins).unwrap(), &["flat"]);
}

#[test]
fn empty_inputs_are_typed_errors() {
    assert!(matches!(roc_svg(&[]), Err(Error::EmptyData { .. })));
    let empty = ScoredModel { name: "none", labels: &[], scores: &[] };
    assert!(matches!(pr_svg(&[empty]), Err(Error::EmptyData { .. })));
    assert!(matches!(calibration_svg("none", &[]), Err(Error::EmptyData { .. })));
}

#[test]
fn bad_scores_are_typed_errors() {
    let short = [0.1, 0.2];
    assert!(matches!(roc_svg(&[model("short", &short)]), Err(Error::ShapeMismatch { .. })));
    let mut nan = SCORES;
    nan[3] = f64::NAN;
    assert!(matches!(gain_svg(&[model("nan", &nan)]), Err(Error::NonFinite { row: 3, .. })));
    let one_class = ScoredModel { name: "one", labels: &[true, true], scores: &[0.2, 0.3] };
    assert!(matches!(roc_svg(&[one_class]), Err(Error::SingleClass { class: true, n: 2 })));
}

use churnguard::cluster::{Interval, SegmentProfile};
use churnguard::eval::uplift::{UpliftCurve, qini_curve};
use churnguard::regression::factors::FactorTerm;
use churnguard::regression::survival::KaplanMeier;
use churnguard::report::{kaplan_meier_svg, odds_ratio_svg, qini_svg, segment_lift_svg};

#[test]
fn qini_chart_names_the_model_and_axes() {
    let treated = [true, false, true, false, true, false, true, false, true, false];
    let curve = qini_curve(&LABELS, &SCORES, &treated).unwrap();
    assert_chart(
        &qini_svg("uplift forest", &curve).unwrap(),
        &["Qini curve", "uplift forest", "random targeting", "Customers targeted"],
    );
    let empty = UpliftCurve { targeted: vec![], value: vec![] };
    assert!(matches!(qini_svg("none", &empty), Err(Error::EmptyData { .. })));
    let single = UpliftCurve { targeted: vec![0.0], value: vec![0.0] };
    assert_chart(&qini_svg("one point", &single).unwrap(), &["one point"]);
}

#[test]
fn kaplan_meier_chart_has_one_legend_entry_per_group() {
    let monthly = KaplanMeier::fit(&[1.0, 2.0, 2.0, 3.0, 5.0, 8.0], &[true, true, false, true, false, true]).unwrap();
    let yearly = KaplanMeier::fit(&[4.0, 6.0, 9.0, 12.0], &[false, true, false, false]).unwrap();
    let svg = kaplan_meier_svg(&[("monthly", &monthly), ("yearly", &yearly)]).unwrap();
    assert_chart(&svg, &["Kaplan-Meier survival", "monthly (n = 6)", "yearly (n = 4)", "Time", "Share not churned"]);
    assert!(matches!(kaplan_meier_svg(&[]), Err(Error::EmptyData { .. })));
}

fn term(name: &str, or: f64, low: f64, high: f64) -> FactorTerm {
    FactorTerm {
        name: name.into(),
        coefficient: or.ln(),
        std_error: 0.1,
        z: 1.0,
        p_value: 0.3,
        odds_ratio: or,
        odds_ratio_low: low,
        odds_ratio_high: high,
        vif: None,
    }
}

#[test]
fn forest_plot_lists_every_factor() {
    let terms = [term("tenure_months", 0.8, 0.7, 0.9), term("support_tickets_90d", 1.6, 1.2, 2.1)];
    let svg = odds_ratio_svg(&terms).unwrap();
    assert_chart(
        &svg,
        &["Churn factors: odds ratios", "tenure_months", "support_tickets_90d", "Odds ratio (log scale)"],
    );
    assert!(matches!(odds_ratio_svg(&[]), Err(Error::EmptyData { .. })));
    assert!(matches!(odds_ratio_svg(&[term("bad", f64::NAN, 0.5, 2.0)]), Err(Error::NonFinite { .. })));
    // A single term with a point interval is still drawable.
    assert_chart(&odds_ratio_svg(&[term("flat", 1.0, 1.0, 1.0)]).unwrap(), &["flat"]);
}

fn segment(id: usize, lift: f64) -> SegmentProfile {
    SegmentProfile {
        segment: id,
        size: 100,
        share: 0.5,
        churned: 20,
        churn_rate: 0.2,
        churn_rate_ci: Interval { lower: 0.13, upper: 0.29 },
        lift,
        lift_ci: Interval { lower: lift * 0.8, upper: lift * 1.2 },
        separating: vec![],
        mean_predicted_churn: None,
        mean_clv: None,
        label: "high support_tickets_90d".into(),
    }
}

#[test]
fn segment_chart_labels_each_segment() {
    let svg = segment_lift_svg(&[segment(0, 0.7), segment(1, 1.5)]).unwrap();
    assert_chart(
        &svg,
        &["Churn lift by segment", "Segment 0", "Segment 1", "Churn lift", "overall churn rate (lift = 1)"],
    );
    assert!(matches!(segment_lift_svg(&[]), Err(Error::EmptyData { .. })));
    assert!(matches!(segment_lift_svg(&[segment(0, f64::INFINITY)]), Err(Error::NonFinite { .. })));
}

use churnguard::report::{ModelReport, RiskyCustomer};

fn full_report() -> ModelReport {
    let terms = [
        term("(intercept)", 0.2, 0.1, 0.3),
        term("tenure_months", 0.8, 0.7, 0.9),
        term("support_tickets_90d", 1.6, 1.2, 2.1),
    ];
    ModelReport::new("Churn <model> & report")
        .chart("ROC curve", roc_svg(&[model("logit", &SCORES)]).unwrap())
        .factors(&terms, 5)
        .segments(&[segment(0, 0.7), segment(1, 1.5)])
        .riskiest(vec![RiskyCustomer {
            customer: "C-17".into(),
            probability: 0.91,
            reasons: vec!["no order in 60 days".into(), "3 support tickets".into()],
        }])
}

#[test]
fn html_report_is_well_formed_xhtml_with_every_section() {
    let report = full_report();
    let html = report.to_html().unwrap();
    // The HTML5 doctype is a DTD as far as XML is concerned; allow it.
    let options = roxmltree::ParsingOptions { allow_dtd: true, ..Default::default() };
    let doc = roxmltree::Document::parse_with_options(&html, options).unwrap();
    let headings: Vec<&str> =
        doc.descendants().filter(|n| matches!(n.tag_name().name(), "h1" | "h2")).filter_map(|n| n.text()).collect();
    assert_eq!(
        headings,
        ["Churn <model> & report", "ROC curve", "Top churn factors", "Customer segments", "Riskiest customers"]
    );
    assert_eq!(report.headings().len(), 4);
    // Self-contained: no scripts, no external links or images.
    assert!(!html.contains("<script"));
    assert!(!html.contains("<link"));
    assert!(!html.contains("src=\""));
    assert!(!html.contains("NaN"));
    let text = svg_text(doc.descendants().find(|n| n.tag_name().name() == "svg").map(|n| &html[n.range()]).unwrap());
    assert!(text.contains("logit (AUC = 0.600)"));
    // The intercept is left out of the factor table; strongest (smallest p) first, as given.
    assert!(!html.contains("(intercept)"));
    assert!(html.contains("<td>no order in 60 days; 3 support tickets</td>"));
    assert!(html.contains("<td>91.0%</td>"));
}

#[test]
fn markdown_report_has_every_section_and_tables() {
    let md = full_report().to_markdown().unwrap();
    for h in [
        "# Churn <model> & report",
        "## ROC curve",
        "## Top churn factors",
        "## Customer segments",
        "## Riskiest customers",
    ] {
        assert!(md.contains(h), "missing {h}");
    }
    assert!(md.contains("| C-17 | 91.0% | no order in 60 days; 3 support tickets |"));
    assert!(md.contains("| tenure_months | 0.800 | 0.700 – 0.900 |"));
}

#[test]
fn report_without_title_is_rejected() {
    assert!(matches!(ModelReport::new("  ").to_html(), Err(Error::InvalidParameter { name: "title", .. })));
}

#[test]
fn lift_chart_carries_legend_and_axes() {
    let svg = lift_svg(&[model("logit", &SCORES)]).unwrap();
    assert_chart(&svg, &["Cumulative lift", "logit", "random", "Lift over random", "Share of customers contacted"]);
}

#[test]
fn forest_plot_draws_first_factor_at_the_top() {
    let terms = [term("first_factor", 0.8, 0.7, 0.9), term("second_factor", 1.6, 1.2, 2.1)];
    let svg = odds_ratio_svg(&terms).unwrap();
    let doc = roxmltree::Document::parse(&svg).unwrap();
    let y_of = |label: &str| {
        doc.descendants()
            .find(|n| n.tag_name().name() == "text" && n.text().is_some_and(|t| t.trim() == label))
            .and_then(|n| n.attribute("y"))
            .and_then(|y| y.parse::<f64>().ok())
            .unwrap()
    };
    assert!(y_of("first_factor") < y_of("second_factor"));
}
