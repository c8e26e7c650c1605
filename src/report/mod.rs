//! SVG charts for a churn model report: ROC, precision–recall, cumulative gain and lift,
//! calibration, Qini, Kaplan–Meier, odds ratios, segment lift, risk tiers over time and feature
//! drift; and [`ModelReport`], which gathers them into one HTML or Markdown document.
//!
//! Sits at the end of the flow, after `eval`, `regression`, `cluster` and `warn`: each function
//! takes plain labels/scores or those modules' result types and returns a self-contained SVG
//! document as a `String`
//! (drawn with plotters' SVG backend), ready to inline in HTML or write to a file.
//! Empty or non-finite input is a typed [`Error`]; a single point or all-equal values
//! still give a valid chart with padded axis ranges.

mod curves;
mod document;
mod monitor;

pub use curves::{CurvePoints, gain_points, pr_points, roc_points};
pub use document::{ModelReport, RiskyCustomer};
pub use monitor::{drift_svg, tier_history_svg};

use crate::cluster::SegmentProfile;
use crate::error::{Error, Result, ensure};
use crate::eval::ReliabilityBin;
use crate::eval::uplift::UpliftCurve;
use crate::regression::factors::FactorTerm;
use crate::regression::survival::KaplanMeier;
use plotters::prelude::*;

/// One model's labels and scores, to draw as one series of a ranking chart.
#[derive(Debug, Clone, Copy)]
pub struct ScoredModel<'a> {
    /// Series name shown in the legend.
    pub name: &'a str,
    /// True outcome per customer (`true` = churned).
    pub labels: &'a [bool],
    /// Score per customer; higher means more likely to churn.
    pub scores: &'a [f64],
}

/// Chart size in pixels.
const WIDTH: u32 = 640;
const HEIGHT: u32 = 480;

/// A named series of (x, y) points for [`line_chart`].
struct Series {
    name: String,
    points: Vec<(f64, f64)>,
}

fn render_err<E: std::fmt::Display>(chart: &'static str) -> impl Fn(E) -> Error {
    move |e| Error::ChartRender { chart, detail: e.to_string() }
}

/// Axis range covering `values`, padded so a single value or all-equal values still span an interval.
fn padded_range(values: impl Iterator<Item = f64>, chart: &'static str) -> Result<(f64, f64)> {
    let mut lo = f64::INFINITY;
    let mut hi = f64::NEG_INFINITY;
    for (row, v) in values.enumerate() {
        ensure!(v.is_finite(), Error::NonFinite { column: format!("{chart} chart value"), row, value: v });
        lo = lo.min(v);
        hi = hi.max(v);
    }
    ensure!(lo <= hi, Error::EmptyData { context: format!("{chart} chart has no points") });
    let span = hi - lo;
    if span < 1e-12 {
        let pad = if lo.abs() > 1e-12 { lo.abs() * 0.1 } else { 0.5 };
        Ok((lo - pad, hi + pad))
    } else {
        Ok((lo - span * 0.05, hi + span * 0.05))
    }
}

/// A dashed reference line (legend name, start, end).
type Reference<'a> = (&'a str, (f64, f64), (f64, f64));

struct LineChart<'a> {
    chart: &'static str,
    title: &'a str,
    x_label: &'a str,
    y_label: &'a str,
    series: Vec<Series>,
    /// Dashed reference line from (x0, y0) to (x1, y1), with its legend name.
    reference: Option<Reference<'a>>,
    /// Fixed axis ranges; `None` derives padded ranges from the data.
    ranges: Option<((f64, f64), (f64, f64))>,
    /// Where the legend sits (away from where the curves usually run).
    legend: SeriesLabelPosition,
}

const PALETTE: [RGBColor; 6] = [
    RGBColor(31, 119, 180),
    RGBColor(214, 39, 40),
    RGBColor(44, 160, 44),
    RGBColor(148, 103, 189),
    RGBColor(255, 127, 14),
    RGBColor(140, 86, 75),
];

