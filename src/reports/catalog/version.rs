//! Graph API versions and the eras of the metric catalog (reference §5.2a, §5.3, §5.6).
//!
//! A version (`v15.0`) is answered by the catalog of its era: the last release whose changelog changed
//! insights metrics at or before it. A deprecation "applies to vNN.0+, and to all versions on DATE": from
//! that date the era's changes apply to every version, whatever version a request names ([`era_on`]).

use std::fmt;
use std::str::FromStr;

use chrono::NaiveDate;

/// A Graph API version, `v{major}.{minor}`; ordered by number (`v9.0 < v15.0 < v22.0`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct GraphVersion {
    major: u16,
    minor: u16,
}

impl GraphVersion {
    /// v15.0: the seed's version and the default of `--graph-version`.
    pub const V15: GraphVersion = GraphVersion::new(15, 0);
    /// v18.0 (2023-09-12): the legacy insights deprecated, demographics and total values.
    pub const V18: GraphVersion = GraphVersion::new(18, 0);
    /// v20.0 (2024-05-21): fewer timeframes for the engaged/reached audience demographics.
    pub const V20: GraphVersion = GraphVersion::new(20, 0);
    /// v21.0 (2024-10-02): the contact-click time series and `video_views` removed.
    pub const V21: GraphVersion = GraphVersion::new(21, 0);
    /// v22.0 (2025-01-21): `impressions` and `plays` replaced by `views`.
    pub const V22: GraphVersion = GraphVersion::new(22, 0);

    /// `v{major}.{minor}`.
    pub const fn new(major: u16, minor: u16) -> GraphVersion {
        GraphVersion { major, minor }
    }

    /// Parse `v15.0` (the path segment and the `facebook-api-version` header's form); `None` for anything
    /// else.
    pub fn parse(s: &str) -> Option<GraphVersion> {
        let (major, minor) = s.strip_prefix('v')?.split_once('.')?;
        let digits =
            |p: &str| !p.is_empty() && p.len() <= 4 && p.bytes().all(|b| b.is_ascii_digit());
        if !digits(major) || !digits(minor) {
            return None;
        }
        Some(GraphVersion::new(major.parse().ok()?, minor.parse().ok()?))
    }

    /// The major number (`15` of `v15.0`).
    pub fn major(self) -> u16 {
        self.major
    }

    /// The minor number.
    pub fn minor(self) -> u16 {
        self.minor
    }
}

impl Default for GraphVersion {
    /// v15.0, the default of `--graph-version`.
    fn default() -> Self {
        GraphVersion::V15
    }
}

impl fmt::Display for GraphVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "v{}.{}", self.major, self.minor)
    }
}

impl FromStr for GraphVersion {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        GraphVersion::parse(s).ok_or_else(|| {
            format!("`{s}` is not a Graph API version; accepted: vMAJOR.MINOR, e.g. v15.0")
        })
    }
}

/// The releases whose changelog changed insights metrics; each has its catalog (one file per era).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Era {
    /// Up to v17: the legacy metrics (reference §5.2, §5.4), the seed's catalog.
    V15,
    /// v18–v19: `audience_*`, carousel, taps/exits and `engagement` gone; demographics, total values,
    /// the new media metrics (reference §5.3, §5.6).
    V18,
    /// v20: the engaged/reached audience demographics take only `this_week`/`this_month`.
    V20,
    /// v21: the contact-click time series and `video_views` gone.
    V21,
    /// v22 and later: `impressions`, `plays` and the Reels play counts replaced by `views`.
    V22,
}

impl Era {
    /// Every era, oldest first.
    pub const ALL: [Era; 5] = [Era::V15, Era::V18, Era::V20, Era::V21, Era::V22];

    /// The newest era.
    pub const NEWEST: Era = Era::V22;

    /// The era whose catalog answers `version`.
    pub fn of(version: GraphVersion) -> Era {
        Era::ALL
            .into_iter()
            .rev()
            .find(|e| e.since() <= version)
            .unwrap_or(Era::V15)
    }

