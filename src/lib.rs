//! lango: RADIUS billing controller for MikroTik networks.
//!
//! The binary (`src/main.rs`) is only the command line; everything else lives
//! in this library so integration tests and benchmarks can reach it.

pub mod clock;
pub mod config;
pub mod model;
pub mod policy;
pub mod store;