/// Inner range of a category axis with `n` slots, for `.into_segmented()`. plotters' integer
/// ranges are inclusive, so `0..n - 1` gives exactly `n` slots; a single slot (`0..0`) would
/// have no width, so one category sits in the middle of three (`-1..1`).
fn segment_axis(n: i32) -> std::ops::Range<i32> {
    if n <= 1 { -1..1 } else { 0..n - 1 }
}

/// Right (or upper) edge of slot `i` on a [`segment_axis`]`(n)` axis.
fn segment_end(i: i32, n: i32) -> SegmentValue<i32> {
    if n > 1 && i + 1 >= n { SegmentValue::Last } else { SegmentValue::Exact(i + 1) }
}

fn colour(i: usize) -> RGBColor {
    PALETTE.get(i % PALETTE.len()).copied().unwrap_or(BLACK)
}

fn line_chart(spec: LineChart<'_>) -> Result<String> {
    let chart = spec.chart;
    ensure!(!spec.series.is_empty(), Error::EmptyData { context: format!("{chart} chart has no series") });
    let ((x0, x1), (y0, y1)) = match spec.ranges {
        Some(r) => r,
        None => {
            let xs = spec.series.iter().flat_map(|s| s.points.iter().map(|p| p.0));
            let ys = spec.series.iter().flat_map(|s| s.points.iter().map(|p| p.1));
            (padded_range(xs, chart)?, padded_range(ys, chart)?)
        }
    };
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, HEIGHT)).into_drawing_area();
        root.fill(&WHITE).map_err(render_err(chart))?;
        let mut ctx = ChartBuilder::on(&root)
            .caption(spec.title, ("sans-serif", 22))
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(56)
            .build_cartesian_2d(x0..x1, y0..y1)
            .map_err(render_err(chart))?;
        ctx.configure_mesh().x_desc(spec.x_label).y_desc(spec.y_label).draw().map_err(render_err(chart))?;
        if let Some((name, a, b)) = spec.reference {
            let style = ShapeStyle::from(&RGBColor(120, 120, 120)).stroke_width(1);
            ctx.draw_series(DashedLineSeries::new(vec![a, b], 6, 4, style))
                .map_err(render_err(chart))?
                .label(name)
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], style));
        }
        for (i, s) in spec.series.iter().enumerate() {
            let c = colour(i);
            let style = ShapeStyle::from(&c).stroke_width(2);
            if s.points.len() == 1 {
                ctx.draw_series(s.points.iter().map(|&p| Circle::new(p, 4, c.filled())))
                    .map_err(render_err(chart))?
                    .label(s.name.as_str())
                    .legend(move |(x, y)| Circle::new((x + 10, y), 4, c.filled()));
            } else {
                ctx.draw_series(LineSeries::new(s.points.iter().copied(), style))
                    .map_err(render_err(chart))?
                    .label(s.name.as_str())
                    .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], style));
            }
        }
        ctx.configure_series_labels()
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK)
            .position(spec.legend)
            .draw()
            .map_err(render_err(chart))?;
        root.present().map_err(render_err(chart))?;
    }
    Ok(svg)
}

