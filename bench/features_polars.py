"""polars reference for benches/features.rs: the same point-in-time features on the same events.

Usage (from the repository root):
    pip install -r bench/requirements.txt
    cargo run --release --example export_sim -- /tmp/sim100k 100000 42 --dump-features /tmp/sim100k_features.csv
    python3 bench/features_polars.py /tmp/sim100k --features /tmp/sim100k_features.csv

What it does, at the snapshot as_of = 2024-07-01 (365-day look-back), per customer,
using only events strictly before as_of:
  1. reads the CSV files written by `churnguard::data::write_csv_dir` (only the columns
     the features need; customer ids as Categorical, polars' fastest group-by key) and
     parses the timestamps (`2024-07-01` or `2024-07-01T13:14:15Z`, UTC) — timed as "read";
  2. writes the parsed tables to Parquet once (`<dir>/parquet/`, reused afterwards) and
     reads them back — timed as "read" of the Parquet path;
  3. runs the aggregation as one lazy query and `collect()`s it — timed separately,
     best and median of --repeat runs, on polars' default thread pool (all cores).

Two queries:
  * `full`: every numeric feature of churnguard's `FeatureSpec::default()` except the two
    constant calendar columns (as_of_month_sin/cos): eligibility (signed up before as_of,
    an order in the last 90 days), RFM, engagement and trend windows (7/30/90/365 days),
    recency, basket stats over the look-back, tenure, service (tickets, complaints, open and
    unresolved tickets, satisfaction, resolution time), reviews and age — 56 columns;
  * `windows`: eligibility plus the RFM, engagement and service families only (the part
    benches/features.rs times as `extract/windows`) — 28 columns.

Both queries were tuned for speed (measured on 100k customers): Categorical keys (2-3x faster
than strings), aggregating every customer and joining the eligible ones afterwards (faster
than a semi join first), and `windows` filters every table to the look-back before grouping.

Throughput is reported in the same unit as the Rust bench: events of all kinds strictly
before as_of that belong to eligible customers (12.3M of the 26.5M events at 100k
customers). The queries scan every row of every table (also the events after as_of).

With --features, both results are compared with churnguard's dump for every eligible
customer and every shared column: the set of customers must be identical, counts and shares
(count / count) must be equal exactly, and the other values (see INEXACT: floating-point sums
in another order, and days = seconds / 86400, which polars computes as a multiplication by the
reciprocal) within 1e-9 relative (relative to max(|a|, |b|, 1e-3), so sums that cancel to
about 1e-17 compare equal to 0). NaN (churnguard) and null (polars) both mean "missing".
"""

import argparse
import os
import statistics
import sys
import time
from datetime import datetime, timedelta

import polars as pl

DAY = 86_400
WINDOWS = [7, 30, 90, 365]
LOOKBACK = 365
ACTIVE_WITHIN = 90

# Columns read from each file, with their types (timestamps are parsed afterwards).
SCHEMAS = {
    "customers": {"customer_id": pl.Categorical, "signup_date": pl.String, "age": pl.Float64},
    "orders": {
        "customer_id": pl.Categorical,
        "ordered_at": pl.String,
        "amount": pl.Float64,
        "items": pl.Int64,
        "discount": pl.Float64,
        "returned": pl.Boolean,
    },
    "visits": {"customer_id": pl.Categorical, "visited_at": pl.String},
    "interactions": {"customer_id": pl.Categorical, "occurred_at": pl.String},
    "tickets": {
        "customer_id": pl.Categorical,
        "opened_at": pl.String,
        "closed_at": pl.String,
        "category": pl.String,
        "resolved": pl.Boolean,
        "satisfaction": pl.Float64,
    },
    "reviews": {"customer_id": pl.Categorical, "reviewed_at": pl.String, "rating": pl.Float64, "sentiment": pl.Float64},
}
TIME_COLUMNS = {
    "customers": ["signup_date"],
    "orders": ["ordered_at"],
    "visits": ["visited_at"],
    "interactions": ["occurred_at"],
    "tickets": ["opened_at", "closed_at"],
    "reviews": ["reviewed_at"],
}
# Features compared within 1e-9 relative instead of exactly: those that depend on the order of
# a floating-point sum (spend, means), and days computed as seconds / 86400 — polars divides a
# column by a scalar as a multiplication by the reciprocal, which can differ from churnguard's
# division in the last bit.
INEXACT = {f"spend_{w}d" for w in WINDOWS} | {
    "spend_trend_7d_vs_prev",
    "spend_trend_30d_vs_prev",
    "spend_trend_90d_vs_prev",
    "avg_order_value",
    "discount_rate",
    "mean_ticket_satisfaction",
    "mean_resolution_days",
    "mean_review_rating",
    "mean_review_sentiment",
    "days_since_last_order",
    "days_since_last_visit",
    "days_since_last_interaction",
    "days_since_first_order",
    "mean_order_gap_days",
    "order_gap_ratio",
    "tenure_days",
}


