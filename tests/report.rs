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
    // By hand: trapezoids 1·(0 + 2)/2 + 1·(2 + 2)/2 = 3, random line 2·(0 + 2)/2 = 2, so 1 above random.
    let hand = UpliftCurve { targeted: vec![0.0, 1.0, 2.0], value: vec![0.0, 2.0, 2.0] };
    assert_chart(&qini_svg("hand", &hand).unwrap(), &["hand (area above random = 1)"]);
}

#[test]
fn kaplan_meier_chart_has_one_legend_entry_per_group() {
    let monthly = KaplanMeier::fit(&[1.0, 2.0, 2.0, 3.0, 5.0, 8.0], &[true, true, false, true, false, true]).unwrap();
    let yearly = KaplanMeier::fit(&[4.0, 6.0, 9.0, 12.0], &[false, true, false, false]).unwrap();
    let svg = kaplan_meier_svg(&[("monthly", &monthly), ("yearly", &yearly)], "Months of tenure").unwrap();
    assert_chart(
        &svg,
        &["Kaplan-Meier survival", "monthly (n = 6)", "yearly (n = 4)", "Months of tenure", "Share not churned"],
    );
    assert!(matches!(kaplan_meier_svg(&[], "Days"), Err(Error::EmptyData { .. })));
    // Groups named after risk tiers take the tier colours of the tier charts (high red
    // #CC2D2D, low green #4C995C), not the palette's first colours (blue #1F77B4, red #D62728).
    let svg = kaplan_meier_svg(&[("high risk", &monthly), ("Low risk", &yearly)], "Days").unwrap();
    let upper = svg.to_ascii_uppercase();
    assert!(upper.contains("#CC2D2D") && upper.contains("#4C995C"), "tier colours missing");
    assert!(!upper.contains("#1F77B4") && !upper.contains("#D62728"), "palette colours used for tiers");
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
    let mut spenders = segment(1, 1.5);
    spenders.label = "frequent big spenders".into();
    let svg = segment_lift_svg(&[segment(0, 0.7), spenders]).unwrap();
    assert_chart(
        &svg,
        &[
            "Churn lift by segment",
            "high support_tickets_90d (#0, n = 100)",
            "frequent big spenders (#1, n = 100)",
            "Churn lift = segment churn rate / overall rate (dashed: lift 1, whiskers: confidence interval)",
        ],
    );
    // Segments read top to bottom in the order given.
    assert!(
        text_y(&svg, "high support_tickets_90d (#0, n = 100)") < text_y(&svg, "frequent big spenders (#1, n = 100)")
    );
    // A single segment is still a chart.
    assert_chart(&segment_lift_svg(&[segment(3, 1.0)]).unwrap(), &["high support_tickets_90d (#3, n = 100)"]);
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
        .tier_history(&[
            (Timestamp::from_ymd(2024, 5, 1).unwrap(), TierCounts { low: 800, medium: 150, high: 50 }),
            (Timestamp::from_ymd(2024, 6, 1).unwrap(), TierCounts { low: 760, medium: 170, high: 70 }),
        ])
        .unwrap()
        .drift(
            &DriftReport {
                features: vec![FeatureDrift {
                    feature: "spend_trend_30d_vs_prev".into(),
                    psi: f64::INFINITY,
                    ks: None,
                    level: DriftLevel::Alert,
                }],
                score: Some(FeatureDrift { feature: "score".into(), psi: 0.04, ks: None, level: DriftLevel::Stable }),
            },
            &DriftThresholds::default(),
            10,
        )
        .unwrap()
}

const SECTIONS: [&str; 6] = [
    "ROC curve",
    "Top churn factors",
    "Customer segments",
    "Riskiest customers",
    "Risk tiers over time",
    "Feature drift (PSI; warn ≥ 0.1, alert ≥ 0.25)",
];

#[test]
fn html_report_is_well_formed_xhtml_with_every_section() {
    let report = full_report();
    let html = report.to_html().unwrap();
    // The HTML5 doctype is a DTD as far as XML is concerned; allow it.
    let options = roxmltree::ParsingOptions { allow_dtd: true, ..Default::default() };
    let doc = roxmltree::Document::parse_with_options(&html, options).unwrap();
    let headings: Vec<&str> =
        doc.descendants().filter(|n| matches!(n.tag_name().name(), "h1" | "h2")).filter_map(|n| n.text()).collect();
    assert_eq!(headings.first(), Some(&"Churn <model> & report"));
    assert_eq!(headings.get(1..), Some(&SECTIONS[..]));
    assert_eq!(report.headings(), SECTIONS);
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
    // Figures carry their numbers: high share per date, and the clamped PSI in words.
    assert!(html.contains("<tr><td>2024-06-01</td><td>760</td><td>170</td><td>70</td><td>7.0%</td></tr>"));
    assert!(html.contains("<tr><td>spend_trend_30d_vs_prev</td><td>not finite</td><td>–</td><td>alert</td></tr>"));
    // Every chart is inlined: ROC, tier history, drift.
    assert_eq!(doc.descendants().filter(|n| n.tag_name().name() == "svg").count(), 3);
    assert!(html.contains("PSI not finite"));
}