fn check_models(models: &[ScoredModel<'_>], chart: &'static str) -> Result<()> {
    ensure!(!models.is_empty(), Error::EmptyData { context: format!("{chart} chart needs at least one model") });
    Ok(())
}

/// ROC curves of one or more models overlaid, with each model's AUC in the legend
/// and the chance diagonal.
///
/// # Errors
/// [`Error::EmptyData`] for no models or no customers, [`Error::ShapeMismatch`] when labels and
/// scores differ in length, [`Error::NonFinite`] for NaN/infinite scores,
/// [`Error::SingleClass`] when a model's labels hold one class only.
///
/// ```
/// use churnguard::report::{ScoredModel, roc_svg};
/// let labels = [true, false, true, false];
/// let scores = [0.9, 0.2, 0.6, 0.7];
/// let svg = roc_svg(&[ScoredModel { name: "logit", labels: &labels, scores: &scores }]).unwrap();
/// assert!(svg.contains("AUC = 0.750"));
/// ```
pub fn roc_svg(models: &[ScoredModel<'_>]) -> Result<String> {
    check_models(models, "ROC")?;
    let series = models
        .iter()
        .map(|m| {
            let c = roc_points(m.labels, m.scores)?;
            Ok(Series { name: format!("{} (AUC = {:.3})", m.name, c.area), points: c.points })
        })
        .collect::<Result<Vec<_>>>()?;
    line_chart(LineChart {
        chart: "ROC",
        title: "ROC curve",
        x_label: "False positive rate",
        y_label: "True positive rate",
        series,
        reference: Some(("chance", (0.0, 0.0), (1.0, 1.0))),
        ranges: Some(((0.0, 1.0), (0.0, 1.0))),
        legend: SeriesLabelPosition::LowerRight,
    })
}

/// Precision–recall curves of one or more models, with each model's average precision in the
/// legend and the base churn rate as the reference line.
///
/// # Errors
/// As [`roc_svg`].
pub fn pr_svg(models: &[ScoredModel<'_>]) -> Result<String> {
    check_models(models, "precision-recall")?;
    let mut base = None;
    let series = models
        .iter()
        .map(|m| {
            let c = pr_points(m.labels, m.scores)?;
            let positives = m.labels.iter().filter(|&&y| y).count();
            base.get_or_insert(positives as f64 / m.labels.len() as f64);
            Ok(Series { name: format!("{} (AP = {:.3})", m.name, c.area), points: c.points })
        })
        .collect::<Result<Vec<_>>>()?;
    let base = base.unwrap_or(0.0);
    line_chart(LineChart {
        chart: "precision-recall",
        title: "Precision-recall curve",
        x_label: "Recall",
        y_label: "Precision",
        series,
        reference: Some(("base churn rate", (0.0, base), (1.0, base))),
        ranges: Some(((0.0, 1.0), (0.0, 1.05))),
        legend: SeriesLabelPosition::LowerLeft,
    })
}

/// Cumulative gain curves: share of all churners reached when contacting the top share of
/// customers by score, with the random-targeting diagonal.
///
/// # Errors
/// As [`roc_svg`].
pub fn gain_svg(models: &[ScoredModel<'_>]) -> Result<String> {
    check_models(models, "cumulative gain")?;
    let series = models
        .iter()
        .map(|m| Ok(Series { name: m.name.to_string(), points: gain_points(m.labels, m.scores)?.points }))
        .collect::<Result<Vec<_>>>()?;
    line_chart(LineChart {
        chart: "cumulative gain",
        title: "Cumulative gain",
        x_label: "Share of customers contacted",
        y_label: "Share of churners reached",
        series,
        reference: Some(("random", (0.0, 0.0), (1.0, 1.0))),
        ranges: Some(((0.0, 1.0), (0.0, 1.0))),
        legend: SeriesLabelPosition::LowerRight,
    })
}

/// Cumulative lift curves: churn rate among the top share of customers by score divided by the
/// overall churn rate (gain / share contacted), with the random-targeting line at 1.
///
/// # Errors
/// As [`roc_svg`].
pub fn lift_svg(models: &[ScoredModel<'_>]) -> Result<String> {
    check_models(models, "lift")?;
    let series = models
        .iter()
        .map(|m| {
            let points = gain_points(m.labels, m.scores)?
                .points
                .into_iter()
                .filter(|p| p.0 > 0.0)
                .map(|(x, y)| (x, y / x))
                .collect();
            Ok(Series { name: m.name.to_string(), points })
        })
        .collect::<Result<Vec<_>>>()?;
    line_chart(LineChart {
        chart: "lift",
        title: "Cumulative lift",
        x_label: "Share of customers contacted",
        y_label: "Lift over random",
        series,
        reference: Some(("random", (0.0, 1.0), (1.0, 1.0))),
        ranges: None,
        legend: SeriesLabelPosition::UpperRight,
    })
}

/// Calibration (reliability) diagram from [`reliability_curve`](crate::eval::reliability_curve):
/// observed churn rate against mean predicted probability for the non-empty bins, the perfect
/// calibration diagonal, and below it a histogram of customers per bin.
///
/// # Errors
/// [`Error::EmptyData`] when there are no bins or every bin is empty, [`Error::NonFinite`] when
/// a non-empty bin holds a non-finite rate.
pub fn calibration_svg(name: &str, bins: &[ReliabilityBin]) -> Result<String> {
    const CHART: &str = "calibration";
    let points: Vec<(f64, f64)> =
        bins.iter().filter(|b| b.count > 0).map(|b| (b.mean_predicted, b.observed_rate)).collect();
    ensure!(!points.is_empty(), Error::EmptyData { context: "calibration chart: every bin is empty".into() });
    for (row, &(x, y)) in points.iter().enumerate() {
        ensure!(x.is_finite(), Error::NonFinite { column: "mean_predicted".into(), row, value: x });
        ensure!(y.is_finite(), Error::NonFinite { column: "observed_rate".into(), row, value: y });
    }
    let max_count = bins.iter().map(|b| b.count).max().unwrap_or(1).max(1) as f64;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, HEIGHT + 160)).into_drawing_area();
        root.fill(&WHITE).map_err(render_err(CHART))?;
        let (upper, lower) = root.split_vertically(HEIGHT);
        let mut ctx = ChartBuilder::on(&upper)
            .caption("Calibration", ("sans-serif", 22))
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(56)
            .build_cartesian_2d(0.0..1.0, 0.0..1.0)
            .map_err(render_err(CHART))?;
        ctx.configure_mesh()
            .x_desc("Mean predicted probability")
            .y_desc("Observed churn rate")
            .draw()
            .map_err(render_err(CHART))?;
        let grey = ShapeStyle::from(&RGBColor(120, 120, 120)).stroke_width(1);
        ctx.draw_series(DashedLineSeries::new(vec![(0.0, 0.0), (1.0, 1.0)], 6, 4, grey))
            .map_err(render_err(CHART))?
            .label("perfectly calibrated")
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], grey));
        let c = colour(0);
        let style = ShapeStyle::from(&c).stroke_width(2);
        ctx.draw_series(LineSeries::new(points.iter().copied(), style))
            .map_err(render_err(CHART))?
            .label(name)
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], style));
        ctx.draw_series(points.iter().map(|&p| Circle::new(p, 3, c.filled()))).map_err(render_err(CHART))?;
        ctx.configure_series_labels()
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK)
            .position(SeriesLabelPosition::UpperLeft)
            .draw()
            .map_err(render_err(CHART))?;

        let mut hist = ChartBuilder::on(&lower)
            .margin(12)
            .x_label_area_size(36)
            .y_label_area_size(56)
            .build_cartesian_2d(0.0..1.0, 0.0..max_count * 1.1)
            .map_err(render_err(CHART))?;
        hist.configure_mesh()
            .x_desc("Predicted probability bin")
            .y_desc("Customers")
            .y_labels(4)
            .draw()
            .map_err(render_err(CHART))?;
        hist.draw_series(
            bins.iter()
                .filter(|b| b.count > 0)
                .map(|b| Rectangle::new([(b.lower, 0.0), (b.upper, b.count as f64)], c.mix(0.5).filled())),
        )
        .map_err(render_err(CHART))?;
        root.present().map_err(render_err(CHART))?;
    }
    Ok(svg)
}

