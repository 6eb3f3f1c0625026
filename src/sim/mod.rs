//! The simulated Graph API (being written).
