//! What the benchmarks share: their command-line options.

use chrono::{NaiveDate, Utc};

/// The value after `name` on the command line (`--latency-ms 20`).
pub fn arg(name: &str) -> Option<String> {
    std::env::args().skip_while(|a| a != name).nth(1)
}

/// The API dates to run: `--api-as-of DATE`, else both eras (the seed's API, 2022-11-01, and today's).
pub fn eras() -> Vec<NaiveDate> {
    match arg("--api-as-of") {
        Some(d) => vec![d.parse().expect("--api-as-of YYYY-MM-DD")],
        None => vec![
            NaiveDate::from_ymd_opt(2022, 11, 1).expect("a date"),
            Utc::now().date_naive(),
        ],
    }
}
