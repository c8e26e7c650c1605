//! [`ModelReport`]: one self-contained HTML (XHTML-compatible) or Markdown document with the
//! model comparison, charts, churn factors, segments and the riskiest customers.

use crate::cluster::SegmentProfile;
use crate::error::{Error, Result, ensure};
use crate::eval::Comparison;
use crate::regression::factors::{FactorTerm, INTERCEPT};
use crate::time::Timestamp;
use crate::warn::{DriftLevel, DriftReport, DriftThresholds, TierCounts};
use std::fmt::Write as _;

/// One customer in the "riskiest customers" table, with the reasons the caller attaches.
#[derive(Debug, Clone, PartialEq)]
pub struct RiskyCustomer {
    /// Customer identifier.
    pub customer: String,
    /// Predicted churn probability.
    pub probability: f64,
    /// Short reasons (e.g. "no order in 60 days"), shown in order.
    pub reasons: Vec<String>,
}

#[derive(Debug, Clone)]
enum Section {
    Comparison(Comparison),
    Chart {
        heading: String,
        svg: String,
    },
    /// A chart with the numbers behind it as a table below (header row first).
    Figure {
        heading: String,
        svg: String,
        rows: Vec<Vec<String>>,
    },
    Factors(Vec<FactorTerm>),
    Segments(Vec<SegmentProfile>),
    Riskiest(Vec<RiskyCustomer>),
}

impl Section {
    fn heading(&self) -> &str {
        match self {
            Section::Comparison(_) => "Model comparison (cross-validation)",
            Section::Chart { heading, .. } | Section::Figure { heading, .. } => heading,
            Section::Factors(_) => "Top churn factors",
            Section::Segments(_) => "Customer segments",
            Section::Riskiest(_) => "Riskiest customers",
        }
    }
}

/// Builder for a model report; sections appear in the order they are added.
///
/// ```
/// use churnguard::report::{ModelReport, RiskyCustomer};
/// let html = ModelReport::new("Churn model, March")
///     .riskiest(vec![RiskyCustomer { customer: "C-17".into(), probability: 0.91, reasons: vec!["no order in 60 days".into()] }])
///     .to_html()
///     .unwrap();
/// assert!(html.contains("<h2>Riskiest customers</h2>"));
/// ```
#[derive(Debug, Clone)]
pub struct ModelReport {
    title: String,
    sections: Vec<Section>,
}

/// Escape text for HTML/XML content and attributes.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A row of owned cells.
fn cells(texts: &[&str]) -> Vec<String> {
    texts.iter().map(|c| (*c).to_string()).collect()
}

/// Escape a Markdown table cell (pipes and line breaks would break the row).
fn md_cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

