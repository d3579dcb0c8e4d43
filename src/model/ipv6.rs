//! IPv6 as a session carries it (RFC 3162, 4818, 6911): one address, the
//! link's prefix and the prefix delegated to the customer's router, and
//! the containment test the portal identifies a client by; and `Cidr`, an
//! IPv4 or IPv6 address or network as settings and allow-lists name them.

use std::fmt;
use std::net::Ipv6Addr;

use serde::{Deserialize, Serialize};

/// An IPv6 prefix: its network address (host bits zero) and length.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Ipv6Net {
    pub addr: Ipv6Addr,
    pub len: u8,
}

fn mask(len: u8) -> u128 {
    u128::MAX.checked_shl(128 - u32::from(len.min(128))).unwrap_or(0)
}

impl Ipv6Net {
    /// `addr/len` with the host bits cleared; None for a length over 128.
    pub fn new(addr: Ipv6Addr, len: u8) -> Option<Ipv6Net> {
        (len <= 128).then(|| Ipv6Net { addr: Ipv6Addr::from(u128::from(addr) & mask(len)), len })
    }

    /// "2001:db8:1::/56" (a bare address is a /128).
    pub fn parse(text: &str) -> Option<Ipv6Net> {
        let text = text.trim();
        match text.split_once('/') {
            Some((a, l)) => Ipv6Net::new(a.parse().ok()?, l.parse().ok()?),
            None => Ipv6Net::new(text.parse().ok()?, 128),
        }
    }

    /// The network as a number (the index key).
    pub fn network(&self) -> u128 {
        u128::from(self.addr)
    }

    pub fn contains(&self, ip: Ipv6Addr) -> bool {
        u128::from(ip) & mask(self.len) == self.network()
    }
}

impl fmt::Display for Ipv6Net {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.addr, self.len)
    }
}

/// The IPv6 a session was given, as accounting reports it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionV6 {
    /// Framed-IPv6-Address (168): one address on the link.
    pub address: Option<Ipv6Addr>,
    /// Framed-IPv6-Prefix (97): the link's prefix (SLAAC).
    pub prefix: Option<Ipv6Net>,
    /// Delegated-IPv6-Prefix (123): the prefix routed to the customer's
    /// router (DHCPv6 prefix delegation).
    pub delegated: Option<Ipv6Net>,
}

impl SessionV6 {
    /// None when nothing is set, so an IPv4-only session stores one byte.
    pub fn or_none(self) -> Option<SessionV6> {
        (self != SessionV6::default()).then_some(self)
    }

    /// Everything the session holds, as prefixes (an address is a /128).
    pub fn nets(&self) -> impl Iterator<Item = Ipv6Net> + '_ {
        let address = self.address.and_then(|a| Ipv6Net::new(a, 128));
        address.into_iter().chain(self.prefix).chain(self.delegated)
    }

    /// Does any of them hold `ip`?
    pub fn holds(&self, ip: Ipv6Addr) -> bool {
        self.nets().any(|n| n.contains(ip))
    }
}

/// An address or ADDR/PREFIX, IPv4 or IPv6 (trusted proxies, metrics
/// and API token allow-lists).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cidr {
    net: std::net::IpAddr,
    prefix: u8,
}

impl Cidr {
    pub fn parse(s: &str) -> Option<Cidr> {
        let (addr, prefix) = match s.trim().split_once('/') {
            Some((a, p)) => (a.parse::<std::net::IpAddr>().ok()?, Some(p.parse::<u8>().ok()?)),
            None => (s.trim().parse().ok()?, None),
        };
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = prefix.unwrap_or(max);
        (prefix <= max).then_some(Cidr { net: addr, prefix })
    }

    pub fn contains(&self, ip: std::net::IpAddr) -> bool {
        use std::net::IpAddr::*;
        match (self.net, ip) {
            (V4(n), V4(a)) => {
                let mask = u32::MAX.checked_shl(32 - u32::from(self.prefix)).unwrap_or(0);
                u32::from(n) & mask == u32::from(a) & mask
            }
            (V6(n), V6(a)) => {
                let mask = u128::MAX.checked_shl(128 - u32::from(self.prefix)).unwrap_or(0);
                u128::from(n) & mask == u128::from(a) & mask
            }
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_parse_mask_and_contain() {
        let n = Ipv6Net::parse("2001:db8:1:ff::9/56").unwrap();
        assert_eq!(n.to_string(), "2001:db8:1::/56");
        assert!(n.contains("2001:db8:1:42::1".parse().unwrap()));
        assert!(!n.contains("2001:db8:2::1".parse().unwrap()));
        assert_eq!(Ipv6Net::parse("::1").unwrap().len, 128);
        assert!(Ipv6Net::parse("::/129").is_none() && Ipv6Net::parse("nope/64").is_none());
        assert!(Ipv6Net::parse("::/0").unwrap().contains("2001:db8::1".parse().unwrap()));
    }

    #[test]
    fn a_session_holds_its_address_and_both_prefixes() {
        let v6 = SessionV6 {
            address: Some("2001:db8:ffff::7".parse().unwrap()),
            prefix: Ipv6Net::parse("2001:db8:0:1::/64"),
            delegated: Ipv6Net::parse("2001:db8:100::/56"),
        };
        for ip in ["2001:db8:ffff::7", "2001:db8:0:1::abcd", "2001:db8:100:ff::1"] {
            assert!(v6.holds(ip.parse().unwrap()), "{ip}");
        }
        assert!(!v6.holds("2001:db8:ffff::8".parse().unwrap()));
        assert_eq!(SessionV6::default().or_none(), None);
        assert_eq!(v6.nets().count(), 3);
    }
}
