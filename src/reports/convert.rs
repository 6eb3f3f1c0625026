//! Shared helpers for turning Graph JSON into Arrow values.

use chrono::{DateTime, NaiveDate};

/// Parse a Graph timestamp (`2021-08-17T19:00:42+0000`, also `…Z` and `…+00:00`) into Unix seconds.
///
/// The common `+0000` form is parsed by hand (it is on every media row); other offsets go through chrono.
pub fn parse_graph_timestamp(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() == 24 && &b[19..] == b"+0000" && b[4] == b'-' && b[7] == b'-' && b[10] == b'T' {
        let num = |r: std::ops::Range<usize>| -> Option<u32> {
            let mut v = 0u32;
            for &c in &b[r] {
                if !c.is_ascii_digit() {
                    return None;
                }
                v = v * 10 + u32::from(c - b'0');
            }
            Some(v)
        };
        let date = NaiveDate::from_ymd_opt(num(0..4)? as i32, num(5..7)?, num(8..10)?)?;
        let (h, m, sec) = (num(11..13)?, num(14..16)?, num(17..19)?);
        if h > 23 || m > 59 || sec > 60 {
            return None;
        }
        let t = date.and_hms_opt(h, m, sec.min(59))?;
        return Some(t.and_utc().timestamp());
    }
    DateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%z")
        .or_else(|_| DateTime::parse_from_rfc3339(s))
        .ok()
        .map(|d| d.timestamp())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_documented_example() {
        // reference §1: `2021-08-17T19:00:42+0000`
        assert_eq!(
            parse_graph_timestamp("2021-08-17T19:00:42+0000"),
            Some(1_629_226_842)
        );
    }

    #[test]
    fn parses_other_offsets_and_rfc3339() {
        assert_eq!(
            parse_graph_timestamp("2021-08-17T21:00:42+0200"),
            Some(1_629_226_842)
        );
        assert_eq!(
            parse_graph_timestamp("2021-08-17T19:00:42Z"),
            Some(1_629_226_842)
        );
        assert_eq!(
            parse_graph_timestamp("2017-05-04T07:00:00+0000"),
            Some(1_493_881_200)
        );
    }

    #[test]
    fn rejects_garbage() {
        assert_eq!(parse_graph_timestamp(""), None);
        assert_eq!(parse_graph_timestamp("2021-13-17T19:00:42+0000"), None);
        assert_eq!(parse_graph_timestamp("2021-08-17T25:00:42+0000"), None);
        assert_eq!(parse_graph_timestamp("yesterday"), None);
    }
}
