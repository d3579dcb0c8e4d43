//! Plain data types shared by every module: tenants, NAS, plans, customers,
//! services, sessions, usage and audit records. No I/O, no clock.
//!
//! Time is always UTC seconds since the Unix epoch (`i64`); money is integer
//! minor units. Secrets are held as [`Sealed`] ciphertext and only opened by
//! the store's key.

mod chart;
mod cpe;
mod etims;
mod ipv6;
pub mod mask;
mod money;
mod noc;
mod notify;
mod rate;
pub mod units;

pub use chart::*;
pub use cpe::*;
pub use etims::*;
pub use ipv6::*;
pub use money::*;
pub use noc::*;
pub use notify::*;
pub use rate::{Burst, RateLimit};

pub use crate::billing::{Anchor, Mode, Period, PeriodUnit};

use serde::{Deserialize, Serialize};
use std::fmt;
use std::net::{IpAddr, Ipv4Addr};

pub type TenantId = u32;
pub type Id = u64;
/// UTC seconds since the Unix epoch.
pub type UnixTime = i64;

/// Ciphertext of a secret (subscriber password, NAS shared secret): nonce,
/// ChaCha20-Poly1305 ciphertext and tag. Opened only by `store::SecretBox`.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Sealed(pub Vec<u8>);

impl fmt::Debug for Sealed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Sealed(<{} bytes>)", self.0.len())
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tenant {
    pub id: TenantId,
    pub slug: String,
    pub name: String,
    /// IANA time zone name, e.g. "Africa/Nairobi": day and access-time
    /// boundaries are evaluated in it.
    pub timezone: String,
    /// ISO 4217 code; amounts are minor units of it.
    pub currency: String,
    /// Accept expired / suspended / out-of-quota services into a captive
    /// state instead of rejecting them.
    pub captive_redirect: bool,
    /// Mikrotik-Rate-Limit given to captive sessions.
    pub captive_rate_limit: String,
    /// Session-Timeout given to captive sessions, seconds.
    pub captive_session_timeout: u32,
}

/// A RADIUS client (router). Requests are matched to a NAS by source address.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Nas {
    pub id: Id,
    pub tenant: TenantId,
    pub name: String,
    pub address: IpAddr,
    /// Prefix length: 32 (or 128) for one router, shorter for a subnet.
    pub prefix: u8,
    pub secret: Sealed,
    /// Drop Access-Requests without a valid Message-Authenticator
    /// (Blast-RADIUS, CVE-2024-3596). On by default.
    pub require_message_authenticator: bool,
    /// Port for CoA / Disconnect-Request (RFC 5176).
    pub coa_port: u16,
    pub disabled: bool,
}

impl Nas {
    /// Does `ip` fall inside this NAS's address/prefix?
    pub fn matches(&self, ip: IpAddr) -> bool {
        match (self.address, ip) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                let bits = u32::from(self.prefix.min(32));
                let mask = if bits == 0 { 0 } else { u32::MAX << (32 - bits) };
                u32::from(net) & mask == u32::from(ip) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                let bits = u32::from(self.prefix.min(128));
                let mask = if bits == 0 { 0 } else { u128::MAX << (128 - bits) };
                u128::from(net) & mask == u128::from(ip) & mask
            }
            (IpAddr::V4(net), IpAddr::V6(ip)) => ip.to_ipv4_mapped().is_some_and(|ip| {
                let nas = Nas { address: IpAddr::V4(net), ..self.clone() };
                nas.matches(IpAddr::V4(ip))
            }),
            _ => false,
        }
    }
}

/// How lango reaches a router's RouterOS API (kept apart from the NAS
/// record, keyed by the same tenant and NAS id). The password is sealed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RouterApi {
    pub tenant: TenantId,
    pub nas: Id,
    pub host: String,
    pub port: u16,
    /// API-SSL (8729) instead of the plain API (8728).
    pub tls: bool,
    pub username: String,
    pub password: Sealed,
    /// lango's address as the router reaches it (RADIUS server, portal).
    pub lango_address: Option<IpAddr>,
}

