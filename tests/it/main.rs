//! One integration-test binary: the tests drive the real `lango` binary
//! through its sockets and command line, with real peers (radclient), or
//! drive lango's library against independent simulators (`support/`).

mod account;
mod acct;
mod admin;
mod admin_browser;
mod admin_catalog;
mod admin_edits;
mod admin_import;
mod admin_integrations;
mod admin_mpesa;
mod admin_people;
mod admin_rbac;
mod admin_recovery;
mod admin_routers;
mod admin_services;
mod admin_tickets;
mod admin_tokens;
mod admin_vouchers;
mod admin_webhooks;
mod api;
mod auth;
mod backup;
mod billing;
mod billing_jobs;
mod cli;
mod coa;
mod gateways;
mod harness;
mod health;
mod hooks;
mod import;
mod mail;
mod noc;
mod notify;
mod notify_cli;
mod otp;
mod portal;
mod privacy;
mod reports;
mod reports_browser;
mod routeros;
mod routeros_client;
mod routeros_poll;
mod routeros_sim;
mod security;
mod setup;
mod snmp;
#[path = "../support/mod.rs"]
mod support;
mod sync;
mod tidy;
mod tls;
mod webhooks;
