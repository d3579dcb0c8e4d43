//! Turns a policy [`Grant`] into Access-Accept attributes, MikroTik style:
//! Mikrotik-Rate-Limit, Session-Timeout, Idle-Timeout, Acct-Interim-Interval,
//! Framed-IP-Address / Framed-Pool / Framed-Route, Framed-IPv6-Prefix /
//! Delegated-IPv6-Prefix / Framed-IPv6-Pool, Mikrotik-Address-List (the
//! plan's list and its routing-mark list), Filter-Id, Mikrotik-Group and
//! Mikrotik-Total-Limit[-Gigawords]; plus the MS-CHAPv2 success and MPPE keys.
//!
//! Attribute values that do not fit (over 253 bytes) are logged and left
//! out rather than sent truncated.

use std::net::Ipv6Addr;

use super::codec::{Builder, EncodeError, Packet};
use super::crypto::{self, mschapv2};
use super::dict::{attr, microsoft as ms, mikrotik as mt};
use crate::policy::Grant;

fn log_err(what: &str, r: Result<&mut Builder, EncodeError>) {
    if let Err(e) = r {
        tracing::warn!(attribute = what, error = %e, "attribute left out of reply");
    }
}

pub fn grant(b: &mut Builder, g: &Grant) {
    if let Some(m) = &g.reply_message {
        reply_message(b, m);
    }
    if let Some(t) = g.session_timeout {
        log_err("Session-Timeout", b.add_u32(attr::SESSION_TIMEOUT, t));
    }
    if let Some(t) = g.idle_timeout {
        log_err("Idle-Timeout", b.add_u32(attr::IDLE_TIMEOUT, t));
    }
    if let Some(t) = g.interim_interval {
        log_err("Acct-Interim-Interval", b.add_u32(attr::ACCT_INTERIM_INTERVAL, t));
    }
    if let Some(ip) = g.framed_ip {
        log_err("Framed-IP-Address", b.add_ipv4(attr::FRAMED_IP_ADDRESS, ip));
    }
    if let Some(pool) = &g.framed_pool {
        log_err("Framed-Pool", b.add_str(attr::FRAMED_POOL, pool));
    }
    for route in &g.framed_routes {
        log_err("Framed-Route", b.add_str(attr::FRAMED_ROUTE, route));
    }
    if let Some(p) = g.ipv6_prefix.as_deref().and_then(ipv6_prefix) {
        log_err("Framed-IPv6-Prefix", b.add(attr::FRAMED_IPV6_PREFIX, &p));
    }
    if let Some(p) = g.delegated_ipv6_prefix.as_deref().and_then(ipv6_prefix) {
        log_err("Delegated-IPv6-Prefix", b.add(attr::DELEGATED_IPV6_PREFIX, &p));
    }
    if let Some(pool) = &g.ipv6_pool {
        log_err("Mikrotik-Delegated-IPv6-Pool", b.add_vsa(mt::VENDOR_ID, mt::DELEGATED_IPV6_POOL, pool.as_bytes()));
    }
    if let Some(rate) = &g.rate_limit {
        log_err("Mikrotik-Rate-Limit", b.add_vsa(mt::VENDOR_ID, mt::RATE_LIMIT, rate.as_bytes()));
    }
    for list in g.address_lists.iter().chain(&g.route_list) {
        log_err("Mikrotik-Address-List", b.add_vsa(mt::VENDOR_ID, mt::ADDRESS_LIST, list.as_bytes()));
    }
    if let Some(f) = &g.filter_id {
        log_err("Filter-Id", b.add_str(attr::FILTER_ID, f));
    }
    if let Some(group) = &g.group {
        log_err("Mikrotik-Group", b.add_vsa(mt::VENDOR_ID, mt::GROUP, group.as_bytes()));
    }
    if let Some(limit) = g.total_limit {
        log_err("Mikrotik-Total-Limit", b.add_vsa_u32(mt::VENDOR_ID, mt::TOTAL_LIMIT, limit as u32));
        let giga = (limit >> 32) as u32;
        if giga > 0 {
            log_err("Mikrotik-Total-Limit-Gigawords", b.add_vsa_u32(mt::VENDOR_ID, mt::TOTAL_LIMIT_GIGAWORDS, giga));
        }
    }
}

