//! lango: RADIUS billing controller for MikroTik networks.
//!
//! The binary (`src/main.rs`) is only the command line; everything else lives
//! in this library so integration tests and benchmarks can reach it.

pub mod acs;
pub mod app;
pub mod bench;
pub mod billing;
pub mod cli;
pub mod clock;
pub mod config;
pub mod control;
pub mod demo;
pub mod etims;
pub mod health;
pub mod import;
pub mod jobs;
pub mod model;
pub mod notify;
pub mod offsite;
pub mod ops;
pub mod payments;
pub mod pdf;
pub mod policy;
pub mod radius;
pub mod routeros;
pub mod snmp;
pub mod store;
pub mod sync;
pub mod web;
