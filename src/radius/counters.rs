//! Counters for what the RADIUS server did and what it dropped, by reason.
//! Exposed at the HTTP `/metrics` endpoint and summarised in the log.

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

macro_rules! counters {
    ($($name:ident : $help:literal),* $(,)?) => {
        /// Monotonic counters since start.
        #[derive(Debug, Default)]
        pub struct Counters { $(pub $name: AtomicU64,)* }

        impl Counters {
            /// `(name, help, value)` for every counter.
            pub fn snapshot(&self) -> Vec<(&'static str, &'static str, u64)> {
                vec![$((stringify!($name), $help, self.$name.load(Relaxed)),)*]
            }
        }
    };
}

counters! {
    access_requests: "Access-Request packets received",
    access_accepts: "Access-Accept sent (captive included)",
    access_captive: "Access-Accept into the captive state",
    access_rejects: "Access-Reject sent",
    access_rejects_guessing: "Access-Reject sent without a lookup: too many failed logins from that device or address",
    status_server: "Status-Server packets answered",
    acct_requests: "Accounting-Request packets received",
    acct_responses: "Accounting-Response sent, each after its record was durably journaled",
    acct_duplicates: "accounting records recognised as retransmissions",
    acct_commits: "transactions folding journaled accounting records into the database",
    duplicate_replies: "retransmitted requests answered from the reply cache",
    dropped_malformed: "dropped: packet could not be decoded",
    dropped_unknown_client: "dropped: source address is not a known NAS",
    dropped_unexpected_code: "dropped: packet code not served on this port",
    dropped_missing_message_authenticator: "dropped: Message-Authenticator required but absent",
    dropped_bad_message_authenticator: "dropped: Message-Authenticator wrong",
    dropped_bad_authenticator: "dropped: Accounting Request Authenticator wrong",
    dropped_bad_password_encoding: "dropped: User-Password attribute malformed",
    dropped_missing_attribute: "dropped: a required attribute is absent",
    dropped_store_error: "dropped: storage failed (the NAS will retransmit)",
    dropped_acct_queue_full: "dropped: accounting queue full, the journal is behind (the NAS will retransmit)",
}

impl Counters {
    pub fn inc(c: &AtomicU64) {
        c.fetch_add(1, Relaxed);
    }

    /// Prometheus text exposition.
    pub fn render(&self) -> String {
        let mut out = String::new();
        for (name, help, v) in self.snapshot() {
            out.push_str(&format!(
                "# HELP lango_radius_{name} {help}\n# TYPE lango_radius_{name} counter\nlango_radius_{name} {v}\n"
            ));
        }
        out
    }

    pub fn dropped_total(&self) -> u64 {
        self.snapshot().iter().filter(|(n, _, _)| n.starts_with("dropped_")).map(|(_, _, v)| v).sum()
    }
}
