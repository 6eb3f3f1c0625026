//! Graph API error bodies (reference §7.1) produced by the simulator.

use serde_json::{Map, Value, json};

/// A Graph API error: HTTP status plus the `{"error":{…}}` body fields.
#[derive(Debug, Clone, PartialEq)]
pub struct GraphError {
    /// HTTP status (400 for nearly everything, as the real API).
    pub status: u16,
    /// `message`.
    pub message: String,
    /// `type` (`OAuthException`, `GraphMethodException`, `GraphBatchException`, `IGApiException`).
    pub kind: &'static str,
    /// `code`.
    pub code: u32,
    /// `error_subcode`.
    pub subcode: Option<u32>,
    /// `error_user_title`.
    pub user_title: Option<String>,
    /// `error_user_msg`.
    pub user_msg: Option<String>,
    /// `is_transient`.
    pub transient: Option<bool>,
}

impl GraphError {
    /// A 400 `OAuthException` with `code` and `message`.
    pub fn new(code: u32, message: impl Into<String>) -> Self {
        GraphError {
            status: 400,
            message: message.into(),
            kind: "OAuthException",
            code,
            subcode: None,
            user_title: None,
            user_msg: None,
            transient: None,
        }
    }
    /// `(#100) …` invalid parameter.
    pub fn param(msg: impl AsRef<str>) -> Self {
        Self::new(100, format!("(#100) {}", msg.as_ref()))
    }
    /// Builder: subcode.
    pub fn subcode(mut self, s: u32) -> Self {
        self.subcode = Some(s);
        self
    }
    /// Builder: type.
    pub fn kind(mut self, k: &'static str) -> Self {
        self.kind = k;
        self
    }
    /// Builder: HTTP status.
    pub fn status(mut self, s: u16) -> Self {
        self.status = s;
        self
    }
    /// Builder: is_transient.
    pub fn transient(mut self, t: bool) -> Self {
        self.transient = Some(t);
        self
    }
    /// Builder: user title and message.
    pub fn user(mut self, title: &str, msg: &str) -> Self {
        self.user_title = Some(title.to_string());
        self.user_msg = Some(msg.to_string());
        self
    }

    /// 100/33 unknown object.
    pub fn unsupported_get(id: &str) -> Self {
        Self::new(
            100,
            format!(
                "Unsupported get request. Object with ID '{id}' does not exist, cannot be loaded due to missing permissions, or does not support this operation. Please read the Graph API documentation at https://developers.facebook.com/docs/graph-api"
            ),
        )
        .subcode(33)
        .kind("GraphMethodException")
    }
    /// Unknown field on a node type.
    pub fn nonexisting_field(field: &str, node: &str) -> Self {
        Self::param(format!(
            "Tried accessing nonexisting field ({field}) on node type ({node})"
        ))
    }
    /// A field refused in this context (business discovery / hashtag media).
    pub fn unsupported_field() -> Self {
        Self::param("Please read documentation for supported fields.")
    }
    /// Media posted before the business conversion (reference §5.4, exact body).
    pub fn before_conversion() -> Self {
        Self::new(100, "Invalid parameter").subcode(2108006).transient(false).user(
            "Media posted before business account conversion",
            "The media was posted before the most recent time that the user's account was converted to a business account from a personal account.",
        )
    }
    /// Story with fewer than 5 viewers.
    pub fn not_enough_viewers() -> Self {
        Self::new(
            10,
            "(#10) Not enough viewers for the media to show insights",
        )
    }
    /// Metric valid elsewhere but not for this media.
    pub fn incompatible_metric(metric: &str) -> Self {
        Self::param(format!("Incompatible metric ({metric}) with the media"))
    }
    /// A metric the media's product type does not have (`views` before v22 on other media than Reels).
    pub fn product_type_unsupported(metric: &str) -> Self {
        Self::param(format!(
            "The Media Insights API does not support the {metric} metric for this media product type."
        ))
    }
    /// User `impressions` asked of v22.0 or newer.
    pub fn impressions_v22() -> Self {
        Self::param(
            "Starting from version 22 and above, the impressions metric is no longer supported for the queried user. Please refer to the documentation at https://developers.facebook.com/docs/instagram-api/reference/ig-user/insights for a list of supported metrics.",
        )
    }
    /// A version newer than the newest served (or unknown) in the path `/{version}/{rest}`.
    pub fn unknown_version(version: &str, rest: &str) -> Self {
        Self::new(2500, format!("Unknown path components: /{version}/{rest}"))
    }
    /// `metric[i] must be one of the following values: …`.
    pub fn invalid_metric(index: usize, valid: &[&str]) -> Self {
        Self::param(format!(
            "metric[{index}] must be one of the following values: {}",
            valid.join(", ")
        ))
    }
    /// Missing access token (code 104).
    pub fn token_required() -> Self {
        Self::new(104, "An access token is required to request this resource.")
    }
    /// Unparseable token (code 190).
    pub fn invalid_token() -> Self {
        Self::new(
            190,
            "Invalid OAuth access token - Cannot parse access token",
        )
    }

    /// The JSON body `{"error":{…}}` with the given trace id.
    pub fn body(&self, fbtrace_id: &str) -> Value {
        let mut e = Map::new();
        e.insert("message".into(), json!(self.message));
        e.insert("type".into(), json!(self.kind));
        e.insert("code".into(), json!(self.code));
        if let Some(s) = self.subcode {
            e.insert("error_subcode".into(), json!(s));
        }
        if let Some(t) = self.transient {
            e.insert("is_transient".into(), json!(t));
        }
        if let Some(t) = &self.user_title {
            e.insert("error_user_title".into(), json!(t));
        }
        if let Some(t) = &self.user_msg {
            e.insert("error_user_msg".into(), json!(t));
        }
        e.insert("fbtrace_id".into(), json!(fbtrace_id));
        json!({ "error": e })
    }
}
