//! The usage headers: `X-App-Usage` (flat) and `X-Business-Use-Case-Usage` (keyed by business id,
//! each value a list of per-type usages). Airbyte's 2023 connector read the latter as if it were flat,
//! so its slow-down never triggered on it; here both shapes are parsed as the Graph API sends them
//! (a flat object under a business id is tolerated too). Garbage yields "no information", never an error.

use std::time::Duration;

use reqwest::header::HeaderMap;
use serde::{Deserialize, Serialize};

use super::retry::{MAX_SERVER_WAIT, server_wait_secs};

/// `X-App-Usage`: percentages of the app's hourly allowance.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
pub struct AppUsage {
    #[serde(default)]
    pub call_count: f64,
    #[serde(default)]
    pub total_time: f64,
    #[serde(default)]
    pub total_cputime: f64,
}

/// One entry of `X-Business-Use-Case-Usage`.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct BusinessUsage {
    pub business_id: String,
    pub r#type: Option<String>,
    pub call_count: f64,
    pub total_time: f64,
    pub total_cputime: f64,
    /// Minutes until the throttle lifts (0 when not throttled), at most [`MAX_SERVER_WAIT`]
    /// (server values beyond it, NaN or negative are clamped when parsed).
    pub estimated_time_to_regain_access: u64,
}

#[derive(Deserialize)]
struct RawBusinessUsage {
    #[serde(default)]
    r#type: Option<String>,
    #[serde(default)]
    call_count: f64,
    #[serde(default)]
    total_time: f64,
    #[serde(default)]
    total_cputime: f64,
    #[serde(default)]
    estimated_time_to_regain_access: f64,
}

/// The usage reported with one response. Absent headers mean "unknown", not zero usage.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Usage {
    pub app: Option<AppUsage>,
    pub business: Vec<BusinessUsage>,
}