#[test]
fn markdown_report_has_every_section_and_tables() {
    let md = full_report().to_markdown().unwrap();
    assert!(md.starts_with("# Churn <model> & report\n"));
    for h in SECTIONS {
        assert!(md.contains(&format!("\n## {h}\n")), "missing {h}");
    }
    assert!(md.contains("| 2024-05-01 | 800 | 150 | 50 | 5.0% |"));
    assert!(md.contains("| score | 0.040 | – | stable |"));
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

use churnguard::Timestamp;
use churnguard::report::{drift_svg, tier_history_svg};
use churnguard::warn::{DriftLevel, DriftReport, DriftThresholds, FeatureDrift, TierCounts};

fn date(y: i32, m: u32, d: u32) -> Timestamp {
    Timestamp::from_ymd(y, m, d).unwrap()
}

/// `y` attribute of the first `<text>` whose content is exactly `label`.
fn text_y(svg: &str, label: &str) -> f64 {
    let doc = roxmltree::Document::parse(svg).unwrap();
    doc.descendants()
        .find(|n| n.tag_name().name() == "text" && n.text().is_some_and(|t| t.trim() == label))
        .and_then(|n| n.attribute("y"))
        .and_then(|y| y.parse::<f64>().ok())
        .unwrap_or_else(|| panic!("no text {label:?}"))
}

#[test]
fn tier_history_chart_has_dates_tiers_and_axes() {
    // Given out of order: the chart sorts by date.
    let history = [
        (date(2024, 6, 1), TierCounts { low: 760, medium: 170, high: 70 }),
        (date(2024, 5, 1), TierCounts { low: 800, medium: 150, high: 50 }),
        (date(2024, 7, 1), TierCounts { low: 700, medium: 200, high: 100 }),
    ];
    let svg = tier_history_svg(&history).unwrap();
    assert_chart(
        &svg,
        &[
            "Risk tiers over time",
            "2024-05-01",
            "2024-06-01",
            "2024-07-01",
            "low risk",
            "medium risk",
            "high risk",
            "Scoring date",
            "Customers",
        ],
    );
    // Sorted: May is left of July on the x axis.
    let x_of = |label: &str| {
        let doc = roxmltree::Document::parse(&svg).unwrap();
        doc.descendants()
            .find(|n| n.tag_name().name() == "text" && n.text().is_some_and(|t| t.trim() == label))
            .and_then(|n| n.attribute("x"))
            .and_then(|x| x.parse::<f64>().ok())
            .unwrap()
    };
    assert!(x_of("2024-05-01") < x_of("2024-06-01"));
    assert!(x_of("2024-06-01") < x_of("2024-07-01"));
    // Three tiers per date: nine bars (filled rects beyond the background and legend swatches).
    let doc = roxmltree::Document::parse(&svg).unwrap();
    let red_rects =
        doc.descendants().filter(|n| n.tag_name().name() == "rect" && n.attribute("fill") == Some("#CC2D2D")).count();
    // Three high-tier bars plus one legend swatch.
    assert_eq!(red_rects, 4);
    // The y axis scales to the largest total (1,000 customers) with head room for the legend:
    // its top tick is at least 1,000 and at most 1.3 × 1,000.
    let ticks: Vec<f64> = svg_text(&svg).split('|').filter_map(|t| t.trim().parse::<f64>().ok()).collect();
    let top = ticks.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    assert!((1000.0..=1300.0).contains(&top), "top tick {top}");
}

#[test]
fn tier_history_with_one_date_or_no_customers_is_a_valid_chart() {
    let one = [(date(2024, 6, 1), TierCounts { low: 10, medium: 0, high: 2 })];
    assert_chart(&tier_history_svg(&one).unwrap(), &["2024-06-01", "high risk"]);
    let zero = [(date(2024, 6, 1), TierCounts::default())];
    assert_chart(&tier_history_svg(&zero).unwrap(), &["2024-06-01"]);
}

#[test]
fn tier_history_rejects_empty_and_duplicate_dates() {
    assert!(matches!(tier_history_svg(&[]), Err(Error::EmptyData { .. })));
    let twice = [(date(2024, 6, 1), TierCounts::default()), (date(2024, 6, 1), TierCounts::default())];
    assert!(matches!(tier_history_svg(&twice), Err(Error::InvalidParameter { name: "tier history date", .. })));
}

#[test]
fn tier_history_labels_at_most_eight_dates() {
    let history: Vec<(Timestamp, TierCounts)> =
        (0..24).map(|i| (date(2024, 1, 1).add_days(7 * i), TierCounts { low: 5, medium: 3, high: 1 })).collect();
    let svg = tier_history_svg(&history).unwrap();
    let text = svg_text(&svg);
    let dates = text.split('|').filter(|t| t.trim().starts_with("2024-")).count();
    // 24 dates, every 3rd labelled.
    assert_eq!(dates, 8);
}

fn feature_drift(name: &str, psi: f64, level: DriftLevel) -> FeatureDrift {
    FeatureDrift { feature: name.into(), psi, ks: None, level }
}

fn drift_report() -> DriftReport {
    DriftReport {
        features: vec![
            feature_drift("order_count_30d", 0.05, DriftLevel::Stable),
            feature_drift("spend_trend_30d_vs_prev", 0.31, DriftLevel::Alert),
            feature_drift("support_tickets_90d", 0.12, DriftLevel::Warn),
            feature_drift("tenure_days", 0.01, DriftLevel::Stable),
        ],
        score: Some(feature_drift("score", 0.08, DriftLevel::Stable)),
    }
}

#[test]
fn drift_chart_sorts_by_psi_and_draws_thresholds() {
    let svg = drift_svg(&drift_report(), &DriftThresholds::default(), 3).unwrap();
    assert_chart(
        &svg,
        &[
            "Feature drift (population stability index)",
            "spend_trend_30d_vs_prev",
            "support_tickets_90d",
            "score",
            "0.310",
            "warn threshold (PSI 0.1)",
            "alert threshold (PSI 0.25)",
            "stable",
            "alert",
            "PSI",
        ],
    );
    // Top 3 only: the two smallest PSIs are left out.
    let text = svg_text(&svg);
    assert!(!text.contains("order_count_30d"));
    assert!(!text.contains("tenure_days"));
    // Largest PSI at the top.
    assert!(text_y(&svg, "spend_trend_30d_vs_prev") < text_y(&svg, "support_tickets_90d"));
    assert!(text_y(&svg, "support_tickets_90d") < text_y(&svg, "score"));
}

#[test]
fn drift_chart_clamps_non_finite_psi_without_nan() {
    let mut report = drift_report();
    report.features.push(feature_drift("new_category_share", f64::INFINITY, DriftLevel::Alert));
    report.features.push(feature_drift("broken", f64::NAN, DriftLevel::Stable));
    let svg = drift_svg(&report, &DriftThresholds::default(), 10).unwrap();
    assert_chart(&svg, &["new_category_share", "broken", "PSI not finite", "0.310"]);
    // Non-finite values sort first (most suspicious).
    assert!(text_y(&svg, "broken") < text_y(&svg, "spend_trend_30d_vs_prev"));
    assert!(text_y(&svg, "new_category_share") < text_y(&svg, "spend_trend_30d_vs_prev"));
}

#[test]
fn drift_chart_rejects_bad_input() {
    let thresholds = DriftThresholds::default();
    let empty = DriftReport { features: vec![], score: None };
    assert!(matches!(drift_svg(&empty, &thresholds, 5), Err(Error::EmptyData { .. })));
    assert!(matches!(drift_svg(&drift_report(), &thresholds, 0), Err(Error::InvalidParameter { name: "top", .. })));
    let bad = DriftThresholds { warn: 0.3, alert: 0.1, bins: 10 };
    assert!(matches!(drift_svg(&drift_report(), &bad, 5), Err(Error::InvalidParameter { name: "alert", .. })));
    let negative = DriftReport { features: vec![feature_drift("x", -0.2, DriftLevel::Stable)], score: None };
    assert!(matches!(drift_svg(&negative, &thresholds, 5), Err(Error::InvalidParameter { name: "psi", .. })));
    // One stable feature, all PSI zero: still a chart scaled to the alert threshold.
    let flat = DriftReport { features: vec![feature_drift("x", 0.0, DriftLevel::Stable)], score: None };
    assert_chart(&drift_svg(&flat, &thresholds, 5).unwrap(), &["x", "0.000", "alert threshold (PSI 0.25)"]);
}

#[test]
fn report_sections_pass_on_chart_errors() {
    assert!(matches!(ModelReport::new("r").tier_history(&[]), Err(Error::EmptyData { .. })));
    let empty = DriftReport { features: vec![], score: None };
    assert!(matches!(
        ModelReport::new("r").drift(&empty, &DriftThresholds::default(), 5),
        Err(Error::EmptyData { .. })
    ));
}
