//! PURE authorization policy: (tenant, service, plan, usage, online sessions,
//! request kind, now) → [`Decision`]. No I/O, no clock: the caller passes
//! `now` and the tenant-local weekday/minute. The RADIUS layer turns a
//! decision into attributes; nothing here knows the wire format.

pub mod coa_plan;
#[cfg(test)]
mod tests;

use crate::model::{AccessType, AccessWindow, Mac, Plan, Service, ServiceStatus, Tenant, UnixTime, Usage};
use std::net::Ipv4Addr;

/// Address lists the router's captive-redirect rules match on.
pub const LIST_EXPIRED: &str = "lango-expired";
pub const LIST_SUSPENDED: &str = "lango-suspended";
pub const LIST_QUOTA: &str = "lango-quota";

/// What kind of login the NAS is asking about, as far as the request tells.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RequestKind {
    /// Framed-Protocol = PPP (PPPoE, PPTP, L2TP, SSTP).
    Ppp,
    /// Service-Type = Login-User (hotspot login page).
    Hotspot,
    /// User-Name is the device's MAC (DHCP server, hotspot login-by-mac).
    Mac,
    Unknown,
}

/// Everything policy looks at, gathered by the caller.
#[derive(Clone, Copy, Debug)]
pub struct Input<'a> {
    pub tenant: &'a Tenant,
    pub service: &'a Service,
    pub plan: &'a Plan,
    pub usage: &'a Usage,
    /// Sessions of this service currently online.
    pub online: u32,
    pub kind: RequestKind,
    /// The device asking (Calling-Station-Id), when it is a MAC.
    pub device: Option<Mac>,
    pub now: UnixTime,
    /// Tenant-local day of week, 0 = Monday.
    pub local_weekday: u8,
    /// Tenant-local minute of the day, 0..1440.
    pub local_minute: u16,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RejectReason {
    Disabled,
    PlanDisabled,
    WrongAccessType,
    Expired,
    Suspended,
    QuotaExhausted,
    OutsideAccessTime,
    SimultaneousUse,
    /// An unused voucher past its last day.
    VoucherExpired,
    /// A fixed-date voucher before its first day.
    VoucherNotYetValid,
    /// A voucher bound to another device.
    OtherDevice,
}

impl RejectReason {
    /// The Reply-Message the customer's device may show.
    pub fn message(self) -> &'static str {
        match self {
            Self::Disabled => "Account disabled",
            Self::PlanDisabled => "Plan no longer available",
            Self::WrongAccessType => "This account cannot be used for this kind of connection",
            Self::Expired => "Subscription expired: please renew",
            Self::Suspended => "Account suspended: please contact your provider",
            Self::QuotaExhausted => "Data quota used up: please top up",
            Self::OutsideAccessTime => "Access is not allowed at this time",
            Self::SimultaneousUse => "Already logged in on another device",
            Self::VoucherExpired => "This voucher has expired",
            Self::VoucherNotYetValid => "This voucher is not valid yet",
            Self::OtherDevice => "This voucher is in use on another device",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            Self::Disabled => "disabled",
            Self::PlanDisabled => "plan_disabled",
            Self::WrongAccessType => "wrong_access_type",
            Self::Expired => "expired",
            Self::Suspended => "suspended",
            Self::QuotaExhausted => "quota_exhausted",
            Self::OutsideAccessTime => "outside_access_time",
            Self::SimultaneousUse => "simultaneous_use",
            Self::VoucherExpired => "voucher_expired",
            Self::VoucherNotYetValid => "voucher_not_yet_valid",
            Self::OtherDevice => "other_device",
        }
    }
}

/// Why a service was let into the captive state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Captive {
    Expired,
    Suspended,
    Quota,
}

impl Captive {
    pub fn address_list(self) -> &'static str {
        match self {
            Self::Expired => LIST_EXPIRED,
            Self::Suspended => LIST_SUSPENDED,
            Self::Quota => LIST_QUOTA,
        }
    }
}