/// Qini curve from [`qini_curve`](crate::eval::uplift::qini_curve): incremental responders
/// against customers targeted, with the random-targeting line to the curve's end point.
///
/// # Errors
/// [`Error::EmptyData`] for an empty curve, [`Error::ShapeMismatch`] when its columns differ
/// in length, [`Error::NonFinite`] for non-finite values.
pub fn qini_svg(name: &str, curve: &UpliftCurve) -> Result<String> {
    ensure!(
        curve.targeted.len() == curve.value.len(),
        Error::ShapeMismatch {
            what: "qini targeted vs value",
            expected: curve.targeted.len(),
            found: curve.value.len()
        }
    );
    let points: Vec<(f64, f64)> = curve.targeted.iter().copied().zip(curve.value.iter().copied()).collect();
    let last = points.last().copied().unwrap_or((0.0, 0.0));
    let first = points.first().copied().unwrap_or((0.0, 0.0));
    // The part of the area the ranking earns over random targeting (the straight line from
    // the first to the last point), in customers × retained customers: the raw area also
    // counts what any ranking gets.
    let random = (last.0 - first.0) * (first.1 + last.1) / 2.0;
    line_chart(LineChart {
        chart: "Qini",
        title: "Qini curve",
        x_label: "Customers targeted",
        y_label: "Incremental retained customers",
        series: vec![Series { name: format!("{name} (area above random = {:.0})", curve.area() - random), points }],
        reference: Some(("random targeting", first, last)),
        ranges: None,
        // A useful ranking rises early, above the diagonal: the lower right stays free.
        legend: SeriesLabelPosition::LowerRight,
    })
}

