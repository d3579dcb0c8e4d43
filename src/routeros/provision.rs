//! PURE: the configuration lango wants on a router, and the changes that
//! take a router's current rows there. No I/O; `apply.rs` reads and writes.
//!
//! What a router gets: a `/radius` client pointing at lango (PPP, hotspot,
//! DHCP; Message-Authenticator required), `/radius incoming` accepting CoA
//! on the NAS's CoA port, PPP AAA through RADIUS with accounting and
//! interim updates, `use-radius=yes` on every DHCP server and hotspot
//! profile, walled-garden entries for lango and the payment gateway, and
//! the captive redirect: customers that RADIUS puts in `lango-expired`,
//! `lango-suspended` or `lango-quota` have their HTTP dst-nat'ed to lango's
//! portal and everything else forwarded dropped, except DNS and the hosts
//! in `lango-allowed` (lango and the payment gateway). Policy tagging: for
//! every routing mark the tenant's plans use, a routing table of that name
//! (`/routing/table`, fib) and a mangle rule marking the traffic of the
//! mark's address list (`lango-route-<mark>`, which RADIUS puts the
//! plan's sessions in) for it.

use std::collections::BTreeMap;
use std::fmt;
use std::net::IpAddr;

use super::{Cmd, Row, show_value};

/// The comment prefix marking a row as lango's.
pub const OWNER: &str = "lango:";
/// Address lists RADIUS puts captive customers in (Mikrotik-Address-List).
pub const CAPTIVE_LISTS: [&str; 3] = ["lango-expired", "lango-suspended", "lango-quota"];
/// Address list of what captive customers may still reach.
pub const ALLOWED_LIST: &str = "lango-allowed";
/// The filter chain captive traffic jumps to.
pub const CAPTIVE_CHAIN: &str = "lango-captive";
/// Safaricom Daraja (M-Pesa) hosts a phone must reach to pay.
pub const PAYMENT_HOSTS: [&str; 2] = ["api.safaricom.co.ke", "sandbox.safaricom.co.ke"];

/// Every menu lango writes to, in the order it reads and applies them.
/// The routing table comes before the mangle rule that names it (RouterOS
/// refuses a mark with no table); removals run the other way round.
pub const MENUS: [&str; 12] = [
    "/radius",
    "/radius/incoming",
    "/ppp/aaa",
    "/ip/dhcp-server",
    "/ip/hotspot/profile",
    "/ip/hotspot/walled-garden",
    "/ip/hotspot/walled-garden/ip",
    "/ip/firewall/address-list",
    "/ip/firewall/nat",
    "/ip/firewall/filter",
    "/routing/table",
    "/ip/firewall/mangle",
];

/// What provisioning needs to know besides the NAS record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Settings {
    /// lango's address as the router reaches it.
    pub lango_address: IpAddr,
    pub radius_secret: String,
    pub auth_port: u16,
    pub acct_port: u16,
    /// The NAS's CoA / Disconnect port (`/radius incoming`).
    pub coa_port: u16,
    /// Where captive HTTP is sent on lango.
    pub portal_port: u16,
    /// PPP accounting interim interval, RouterOS form ("5m").
    pub interim_update: String,
    pub payment_hosts: Vec<String>,
    /// The routing marks of the tenant's plans, each once.
    pub routing_marks: Vec<String>,
}

/// Which rows a desired entry is about.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    /// The row lango owns with `comment=lango:<key>`.
    Owned(String),
    /// A menu with a single, id-less row (`/ppp aaa`).
    Singleton,
    /// Every row of the menu, the operator's included (only switches).
    Every,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Desired {
    pub menu: &'static str,
    pub target: Target,
    pub attrs: Vec<(String, String)>,
}

fn owned(menu: &'static str, key: &str, attrs: &[(&str, &str)]) -> Desired {
    Desired { menu, target: Target::Owned(key.into()), attrs: pairs(attrs) }
}

