//! Peers simulated for the integration tests, each written independently of
//! lango's own code so the tests check lango against something else: `nas`
//! is a MikroTik-like NAS answering RFC 5176 CoA / Disconnect requests;
//! `hotspot` a MikroTik hotspot's login pages and HTTP-CHAP login;
//! `dstnat` the router's captive dst-nat (requests arrive from the
//! customer's address); `browser` drives headless Chromium;
//! `daraja` is Safaricom's Daraja API, `routeros` is a router's RouterOS API,
//! `sms` is Africa's Talking's SMS API, `gateways` the Celcom / TextSMS /
//! Advanta, Onfon and a generic HTTP SMS gateway, `receiver` a webhook endpoint;
//! `offsite` starts real S3-compatible (moto) and FTP (pyftpdlib) servers;
//! `smtp` a real SMTP server (aiosmtpd) with STARTTLS, TLS and AUTH;
//! `snmpd` a real SNMP agent (net-snmp) with a MikroTik-like subtree;
//! `genieacs` is GenieACS's NBI (devices, tasks, connection requests);
//! `nats` real nats-server processes (a JetStream cluster, leaf nodes) and
//! a TCP relay that can be cut.
// Each test binary uses only part of what the simulators offer.
#![allow(dead_code)]

pub mod browser;
pub mod daraja;
pub mod dstnat;
pub mod etims;
pub mod gateways;
pub mod genieacs;
pub mod hotspot;
pub mod nas;
pub mod nats;
pub mod offsite;
pub mod receiver;
pub mod routeros;
pub mod sms;
pub mod smtp;
pub mod snmpd;
