//! A service's MAC, static address and plan changed outside a renewal, as
//! `lango service edit` and the service page's "Access" form do it: the
//! typed text checked field by field, then one audited store change that
//! moves the MAC / address indexes and disconnects the online sessions.

use std::net::Ipv4Addr;

use super::OpError;
use crate::model::{Id, Mac, Service, TenantId, UnixTime};
use crate::store::{ServiceEdit, Store, StoreError};

/// What to change; `None` keeps the stored value, an empty text clears the
/// MAC or address (`none` too, for the command line).
#[derive(Debug, Default)]
pub struct EditInput {
    pub mac: Option<String>,
    pub ip: Option<String>,
    /// A plan's name or id.
    pub plan: Option<String>,
    /// An If-Match the stored service must still have (the REST API).
    pub expect: Option<String>,
}

fn cleared(text: &str) -> bool {
    let t = text.trim();
    t.is_empty() || t.eq_ignore_ascii_case("none")
}

/// Check `input` against service `sv` (every wrong field reported) and
/// apply it.
pub fn edit(
    store: &Store,
    actor: &str,
    now: UnixTime,
    tenant: TenantId,
    sv: &Service,
    input: &EditInput,
) -> Result<Service, Vec<OpError>> {
    let mut problems = Vec::new();
    let mac = match input.mac.as_deref() {
        None => sv.mac,
        Some(t) if cleared(t) => None,
        Some(t) => Mac::parse(t.trim()).or_else(|| {
            problems.push(OpError::field("mac", format!("{:?} is not a MAC address (AA:BB:CC:DD:EE:FF)", t.trim())));
            None
        }),
    };
    let static_ip = match input.ip.as_deref() {
        None => sv.static_ip,
        Some(t) if cleared(t) => None,
        Some(t) => t.trim().parse::<Ipv4Addr>().ok().or_else(|| {
            problems.push(OpError::field("ip", format!("{:?} is not an IPv4 address (10.99.0.10)", t.trim())));
            None
        }),
    };
    let plan = match input.plan.as_deref().map(str::trim) {
        None | Some("") => Some(sv.plan),
        Some(p) => {
            let plans = store.plans(tenant).map_err(|e| vec![e.into()])?;
            let found = plans.iter().find(|x| x.name == p || p.parse::<Id>().is_ok_and(|id| id == x.id));
            match found {
                Some(x) if x.disabled && x.id != sv.plan => {
                    problems.push(OpError::field("plan", format!("plan {:?} is off sale", x.name)));
                    None
                }
                Some(x) => Some(x.id),
                None => {
                    problems.push(OpError::field("plan", format!("no plan {p:?}")));
                    None
                }
            }
        }
    };
    if sv.access == crate::model::AccessType::DhcpMac && mac.is_none() && problems.is_empty() {
        problems.push(OpError::field("mac", "a DHCP (MAC) service needs its MAC address"));
    }
    let Some(plan) = plan.filter(|_| problems.is_empty()) else {
        return Err(problems);
    };
    store
        .edit_service(actor, now, tenant, sv.id, ServiceEdit { mac, static_ip, plan, expect: input.expect.clone() })
        .map_err(|e| {
            vec![match e {
                StoreError::Conflict(m) if m.starts_with("MAC") => OpError::field("mac", m),
                StoreError::Conflict(m) if m.starts_with("address") => OpError::field("ip", m),
                e => e.into(),
            }]
        })
}

#[cfg(test)]
mod tests {
    #[test]
    fn none_and_blank_clear_a_value() {
        assert!(super::cleared("") && super::cleared("  ") && super::cleared("None"));
        assert!(!super::cleared("10.0.0.1"));
    }
}