fn pairs(attrs: &[(&str, &str)]) -> Vec<(String, String)> {
    attrs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

/// The configuration lango wants on a router.
pub fn desired(s: &Settings) -> Vec<Desired> {
    let lango = s.lango_address.to_string();
    let (auth, acct, coa, portal) =
        (s.auth_port.to_string(), s.acct_port.to_string(), s.coa_port.to_string(), s.portal_port.to_string());
    let mut out = vec![
        owned(
            "/radius",
            "radius",
            &[
                ("address", &lango),
                ("secret", &s.radius_secret),
                ("service", "ppp,hotspot,dhcp"),
                ("authentication-port", &auth),
                ("accounting-port", &acct),
                ("require-message-auth", "yes-for-request-resp"),
            ],
        ),
        Desired {
            menu: "/radius/incoming",
            target: Target::Singleton,
            attrs: pairs(&[("accept", "yes"), ("port", &coa)]),
        },
        Desired {
            menu: "/ppp/aaa",
            target: Target::Singleton,
            attrs: pairs(&[("use-radius", "yes"), ("accounting", "yes"), ("interim-update", &s.interim_update)]),
        },
        Desired { menu: "/ip/dhcp-server", target: Target::Every, attrs: pairs(&[("use-radius", "yes")]) },
        Desired {
            menu: "/ip/hotspot/profile",
            target: Target::Every,
            attrs: pairs(&[("use-radius", "yes"), ("radius-accounting", "yes")]),
        },
    ];
    for host in &s.payment_hosts {
        out.push(owned(
            "/ip/hotspot/walled-garden",
            &format!("pay-{host}"),
            &[("dst-host", host), ("action", "allow")],
        ));
    }
    out.push(owned("/ip/hotspot/walled-garden/ip", "portal", &[("dst-address", &lango), ("action", "accept")]));
    out.push(owned("/ip/firewall/address-list", "allow-portal", &[("list", ALLOWED_LIST), ("address", &lango)]));
    for host in &s.payment_hosts {
        out.push(owned(
            "/ip/firewall/address-list",
            &format!("allow-{host}"),
            &[("list", ALLOWED_LIST), ("address", host)],
        ));
    }
    for list in CAPTIVE_LISTS {
        out.push(owned(
            "/ip/firewall/nat",
            &format!("captive-{list}"),
            &[
                ("chain", "dstnat"),
                ("src-address-list", list),
                ("protocol", "tcp"),
                ("dst-port", "80"),
                ("action", "dst-nat"),
                ("to-addresses", &lango),
                ("to-ports", &portal),
            ],
        ));
    }
    for list in CAPTIVE_LISTS {
        out.push(owned(
            "/ip/firewall/filter",
            &format!("captive-{list}"),
            &[("chain", "forward"), ("src-address-list", list), ("action", "jump"), ("jump-target", CAPTIVE_CHAIN)],
        ));
    }
    let rule = |key: &str, attrs: &[(&str, &str)]| {
        let mut a = vec![("chain", CAPTIVE_CHAIN)];
        a.extend_from_slice(attrs);
        owned("/ip/firewall/filter", key, &a)
    };
    out.push(rule("captive-allowed", &[("dst-address-list", ALLOWED_LIST), ("action", "accept")]));
    out.push(rule("captive-dns-udp", &[("protocol", "udp"), ("dst-port", "53"), ("action", "accept")]));
    out.push(rule("captive-dns-tcp", &[("protocol", "tcp"), ("dst-port", "53"), ("action", "accept")]));
    out.push(rule("captive-drop", &[("action", "drop")]));
    for mark in &s.routing_marks {
        let key = format!("route-{mark}");
        out.push(owned("/routing/table", &key, &[("name", mark), ("fib", "yes")]));
        let list = crate::model::route_list(mark);
        out.push(owned(
            "/ip/firewall/mangle",
            &key,
            &[
                ("chain", "prerouting"),
                ("src-address-list", &list),
                ("action", "mark-routing"),
                ("new-routing-mark", mark),
                ("passthrough", "yes"),
            ],
        ));
    }
    out
}

/// One change to a router.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Change {
    Add {
        menu: String,
        key: String,
        attrs: Vec<(String, String)>,
    },
    /// `id` is None for a singleton; `what` names the row for people.
    Set {
        menu: String,
        id: Option<String>,
        what: String,
        diffs: Vec<(String, Option<String>, String)>,
    },
    Remove {
        menu: String,
        id: String,
        what: String,
    },
}

impl Change {
    /// The API command that makes this change.
    pub fn cmd(&self) -> Cmd {
        match self {
            Change::Add { menu, key, attrs } => {
                let mut c = Cmd::new(menu, "add");
                for (k, v) in attrs {
                    c = c.arg(k, v.clone());
                }
                c.arg("comment", format!("{OWNER}{key}"))
            }
            Change::Set { menu, id, diffs, .. } => {
                let mut c = Cmd::new(menu, "set");
                if let Some(id) = id {
                    c = c.arg(".id", id.clone());
                }
                for (k, _, v) in diffs {
                    c = c.arg(k, v.clone());
                }
                c
            }
            Change::Remove { menu, id, .. } => Cmd::new(menu, "remove").arg(".id", id.clone()),
        }
    }
}