def parse_time(col: str) -> pl.Expr:
    """`YYYY-MM-DD` (midnight) or `YYYY-MM-DDTHH:MM:SSZ`, as a naive UTC datetime in seconds."""
    s = pl.col(col)
    return (
        pl.when(s.str.len_bytes() == 10)
        .then(s.str.to_datetime("%Y-%m-%d", time_unit="ms", strict=True))
        .otherwise(s.str.to_datetime("%Y-%m-%dT%H:%M:%SZ", time_unit="ms", strict=True))
        .alias(col)
    )


def read_csv(data_dir: str) -> dict[str, pl.DataFrame]:
    """Read and parse every table (eager, multi-threaded)."""
    frames = {}
    for name, schema in SCHEMAS.items():
        df = pl.read_csv(
            os.path.join(data_dir, f"{name}.csv"),
            columns=list(schema),
            schema_overrides=schema,
        )
        frames[name] = df.with_columns(parse_time(c) for c in TIME_COLUMNS[name])
    return frames


def write_parquet(frames: dict[str, pl.DataFrame], parquet_dir: str) -> None:
    os.makedirs(parquet_dir, exist_ok=True)
    for name, df in frames.items():
        df.write_parquet(os.path.join(parquet_dir, f"{name}.parquet"))


def read_parquet(parquet_dir: str) -> dict[str, pl.DataFrame]:
    return {name: pl.read_parquet(os.path.join(parquet_dir, f"{name}.parquet")) for name in SCHEMAS}


def days_before(as_of: datetime, t: pl.Expr) -> pl.Expr:
    """(as_of - t) in whole seconds, as f64, divided by 86400 — churnguard's `days_before`."""
    return (pl.lit(as_of) - t).dt.total_seconds().cast(pl.Float64) / DAY


def ln_ratio(last: pl.Expr, previous: pl.Expr) -> pl.Expr:
    return ((last + 1.0) / (previous + 1.0)).log()


