//! Reports: one file per report holding everything igflight knows about it (its [`spec::ReportSpec`]),
//! the catalog that registers them, static Arrow schemas, and converters from Graph pages to record
//! batches.

pub mod catalog;
pub mod spec;

pub mod hashtag_recent_media;
pub mod hashtag_top_media;
pub mod media_comments;
pub mod media_insights;
pub mod other_users;
pub mod other_users_media;
pub mod pages;
pub mod recently_searched_hashtags;
pub mod user;
pub mod user_insights;
pub mod user_media;
pub mod user_stories;

pub mod convert;
pub mod insights;
pub mod media;
pub mod rows;
pub mod schema;