/// An HTML table, header row first.
fn html_table(out: &mut String, rows: &[Vec<String>]) {
    out.push_str("<table>\n");
    for (i, row) in rows.iter().enumerate() {
        let tag = if i == 0 { "th" } else { "td" };
        out.push_str("<tr>");
        for cell in row {
            let _ = write!(out, "<{tag}>{}</{tag}>", escape(cell));
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</table>\n");
}

/// A Markdown pipe table, header row first.
fn markdown_table(out: &mut String, rows: &[Vec<String>]) {
    for (i, row) in rows.iter().enumerate() {
        let cells: Vec<String> = row.iter().map(|c| md_cell(c)).collect();
        let _ = writeln!(out, "| {} |", cells.join(" | "));
        if i == 0 {
            let _ = writeln!(out, "|{}", "---|".repeat(row.len()));
        }
    }
}

const CSS: &str = "body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;color:#222}\
table{border-collapse:collapse;margin:1em 0}th,td{border:1px solid #ccc;padding:4px 8px;text-align:left}\
th{background:#f0f0f0}h2{margin-top:2em;border-bottom:1px solid #ddd}\
.chart svg{width:100%;max-width:880px;height:auto}";

impl ModelReport {
    /// A report with a title and no sections yet.
    pub fn new(title: impl Into<String>) -> Self {
        ModelReport { title: title.into(), sections: Vec::new() }
    }

    /// Add the cross-validated model comparison table.
    pub fn comparison(mut self, comparison: Comparison) -> Self {
        self.sections.push(Section::Comparison(comparison));
        self
    }

    /// Add a chart (an SVG string from this module's chart functions) under a heading.
    pub fn chart(mut self, heading: impl Into<String>, svg: String) -> Self {
        self.sections.push(Section::Chart { heading: heading.into(), svg });
        self
    }

    /// Add the `top` strongest churn factors (smallest p-value first, intercept left out).
    pub fn factors(mut self, terms: &[FactorTerm], top: usize) -> Self {
        let mut rows: Vec<FactorTerm> = terms.iter().filter(|t| t.name != INTERCEPT).cloned().collect();
        rows.sort_by(|a, b| a.p_value.total_cmp(&b.p_value));
        rows.truncate(top);
        self.sections.push(Section::Factors(rows));
        self
    }

    /// Add the segment table (size, churn rate, lift, label).
    pub fn segments(mut self, segments: &[SegmentProfile]) -> Self {
        self.sections.push(Section::Segments(segments.to_vec()));
        self
    }

    /// Add the riskiest customers with their reasons, in the order given.
    pub fn riskiest(mut self, customers: Vec<RiskyCustomer>) -> Self {
        self.sections.push(Section::Riskiest(customers));
        self
    }

    /// Add the risk-tier distribution over time: the [`tier_history_svg`](super::tier_history_svg)
    /// chart and a table of counts per date with the high-tier share.
    ///
    /// # Errors
    /// As [`tier_history_svg`](super::tier_history_svg).
    pub fn tier_history(mut self, history: &[(Timestamp, TierCounts)]) -> Result<Self> {
        let svg = super::tier_history_svg(history)?;
        let mut rows = vec![cells(&["date", "low", "medium", "high", "high share"])];
        rows.extend(super::monitor::sorted_history(history)?.iter().map(|(date, t)| {
            let total = t.low + t.medium + t.high;
            let share = if total > 0 { format!("{:.1}%", 100.0 * t.high as f64 / total as f64) } else { "–".into() };
            vec![date.to_string(), t.low.to_string(), t.medium.to_string(), t.high.to_string(), share]
        }));
        self.sections.push(Section::Figure { heading: "Risk tiers over time".into(), svg, rows });
        Ok(self)
    }

    /// Add feature drift: the [`drift_svg`](super::drift_svg) chart of the `top` largest PSIs and
    /// a table of the same features with PSI, Kolmogorov–Smirnov p-value and level.
    ///
    /// # Errors
    /// As [`drift_svg`](super::drift_svg).
    pub fn drift(mut self, report: &DriftReport, thresholds: &DriftThresholds, top: usize) -> Result<Self> {
        let svg = super::drift_svg(report, thresholds, top)?;
        let mut rows = vec![cells(&["feature", "PSI", "KS p-value", "level"])];
        rows.extend(super::monitor::top_drift(report, top)?.iter().map(|d| {
            let psi = if d.psi.is_finite() { format!("{:.3}", d.psi) } else { "not finite".into() };
            let ks =
                d.ks.filter(|k| k.p_value.is_finite()).map_or_else(|| "–".into(), |k| format!("{:.2e}", k.p_value));
            let level = match d.level {
                DriftLevel::Stable => "stable",
                DriftLevel::Warn => "warn",
                DriftLevel::Alert => "alert",
            };
            vec![d.feature.clone(), psi, ks, level.into()]
        }));
        let heading = format!("Feature drift (PSI; warn ≥ {}, alert ≥ {})", thresholds.warn, thresholds.alert);
        self.sections.push(Section::Figure { heading, svg, rows });
        Ok(self)
    }

    /// Section headings in order (the title excluded).
    pub fn headings(&self) -> Vec<&str> {
        self.sections.iter().map(Section::heading).collect()
    }

    fn check(&self) -> Result<()> {
        ensure!(!self.title.trim().is_empty(), Error::param("title", "\"\"", "a report needs a title"));
        Ok(())
    }

    /// Table rows (header first) of a non-chart section, as plain text cells.
    fn table(section: &Section) -> Option<Vec<Vec<String>>> {
        let header = cells;
        match section {
            Section::Chart { .. } => None,
            Section::Figure { rows, .. } => Some(rows.clone()),
            Section::Comparison(c) => {
                let mut rows = vec![header(&[
                    "model", "ROC-AUC", "PR-AUC", "log loss", "Brier", "ECE", "lift@10%", "EMPC", "fit s",
                ])];
                rows.extend(c.rows.iter().map(|r| {
                    let (m, s) = (&r.summary.mean, &r.summary.std);
                    vec![
                        r.learner.clone(),
                        format!("{:.4} ± {:.4}", m.roc_auc, s.roc_auc),
                        format!("{:.4} ± {:.4}", m.pr_auc, s.pr_auc),
                        format!("{:.4}", m.log_loss),
                        format!("{:.4}", m.brier),
                        format!("{:.4}", m.ece),
                        format!("{:.2}", m.lift_at_10),
                        format!("{:.3}", m.empc),
                        format!("{:.3}", r.fit_seconds),
                    ]
                }));
                Some(rows)
            }
            Section::Factors(terms) => {
                let mut rows = vec![header(&["factor", "odds ratio", "95% CI", "p-value"])];
                rows.extend(terms.iter().map(|t| {
                    vec![
                        t.name.clone(),
                        format!("{:.3}", t.odds_ratio),
                        format!("{:.3} – {:.3}", t.odds_ratio_low, t.odds_ratio_high),
                        format!("{:.2e}", t.p_value),
                    ]
                }));
                Some(rows)
            }
            Section::Segments(segments) => {
                let mut rows = vec![header(&["segment", "customers", "churn rate", "lift", "label"])];
                rows.extend(segments.iter().map(|s| {
                    vec![
                        s.segment.to_string(),
                        s.size.to_string(),
                        format!("{:.1}%", 100.0 * s.churn_rate),
                        format!("{:.2} ({:.2} – {:.2})", s.lift, s.lift_ci.lower, s.lift_ci.upper),
                        s.label.clone(),
                    ]
                }));
                Some(rows)
            }
            Section::Riskiest(customers) => {
                let mut rows = vec![header(&["customer", "churn probability", "reasons"])];
                rows.extend(
                    customers.iter().map(|c| {
                        vec![c.customer.clone(), format!("{:.1}%", 100.0 * c.probability), c.reasons.join("; ")]
                    }),
                );
                Some(rows)
            }
        }
    }

    /// One self-contained XHTML-compatible HTML file: inline CSS and SVG, no scripts or links.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for an empty title.
    pub fn to_html(&self) -> Result<String> {
        self.check()?;
        let mut out = String::new();
        let title = escape(&self.title);
        // Writing to a String cannot fail; `let _` keeps the builder free of unwrap.
        let _ = write!(
            out,
            "<!DOCTYPE html>\n<html xmlns=\"http://www.w3.org/1999/xhtml\" lang=\"en\">\n<head>\n<meta charset=\"utf-8\" />\n\
             <title>{title}</title>\n<style>{CSS}</style>\n</head>\n<body>\n<h1>{title}</h1>\n"
        );
        for section in &self.sections {
            let _ = writeln!(out, "<h2>{}</h2>", escape(section.heading()));
            if let Section::Comparison(c) = section {
                let _ = writeln!(
                    out,
                    "<p>{}-fold cross-validation on {} rows, same folds for every model.</p>",
                    c.folds, c.n_rows
                );
            }
            match (section, Self::table(section)) {
                (Section::Chart { svg, .. }, _) => {
                    let _ = writeln!(out, "<div class=\"chart\">{svg}</div>");
                }
                (Section::Figure { svg, .. }, Some(rows)) => {
                    let _ = writeln!(out, "<div class=\"chart\">{svg}</div>");
                    html_table(&mut out, &rows);
                }
                (_, Some(rows)) => html_table(&mut out, &rows),
                (_, None) => {}
            }
        }
        out.push_str("</body>\n</html>\n");
        Ok(out)
    }

    /// The same report as Markdown: tables as pipe tables, charts as inline SVG blocks.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for an empty title.
    pub fn to_markdown(&self) -> Result<String> {
        self.check()?;
        let mut out = format!("# {}\n", self.title.replace('\n', " "));
        for section in &self.sections {
            let _ = writeln!(out, "\n## {}\n", section.heading());
            if let Section::Comparison(c) = section {
                let _ = writeln!(
                    out,
                    "{}-fold cross-validation on {} rows, same folds for every model.\n",
                    c.folds, c.n_rows
                );
            }
            match (section, Self::table(section)) {
                (Section::Chart { svg, .. }, _) => {
                    let _ = writeln!(out, "<div>{svg}</div>");
                }
                (Section::Figure { svg, .. }, Some(rows)) => {
                    let _ = writeln!(out, "<div>{svg}</div>\n");
                    markdown_table(&mut out, &rows);
                }
                (_, Some(rows)) => markdown_table(&mut out, &rows),
                (_, None) => {}
            }
        }
        Ok(out)
    }
}
