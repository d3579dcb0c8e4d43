//! A service's MAC, static address, routed subnets (Framed-Route) and plan
//! changed outside a renewal, as `lango service edit` and the service
//! page's "Access" form do it: the typed text checked field by field, then
//! one audited store change that moves the MAC / address indexes and tells
//! the online sessions (CoA or Disconnect, as the CoA planner says).

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
    /// Framed-Route values, one per line or comma-separated
    /// ("192.168.10.0/24 10.99.0.10 1"); empty (or `none`) clears them.
    pub routes: Option<String>,
}

/// Framed-Route values as typed, each checked: an IPv4 prefix, then
/// optionally a gateway address and a metric (RFC 2865 §5.22, the form
/// RouterOS installs and can redistribute into BGP / OSPF).
pub fn parse_routes(text: &str) -> Result<Vec<String>, OpError> {
    if cleared(text) {
        return Ok(Vec::new());
    }
    let mut out = Vec::new();
    for r in text.split([',', '\n']).map(str::trim).filter(|r| !r.is_empty()) {
        let words: Vec<&str> = r.split_whitespace().collect();
        let bad = || OpError::field("routes", format!("{r:?} is not a route: \"192.168.10.0/24 [gateway [metric]]\""));
        let prefix_ok = words[0]
            .split_once('/')
            .is_some_and(|(a, l)| a.parse::<Ipv4Addr>().is_ok() && l.parse::<u8>().is_ok_and(|l| l <= 32));
        let gateway_ok = words.get(1).is_none_or(|g| g.parse::<Ipv4Addr>().is_ok());
        let metric_ok = words.get(2).is_none_or(|m| m.parse::<u32>().is_ok());
        if !prefix_ok || !gateway_ok || !metric_ok || words.len() > 3 {
            return Err(bad());
        }
        out.push(words.join(" "));
    }
    Ok(out)
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
    let framed_routes = match input.routes.as_deref() {
        None => sv.framed_routes.clone(),
        Some(t) => parse_routes(t).unwrap_or_else(|e| {
            problems.push(e);
            Vec::new()
        }),
    };
    if sv.access == crate::model::AccessType::DhcpMac && mac.is_none() && problems.is_empty() {
        problems.push(OpError::field("mac", "a DHCP (MAC) service needs its MAC address"));
    }
    let Some(plan) = plan.filter(|_| problems.is_empty()) else {
        return Err(problems);
    };
    let edit = ServiceEdit { mac, static_ip, plan, framed_routes, expect: input.expect.clone() };
    store.edit_service(actor, now, tenant, sv.id, edit).map_err(|e| {
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

    #[test]
    fn routes_are_checked_one_by_one() {
        let ok = super::parse_routes("192.168.10.0/24 10.99.0.10 1,\n 10.20.0.0/16").unwrap();
        assert_eq!(ok, ["192.168.10.0/24 10.99.0.10 1", "10.20.0.0/16"]);
        assert!(super::parse_routes("none").unwrap().is_empty());
        for bad in
            ["192.168.10.0", "192.168.10.0/33", "10.0.0.0/8 gateway", "10.0.0.0/8 10.0.0.1 x", "10.0.0.0/8 1.1.1.1 1 2"]
        {
            let e = super::parse_routes(bad).unwrap_err();
            assert!(e.to_string().contains("routes"), "{bad}: {e}");
        }
    }
}