pub fn reply_message(b: &mut Builder, message: &str) {
    log_err("Reply-Message", b.add_str(attr::REPLY_MESSAGE, message));
}

/// MS-CHAP2-Success and the MPPE keys (RFC 2548), encrypted with the shared
/// secret and this request's authenticator.
pub fn mschap_success(b: &mut Builder, v: &mschapv2::Verified, secret: &[u8], request_auth: &[u8; 16]) {
    log_err("MS-CHAP2-Success", b.add_vsa(ms::VENDOR_ID, ms::MS_CHAP2_SUCCESS, &v.success));
    let salt = |n: u8| {
        let r = super::codec::random_authenticator();
        [0x80 | (r[0] & 0x7f), r[1] ^ n]
    };
    let send = crypto::encrypt_mppe_key(&v.send_key, secret, request_auth, salt(0));
    let recv = crypto::encrypt_mppe_key(&v.recv_key, secret, request_auth, salt(1));
    log_err("MS-MPPE-Recv-Key", b.add_vsa(ms::VENDOR_ID, ms::MS_MPPE_RECV_KEY, &recv));
    log_err("MS-MPPE-Send-Key", b.add_vsa(ms::VENDOR_ID, ms::MS_MPPE_SEND_KEY, &send));
    // Policy 1 = encryption allowed; types 6 = RC4 40- and 128-bit.
    log_err("MS-MPPE-Encryption-Policy", b.add_vsa_u32(ms::VENDOR_ID, ms::MS_MPPE_ENCRYPTION_POLICY, 1));
    log_err("MS-MPPE-Encryption-Types", b.add_vsa_u32(ms::VENDOR_ID, ms::MS_MPPE_ENCRYPTION_TYPES, 6));
}

/// MS-CHAP-Error for a failed MS-CHAPv2 login (RFC 2759 §6: E=691
/// authentication failure, no retry).
pub fn mschap_error(b: &mut Builder, ident: u8, challenge: &[u8; 16]) {
    let mut v = vec![ident];
    let hex: String = challenge.iter().map(|x| format!("{x:02X}")).collect();
    v.extend_from_slice(format!("E=691 R=0 C={hex} V=3 M=Authentication failed").as_bytes());
    log_err("MS-CHAP-Error", b.add_vsa(ms::VENDOR_ID, ms::MS_CHAP_ERROR, &v));
}

/// Proxy-State attributes are copied into the reply in order (RFC 2865 §5.33).
pub fn proxy_state(b: &mut Builder, req: &Packet<'_>) {
    for (t, v) in req.attributes() {
        if t == attr::PROXY_STATE {
            log_err("Proxy-State", b.add(attr::PROXY_STATE, v));
        }
    }
}

/// RFC 3162 §2.3 encoding: reserved, prefix length, prefix (only the bytes
/// the length needs).
fn ipv6_prefix(s: &str) -> Option<Vec<u8>> {
    let (addr, len) = s.split_once('/')?;
    let addr: Ipv6Addr = addr.parse().ok()?;
    let len: u8 = len.parse().ok().filter(|l| *l <= 128)?;
    let bytes = usize::from(len).div_ceil(8);
    let mut v = vec![0, len];
    v.extend_from_slice(&addr.octets()[..bytes]);
    Some(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv6_prefix_encoding() {
        assert_eq!(ipv6_prefix("2001:db8:1::/56").unwrap(), vec![0, 56, 0x20, 0x01, 0x0d, 0xb8, 0, 1, 0]);
        assert_eq!(ipv6_prefix("2001:db8::/129"), None);
        assert_eq!(ipv6_prefix("nonsense"), None);
    }
}