def query(frames: dict[str, pl.DataFrame], as_of: datetime, full: bool) -> pl.LazyFrame:
    """The feature query for customers eligible at `as_of` (one row per customer)."""
    key = "customer_id"
    lb_start = as_of - timedelta(days=LOOKBACK)
    cut = {w: as_of - timedelta(days=w) for w in WINDOWS}
    trend_windows = [w for w in WINDOWS if 2 * w <= LOOKBACK]

    def events(name: str, time_column: str, all_time: bool) -> pl.LazyFrame:
        """Events strictly before as_of; only those in the look-back unless a feature needs older ones."""
        t = pl.col("at")
        keep = t < as_of if all_time else (t >= lb_start) & (t < as_of)
        return frames[name].lazy().rename({time_column: "at"}).filter(keep)

    # Only `full` reads events older than the look-back: days since the first order and since
    # the last visit or interaction (which may be older than the look-back).
    orders = events("orders", "ordered_at", full)
    visits = events("visits", "visited_at", full)
    interactions = events("interactions", "occurred_at", full)
    tickets = events("tickets", "opened_at", False)
    reviews = events("reviews", "reviewed_at", False)
    customers = frames["customers"].lazy()

    at = pl.col("at")
    n_in = lambda since: (at >= since).sum()  # noqa: E731

    # Orders: eligibility, RFM, trend, recency and basket in one group-by.
    order_aggs = [n_in(cut[ACTIVE_WITHIN]).alias("_active")]
    for w in WINDOWS:
        order_aggs.append(n_in(cut[w]).cast(pl.Float64).alias(f"order_count_{w}d"))
        order_aggs.append(pl.col("amount").filter(at >= cut[w]).sum().alias(f"spend_{w}d"))
    if full:
        for w in trend_windows:
            start = as_of - timedelta(days=2 * w)
            prev = (at >= start) & (at < cut[w])
            order_aggs.append(pl.col("amount").filter(prev).sum().alias(f"_prev_spend_{w}d"))
            order_aggs.append(prev.sum().cast(pl.Float64).alias(f"_prev_orders_{w}d"))
        lb = at >= lb_start
        order_aggs += [
            at.max().alias("_last_order"),
            at.min().alias("_first_order"),
            lb.sum().alias("_lb_n"),
            at.filter(lb).min().alias("_lb_first"),
            at.filter(lb).max().alias("_lb_last"),
            pl.col("amount").filter(lb).sum().alias("_lb_amount"),
            pl.col("items").filter(lb).sum().cast(pl.Float64).alias("_lb_items"),
            pl.col("discount").filter(lb).sum().alias("_lb_discount"),
            (lb & (pl.col("discount") > 0.0)).sum().cast(pl.Float64).alias("_lb_discounted"),
            (lb & pl.col("returned")).sum().cast(pl.Float64).alias("_lb_returned"),
            (lb & (at.dt.month() >= 11)).sum().cast(pl.Float64).alias("_lb_holiday"),
        ]
    order_stats = orders.group_by(key).agg(order_aggs)

    eligible = (
        customers.filter(pl.col("signup_date") < as_of)
        .join(order_stats.filter(pl.col("_active") > 0), on=key, how="inner")
        .drop("_active")
    )

    visit_aggs = [n_in(cut[w]).cast(pl.Float64).alias(f"visit_count_{w}d") for w in WINDOWS]
    interaction_aggs = [n_in(cut[w]).cast(pl.Float64).alias(f"interaction_count_{w}d") for w in WINDOWS]
    complaint = pl.col("category") == "complaint"
    ticket_aggs = []
    for w in WINDOWS:
        ticket_aggs.append(n_in(cut[w]).cast(pl.Float64).alias(f"ticket_count_{w}d"))
        ticket_aggs.append(((at >= cut[w]) & complaint).sum().cast(pl.Float64).alias(f"complaint_count_{w}d"))
    lb = at >= lb_start
    # Only closures before as_of are known at as_of.
    known = lb & pl.col("closed_at").is_not_null() & (pl.col("closed_at") < as_of)
    ticket_aggs += [
        (lb & ~known).sum().cast(pl.Float64).alias("open_ticket_count"),
        (lb & (~known | ~pl.col("resolved"))).sum().cast(pl.Float64).alias("unresolved_ticket_count"),
        pl.col("satisfaction").filter(known).mean().alias("mean_ticket_satisfaction"),
        ((pl.col("closed_at") - at).dt.total_seconds().cast(pl.Float64) / DAY)
        .filter(known)
        .mean()
        .alias("mean_resolution_days"),
    ]
    if full:
        for w in trend_windows:
            start = as_of - timedelta(days=2 * w)
            visit_aggs.append(((at >= start) & (at < cut[w])).sum().cast(pl.Float64).alias(f"_prev_visits_{w}d"))
        visit_aggs.append(at.max().alias("_last_visit"))
        interaction_aggs.append(at.max().alias("_last_interaction"))

    def attach(frame: pl.LazyFrame, table: pl.LazyFrame, aggs: list[pl.Expr]) -> pl.LazyFrame:
        # Aggregating every customer and then joining is faster than semi-joining the events
        # with the eligible customers first (measured: 225 vs 250 ms for `full`, 100k customers).
        stats = table.group_by(key).agg(aggs)
        return frame.join(stats, on=key, how="left")

    out = eligible
    out = attach(out, visits, visit_aggs)
    out = attach(out, interactions, interaction_aggs)
    out = attach(out, tickets, ticket_aggs)
    counts = [c for c in out.collect_schema().names() if "_count_" in c or c.endswith("_count")]
    out = out.with_columns(pl.col(counts).fill_null(0.0))
    if full:
        rv = pl.col("rating")
        review_aggs = [
            lb.sum().cast(pl.Float64).alias("review_count"),
            (lb & (rv <= 2.0)).sum().cast(pl.Float64).alias("bad_review_count"),
            rv.filter(lb).mean().alias("mean_review_rating"),
            pl.col("sentiment").filter(lb).mean().alias("mean_review_sentiment"),
            rv.filter(lb).last().alias("last_review_rating"),
        ]
        out = attach(out, reviews.sort(key, "at", maintain_order=True), review_aggs)
        n = pl.col("_lb_n").cast(pl.Float64)
        mean_gap = pl.when(pl.col("_lb_n") >= 2).then(
            (pl.col("_lb_last") - pl.col("_lb_first")).dt.total_seconds().cast(pl.Float64) / DAY / (n - 1.0)
        )
        last_order = days_before(as_of, pl.col("_last_order"))
        gross = pl.col("_lb_amount") + pl.col("_lb_discount")
        out = out.with_columns(
            pl.col("review_count", "bad_review_count").fill_null(0.0),
            *[
                ln_ratio(pl.col(f"order_count_{w}d"), pl.col(f"_prev_orders_{w}d")).alias(
                    f"order_count_trend_{w}d_vs_prev"
                )
                for w in trend_windows
            ],
            *[
                ln_ratio(pl.col(f"spend_{w}d"), pl.col(f"_prev_spend_{w}d")).alias(f"spend_trend_{w}d_vs_prev")
                for w in trend_windows
            ],
            *[
                ln_ratio(pl.col(f"visit_count_{w}d"), pl.col(f"_prev_visits_{w}d").fill_null(0.0)).alias(
                    f"visit_count_trend_{w}d_vs_prev"
                )
                for w in trend_windows
            ],
            last_order.alias("days_since_last_order"),
            days_before(as_of, pl.col("_last_visit")).alias("days_since_last_visit"),
            days_before(as_of, pl.col("_last_interaction")).alias("days_since_last_interaction"),
            days_before(as_of, pl.col("_first_order")).alias("days_since_first_order"),
            mean_gap.alias("mean_order_gap_days"),
            # churnguard: last_order / mean_gap.max(1.0), where NaN.max(1.0) == 1.0.
            (last_order / pl.when(mean_gap.is_null() | (mean_gap < 1.0)).then(1.0).otherwise(mean_gap)).alias(
                "order_gap_ratio"
            ),
            (pl.col("_lb_amount") / n).alias("avg_order_value"),
            (pl.col("_lb_items") / n).alias("avg_items_per_order"),
            (pl.col("_lb_discounted") / n).alias("discount_order_share"),
            pl.when((n > 0) & (gross > 0.0)).then(pl.col("_lb_discount") / gross).alias("discount_rate"),
            (pl.col("_lb_returned") / n).alias("return_rate"),
            (pl.col("_lb_holiday") / n).alias("holiday_order_share"),
            days_before(as_of, pl.col("signup_date")).clip(lower_bound=0.0).alias("tenure_days"),
        )
    else:
        out = out.drop("age")
    return out.select(pl.exclude("^_.*$", "signup_date"))


