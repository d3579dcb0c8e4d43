//! Static-IP customers enforced through the API: each one gets a simple
//! queue at its plan's speed, and sits in the captive address list of its
//! state (lango-expired, lango-suspended, lango-quota) while it has one.
//! Level-triggered: every round makes the router hold exactly the wanted
//! lango-owned rows, so missed events and restarts heal by themselves.

use std::collections::BTreeSet;
use std::net::IpAddr;

use super::provision::OWNER;
use super::{Cmd, Router, RouterError};

/// Address lists lango fills for static customers.
pub const LISTS: [&str; 3] = ["lango-expired", "lango-suspended", "lango-quota"];
const ENTRY: &str = "static:";
const QUEUE: &str = "static-queue:";

/// What the router should hold for one tenant's static customers.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StaticWant {
    /// (address list, address, customer's login): captive entries.
    pub entries: BTreeSet<(String, IpAddr, String)>,
    /// (queue name, target, max-limit "up/down").
    pub queues: BTreeSet<(String, IpAddr, String)>,
}

/// What one sync changed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Synced {
    pub added: usize,
    pub removed: usize,
    pub queues_changed: usize,
}

impl Router {
    pub async fn sync_statics(&self, want: &StaticWant) -> Result<Synced, RouterError> {
        let mut done = Synced::default();
        // Address lists: lango's static entries only.
        let mut have = BTreeSet::new();
        for list in LISTS {
            let rows = self.run(&Cmd::new("/ip/firewall/address-list", "print").query("list", list)).await?;
            for row in rows {
                let Some(comment) = row.get("comment").filter(|c| c.starts_with(&format!("{OWNER}{ENTRY}"))) else {
                    continue;
                };
                let addr = row.get("address").and_then(|a| a.parse::<IpAddr>().ok());
                let login = comment.trim_start_matches(OWNER).trim_start_matches(ENTRY).to_string();
                let wanted = addr.is_some_and(|a| want.entries.contains(&(list.to_string(), a, login.clone())));
                match (wanted, row.get(".id")) {
                    (true, _) => {
                        have.insert((list.to_string(), addr.unwrap_or(IpAddr::from([0, 0, 0, 0])), login));
                    }
                    (false, Some(id)) => {
                        self.run(&Cmd::new("/ip/firewall/address-list", "remove").arg(".id", id.clone())).await?;
                        done.removed += 1;
                    }
                    (false, None) => {}
                }
            }
        }
        for (list, addr, login) in want.entries.difference(&have) {
            let add = Cmd::new("/ip/firewall/address-list", "add")
                .arg("list", list.clone())
                .arg("address", addr.to_string())
                .arg("comment", format!("{OWNER}{ENTRY}{login}"));
            self.run(&add).await?;
            done.added += 1;
        }
        // Queues: upsert the wanted ones, remove lango's static queues no
        // longer wanted.
        let names: BTreeSet<&str> = want.queues.iter().map(|(n, _, _)| n.as_str()).collect();
        for row in self.run(&Cmd::new("/queue/simple", "print")).await? {
            let ours = row.get("comment").is_some_and(|c| c.starts_with(&format!("{OWNER}{QUEUE}")));
            let name = row.get("name").cloned().unwrap_or_default();
            if let (true, false, Some(id)) = (ours, names.contains(name.as_str()), row.get(".id")) {
                self.run(&Cmd::new("/queue/simple", "remove").arg(".id", id.clone())).await?;
                done.queues_changed += 1;
            }
        }
        for (name, target, limit) in &want.queues {
            if self.queue_upsert_as(name, *target, limit, &format!("{QUEUE}{name}")).await? {
                done.queues_changed += 1;
            }
        }
        Ok(done)
    }
}