/// Kaplan–Meier survival curves by group, as steps with shaded pointwise confidence bands;
/// `time_label` names the x axis with its unit (e.g. `"Days since 2024-06-01"`). A group
/// whose name starts with a risk tier (`"high risk"`, `"Medium"`, …) is drawn in that
/// tier's colour, as in [`tier_history_svg`]; other groups take the palette in order.
///
/// # Errors
/// [`Error::EmptyData`] for no groups, [`Error::NonFinite`] for non-finite times.
pub fn kaplan_meier_svg(groups: &[(&str, &KaplanMeier)], time_label: &str) -> Result<String> {
    const CHART: &str = "Kaplan-Meier";
    ensure!(!groups.is_empty(), Error::EmptyData { context: "Kaplan-Meier chart needs at least one group".into() });
    let steps = |times: &[f64], values: &[f64], start: f64| {
        let mut pts = vec![(0.0, start)];
        let mut prev = start;
        for (&t, &v) in times.iter().zip(values) {
            pts.push((t, prev));
            pts.push((t, v));
            prev = v;
        }
        pts
    };
    let max_t = groups.iter().flat_map(|(_, km)| km.timeline().iter().copied());
    let (_, x1) = padded_range(std::iter::once(0.0).chain(max_t), CHART)?;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, HEIGHT)).into_drawing_area();
        root.fill(&WHITE).map_err(render_err(CHART))?;
        let mut ctx = ChartBuilder::on(&root)
            .caption("Kaplan-Meier survival", ("sans-serif", 22))
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(56)
            .build_cartesian_2d(0.0..x1, 0.0..1.05)
            .map_err(render_err(CHART))?;
        ctx.configure_mesh().x_desc(time_label).y_desc("Share not churned").draw().map_err(render_err(CHART))?;
        for (i, (name, km)) in groups.iter().enumerate() {
            let c = monitor::tier_colour(name).unwrap_or_else(|| colour(i));
            let t = km.timeline();
            let upper = steps(t, km.upper(), 1.0);
            let mut band: Vec<(f64, f64)> = upper.clone();
            band.extend(steps(t, km.lower(), 1.0).into_iter().rev());
            if band.iter().all(|p| p.0.is_finite() && p.1.is_finite()) {
                ctx.draw_series(std::iter::once(Polygon::new(band, c.mix(0.15).filled())))
                    .map_err(render_err(CHART))?;
            }
            let style = ShapeStyle::from(&c).stroke_width(2);
            ctx.draw_series(LineSeries::new(steps(t, km.survival(), 1.0), style))
                .map_err(render_err(CHART))?
                .label(format!("{name} (n = {})", km.n_subjects()))
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], style));
        }
        ctx.configure_series_labels()
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK)
            .position(SeriesLabelPosition::LowerLeft)
            .draw()
            .map_err(render_err(CHART))?;
        root.present().map_err(render_err(CHART))?;
    }
    Ok(svg)
}

