//! Shared by the `telco` and `compare` examples: write the test fold of every row of a
//! tabular data set, so the peer scripts in `bench/` use exactly the same folds.

use std::path::Path;

use churnguard::eval::StratifiedKFold;
use churnguard::features::LabeledMatrix;

/// Write `line,fold` for every row of `data` (ids `line<N>` as `LabeledMatrix::from_csv`
/// names rows, so `line` is the file's data line number) to `out`.
pub(crate) fn write_fold_assignment(
    folds: &StratifiedKFold,
    data: &LabeledMatrix,
    out: &Path,
) -> Result<(), Box<dyn std::error::Error>> {
    let mut text = String::from("line,fold\n");
    for (k, fold) in folds.split(data.labels())?.iter().enumerate() {
        for &r in &fold.test {
            let line = data.features().customer_ids()[r].as_str().trim_start_matches("line");
            text.push_str(&format!("{line},{k}\n"));
        }
    }
    std::fs::write(out, text)?;
    println!("fold assignment written to {}", out.display());
    Ok(())
}
