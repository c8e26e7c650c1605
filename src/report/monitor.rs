//! Monitoring charts from `warn`: risk-tier distribution over time and feature drift (PSI).

use super::{WIDTH, render_err, segment_axis, segment_end};
use crate::error::{Error, Result, ensure};
use crate::time::Timestamp;
use crate::warn::{DriftLevel, DriftReport, DriftThresholds, FeatureDrift, TierCounts};
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

/// Tier colours: green for low, amber for medium, red for high (also the drift levels).
const LOW: RGBColor = RGBColor(76, 153, 92);
const MEDIUM: RGBColor = RGBColor(240, 163, 10);
const HIGH: RGBColor = RGBColor(204, 45, 45);
const GREY: RGBColor = RGBColor(110, 110, 110);

/// The tier colour for a series named after a risk tier (its first word: low, medium
/// or high, any case), so other charts of tiers match the tier charts.
pub(super) fn tier_colour(name: &str) -> Option<RGBColor> {
    let first = name.split_whitespace().next()?.to_ascii_lowercase();
    match first.as_str() {
        "low" => Some(LOW),
        "medium" => Some(MEDIUM),
        "high" => Some(HIGH),
        _ => None,
    }
}

/// `text` cut to at most `max_chars` characters (ending in "…" when cut), so axis labels fit
/// their label area.
pub(super) fn short_label(text: &str, max_chars: usize) -> String {
    if text.chars().count() <= max_chars {
        text.to_string()
    } else {
        let mut s: String = text.chars().take(max_chars.saturating_sub(1)).collect();
        s.push('…');
        s
    }
}

/// A tier's legend name, colour and count.
type TierSeries = (&'static str, RGBColor, fn(&TierCounts) -> usize);

/// `history` sorted by date, with duplicate dates rejected.
pub(super) fn sorted_history(history: &[(Timestamp, TierCounts)]) -> Result<Vec<(Timestamp, TierCounts)>> {
    ensure!(!history.is_empty(), Error::EmptyData { context: "tier history chart has no dates".into() });
    let mut rows = history.to_vec();
    rows.sort_by_key(|r| r.0);
    for w in rows.windows(2) {
        if let [a, b] = w {
            ensure!(a.0 != b.0, Error::param("tier history date", b.0, "each scoring date may appear only once"));
        }
    }
    Ok(rows)
}

/// Risk-tier distribution over time: one stacked bar per scoring date (low at the bottom,
/// then medium, then high), dates in order along the x axis, customers on the y axis.
///
/// Dates may come in any order; they are drawn sorted. With many dates only every k-th date
/// is written under its bar so the labels do not overlap.
///
/// # Errors
/// [`Error::EmptyData`] for an empty history, [`Error::InvalidParameter`] when a date appears
/// twice.
///
/// ```
/// use churnguard::{Timestamp, report::tier_history_svg, warn::TierCounts};
/// let history = [
///     (Timestamp::from_ymd(2024, 5, 1)?, TierCounts { low: 800, medium: 150, high: 50 }),
///     (Timestamp::from_ymd(2024, 6, 1)?, TierCounts { low: 760, medium: 170, high: 70 }),
/// ];
/// let svg = tier_history_svg(&history)?;
/// assert!(svg.contains("2024-06-01"));
/// # Ok::<(), churnguard::Error>(())
/// ```
pub fn tier_history_svg(history: &[(Timestamp, TierCounts)]) -> Result<String> {
    const CHART: &str = "tier history";
    let rows = sorted_history(history)?;
    let n = i32::try_from(rows.len()).map_err(|_| Error::param("tier history dates", rows.len(), "too many dates"))?;
    let max_total = rows.iter().map(|(_, t)| t.low + t.medium + t.high).max().unwrap_or(0).max(1) as f64;
    // Head room above the tallest bar keeps the legend off the bars.
    let y1 = max_total * 1.3;
    let label_every = rows.len().div_ceil(8).max(1);
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, super::HEIGHT)).into_drawing_area();
        root.fill(&WHITE).map_err(render_err(CHART))?;
        let mut ctx = ChartBuilder::on(&root)
            .caption("Risk tiers over time", ("sans-serif", 22))
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(64)
            .build_cartesian_2d(segment_axis(n).into_segmented(), 0.0..y1)
            .map_err(render_err(CHART))?;
        let label = |v: &SegmentValue<i32>| match v {
            SegmentValue::CenterOf(i) => usize::try_from(*i)
                .ok()
                .filter(|i| i % label_every == 0)
                .and_then(|i| rows.get(i))
                .map(|(t, _)| t.to_string())
                .unwrap_or_default(),
            _ => String::new(),
        };
        ctx.configure_mesh()
            .x_desc("Scoring date")
            .y_desc("Customers")
            .x_labels(rows.len() + 1)
            .x_label_formatter(&label)
            .y_label_formatter(&|v: &f64| format!("{v:.0}"))
            .disable_x_mesh()
            .draw()
            .map_err(render_err(CHART))?;
        let tiers: [TierSeries; 3] =
            [("low", LOW, |t| t.low), ("medium", MEDIUM, |t| t.medium), ("high", HIGH, |t| t.high)];
        // Drawn high first so the legend reads high, medium, low from the top like the stack.
        for (k, &(name, c, count)) in tiers.iter().enumerate().rev() {
            let bars = (0..n).zip(&rows).map(move |(i, (_, t))| {
                let below: usize = tiers.iter().take(k).map(|(_, _, f)| f(t)).sum();
                let mut bar = Rectangle::new(
                    [(SegmentValue::Exact(i), below as f64), (segment_end(i, n), (below + count(t)) as f64)],
                    c.filled(),
                );
                bar.set_margin(0, 0, 6, 6);
                bar
            });
            ctx.draw_series(bars)
                .map_err(render_err(CHART))?
                .label(format!("{name} risk"))
                .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 14, y + 5)], c.filled()));
        }
        ctx.configure_series_labels()
            .background_style(WHITE.mix(0.9))
            .border_style(BLACK)
            .position(SeriesLabelPosition::UpperRight)
            .draw()
            .map_err(render_err(CHART))?;
        root.present().map_err(render_err(CHART))?;
    }
    Ok(svg)
}