/// Odds-ratio forest plot of churn factors: one row per term with its confidence interval,
/// on a log scale, and the no-effect line at 1.
///
/// # Errors
/// [`Error::EmptyData`] for no terms, [`Error::NonFinite`] for a non-finite or non-positive
/// odds ratio or bound.
pub fn odds_ratio_svg(terms: &[FactorTerm]) -> Result<String> {
    const CHART: &str = "odds-ratio";
    ensure!(!terms.is_empty(), Error::EmptyData { context: "odds-ratio chart has no terms".into() });
    for (row, t) in terms.iter().enumerate() {
        for v in [t.odds_ratio, t.odds_ratio_low, t.odds_ratio_high] {
            ensure!(
                v.is_finite() && v > 0.0,
                Error::NonFinite { column: format!("odds ratio of {}", t.name), row, value: v }
            );
        }
    }
    let lo = terms.iter().map(|t| t.odds_ratio_low).fold(1.0, f64::min) / 1.25;
    let hi = terms.iter().map(|t| t.odds_ratio_high).fold(1.0, f64::max) * 1.25;
    let n = terms.len() as i32;
    let mut svg = String::new();
    {
        let height = (120 + 28 * terms.len()).min(4000) as u32;
        let root = SVGBackend::with_string(&mut svg, (WIDTH, height)).into_drawing_area();
        root.fill(&WHITE).map_err(render_err(CHART))?;
        let mut ctx = ChartBuilder::on(&root)
            .caption("Churn factors: odds ratios", ("sans-serif", 22))
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(160)
            .build_cartesian_2d((lo..hi).log_scale(), segment_axis(n).into_segmented())
            .map_err(render_err(CHART))?;
        let label = |v: &SegmentValue<i32>| match v {
            // Row 0 is drawn at the top, so the first term reads first.
            SegmentValue::CenterOf(i) => {
                usize::try_from(n - 1 - *i).ok().and_then(|i| terms.get(i)).map(|t| t.name.clone()).unwrap_or_default()
            }
            _ => String::new(),
        };
        ctx.configure_mesh()
            .x_desc("Odds ratio (log scale)")
            .y_labels(terms.len() + 1)
            .y_label_formatter(&label)
            .disable_y_mesh()
            .draw()
            .map_err(render_err(CHART))?;
        let grey = ShapeStyle::from(&RGBColor(120, 120, 120)).stroke_width(1);
        ctx.draw_series(std::iter::once(PathElement::new(
            vec![(1.0, SegmentValue::Exact(segment_axis(n).start)), (1.0, SegmentValue::Last)],
            grey,
        )))
        .map_err(render_err(CHART))?;
        let c = colour(0);
        for (i, t) in (0..n).zip(terms) {
            let y = SegmentValue::CenterOf(n - 1 - i);
            ctx.draw_series(std::iter::once(PathElement::new(
                vec![(t.odds_ratio_low, y.clone()), (t.odds_ratio_high, y.clone())],
                ShapeStyle::from(&c).stroke_width(2),
            )))
            .map_err(render_err(CHART))?;
            ctx.draw_series(std::iter::once(Circle::new((t.odds_ratio, y), 4, c.filled())))
                .map_err(render_err(CHART))?;
        }
        root.present().map_err(render_err(CHART))?;
    }
    Ok(svg)
}