def event_count(frames: dict[str, pl.DataFrame], as_of: datetime, ids: pl.Series) -> dict[str, int]:
    """Events of each kind strictly before as_of of the given customers."""
    at_col = {"orders": "ordered_at", "visits": "visited_at", "interactions": "occurred_at"}
    at_col |= {"tickets": "opened_at", "reviews": "reviewed_at"}
    return {
        name: frames[name].filter((pl.col(col) < as_of) & pl.col("customer_id").is_in(ids.implode())).height
        for name, col in at_col.items()
    }


def time_queries(frames, as_of, repeat: int, events: int, label: str) -> dict[str, float]:
    """Best and median wall time of collect() for both queries."""
    best = {}
    for name, full in [("full", True), ("windows", False)]:
        times = []
        for _ in range(repeat):
            lf = query(frames, as_of, full)
            t0 = time.perf_counter()
            df = lf.collect()
            times.append(time.perf_counter() - t0)
        b, m = min(times), statistics.median(times)
        best[name] = b
        print(
            f"  {label} aggregate [{name:7}] {df.height} customers x {df.width - 1} features: "
            f"best {b * 1e3:8.1f} ms, median {m * 1e3:8.1f} ms  ->  {events / b / 1e6:6.2f} M events/s, "
            f"{df.height / b / 1e3:7.1f} k customers/s"
        )
    return best


