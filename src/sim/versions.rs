//! The Graph API by date: which versions are served on the simulator's API date
//! ([`SimConfig::api_as_of`](super::SimConfig::api_as_of), separate from the data set's clock), which
//! version answers a request, and the eras of the insights catalog ([`Gate`]s).
//!
//! # Versions (reference §5.2a)
//! Each version is served from its release to its expiry. A request for a served version is answered
//! by it; a request for an expired version (or one older than this table), and a request without a
//! version, by the oldest served version; a version newer than the newest served (or one this table
//! does not know) is refused as an unknown path: `Unknown path components: /v26.0/me` (code 2500), and
//! that refusal is answered by the oldest served version, as an unversioned call. Every answer carries
//! `facebook-api-version: vNN.N`, the answering version, and its `next`/`previous` links carry it too.
//! The newest released version never expires here (so a date past the table still has one).
//!
//! | version | released   | served until |
//! |---------|------------|--------------|
//! | v10.0   | 2021-02-23 | 2023-06-08   |
//! | v11.0   | 2021-06-08 | 2023-09-14   |
//! | v12.0   | 2021-10-19 | 2024-02-08   |
//! | v13.0   | 2022-02-08 | 2024-05-28   |
//! | v14.0   | 2022-05-25 | 2024-09-17   |
//! | v15.0   | 2022-10-27 | 2024-11-20   |
//! | v16.0   | 2023-02-02 | 2025-05-14   |
//! | v17.0   | 2023-05-23 | 2025-09-12   |
//! | v18.0   | 2023-09-12 | 2026-01-26   |
//! | v19.0   | 2024-01-23 | 2026-05-21   |
//! | v20.0   | 2024-05-21 | 2026-09-24   |
//! | v21.0   | 2024-10-02 | 2027-02-09 * |
//! | v22.0   | 2025-01-21 | 2027-05-20 * |
//! | v23.0   | 2025-05-29 | 2027-09-28 * |
//! | v24.0   | 2025-10-08 | 2028-02-15 * |
//! | v25.0   | 2026-02-18 * | 2028-05-25 * |
//!
//! (`*`: our estimate; the reference gives no date.) So on 2022-11-01 (the seed's API, the default of
//! [`SimConfig`](super::SimConfig)) v10.0–v15.0 are served and unversioned calls are answered by v10.0;
//! on 2026-11-30 v21.0–v25.0 are served and a v15.0 request is answered by v21.0.
//!
//! # Eras of the insights catalog (reference §5.3, §5.6)
//! A change that came with version N and reached all versions on date D is a [`Gate`]: a call is past it
//! when its answering version is N or newer, **or** the API date is D or later, whatever version was
//! asked (reference §5.2a). Versions before v15.0 answer with the v15 catalog (the v13/v14 changes were
//! already in force in it).
//!
//! | gate | version, all versions on | what changes |
//! |------|--------------------------|--------------|
//! | — | v15.0 | the seed's catalog: time-series user metrics (`day`/`week`/`days_28`), `audience_*` lifetime maps, `online_followers`; media: the v15 per-kind sets (`engagement`, `carousel_album_*`, story taps/exits, Reels `plays`…); `metric_type`/`breakdown`/`timeframe` are ignored |
//! | [`V18`] | v18.0, 2023-12-11 | user: `audience_*` removed; `metric_type=total_value`, `breakdown`, `timeframe`; new total-value metrics (`accounts_engaged`, `total_interactions`, `likes`, `comments`, `shares`, `saves`, `replies`, `follows_and_unfollows`, `profile_links_taps`; `reach`, `profile_views`, `website_clicks` also as total values) and the demographics (`follower_demographics`, `engaged_audience_demographics`, `reached_audience_demographics`). Media: `engagement`, `carousel_album_*`, `taps_forward`, `taps_back`, `exits` removed; albums get `impressions`/`reach`/`saved`/`video_views`; posts get `likes`, `comments`, `shares`, `total_interactions`, `follows`, `profile_visits`, `profile_activity` (feed videos not the first four: `Incompatible metric (total_interactions) with the media`); stories get `shares`, `total_interactions`, `follows`, `profile_visits`, `profile_activity`, `navigation`; Reels get `ig_reels_avg_watch_time`, `ig_reels_video_view_total_time` |
//! | [`V20`] | v20.0, 2024-08-19 | demographic timeframes `last_14_days`, `last_30_days`, `last_90_days`, `prev_month` dropped (`this_week`, `this_month` stay); the version is **UNCONFIRMED** in the reference |
//! | [`V21`] | v21.0, 2025-01-08 | user: time-series `email_contacts`, `phone_call_clicks`, `text_message_clicks`, `get_directions_clicks`, `website_clicks`, `profile_views` removed (the last two stay as total values). Media: `video_views` removed; `views` known, on Reels only (`The Media Insights API does not support the views metric for this media product type.` elsewhere) |
//! | [`V22`] | v22.0, 2025-04-21 | user: `impressions` removed (`Starting from version 22 and above, the impressions metric is no longer supported…` on v22+), `views` (total value) added. Media: `impressions`, `plays` removed; `views` on every kind; feed videos get `likes`, `comments`, `shares`, `total_interactions` |

