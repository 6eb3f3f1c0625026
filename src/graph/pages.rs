//! The Facebook pages a token reaches (`me/accounts`), parsed once into one type: used by the `pages`
//! report and account resolution, and kept in the account store.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A Facebook page and the Instagram business account linked to it, as `me/accounts` lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkedPage {
    /// Page id.
    pub page_id: String,
    /// Page name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page_name: Option<String>,
    /// Linked Instagram business account id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ig_user_id: Option<String>,
    /// Its username.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ig_username: Option<String>,
}

impl LinkedPage {
    /// The `fields` to ask of `me/accounts`.
    pub const FIELDS: &'static str = "id,name,instagram_business_account{id,username}";

    /// One item of a `me/accounts` page; `None` for an item without an `id`.
    pub fn from_item(item: &Value) -> Option<LinkedPage> {
        let s = |v: &Value| v.as_str().map(str::to_string);
        let ig = &item["instagram_business_account"];
        Some(LinkedPage {
            page_id: s(&item["id"])?,
            page_name: s(&item["name"]),
            ig_user_id: s(&ig["id"]),
            ig_username: s(&ig["username"]),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_item_of_me_accounts() {
        let p = LinkedPage::from_item(&serde_json::json!({
            "id": "1", "name": "Shop",
            "instagram_business_account": {"id": "17841", "username": "shop"}
        }))
        .unwrap();
        assert_eq!(p.ig_user_id.as_deref(), Some("17841"));
        assert_eq!(p.ig_username.as_deref(), Some("shop"));
        let bare = LinkedPage::from_item(&serde_json::json!({"id": "2"})).unwrap();
        assert_eq!(bare.ig_user_id, None);
        assert!(LinkedPage::from_item(&serde_json::json!({"name": "no id"})).is_none());
        // stored without the keys that are unknown
        assert_eq!(serde_json::to_string(&bare).unwrap(), r#"{"page_id":"2"}"#);
    }
}