def compare(polars_df: pl.DataFrame, dump_path: str, label: str) -> bool:
    """Compare a polars result with churnguard's feature dump."""
    cg = pl.read_csv(dump_path, infer_schema_length=0)  # all strings; parse exactly below
    cg = cg.with_columns(pl.exclude("customer_id").cast(pl.Float64))
    polars_df = polars_df.with_columns(pl.col("customer_id").cast(pl.String))
    ok = True
    ids_cg, ids_pl = set(cg["customer_id"]), set(polars_df["customer_id"])
    if ids_cg != ids_pl:
        only_cg, only_pl = len(ids_cg - ids_pl), len(ids_pl - ids_cg)
        print(f"  MISMATCH eligible customers: {only_cg} only in churnguard, {only_pl} only in polars")
        ok = False
    shared = [c for c in polars_df.columns if c != "customer_id" and c in cg.columns]
    missing = [c for c in polars_df.columns if c != "customer_id" and c not in cg.columns]
    if missing:
        print(f"  MISMATCH polars columns absent from the dump: {missing}")
        ok = False
    joined = cg.join(polars_df, on="customer_id", how="inner", suffix="_pl")
    worst, inexact_differ = 0.0, 0
    for c in shared:
        a = joined[c].fill_nan(None).to_list()
        b = joined[f"{c}_pl"].cast(pl.Float64).fill_nan(None).to_list()
        bad = 0
        for x, y in zip(a, b):
            if x is None or y is None:
                bad += (x is None) != (y is None)
            elif c in INEXACT:
                # Relative error, with a floor of 1e-3 on the scale: a sum of terms that cancel
                # (a mean sentiment of +0.36 and -0.36) is ±1e-17 in one order and 0 in another.
                err = abs(x - y) / max(abs(x), abs(y), 1e-3)
                worst = max(worst, err)
                inexact_differ += x != y
                bad += err > 1e-9
            else:
                bad += x != y
        if bad:
            print(f"  MISMATCH {c}: {bad} of {len(a)} customers differ")
            ok = False
    print(
        f"  [{label}] compared {len(shared)} features x {joined.height} customers with churnguard "
        f"({len(INEXACT & set(shared))} within 1e-9 relative — {inexact_differ} values not bit-equal, worst "
        f"{worst:.1e} — the rest exact): "
        f"{'OK' if ok else 'FAILED'}"
    )
    return ok


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("data_dir", help="directory written by `cargo run --release --example export_sim -- <dir>`")
    ap.add_argument("--features", help="churnguard feature dump (export_sim --dump-features) to compare with")
    ap.add_argument("--as-of", default="2024-07-01", help="snapshot date (default 2024-07-01)")
    ap.add_argument("--repeat", type=int, default=5, help="timed runs of each query (default 5)")
    ap.add_argument("--parquet-dir", help="where the Parquet copy lives (default <data_dir>/parquet)")
    args = ap.parse_args()
    as_of = datetime.strptime(args.as_of, "%Y-%m-%d")
    parquet_dir = args.parquet_dir or os.path.join(args.data_dir, "parquet")
    print(f"polars {pl.__version__}, {pl.thread_pool_size()} threads, as_of {args.as_of}")

    t0 = time.perf_counter()
    frames = read_csv(args.data_dir)
    csv_read = time.perf_counter() - t0
    rows = {k: v.height for k, v in frames.items()}
    print(f"CSV read + parse: {csv_read:.2f} s  ({rows})")

    full = query(frames, as_of, True).collect()
    per_kind = event_count(frames, as_of, full["customer_id"])
    events = sum(per_kind.values())
    print(f"eligible customers: {full.height}; their events before as_of: {events} {per_kind}")

    ok = True
    if args.features:
        ok = compare(full, args.features, "full")
        ok &= compare(query(frames, as_of, False).collect(), args.features, "windows")

    if not os.path.exists(os.path.join(parquet_dir, "reviews.parquet")):
        t0 = time.perf_counter()
        write_parquet(frames, parquet_dir)
        print(f"wrote Parquet to {parquet_dir} in {time.perf_counter() - t0:.2f} s (once)")

    print("CSV path:")
    print(f"  read + parse {csv_read * 1e3:8.1f} ms")
    csv_best = time_queries(frames, as_of, args.repeat, events, "CSV    ")
    del frames

    t0 = time.perf_counter()
    pq = read_parquet(parquet_dir)
    pq_read = time.perf_counter() - t0
    print("Parquet path:")
    print(f"  read         {pq_read * 1e3:8.1f} ms")
    pq_best = time_queries(pq, as_of, args.repeat, events, "Parquet")
    for name in ["full", "windows"]:
        b = min(csv_best[name], pq_best[name])
        print(
            f"summary [{name:7}]: aggregate {b * 1e3:.1f} ms ({events / b / 1e6:.2f} M events/s); "
            f"CSV read+aggregate {(csv_read + csv_best[name]):.2f} s, "
            f"Parquet read+aggregate {(pq_read + pq_best[name]):.2f} s"
        )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