/// How a service reaches the network; decides which attributes fit.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum AccessType {
    Pppoe,
    Hotspot,
    /// DHCP server (or hotspot login-by-mac) authenticating a MAC address.
    DhcpMac,
    /// A fixed address; may also authenticate by MAC or username.
    Static,
}

impl AccessType {
    pub const ALL: [AccessType; 4] = [Self::Pppoe, Self::Hotspot, Self::DhcpMac, Self::Static];
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pppoe => "pppoe",
            Self::Hotspot => "hotspot",
            Self::DhcpMac => "dhcp",
            Self::Static => "static",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.as_str() == s)
    }
}

/// Weekly access window in the tenant's time zone. `days` bit 0 = Monday.
/// `start_min..end_min` in minutes of the day; end < start wraps midnight.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessWindow {
    pub days: u8,
    pub start_min: u16,
    pub end_min: u16,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Plan {
    pub id: Id,
    pub tenant: TenantId,
    pub name: String,
    /// Validity of one purchase (30 days, 1 month, 3 hours).
    pub validity: Period,
    /// Rolling periods run from the purchase; calendar periods end on the
    /// tenant-local day / week / month boundary.
    pub anchor: Anchor,
    /// After expiry the service stays online this long; a renewal inside
    /// the grace period extends from the old expiry.
    pub grace_secs: u32,
    pub mode: Mode,
    /// Price in minor units of the tenant's currency.
    pub price: i64,
    /// Total (in + out) byte quota per validity period.
    pub quota_bytes: Option<u64>,
    pub rate: Option<RateLimit>,
    pub session_timeout: Option<u32>,
    pub idle_timeout: Option<u32>,
    pub interim_interval: u32,
    /// Maximum concurrent sessions; 0 = unlimited.
    pub simultaneous_use: u32,
    /// At the limit: refuse the new login, or let it in and disconnect the
    /// oldest session.
    pub kick_oldest: bool,
    /// Fair Usage Policy: past this many bytes in the period the speed
    /// drops to `rate` (by CoA, without disconnecting).
    pub fup: Option<Fup>,
    pub access_window: Option<AccessWindow>,
    pub address_pool: Option<String>,
    pub ipv6_pool: Option<String>,
    pub address_list: Option<String>,
    pub disabled: bool,
    /// Who is offered this plan on the payment portal and hotspot page.
    pub offer: Offer,
    /// Policy tagging: a routing mark. The Access-Accept puts the session
    /// in address list `lango-route-<mark>` ([`Plan::route_list`]) and
    /// `lango routeros provision` adds the mangle rule marking that list's
    /// traffic and the routing table of that name.
    pub routing_mark: Option<String>,
    /// Filter-Id (11): the firewall filter chain for this plan's sessions.
    pub filter_id: Option<String>,
    /// Mikrotik-Group (14988/3): the PPP / hotspot profile (queue type,
    /// parent queue) the router applies to this plan's sessions.
    pub group: Option<String>,
}

/// Prefix of the address list a routing mark's sessions are put in.
pub const ROUTE_LIST_PREFIX: &str = "lango-route-";

impl Plan {
    /// The address list the mangle rule for this plan's routing mark
    /// matches (`lango-route-<mark>`).
    pub fn route_list(&self) -> Option<String> {
        self.routing_mark.as_deref().map(route_list)
    }
}

/// `lango-route-<mark>`.
pub fn route_list(mark: &str) -> String {
    format!("{ROUTE_LIST_PREFIX}{mark}")
}

/// A name RouterOS takes as is in a menu row or attribute value (address
/// list, routing table, filter chain, profile): 1 to 63 letters, digits,
/// `-`, `_` or `.`. The error says what is wrong, for the caller to name
/// the field.
pub fn check_routeros_name(name: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err("must not be empty".into());
    }
    if name.len() > 63 {
        return Err(format!("{name:?} is longer than 63 characters"));
    }
    match name.chars().find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))) {
        Some(c) => Err(format!("{name:?} has {c:?}: use letters, digits, - _ or . only")),
        None => Ok(()),
    }
}