/// The attributes an Access-Accept should carry, in plain terms.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Grant {
    pub captive: Option<Captive>,
    pub rate_limit: Option<String>,
    pub session_timeout: Option<u32>,
    pub idle_timeout: Option<u32>,
    pub interim_interval: Option<u32>,
    pub framed_ip: Option<Ipv4Addr>,
    pub framed_pool: Option<String>,
    pub framed_routes: Vec<String>,
    pub ipv6_prefix: Option<String>,
    pub delegated_ipv6_prefix: Option<String>,
    pub ipv6_pool: Option<String>,
    pub address_lists: Vec<String>,
    /// The plan's routing-mark list (`lango-route-<mark>`), sent as one
    /// more Mikrotik-Address-List.
    pub route_list: Option<String>,
    /// Filter-Id (11): the plan's firewall filter chain.
    pub filter_id: Option<String>,
    /// Mikrotik-Group (14988/3): the plan's PPP / hotspot profile.
    pub group: Option<String>,
    /// Bytes left in the quota (Mikrotik-Total-Limit[-Gigawords]).
    pub total_limit: Option<u64>,
    pub reply_message: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
#[allow(clippy::large_enum_variant)] // short-lived, never stored in bulk
pub enum Decision {
    Accept(Grant),
    Reject(RejectReason),
}

/// Decide whether `input.service` may come online now, and how.
pub fn evaluate(input: &Input<'_>) -> Decision {
    let Input { tenant, service, plan, usage, .. } = *input;

    if service.status == ServiceStatus::Disabled {
        return Decision::Reject(RejectReason::Disabled);
    }
    if plan.disabled {
        return Decision::Reject(RejectReason::PlanDisabled);
    }
    if !kind_fits(service.access, input.kind) {
        return Decision::Reject(RejectReason::WrongAccessType);
    }
    if let Some(v) = service.voucher {
        let unused = service.expires_at.is_none();
        if unused && v.unused_until.is_some_and(|u| u <= input.now) {
            return Decision::Reject(RejectReason::VoucherExpired);
        }
        if v.valid_from.is_some_and(|f| input.now < f) {
            return Decision::Reject(RejectReason::VoucherNotYetValid);
        }
        if v.bind_mac
            && let (Some(bound), Some(device)) = (service.mac, input.device)
            && bound != device
        {
            return Decision::Reject(RejectReason::OtherDevice);
        }
    }

    // Services that have not paid their way: reject, or captive if the tenant
    // redirects such customers to the payment page.
    let expiry = effective_expiry(service, plan, input.now);
    let unpaid = if service.status == ServiceStatus::Suspended {
        Some((RejectReason::Suspended, Captive::Suspended))
    } else if expiry.is_some_and(|e| e.saturating_add(i64::from(plan.grace_secs)) <= input.now) {
        Some((RejectReason::Expired, Captive::Expired))
    } else if plan.quota_bytes.is_some_and(|q| usage.total_bytes() >= q) {
        Some((RejectReason::QuotaExhausted, Captive::Quota))
    } else {
        None
    };
    if let Some((reason, captive)) = unpaid {
        if !tenant.captive_redirect {
            return Decision::Reject(reason);
        }
        return Decision::Accept(captive_grant(input, captive));
    }

    if let Some(w) = plan.access_window
        && !window_allows(w, input.local_weekday, input.local_minute)
    {
        return Decision::Reject(RejectReason::OutsideAccessTime);
    }
    // With `kick_oldest` the new session is let in; its Accounting-Start
    // makes the enforcement job disconnect the oldest one.
    if plan.simultaneous_use > 0 && input.online >= plan.simultaneous_use && !plan.kick_oldest {
        return Decision::Reject(RejectReason::SimultaneousUse);
    }

    let mut g = Grant {
        rate_limit: match plan.fup {
            Some(f) if usage.total_bytes() >= f.threshold_bytes => Some(f.rate.to_string()),
            _ => plan.rate.map(|r| r.to_string()),
        },
        idle_timeout: plan.idle_timeout,
        interim_interval: (plan.interim_interval > 0).then_some(plan.interim_interval),
        framed_ip: service.static_ip,
        framed_pool: if service.static_ip.is_none() { plan.address_pool.clone() } else { None },
        framed_routes: service.framed_routes.clone(),
        ipv6_prefix: service.ipv6_prefix.clone(),
        delegated_ipv6_prefix: service.delegated_ipv6_prefix.clone(),
        ipv6_pool: if service.delegated_ipv6_prefix.is_none() { plan.ipv6_pool.clone() } else { None },
        address_lists: plan.address_list.iter().cloned().collect(),
        route_list: plan.route_list(),
        filter_id: plan.filter_id.clone(),
        group: plan.group.clone(),
        total_limit: plan.quota_bytes.map(|q| q - usage.total_bytes()),
        ..Grant::default()
    };

    // Session-Timeout: the plan's, cut so it never runs past expiry or the
    // end of today's access window.
    let mut timeout = plan.session_timeout.map(u64::from);
    if let Some(e) = expiry {
        let cutoff = e.saturating_add(i64::from(plan.grace_secs));
        timeout = Some(min_opt(timeout, (cutoff - input.now) as u64));
    }
    if let Some(w) = plan.access_window {
        let left = window_minutes_left(w, input.local_minute);
        timeout = Some(min_opt(timeout, u64::from(left) * 60));
    }
    g.session_timeout = timeout.map(|t| t.clamp(1, u64::from(u32::MAX)) as u32);
    Decision::Accept(g)
}