use std::fmt;

use chrono::NaiveDate;

/// A Graph API version (`v15.0`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Version {
    /// `15` of `v15.0`.
    pub major: u16,
    /// `0` of `v15.0`.
    pub minor: u16,
}

impl Version {
    /// `vMAJOR.MINOR`.
    pub const fn new(major: u16, minor: u16) -> Self {
        Version { major, minor }
    }

    /// Parse `v15.0` (as a path segment has it).
    pub fn parse(s: &str) -> Option<Version> {
        let (a, b) = s.strip_prefix('v')?.split_once('.')?;
        let digits = |t: &str| !t.is_empty() && t.bytes().all(|c| c.is_ascii_digit());
        if !digits(a) || !digits(b) {
            return None;
        }
        Some(Version::new(a.parse().ok()?, b.parse().ok()?))
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "v{}.{}", self.major, self.minor)
    }
}

const fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    match NaiveDate::from_ymd_opt(y, m, d) {
        Some(d) => d,
        None => panic!("invalid date in the version table"),
    }
}

/// One version: released on `released`, served until the day before `expires`.
#[derive(Debug, Clone, Copy)]
pub struct Release {
    /// The version.
    pub version: Version,
    /// Its release date.
    pub released: NaiveDate,
    /// The first day it is no longer served.
    pub expires: NaiveDate,
}

const fn release(major: u16, released: NaiveDate, expires: NaiveDate) -> Release {
    Release {
        version: Version::new(major, 0),
        released,
        expires,
    }
}

/// The versions the simulator knows, oldest first (the table of the module doc).
pub const RELEASES: &[Release] = &[
    release(10, date(2021, 2, 23), date(2023, 6, 8)),
    release(11, date(2021, 6, 8), date(2023, 9, 14)),
    release(12, date(2021, 10, 19), date(2024, 2, 8)),
    release(13, date(2022, 2, 8), date(2024, 5, 28)),
    release(14, date(2022, 5, 25), date(2024, 9, 17)),
    release(15, date(2022, 10, 27), date(2024, 11, 20)),
    release(16, date(2023, 2, 2), date(2025, 5, 14)),
    release(17, date(2023, 5, 23), date(2025, 9, 12)),
    release(18, date(2023, 9, 12), date(2026, 1, 26)),
    release(19, date(2024, 1, 23), date(2026, 5, 21)),
    release(20, date(2024, 5, 21), date(2026, 9, 24)),
    release(21, date(2024, 10, 2), date(2027, 2, 9)),
    release(22, date(2025, 1, 21), date(2027, 5, 20)),
    release(23, date(2025, 5, 29), date(2027, 9, 28)),
    release(24, date(2025, 10, 8), date(2028, 2, 15)),
    release(25, date(2026, 2, 18), date(2028, 5, 25)),
];

/// The seed's API date: the default of [`SimConfig::api_as_of`](super::SimConfig::api_as_of).
pub const SEED_API_DATE: NaiveDate = date(2022, 11, 1);

/// The versions served on `as_of`, oldest first (never empty: before the first release, the first
/// version; the newest released one never expires).
pub fn served(as_of: NaiveDate) -> Vec<Version> {
    let released: Vec<&Release> = RELEASES.iter().filter(|r| r.released <= as_of).collect();
    let Some(newest) = released.last() else {
        return vec![RELEASES[0].version];
    };
    released
        .iter()
        .filter(|r| r.expires > as_of || r.version == newest.version)
        .map(|r| r.version)
        .collect()
}

/// The version that answers a request for `requested` (`None`: no version in the path) on `as_of`;
/// `None` when the request is refused (a version newer than the newest served, or unknown).
pub fn answering(as_of: NaiveDate, requested: Option<&str>) -> Option<Version> {
    let served = served(as_of);
    let oldest = served[0];
    let Some(requested) = requested else {
        return Some(oldest);
    };
    let v = Version::parse(requested)?;
    if served.contains(&v) {
        return Some(v);
    }
    let known = RELEASES.iter().any(|r| r.version == v);
    let older_than_table = v < RELEASES[0].version;
    (older_than_table || (known && v < oldest)).then_some(oldest)
}

