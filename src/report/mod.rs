//! SVG charts for a churn model report: ROC, precision–recall, calibration and cumulative gain.
//!
//! Sits at the end of the flow, after `eval`: each function takes plain labels/scores or the
//! result types of `eval` and returns a self-contained SVG document as a `String`
//! (drawn with plotters' SVG backend), ready to inline in HTML or write to a file.
//! Empty or non-finite input is a typed [`Error`]; a single point or all-equal values
//! still give a valid chart with padded axis ranges.

mod curves;

pub use curves::{CurvePoints, gain_points, pr_points, roc_points};

use crate::error::{Error, Result, ensure};
use crate::eval::ReliabilityBin;
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
}

const PALETTE: [RGBColor; 6] = [
    RGBColor(31, 119, 180),
    RGBColor(214, 39, 40),
    RGBColor(44, 160, 44),
    RGBColor(148, 103, 189),
    RGBColor(255, 127, 14),
    RGBColor(140, 86, 75),
];

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
            .position(SeriesLabelPosition::LowerRight)
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