/// When the service stops being valid: its stored expiry, or — for a
/// voucher not used yet — one validity period from now.
pub fn effective_expiry(service: &Service, plan: &Plan, now: UnixTime) -> Option<UnixTime> {
    match service.expires_at {
        Some(e) => Some(e),
        None if service.activate_on_first_use => Some(now.saturating_add(plan.nominal_secs() as i64)),
        None => None,
    }
}

fn captive_grant(input: &Input<'_>, captive: Captive) -> Grant {
    let t = input.tenant;
    Grant {
        captive: Some(captive),
        rate_limit: Some(t.captive_rate_limit.clone()),
        session_timeout: Some(t.captive_session_timeout.max(60)),
        idle_timeout: Some(t.captive_session_timeout.max(60)),
        interim_interval: None,
        framed_ip: input.service.static_ip,
        framed_pool: if input.service.static_ip.is_none() { input.plan.address_pool.clone() } else { None },
        address_lists: vec![captive.address_list().to_string()],
        reply_message: Some(match captive {
            Captive::Expired => RejectReason::Expired.message().to_string(),
            Captive::Suspended => RejectReason::Suspended.message().to_string(),
            Captive::Quota => RejectReason::QuotaExhausted.message().to_string(),
        }),
        ..Grant::default()
    }
}

fn kind_fits(access: AccessType, kind: RequestKind) -> bool {
    match (access, kind) {
        (_, RequestKind::Unknown) => true,
        (AccessType::Pppoe, k) => k == RequestKind::Ppp,
        (AccessType::Hotspot, k) => matches!(k, RequestKind::Hotspot | RequestKind::Mac),
        (AccessType::DhcpMac, k) => k == RequestKind::Mac,
        (AccessType::Static, _) => true,
    }
}

fn window_allows(w: AccessWindow, weekday: u8, minute: u16) -> bool {
    let day_on = |d: u8| w.days & (1 << (d % 7)) != 0;
    if w.start_min <= w.end_min {
        day_on(weekday) && (w.start_min..w.end_min).contains(&minute)
    } else if minute >= w.start_min {
        // Window wraps midnight: evening part belongs to today.
        day_on(weekday)
    } else {
        // Early-morning part belongs to yesterday's window.
        minute < w.end_min && day_on((weekday + 6) % 7)
    }
}

fn window_minutes_left(w: AccessWindow, minute: u16) -> u16 {
    if w.start_min <= w.end_min || minute < w.end_min {
        w.end_min.saturating_sub(minute)
    } else {
        1440 - minute + w.end_min
    }
}

fn min_opt(a: Option<u64>, b: u64) -> u64 {
    a.map_or(b, |a| a.min(b))
}