/// Who sees a plan on the portal. Empty lists mean "everyone".
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Offer {
    /// Listed on the portal at all (off: sold by the operator only).
    pub portal: bool,
    pub access: Vec<AccessType>,
    /// Customer categories ("home", "business", "student").
    pub categories: Vec<String>,
    pub devices: Vec<DeviceClass>,
}

impl Default for Offer {
    fn default() -> Self {
        Offer { portal: true, access: Vec::new(), categories: Vec::new(), devices: Vec::new() }
    }
}

/// What kind of device a browser runs on, from its User-Agent.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum DeviceClass {
    Phone,
    Tablet,
    Computer,
}

impl DeviceClass {
    pub const ALL: [DeviceClass; 3] = [Self::Phone, Self::Tablet, Self::Computer];
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Phone => "phone",
            Self::Tablet => "tablet",
            Self::Computer => "computer",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|d| d.as_str() == s)
    }
}

impl Plan {
    /// Approximate length of one period in seconds (months count 30 days),
    /// for caps such as a first-use voucher's Session-Timeout.
    pub fn nominal_secs(&self) -> u64 {
        self.validity.nominal_secs()
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fup {
    pub threshold_bytes: u64,
    pub rate: RateLimit,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Customer {
    pub id: Id,
    pub tenant: TenantId,
    pub name: String,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub created_at: UnixTime,
    /// Free-form category ("home", "business") that decides which plans
    /// the portal offers.
    pub category: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ServiceStatus {
    Active,
    Suspended,
    Disabled,
}

impl ServiceStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Suspended => "suspended",
            Self::Disabled => "disabled",
        }
    }
}

/// What a customer bought: one login (PPPoE user, hotspot user or voucher,
/// MAC, static address) on one plan.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Service {
    pub id: Id,
    pub tenant: TenantId,
    pub customer: Id,
    pub plan: Id,
    pub access: AccessType,
    /// Login name (voucher code for vouchers); unique per tenant.
    pub username: String,
    pub password: Sealed,
    pub mac: Option<Mac>,
    pub static_ip: Option<Ipv4Addr>,
    /// Framed-Route values ("192.168.10.0/24 10.99.0.10 1").
    pub framed_routes: Vec<String>,
    pub ipv6_prefix: Option<String>,
    pub delegated_ipv6_prefix: Option<String>,
    pub status: ServiceStatus,
    /// None with `activate_on_first_use`: the clock starts at the first
    /// Accounting-Start (vouchers).
    pub expires_at: Option<UnixTime>,
    pub activate_on_first_use: bool,
    pub created_at: UnixTime,
    /// Renew from the wallet at expiry when the balance covers the price.
    pub auto_renew: bool,
    /// Start of the period paid last, for crediting its unused part.
    pub period_start: Option<UnixTime>,
    /// Start of the current run of back-to-back periods: renewals count
    /// from it so month ends do not drift (billing::renew).
    pub run_start: Option<UnixTime>,
    /// Suspended by billing (overdue postpaid invoice): a payment resumes it.
    pub billing_hold: bool,
    /// Set for services created from a voucher batch.
    pub voucher: Option<VoucherTerms>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VoucherTerms {
    pub batch: Id,
    /// An unused voucher stops working after this.
    pub unused_until: Option<UnixTime>,
    /// The first device to use the voucher keeps it (its MAC is stored in
    /// `Service::mac` at first use).
    pub bind_mac: bool,
    /// A voucher sold for a fixed period (an event pass) works from this
    /// time only; its expiry is set when the batch is made.
    pub valid_from: Option<UnixTime>,
}

/// A 48-bit MAC address, stored as an integer.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Mac(pub u64);

impl Mac {
    /// Accepts `AA:BB:CC:DD:EE:FF`, `aa-bb-cc-dd-ee-ff`, `AABB.CCDD.EEFF`
    /// and `AABBCCDDEEFF`.
    pub fn parse(s: &str) -> Option<Mac> {
        let mut v: u64 = 0;
        let mut digits = 0;
        for c in s.bytes() {
            match c {
                b':' | b'-' | b'.' => continue,
                _ => {
                    let d = (c as char).to_digit(16)?;
                    v = (v << 4) | u64::from(d);
                    digits += 1;
                }
            }
        }
        (digits == 12 && s.len() <= 17).then_some(Mac(v))
    }
}

impl fmt::Display for Mac {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let b = self.0.to_be_bytes();
        write!(f, "{:02X}:{:02X}:{:02X}:{:02X}:{:02X}:{:02X}", b[2], b[3], b[4], b[5], b[6], b[7])
    }
}

