//! Who is on a router: DHCP leases, hotspot hosts, active PPP and hotspot
//! sessions (for the portal's zero-login lookup), and what enforcement does
//! with them: kick a session, keep a static customer in an address list,
//! keep a customer's simple queue.

use std::net::IpAddr;

use super::provision::OWNER;
use super::{Cmd, Router, RouterError, Row};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Lease {
    pub address: String,
    pub mac: String,
    pub host_name: String,
    pub status: String,
    pub server: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Host {
    pub mac: String,
    pub address: String,
    pub to_address: String,
    pub server: String,
    pub authorized: bool,
}

/// An active session: `kind` is "ppp" or "hotspot".
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Active {
    pub kind: &'static str,
    pub id: String,
    pub user: String,
    pub address: String,
    /// MAC (hotspot) or Caller-Id (PPP).
    pub caller: String,
    pub uptime: String,
}

fn get(row: &Row, k: &str) -> String {
    row.get(k).cloned().unwrap_or_default()
}

fn yes(row: &Row, k: &str) -> bool {
    matches!(row.get(k).map(String::as_str), Some("true" | "yes"))
}

impl Router {
    pub async fn leases(&self) -> Result<Vec<Lease>, RouterError> {
        let cmd =
            Cmd::new("/ip/dhcp-server/lease", "print").arg(".proplist", "address,mac-address,host-name,status,server");
        Ok(self
            .run(&cmd)
            .await?
            .iter()
            .map(|r| Lease {
                address: get(r, "address"),
                mac: get(r, "mac-address"),
                host_name: get(r, "host-name"),
                status: get(r, "status"),
                server: get(r, "server"),
            })
            .collect())
    }

    pub async fn hosts(&self) -> Result<Vec<Host>, RouterError> {
        let cmd =
            Cmd::new("/ip/hotspot/host", "print").arg(".proplist", "mac-address,address,to-address,server,authorized");
        Ok(self
            .run(&cmd)
            .await?
            .iter()
            .map(|r| Host {
                mac: get(r, "mac-address"),
                address: get(r, "address"),
                to_address: get(r, "to-address"),
                server: get(r, "server"),
                authorized: yes(r, "authorized"),
            })
            .collect())
    }

    /// Active PPP sessions, then active hotspot users.
    pub async fn active(&self) -> Result<Vec<Active>, RouterError> {
        let ppp = Cmd::new("/ppp/active", "print").arg(".proplist", ".id,name,address,caller-id,uptime");
        let hs = Cmd::new("/ip/hotspot/active", "print").arg(".proplist", ".id,user,address,mac-address,uptime");
        let mut out: Vec<Active> = self
            .run(&ppp)
            .await?
            .iter()
            .map(|r| Active {
                kind: "ppp",
                id: get(r, ".id"),
                user: get(r, "name"),
                address: get(r, "address"),
                caller: get(r, "caller-id"),
                uptime: get(r, "uptime"),
            })
            .collect();
        out.extend(self.run(&hs).await?.iter().map(|r| Active {
            kind: "hotspot",
            id: get(r, ".id"),
            user: get(r, "user"),
            address: get(r, "address"),
            caller: get(r, "mac-address"),
            uptime: get(r, "uptime"),
        }));
        Ok(out)
    }

    /// End the active PPP / hotspot sessions of `user` (or at `address`);
    /// returns how many were removed.
    pub async fn kick(&self, user: Option<&str>, address: Option<IpAddr>) -> Result<usize, RouterError> {
        if user.is_none() && address.is_none() {
            return Ok(0);
        }
        let mut n = 0;
        for (menu, user_key) in [("/ppp/active", "name"), ("/ip/hotspot/active", "user")] {
            let mut q = Cmd::new(menu, "print").arg(".proplist", ".id");
            if let Some(u) = user {
                q = q.query(user_key, u);
            }
            if let Some(a) = address {
                q = q.query("address", a.to_string());
            }
            for row in self.run(&q).await? {
                if let Some(id) = row.get(".id") {
                    self.run(&Cmd::new(menu, "remove").arg(".id", id.clone())).await?;
                    n += 1;
                }
            }
        }
        Ok(n)
    }

    /// Put `address` in address list `list` (once), marked as lango's.
    pub async fn address_list_add(&self, list: &str, address: IpAddr, note: &str) -> Result<bool, RouterError> {
        let q =
            Cmd::new("/ip/firewall/address-list", "print").query("list", list).query("address", address.to_string());
        if !self.run(&q).await?.is_empty() {
            return Ok(false);
        }
        let add = Cmd::new("/ip/firewall/address-list", "add")
            .arg("list", list)
            .arg("address", address.to_string())
            .arg("comment", format!("{OWNER}{note}"));
        self.run(&add).await?;
        Ok(true)
    }

    /// Take `address` out of `list`; only lango's own entries are removed.
    pub async fn address_list_remove(&self, list: &str, address: IpAddr) -> Result<usize, RouterError> {
        let q =
            Cmd::new("/ip/firewall/address-list", "print").query("list", list).query("address", address.to_string());
        let mut n = 0;
        for row in self.run(&q).await? {
            let ours = row.get("comment").is_some_and(|c| c.starts_with(OWNER));
            if let (true, Some(id)) = (ours, row.get(".id")) {
                self.run(&Cmd::new("/ip/firewall/address-list", "remove").arg(".id", id.clone())).await?;
                n += 1;
            }
        }
        Ok(n)
    }

    /// Make the simple queue `name` exist with this target and max-limit
    /// ("upload/download", e.g. "5M/10M"). Returns true when something changed.
    pub async fn queue_upsert(&self, name: &str, target: IpAddr, max_limit: &str) -> Result<bool, RouterError> {
        self.queue_upsert_as(name, target, max_limit, "queue").await
    }

    /// `queue_upsert`, marking a new queue with comment `lango:<comment>`.
    pub async fn queue_upsert_as(
        &self,
        name: &str,
        target: IpAddr,
        max_limit: &str,
        comment: &str,
    ) -> Result<bool, RouterError> {
        let q = Cmd::new("/queue/simple", "print").query("name", name);
        let target = format!("{target}/32");
        match self.run(&q).await?.into_iter().next() {
            Some(row) => {
                let same_target = row.get("target").is_some_and(|t| *t == target);
                let same_limit = row.get("max-limit").is_some_and(|m| *m == max_limit);
                if same_target && same_limit {
                    return Ok(false);
                }
                let id = row.get(".id").cloned().unwrap_or_default();
                let set =
                    Cmd::new("/queue/simple", "set").arg(".id", id).arg("target", target).arg("max-limit", max_limit);
                self.run(&set).await?;
            }
            None => {
                let add = Cmd::new("/queue/simple", "add")
                    .arg("name", name)
                    .arg("target", target)
                    .arg("max-limit", max_limit)
                    .arg("comment", format!("{OWNER}{comment}"));
                self.run(&add).await?;
            }
        }
        Ok(true)
    }
}