/// `+ /radius add ...`, `~ /ppp/aaa set use-radius: false -> yes`, `- ...`.
impl fmt::Display for Change {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Change::Add { .. } => write!(f, "+ {}", self.cmd()),
            Change::Set { menu, what, diffs, .. } => {
                write!(f, "~ {menu} set {what}:")?;
                for (k, old, new) in diffs {
                    let old = old.as_deref().map_or_else(|| "(unset)".to_string(), |o| show_value(k, o));
                    write!(f, " {k}={old} -> {}", show_value(k, new))?;
                }
                Ok(())
            }
            Change::Remove { menu, id, what } => write!(f, "- {menu} remove {id} ({what})"),
        }
    }
}

/// RouterOS prints `yes`/`no` switches as `true`/`false`.
fn same(current: &str, wanted: &str) -> bool {
    let norm = |v: &str| match v {
        "yes" | "true" => "true".to_string(),
        "no" | "false" => "false".to_string(),
        other => other.to_string(),
    };
    current == wanted || norm(current) == norm(wanted)
}

fn owner_key(row: &Row) -> Option<&str> {
    row.get("comment").and_then(|c| c.strip_prefix(OWNER))
}

fn diffs(row: &Row, attrs: &[(String, String)]) -> Vec<(String, Option<String>, String)> {
    attrs
        .iter()
        .filter(|(k, v)| !row.get(k).is_some_and(|cur| same(cur, v)))
        .map(|(k, v)| (k.clone(), row.get(k).cloned(), v.clone()))
        .collect()
}

fn name_of(row: &Row) -> String {
    let id = row.get(".id").cloned().unwrap_or_default();
    match row.get("name") {
        Some(n) => format!("{id} ({n})"),
        None => id,
    }
}

/// The changes that take `current` (rows per menu) to `desired`. Rows of
/// lango's that are no longer wanted (or duplicated) are removed first,
/// menus in reverse order (a mangle rule before the routing table it
/// names); then, menu by menu, rows are set and missing ones added in order.
pub fn diff(desired: &[Desired], current: &BTreeMap<String, Vec<Row>>) -> Vec<Change> {
    let empty = Vec::new();
    let mut removes: Vec<Vec<Change>> = Vec::new();
    let mut out = Vec::new();
    for menu in MENUS {
        let mut gone = Vec::new();
        let rows = current.get(menu).unwrap_or(&empty);
        let wanted: Vec<&Desired> = desired.iter().filter(|d| d.menu == menu).collect();
        let mut seen: Vec<&str> = Vec::new();
        for row in rows {
            let Some(key) = owner_key(row) else { continue };
            let is_wanted = wanted.iter().any(|d| d.target == Target::Owned(key.to_string()));
            if !is_wanted || seen.contains(&key) {
                if let Some(id) = row.get(".id") {
                    gone.push(Change::Remove { menu: menu.into(), id: id.clone(), what: format!("{OWNER}{key}") });
                }
            } else {
                seen.push(key);
            }
        }
        let mut adds = Vec::new();
        for d in wanted {
            match &d.target {
                Target::Singleton => {
                    let row = rows.first().cloned().unwrap_or_default();
                    let ds = diffs(&row, &d.attrs);
                    if !ds.is_empty() {
                        out.push(Change::Set { menu: menu.into(), id: None, what: "(singleton)".into(), diffs: ds });
                    }
                }
                Target::Every => {
                    for row in rows.iter().filter(|r| owner_key(r).is_none()) {
                        let ds = diffs(row, &d.attrs);
                        if !ds.is_empty() {
                            out.push(Change::Set {
                                menu: menu.into(),
                                id: row.get(".id").cloned(),
                                what: name_of(row),
                                diffs: ds,
                            });
                        }
                    }
                }
                Target::Owned(key) => match rows.iter().find(|r| owner_key(r) == Some(key.as_str())) {
                    Some(row) => {
                        let ds = diffs(row, &d.attrs);
                        if !ds.is_empty() {
                            out.push(Change::Set {
                                menu: menu.into(),
                                id: row.get(".id").cloned(),
                                what: format!("{OWNER}{key}"),
                                diffs: ds,
                            });
                        }
                    }
                    None => adds.push(Change::Add { menu: menu.into(), key: key.clone(), attrs: d.attrs.clone() }),
                },
            }
        }
        out.extend(adds);
        removes.push(gone);
    }
    removes.into_iter().rev().flatten().chain(out).collect()
}

#[cfg(test)]
#[path = "provision_tests.rs"]
mod tests;