impl fmt::Debug for Mac {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// Usage counted against a service's quota in the current period.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Usage {
    pub bytes_in: u64,
    pub bytes_out: u64,
    pub seconds: u64,
}

impl Usage {
    pub fn total_bytes(&self) -> u64 {
        self.bytes_in.saturating_add(self.bytes_out)
    }
}

/// One accounting session (online while in the active table).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Session {
    pub tenant: TenantId,
    pub nas: Id,
    pub acct_session_id: String,
    pub service: Option<Id>,
    pub username: String,
    pub framed_ip: Option<Ipv4Addr>,
    pub calling_station_id: Option<String>,
    pub nas_port_id: Option<String>,
    pub started_at: UnixTime,
    pub updated_at: UnixTime,
    pub stopped_at: Option<UnixTime>,
    pub counters: Counters,
    pub terminate_cause: Option<u32>,
    /// The router's address as seen by accounting: CoA and Disconnect go
    /// there (a NAS entry may be a whole subnet).
    pub nas_ip: Option<IpAddr>,
    /// The session's IPv6 (None for IPv4 only).
    pub ipv6: Option<SessionV6>,
}

/// Cumulative session counters as the NAS reports them (Gigawords folded in).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counters {
    pub session_time: u32,
    pub bytes_in: u64,
    pub bytes_out: u64,
    pub packets_in: u32,
    pub packets_out: u32,
}

/// Who changed what, in the same transaction as the change.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditRecord {
    pub at: UnixTime,
    pub actor: String,
    pub action: String,
    pub object: String,
    pub before: Option<String>,
    pub after: Option<String>,
}

/// Admin roles; what each may do is the matrix in `web::admin::rbac`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Role {
    PlatformAdmin,
    TenantAdmin,
    Operator,
    Cashier,
    Reseller,
    ReadOnly,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Admin {
    pub tenant: TenantId,
    pub username: String,
    /// PHC string, argon2id.
    pub password_hash: String,
    pub role: Role,
    pub created_at: UnixTime,
    /// For the reseller role: the customer whose wallet pays for its
    /// voucher batches and who owns the customers it creates.
    pub reseller: Option<Id>,
    /// TOTP secret (RFC 6238, 20 bytes), sealed; None = not enrolled.
    pub totp: Option<Sealed>,
    /// A disabled admin cannot sign in; its sessions are ended.
    pub disabled: bool,
}

impl Role {
    pub const ALL: [Role; 6] =
        [Self::PlatformAdmin, Self::TenantAdmin, Self::Operator, Self::Cashier, Self::Reseller, Self::ReadOnly];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::PlatformAdmin => "platform-admin",
            Self::TenantAdmin => "tenant-admin",
            Self::Operator => "operator",
            Self::Cashier => "cashier",
            Self::Reseller => "reseller",
            Self::ReadOnly => "read-only",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        Self::ALL.into_iter().find(|r| r.as_str() == s.trim())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mac_forms() {
        let want = Some(Mac(0xAABB_CC00_0001));
        for s in ["AA:BB:CC:00:00:01", "aa-bb-cc-00-00-01", "AABB.CC00.0001", "aabbcc000001"] {
            assert_eq!(Mac::parse(s), want, "{s}");
        }
        for s in ["", "AA:BB:CC:00:00", "AA:BB:CC:00:00:01:02", "GG:BB:CC:00:00:01", "user1"] {
            assert_eq!(Mac::parse(s), None, "{s}");
        }
        assert_eq!(Mac(0xAABB_CC00_0001).to_string(), "AA:BB:CC:00:00:01");
    }