/// The `top` rows of a drift report (features and the score) by PSI, largest first; a
/// non-finite PSI sorts first, since it is the most suspicious.
pub(super) fn top_drift(report: &DriftReport, top: usize) -> Result<Vec<&FeatureDrift>> {
    ensure!(top > 0, Error::param("top", top, "a drift chart shows at least one feature"));
    let mut rows: Vec<&FeatureDrift> = report.features.iter().chain(report.score.iter()).collect();
    ensure!(!rows.is_empty(), Error::EmptyData { context: "drift report has no features".into() });
    for d in &rows {
        ensure!(
            d.psi.is_nan() || d.psi >= 0.0,
            Error::param("psi", format!("{} = {}", d.feature, d.psi), "a PSI is never negative")
        );
    }
    let key = |d: &FeatureDrift| if d.psi.is_finite() { d.psi } else { f64::INFINITY };
    rows.sort_by(|a, b| key(b).total_cmp(&key(a)).then(a.feature.cmp(&b.feature)));
    rows.truncate(top);
    Ok(rows)
}

fn level_colour(level: DriftLevel) -> RGBColor {
    match level {
        DriftLevel::Stable => LOW,
        DriftLevel::Warn => MEDIUM,
        DriftLevel::Alert => HIGH,
    }
}

/// Feature drift: population stability index per feature (and the model score, if the report
/// has it) as horizontal bars, largest PSI at the top, the `top` largest only, coloured by
/// drift level, with vertical reference lines at the warn and alert thresholds.
///
/// [`DriftReport`] does not keep the thresholds it was graded with, so pass the same
/// `thresholds`. A non-finite PSI is drawn as a hatched bar clamped to the axis end and
/// labelled "PSI not finite"; the SVG never holds NaN.
///
/// # Errors
/// [`Error::EmptyData`] for a report without features, [`Error::InvalidParameter`] for
/// `top == 0`, invalid thresholds or a negative PSI.
pub fn drift_svg(report: &DriftReport, thresholds: &DriftThresholds, top: usize) -> Result<String> {
    const CHART: &str = "drift";
    thresholds.check()?;
    let rows = top_drift(report, top)?;
    let largest_finite = rows.iter().map(|d| d.psi).filter(|v| v.is_finite()).fold(0.0, f64::max);
    let x1 = largest_finite.max(thresholds.alert) * 1.2;
    let n = i32::try_from(rows.len()).map_err(|_| Error::param("top", rows.len(), "too many features"))?;
    // Tall enough for the legend (five entries) even with one bar.
    let height = (150 + 30 * rows.len()).clamp(380, 4000) as u32;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH + 120, height)).into_drawing_area();
        root.fill(&WHITE).map_err(render_err(CHART))?;
        let mut ctx = ChartBuilder::on(&root)
            .caption("Feature drift (population stability index)", ("sans-serif", 22))
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(230)
            .build_cartesian_2d(0.0..x1, segment_axis(n).into_segmented())
            .map_err(render_err(CHART))?;
        // Row 0 is drawn at the top, so the largest PSI reads first.
        let row_of = |i: i32| usize::try_from(n - 1 - i).ok().and_then(|i| rows.get(i));
        let label = |v: &SegmentValue<i32>| match v {
            SegmentValue::CenterOf(i) => row_of(*i).map(|d| short_label(&d.feature, 34)).unwrap_or_default(),
            _ => String::new(),
        };
        ctx.configure_mesh()
            .x_desc("PSI")
            .y_labels(rows.len() + 1)
            .y_label_formatter(&label)
            .disable_y_mesh()
            .draw()
            .map_err(render_err(CHART))?;
        for (i, d) in (0..n).zip(&rows) {
            let y = n - 1 - i;
            let c = level_colour(d.level);
            let finite = d.psi.is_finite();
            let end = if finite { d.psi } else { x1 };
            let style = if finite { c.mix(0.85).filled() } else { c.mix(0.35).filled() };
            let mut bar = Rectangle::new([(0.0, SegmentValue::Exact(y)), (end, segment_end(y, n))], style);
            bar.set_margin(4, 4, 0, 0);
            ctx.draw_series(std::iter::once(bar)).map_err(render_err(CHART))?;
            let text = if finite { format!("{:.3}", d.psi) } else { "PSI not finite".to_string() };
            // Value just right of the bar, or inside its end when the bar reaches the axis end.
            let (x, anchor) = if end > x1 * 0.8 {
                (end - x1 * 0.01, ("sans-serif", 13).into_font().color(&BLACK).pos(Pos::new(HPos::Right, VPos::Center)))
            } else {
                (end + x1 * 0.01, ("sans-serif", 13).into_font().color(&BLACK).pos(Pos::new(HPos::Left, VPos::Center)))
            };
            ctx.draw_series(std::iter::once(Text::new(text, (x, SegmentValue::CenterOf(y)), anchor)))
                .map_err(render_err(CHART))?;
        }
        for (name, value, dash) in [("warn", thresholds.warn, 4), ("alert", thresholds.alert, 8)] {
            let style = ShapeStyle::from(&GREY).stroke_width(2);
            ctx.draw_series(DashedLineSeries::new(
                vec![(value, SegmentValue::Exact(segment_axis(n).start)), (value, SegmentValue::Last)],
                dash,
                4,
                style,
            ))
            .map_err(render_err(CHART))?
            .label(format!("{name} threshold (PSI {value})"))
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], style));
        }
        for (name, level) in [("stable", DriftLevel::Stable), ("warn", DriftLevel::Warn), ("alert", DriftLevel::Alert)]
        {
            let c = level_colour(level);
            // An empty series only adds the legend entry, so every colour is explained.
            ctx.draw_series(std::iter::empty::<Circle<(f64, SegmentValue<i32>), i32>>())
                .map_err(render_err(CHART))?
                .label(name)
                .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 14, y + 5)], c.mix(0.85).filled()));
        }
        ctx.configure_series_labels()
            .background_style(WHITE.mix(0.9))
            .border_style(BLACK)
            .position(SeriesLabelPosition::LowerRight)
            .draw()
            .map_err(render_err(CHART))?;
        root.present().map_err(render_err(CHART))?;
    }
    Ok(svg)
}