    /// The first version of the era (v15.0 for the legacy era, which also answers older versions).
    pub fn since(self) -> GraphVersion {
        match self {
            Era::V15 => GraphVersion::V15,
            Era::V18 => GraphVersion::V18,
            Era::V20 => GraphVersion::V20,
            Era::V21 => GraphVersion::V21,
            Era::V22 => GraphVersion::V22,
        }
    }

    /// The day the era's deprecations apply to every version ("will apply to all versions on …",
    /// reference §5.3, §5.6; v20: the Instagram Platform changelog of 2024-05-21).
    pub fn all_versions_on(self) -> Option<NaiveDate> {
        let (y, m, d) = match self {
            Era::V15 => return None,
            Era::V18 => (2023, 12, 11),
            Era::V20 => (2024, 8, 19),
            Era::V21 => (2025, 1, 8),
            Era::V22 => (2025, 4, 21),
        };
        NaiveDate::from_ymd_opt(y, m, d)
    }
}

/// The era whose catalog applies to a request for `asked` on `day`: the asked version's own, or a later
/// one whose deprecations had reached all versions by then (a v15.0 request on 2024-01-01 no longer gets
/// `audience_*`).
pub fn era_on(asked: GraphVersion, day: NaiveDate) -> Era {
    let by_date = Era::ALL
        .into_iter()
        .filter(|e| e.all_versions_on().is_some_and(|d| d <= day))
        .max()
        .unwrap_or(Era::V15);
    Era::of(asked).max(by_date)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn versions_parse_print_and_order_by_number() {
        let v = GraphVersion::parse("v15.0").unwrap();
        assert_eq!(v, GraphVersion::V15);
        assert_eq!(v.to_string(), "v15.0");
        assert_eq!("v22.0".parse::<GraphVersion>().unwrap(), GraphVersion::V22);
        assert!(GraphVersion::parse("v9.0").unwrap() < GraphVersion::V15);
        assert!(GraphVersion::parse("v15.1").unwrap() > GraphVersion::V15);
        assert!(GraphVersion::V15 < GraphVersion::parse("v100.0").unwrap());
        for bad in [
            "15.0", "v15", "v.0", "v15.", "vx.0", "v15.0.1", "", "v99999.0", "v-1.0",
        ] {
            assert_eq!(GraphVersion::parse(bad), None, "{bad}");
        }
        let e = "latest".parse::<GraphVersion>().unwrap_err();
        assert!(e.contains("v15.0"), "{e}");
        assert_eq!(GraphVersion::default(), GraphVersion::V15);
    }

    #[test]
    fn each_version_has_its_era() {
        for (v, era) in [
            ("v9.0", Era::V15),
            ("v15.0", Era::V15),
            ("v17.0", Era::V15),
            ("v18.0", Era::V18),
            ("v19.0", Era::V18),
            ("v20.0", Era::V20),
            ("v21.0", Era::V21),
            ("v22.0", Era::V22),
            ("v25.0", Era::V22),
        ] {
            assert_eq!(Era::of(GraphVersion::parse(v).unwrap()), era, "{v}");
        }
        for e in Era::ALL {
            assert_eq!(Era::of(e.since()), e);
        }
    }

    #[test]
    fn deprecations_reach_every_version_on_their_date() {
        let v15 = GraphVersion::V15;
        assert_eq!(era_on(v15, d("2022-11-01")), Era::V15);
        assert_eq!(era_on(v15, d("2023-12-10")), Era::V15);
        assert_eq!(era_on(v15, d("2023-12-11")), Era::V18);
        assert_eq!(era_on(v15, d("2024-08-19")), Era::V20);
        assert_eq!(era_on(v15, d("2025-01-07")), Era::V20);
        assert_eq!(era_on(v15, d("2025-01-08")), Era::V21);
        assert_eq!(era_on(v15, d("2025-04-21")), Era::V22);
        assert_eq!(era_on(v15, d("2026-11-28")), Era::V22);
        // a newer version asked is answered by its own era before the date
        assert_eq!(era_on(GraphVersion::V22, d("2025-02-01")), Era::V22);
        assert_eq!(era_on(GraphVersion::V21, d("2025-02-01")), Era::V21);
        assert_eq!(era_on(GraphVersion::V18, d("2023-10-01")), Era::V18);
    }
}
