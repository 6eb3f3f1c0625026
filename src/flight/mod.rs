//! The Arrow Flight service (being written).
