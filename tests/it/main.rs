//! One integration-test binary: every test drives the real `lango` binary
//! through its sockets and command line, with real peers (radclient).

mod acct;
mod auth;
mod cli;
mod harness;
mod security;
mod tidy;