    #[test]
    fn nas_prefix_match() {
        let nas = Nas {
            id: 1,
            tenant: 1,
            name: "n".into(),
            address: "127.0.0.0".parse().unwrap(),
            prefix: 8,
            secret: Sealed::default(),
            require_message_authenticator: true,
            coa_port: 3799,
            disabled: false,
        };
        assert!(nas.matches("127.1.2.3".parse().unwrap()));
        assert!(nas.matches("::ffff:127.0.0.1".parse().unwrap()));
        assert!(!nas.matches("128.0.0.1".parse().unwrap()));
        assert!(!nas.matches("::1".parse().unwrap()));
    }
}

/// A DHCP lease a router reported through the lease hook.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lease {
    pub mac: Mac,
    pub host_name: Option<String>,
    /// The router's DHCP server name.
    pub server: Option<String>,
    pub at: UnixTime,
}

/// How a tenant's portal and hotspot pages look and speak.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Branding {
    /// Shown as the page title; the tenant's name when empty.
    pub display_name: Option<String>,
    /// Accent colour, `#rrggbb`.
    pub colour: String,
    /// Whom a suspended customer calls.
    pub support_phone: Option<String>,
    /// Terms shown under the packages.
    pub terms: Option<String>,
    /// "en" or "sw".
    pub language: String,
    /// PNG or SVG logo, served by lango itself (no external assets).
    pub logo: Option<(String, Vec<u8>)>,
}

impl Default for Branding {
    fn default() -> Self {
        Branding {
            display_name: None,
            colour: "#0b7a53".into(),
            support_phone: None,
            terms: None,
            language: "en".into(),
            logo: None,
        }
    }
}

/// A customer's support request and its conversation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ticket {
    pub id: Id,
    pub tenant: TenantId,
    pub customer: Id,
    pub service: Option<Id>,
    pub subject: String,
    pub open: bool,
    pub created_at: UnixTime,
    pub messages: Vec<TicketMessage>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TicketMessage {
    pub at: UnixTime,
    /// None: the customer; Some(name): the operator who answered.
    pub staff: Option<String>,
    pub body: String,
}

/// A tenant's SMS gateway (Africa's Talking).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SmsSettings {
    /// https://api.africastalking.com, the sandbox, or a test double.
    pub base_url: String,
    pub username: String,
    pub api_key: Sealed,
    /// Registered sender id; None: the gateway's shared one.
    pub sender: Option<String>,
}

/// An operator's webhook: where events go, signed with its secret.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhookEndpoint {
    pub id: Id,
    pub tenant: TenantId,
    pub url: String,
    pub secret: Sealed,
    /// Event names it wants; empty = all.
    pub events: Vec<String>,
    pub enabled: bool,
    pub created_at: UnixTime,
}

/// One event waiting to be delivered to one endpoint.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Delivery {
    pub tenant: TenantId,
    pub endpoint: Id,
    /// "<tenant>-<audit seq>": the same on every retry.
    pub event_id: String,
    pub event: String,
    pub body: String,
    pub attempts: u32,
    pub next_at: UnixTime,
}

/// What became of a delivery attempt.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeliveryLog {
    pub at: UnixTime,
    pub endpoint: Id,
    pub event_id: String,
    pub event: String,
    pub attempt: u32,
    /// HTTP status, when there was an answer.
    pub status: Option<u16>,
    /// "delivered", "retry at <time>", or "gave up".
    pub outcome: String,
    pub error: Option<String>,
}

/// A REST API token: which tenant it speaks for, with which role, for
/// which reseller (if any) and from which addresses.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiToken {
    pub tenant: TenantId,
    pub name: String,
    pub role: Role,
    pub created_at: UnixTime,
    /// A reseller token (role Reseller) sees and changes only this
    /// reseller's customers (the reseller's wallet customer id).
    pub reseller: Option<Id>,
    /// Addresses or ADDR/PREFIX the token is accepted from; empty = any.
    pub allow: Vec<String>,
}