/// A change of the insights catalog: it came with `version` and reached every version on
/// `all_versions` (if ever).
#[derive(Debug, Clone, Copy)]
pub struct Gate {
    /// The first version with the change.
    pub version: Version,
    /// The date from which every version has it.
    pub all_versions: Option<NaiveDate>,
}

impl Gate {
    /// Passed by every call.
    pub const ALWAYS: Gate = Gate {
        version: Version::new(0, 0),
        all_versions: None,
    };
    /// Passed by no call.
    pub const NEVER: Gate = Gate {
        version: Version::new(u16::MAX, 0),
        all_versions: None,
    };
}

const fn gate(major: u16, all_versions: NaiveDate) -> Gate {
    Gate {
        version: Version::new(major, 0),
        all_versions: Some(all_versions),
    }
}

/// v18.0; all versions on 2023-12-11.
pub const V18: Gate = gate(18, date(2023, 12, 11));
/// v20.0; all versions on 2024-08-19 (demographic timeframes; the version and date are UNCONFIRMED
/// in the reference: the product's catalog takes the same, `Era::V20`).
pub const V20: Gate = gate(20, date(2024, 8, 19));
/// v21.0; all versions on 2025-01-08.
pub const V21: Gate = gate(21, date(2025, 1, 8));
/// v22.0; all versions on 2025-04-21.
pub const V22: Gate = gate(22, date(2025, 4, 21));

/// The API one call is answered by: the API date and the answering version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Api {
    /// The API date.
    pub as_of: NaiveDate,
    /// The answering version.
    pub version: Version,
}

impl Api {
    /// The seed's API: v15.0 on 2022-11-01 (what [`Dataset::media_insight`](super::Dataset::media_insight)
    /// and [`Dataset::user_insight`](super::Dataset::user_insight) check against).
    pub const SEED: Api = Api {
        as_of: SEED_API_DATE,
        version: Version::new(15, 0),
    };

    /// Whether this call is past `g`.
    pub fn past(&self, g: Gate) -> bool {
        self.version >= g.version || g.all_versions.is_some_and(|d| self.as_of >= d)
    }

    /// Whether a catalog entry that came with `from` and went with `until` is served.
    pub fn serves(&self, from: Gate, until: Gate) -> bool {
        self.past(from) && !self.past(until)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(v: &[Version]) -> Vec<String> {
        v.iter().map(Version::to_string).collect()
    }

    #[test]
    fn served_versions_by_date() {
        let late = date(2026, 11, 30);
        assert_eq!(
            names(&served(late)),
            ["v21.0", "v22.0", "v23.0", "v24.0", "v25.0"]
        );
        let seed = names(&served(SEED_API_DATE));
        for v in ["v12.0", "v13.0", "v14.0", "v15.0"] {
            assert!(seed.contains(&v.to_string()), "{seed:?}");
        }
        assert!(!seed.contains(&"v16.0".to_string()));
        assert_eq!(served(date(2030, 1, 1)), [Version::new(25, 0)]);
        assert_eq!(served(date(2000, 1, 1)), [Version::new(10, 0)]);
    }

    #[test]
    fn answering_version() {
        let late = date(2026, 11, 30);
        let v = |s: Option<&str>| answering(late, s).map(|v| v.to_string());
        assert_eq!(v(Some("v15.0")).as_deref(), Some("v21.0"));
        assert_eq!(v(Some("v2.3")).as_deref(), Some("v21.0"));
        assert_eq!(v(Some("v23.0")).as_deref(), Some("v23.0"));
        assert_eq!(v(None).as_deref(), Some("v21.0"));
        assert_eq!(v(Some("v26.0")), None);
        assert_eq!(v(Some("v22.5")), None);
        assert_eq!(v(Some("v99999999.0")), None);
        let seed = |s| answering(SEED_API_DATE, Some(s)).map(|v| v.to_string());
        assert_eq!(seed("v15.0").as_deref(), Some("v15.0"));
        assert_eq!(seed("v16.0"), None);
    }

    #[test]
    fn gates() {
        let v15_late = Api {
            as_of: date(2024, 1, 1),
            version: Version::new(15, 0),
        };
        assert!(v15_late.past(V18), "all versions on 2023-12-11");
        assert!(!v15_late.past(V21));
        let v18_early = Api {
            as_of: date(2023, 10, 1),
            version: Version::new(18, 0),
        };
        assert!(v18_early.past(V18));
        assert!(!Api::SEED.past(V18));
        assert!(Api::SEED.serves(Gate::ALWAYS, Gate::NEVER));
        assert!(!Api::SEED.serves(V18, Gate::NEVER));
    }
}
