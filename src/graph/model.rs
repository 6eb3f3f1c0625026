//! The typed Graph API envelope: pages, paging, error bodies, batch items; decoding that names the
//! JSON path that failed.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::endpoint::EndpointKind;
use super::error::{GraphError, bounded};

/// One page of an edge: `{"data":[…],"paging":{…}}`.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
pub struct Page<T> {
    /// Required: a body without `data` is not a page (a decode error, not an empty page).
    pub data: Vec<T>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub paging: Option<Paging>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
pub struct Paging {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cursors: Option<Cursors>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
pub struct Cursors {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub before: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after: Option<String>,
}

/// The `error` object of a failed Graph call (reference §7.1).
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
pub struct GraphErrorBody {
    #[serde(default)]
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub r#type: Option<String>,
    pub code: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_subcode: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_user_title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_user_msg: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fbtrace_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_transient: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_data: Option<serde_json::Value>,
}

#[derive(Deserialize)]
pub(crate) struct ErrorEnvelope {
    pub error: GraphErrorBody,
}

/// One element of a batch response (reference §3.6); `body` is a JSON document encoded as a string.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
pub struct BatchItemResponse {
    pub code: u16,
    #[serde(default)]
    pub headers: Vec<BatchHeader>,
    #[serde(default)]
    pub body: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
pub struct BatchHeader {
    pub name: String,
    pub value: String,
}

/// Decode `bytes` as `T`; a failure names the JSON path (e.g. `data[3].timestamp`) and the endpoint.
pub fn decode_json<T: DeserializeOwned>(
    bytes: &[u8],
    endpoint: EndpointKind,
) -> Result<T, GraphError> {
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    // serde quotes the offending value (and the path its keys): both are server text, so bounded.
    serde_path_to_error::deserialize(de).map_err(|e| GraphError::Decode {
        endpoint,
        path: bounded(&e.path().to_string()),
        message: bounded(&e.inner().to_string()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Media {
        id: String,
        timestamp: chrono::DateTime<chrono::FixedOffset>,
    }

    #[test]
    fn decodes_page_with_cursors_only() {
        let body = br#"{"data":[{"id":"1"}],"paging":{"cursors":{"before":"b"}}}"#;
        let page: Page<serde_json::Value> = decode_json(body, EndpointKind::MeAccounts).unwrap();
        assert_eq!(page.data.len(), 1);
        let paging = page.paging.unwrap();
        assert_eq!(paging.cursors.unwrap().before.as_deref(), Some("b"));
        assert!(paging.next.is_none());
    }

    #[test]
    fn decode_error_names_path_and_endpoint() {
        let body = br#"{"data":[{"id":"1","timestamp":"2022-01-01T00:00:00+0000"},
            {"id":"2","timestamp":"2022-01-01T00:00:00+00:00"},{"id":"3","timestamp":"2022-01-01T00:00:00+00:00"},
            {"id":"4","timestamp":"yesterday"}]}"#;
        let err = decode_json::<Page<Media>>(body, EndpointKind::UserMedia).unwrap_err();
        match &err {
            GraphError::Decode { endpoint, path, .. } => {
                assert_eq!(*endpoint, EndpointKind::UserMedia);
                assert_eq!(path, "data[3].timestamp");
            }
            other => panic!("{other:?}"),
        }
        let body = br#"{"data":[{"id":"1","timestamp":"2022-01-01T00:00:00Z"},{"id":"2","timestamp":"2022-01-01T00:00:00Z"},
            {"id":"3","timestamp":"2022-01-01T00:00:00Z"},{"id":"4","timestamp":"yesterday"}]}"#;
        let err = decode_json::<Page<Media>>(body, EndpointKind::UserMedia).unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains("data[3].timestamp") && text.contains("user/media"),
            "{text}"
        );
    }

    #[test]
    fn decode_errors_quote_a_bounded_prefix() {
        let huge = "x".repeat(1 << 20);
        let body = format!(r#"{{"data":[{{"id":"1","timestamp":"{huge}"}}]}}"#);
        let err = decode_json::<Page<Media>>(body.as_bytes(), EndpointKind::UserMedia).unwrap_err();
        assert!(err.to_string().len() < 1000, "{}", err.to_string().len());
        let body = format!(r#"{{"data":{{"{huge}":1}}}}"#);
        let err = decode_json::<Page<Media>>(body.as_bytes(), EndpointKind::UserMedia).unwrap_err();
        assert!(err.to_string().len() < 1000, "{}", err.to_string().len());
    }

    #[test]
    fn decodes_real_error_body() {
        let body = br#"{"error":{"message":"(#100) Media Posted Before Business Account Conversion","type":"OAuthException",
            "code":100,"error_subcode":2108006,"error_data":{"blame_field_specs":[[""]]},"is_transient":false,
            "error_user_title":"Media Posted Before Business Account Conversion","error_user_msg":"x","fbtrace_id":"AsEo4"}}"#;
        let env: ErrorEnvelope = serde_json::from_slice(body).unwrap();
        assert_eq!(env.error.code, 100);
        assert_eq!(env.error.error_subcode, Some(2108006));
        assert_eq!(env.error.is_transient, Some(false));
        assert_eq!(env.error.fbtrace_id.as_deref(), Some("AsEo4"));
    }
}

#[cfg(test)]
mod props {
    use super::*;
    use crate::graph::error::{ApiError, classify};
    use crate::graph::testutil::arb;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(arb::config())]

        /// Any body decodes to a value or a decode error naming the endpoint; never a panic.
        #[test]
        fn decode_json_never_panics(body in arb::body()) {
            for result in [
                decode_json::<Page<serde_json::Value>>(&body, EndpointKind::UserMedia).map(drop),
                decode_json::<serde_json::Value>(&body, EndpointKind::Other).map(drop),
                decode_json::<Vec<Option<BatchItemResponse>>>(&body, EndpointKind::Batch).map(drop),
            ] {
                if let Err(e) = result {
                    prop_assert!(matches!(e, GraphError::Decode { .. }), "{:?}", e);
                    let _ = e.to_string();
                }
            }
        }

        /// Any body and status through error classification and the error's text.
        #[test]
        fn error_classification_never_panics(body in arb::body(), status in 100u16..600) {
            let parsed = serde_json::from_slice::<ErrorEnvelope>(&body).ok().map(|e| e.error);
            let class = classify(status, parsed.as_ref());
            let mut api = ApiError {
                class,
                status,
                body: parsed,
                endpoint: EndpointKind::UserMedia,
                url: String::new(),
                wait_hint: None,
                usage_percent: None,
                snippet: Some(String::from_utf8_lossy(&body).into_owned()),
            };
            api.scrub(&["secret"]);
            if let Some(b) = &mut api.body {
                b.bound();
                prop_assert!(b.message.chars().count() <= crate::graph::error::MAX_QUOTED_CHARS + 1);
            }
            let err = GraphError::Api(Box::new(api));
            let _ = (err.to_string(), err.reason(), err.class(), err.api_body());
        }
    }
}