impl Usage {
    pub fn from_headers(headers: &HeaderMap) -> Self {
        let text = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
        Self {
            app: text("x-app-usage").and_then(parse_app_usage),
            business: text("x-business-use-case-usage")
                .map(parse_business_usage)
                .unwrap_or_default(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.app.is_none() && self.business.is_empty()
    }

    /// The highest percentage reported in any header and any dimension.
    pub fn max_percent(&self) -> Option<f64> {
        let app = self
            .app
            .iter()
            .flat_map(|a| [a.call_count, a.total_time, a.total_cputime]);
        let buc = self
            .business
            .iter()
            .flat_map(|b| [b.call_count, b.total_time, b.total_cputime]);
        app.chain(buc).filter(|p| p.is_finite()).reduce(f64::max)
    }

    /// The longest `estimated_time_to_regain_access`, if any is above zero; at most
    /// [`MAX_SERVER_WAIT`].
    pub fn regain_after(&self) -> Option<Duration> {
        self.business
            .iter()
            .map(|b| b.estimated_time_to_regain_access)
            .max()
            .filter(|m| *m > 0)
            .map(|m| Duration::from_secs(m.saturating_mul(60)).min(MAX_SERVER_WAIT))
    }
}

pub fn parse_app_usage(text: &str) -> Option<AppUsage> {
    match serde_json::from_str::<serde_json::Value>(text).ok()? {
        obj @ serde_json::Value::Object(_) => serde_json::from_value(obj).ok(),
        _ => None,
    }
}

pub fn parse_business_usage(text: &str) -> Vec<BusinessUsage> {
    let Ok(serde_json::Value::Object(map)) = serde_json::from_str::<serde_json::Value>(text) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (business_id, value) in map {
        let entries = match value {
            serde_json::Value::Array(items) => items,
            obj @ serde_json::Value::Object(_) => vec![obj],
            _ => continue,
        };
        for entry in entries {
            if let Ok(raw) = serde_json::from_value::<RawBusinessUsage>(entry) {
                out.push(BusinessUsage {
                    business_id: business_id.clone(),
                    r#type: raw.r#type,
                    call_count: raw.call_count,
                    total_time: raw.total_time,
                    total_cputime: raw.total_cputime,
                    estimated_time_to_regain_access: regain_minutes(
                        raw.estimated_time_to_regain_access,
                    ),
                });
            }
        }
    }
    out
}

/// A server's `estimated_time_to_regain_access` (minutes, any number) as whole minutes, clamped to
/// [`MAX_SERVER_WAIT`]; NaN and negatives are 0.
fn regain_minutes(minutes: f64) -> u64 {
    server_wait_secs(minutes * 60.0).as_secs().div_ceil(60)
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    #[test]
    fn huge_regain_times_are_clamped_to_a_day() {
        for raw in ["1e30", "2e11", "1.7976931348623157e308", "9000000000000"] {
            let v = parse_business_usage(&format!(
                r#"{{"1784":[{{"type":"instagram","call_count":100,"estimated_time_to_regain_access":{raw}}}]}}"#
            ));
            assert_eq!(v[0].estimated_time_to_regain_access, 24 * 60, "{raw}");
            let usage = Usage {
                app: None,
                business: v,
            };
            assert_eq!(usage.regain_after(), Some(MAX_SERVER_WAIT), "{raw}");
        }
        let v = parse_business_usage(
            r#"{"1784":[{"call_count":1,"estimated_time_to_regain_access":-3}]}"#,
        );
        assert_eq!(v[0].estimated_time_to_regain_access, 0);
        assert_eq!(regain_minutes(0.5), 1);
        let usage = Usage {
            app: None,
            business: vec![BusinessUsage {
                estimated_time_to_regain_access: u64::MAX,
                ..Default::default()
            }],
        };
        assert_eq!(usage.regain_after(), Some(MAX_SERVER_WAIT));
    }

    #[test]
    fn parses_app_usage() {
        let u = parse_app_usage(r#"{"call_count":28,"total_time":25,"total_cputime":25}"#).unwrap();
        assert_eq!(
            u,
            AppUsage {
                call_count: 28.0,
                total_time: 25.0,
                total_cputime: 25.0
            }
        );
    }

    #[test]
    fn parses_keyed_list_business_usage() {
        let v = parse_business_usage(
            r#"{"17841405309211844":[{"type":"instagram","call_count":100,"total_cputime":25,"total_time":25,
                "estimated_time_to_regain_access":19,"ads_api_access_tier":"standard_access"}],
                "1234":[{"type":"pages","call_count":5,"total_cputime":1,"total_time":2,"estimated_time_to_regain_access":0}]}"#,
        );
        assert_eq!(v.len(), 2);
        let ig = v
            .iter()
            .find(|b| b.business_id == "17841405309211844")
            .unwrap();
        assert_eq!(ig.r#type.as_deref(), Some("instagram"));
        assert_eq!(ig.call_count, 100.0);
        assert_eq!(ig.estimated_time_to_regain_access, 19);
        let usage = Usage {
            app: None,
            business: v,
        };
        assert_eq!(usage.max_percent(), Some(100.0));
        assert_eq!(usage.regain_after(), Some(Duration::from_secs(19 * 60)));
    }

    #[test]
    fn flat_business_usage_is_not_mistaken_for_usage() {
        // Airbyte's reading: a flat object. Its numbers are not per-business entries.
        let v = parse_business_usage(r#"{"call_count":100,"total_time":25}"#);
        assert!(v.is_empty(), "{v:?}");
    }

    #[test]
    fn garbage_is_ignored() {
        assert!(parse_app_usage("not json").is_none());
        assert!(parse_app_usage("[1,2]").is_none());
        assert!(parse_business_usage("{{{").is_empty());
        assert!(parse_business_usage(r#"{"1":[1,"x",null]}"#).is_empty());
        assert!(parse_business_usage("[]").is_empty());
        let mut headers = HeaderMap::new();
        headers.insert("x-app-usage", HeaderValue::from_static("garbage"));
        headers.insert(
            "x-business-use-case-usage",
            HeaderValue::from_static("{\"1\":7}"),
        );
        let usage = Usage::from_headers(&headers);
        assert!(usage.is_empty());
        assert_eq!(usage.max_percent(), None);
    }

    #[test]
    fn headers_combine_to_highest_percentage() {
        let mut headers = HeaderMap::new();
        headers.insert(
            "x-app-usage",
            HeaderValue::from_static(r#"{"call_count":28,"total_time":91,"total_cputime":25}"#),
        );
        headers.insert(
            "x-business-use-case-usage",
            HeaderValue::from_static(r#"{"1784":[{"type":"instagram","call_count":80,"total_time":1,"total_cputime":1}]}"#),
        );
        let usage = Usage::from_headers(&headers);
        assert_eq!(usage.max_percent(), Some(91.0));
        assert_eq!(usage.regain_after(), None);
    }
}

#[cfg(test)]
mod props {
    use super::*;
    use crate::graph::testutil::arb;
    use proptest::prelude::*;
    use reqwest::header::HeaderValue;

    proptest! {
        #![proptest_config(arb::config())]

        /// Whatever the usage headers say, parsing gives finite percentages and waits of at most a day.
        #[test]
        fn usage_headers_never_panic(app in arb::header_text(), buc in arb::header_text()) {
            let mut headers = HeaderMap::new();
            if let Ok(v) = HeaderValue::from_str(&app) {
                headers.insert("x-app-usage", v);
            }
            if let Ok(v) = HeaderValue::from_str(&buc) {
                headers.insert("x-business-use-case-usage", v);
            }
            let usage = Usage::from_headers(&headers);
            if let Some(p) = usage.max_percent() {
                prop_assert!(p.is_finite());
            }
            if let Some(w) = usage.regain_after() {
                prop_assert!(w > Duration::ZERO && w <= MAX_SERVER_WAIT);
            }
            for b in &usage.business {
                prop_assert!(b.estimated_time_to_regain_access <= MAX_SERVER_WAIT.as_secs() / 60);
            }
            let _ = parse_app_usage(&app);
            let _ = parse_business_usage(&buc);
        }
    }
}
