//! Progress reporting for long operations.
//!
//! The crate never prints. Long operations (cross-validation, fitting a
//! pipeline, scoring a population) take a `&dyn Progress` and call it as work
//! completes; pass [`Silent`] to ignore it, or a closure to draw a bar:
//!
//! ```
//! use churnguard::progress::{Progress, ProgressUpdate};
//! let report = |u: ProgressUpdate<'_>| eprintln!("{}: {}/{}", u.stage, u.done, u.total);
//! let progress: &dyn Progress = &report;
//! progress.update(ProgressUpdate { stage: "cross-validation", done: 1, total: 5 });
//! ```

/// One progress report: `done` of `total` units of `stage` are finished.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ProgressUpdate<'a> {
    /// What is being done (e.g. `"cross-validation"`, `"features"`).
    pub stage: &'a str,
    /// Units finished so far.
    pub done: usize,
    /// Units in total.
    pub total: usize,
}

/// Receives progress reports. May be called from several threads.
pub trait Progress: Sync {
    /// Called after each unit of work.
    fn update(&self, update: ProgressUpdate<'_>);
}

impl<F: Fn(ProgressUpdate<'_>) + Sync> Progress for F {
    fn update(&self, update: ProgressUpdate<'_>) {
        self(update)
    }
}

/// Ignores progress.
#[derive(Clone, Copy, Debug, Default)]
pub struct Silent;

impl Progress for Silent {
    fn update(&self, _: ProgressUpdate<'_>) {}
}
