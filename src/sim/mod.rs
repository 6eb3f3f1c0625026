//! The simulated Graph API.
pub mod data;
pub mod fields;
pub mod rng;