/// Segment churn-lift bars (segment churn rate / overall rate) with confidence intervals and
/// the lift = 1 line. Bars run horizontally, one row per segment in the order given, each
/// named by the profile's readable label (e.g. "high order_count_90d, low days_since_last_order")
/// with its segment number and size, so long labels stay legible.
///
/// # Errors
/// [`Error::EmptyData`] for no segments, [`Error::NonFinite`] for a non-finite lift or bound.
pub fn segment_lift_svg(segments: &[SegmentProfile]) -> Result<String> {
    const CHART: &str = "segment lift";
    ensure!(!segments.is_empty(), Error::EmptyData { context: "segment chart has no segments".into() });
    let values = segments.iter().flat_map(|s| [s.lift, s.lift_ci.lower, s.lift_ci.upper]);
    let (_, x1) = padded_range(values.chain(std::iter::once(0.0)).chain(std::iter::once(1.0)), CHART)?;
    let n = i32::try_from(segments.len()).map_err(|_| Error::param("segments", segments.len(), "too many segments"))?;
    let names: Vec<String> = segments
        .iter()
        .map(|s| format!("{} (#{}, n = {})", monitor::short_label(&s.label, 56), s.segment, s.size))
        .collect();
    let mut svg = String::new();
    {
        // Wide enough for labels of ~60 characters.
        let height = (140 + 44 * segments.len()).clamp(260, 4000) as u32;
        let root = SVGBackend::with_string(&mut svg, (WIDTH + 200, height)).into_drawing_area();
        root.fill(&WHITE).map_err(render_err(CHART))?;
        let mut ctx = ChartBuilder::on(&root)
            .caption("Churn lift by segment", ("sans-serif", 22))
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(360)
            .build_cartesian_2d(0.0..x1, segment_axis(n).into_segmented())
            .map_err(render_err(CHART))?;
        // Row 0 is drawn at the top, so the first segment reads first.
        let label = |v: &SegmentValue<i32>| match v {
            SegmentValue::CenterOf(i) => {
                usize::try_from(n - 1 - *i).ok().and_then(|i| names.get(i)).cloned().unwrap_or_default()
            }
            _ => String::new(),
        };
        ctx.configure_mesh()
            // The key sits in the axis title: an in-plot legend would cover bars when there are few segments.
            .x_desc("Churn lift = segment churn rate / overall rate (dashed: lift 1, whiskers: confidence interval)")
            .y_labels(segments.len() + 1)
            .y_label_formatter(&label)
            .disable_y_mesh()
            .draw()
            .map_err(render_err(CHART))?;
        for (i, s) in (0..n).zip(segments) {
            let y = n - 1 - i;
            let bar_colour = if s.lift > 1.0 { colour(1) } else { colour(0) };
            let mut bar = Rectangle::new(
                [(0.0, SegmentValue::Exact(y)), (s.lift, segment_end(y, n))],
                bar_colour.mix(0.6).filled(),
            );
            bar.set_margin(6, 6, 0, 0);
            ctx.draw_series(std::iter::once(bar)).map_err(render_err(CHART))?;
            ctx.draw_series(std::iter::once(PathElement::new(
                vec![(s.lift_ci.lower, SegmentValue::CenterOf(y)), (s.lift_ci.upper, SegmentValue::CenterOf(y))],
                ShapeStyle::from(&BLACK).stroke_width(1),
            )))
            .map_err(render_err(CHART))?;
        }
        let grey = ShapeStyle::from(&RGBColor(120, 120, 120)).stroke_width(1);
        ctx.draw_series(DashedLineSeries::new(
            vec![(1.0, SegmentValue::Exact(segment_axis(n).start)), (1.0, SegmentValue::Last)],
            6,
            4,
            grey,
        ))
        .map_err(render_err(CHART))?;
        root.present().map_err(render_err(CHART))?;
    }
    Ok(svg)
}
