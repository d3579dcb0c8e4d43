//! PURE CoA planner: given the grant a live session was given and the one
//! it would get now (plan change, renewal, FUP...), what the router must be
//! told. RouterOS changes a live session in place only for what a
//! CoA-Request carries (`radius::coa::Change`: Mikrotik-Rate-Limit,
//! Session-Timeout, an added Mikrotik-Address-List, Filter-Id); anything
//! else — a new profile (Mikrotik-Group), a new routing mark, another
//! address, pool or routed subnet, a list to leave, a captive state to
//! enter or leave, a new quota — only takes effect at the next login, so
//! the session is disconnected and logs in again.

use serde::{Deserialize, Serialize};

use super::{Decision, Grant};

/// One in-place change, as a CoA-Request carries it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Adjust {
    /// Mikrotik-Rate-Limit, RouterOS text form.
    RateLimit(String),
    /// Session-Timeout, seconds from now.
    SessionTimeout(u32),
    /// Mikrotik-Address-List to add the session's address to.
    AddressList(String),
    /// Filter-Id.
    FilterId(String),
}

/// What a live session needs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step {
    /// Its authorization is the same: leave it alone.
    Nothing,
    /// A CoA-Request with these changes.
    Coa(Vec<Adjust>),
    /// A Disconnect-Request; the reason names what a CoA cannot change.
    Disconnect(&'static str),
}

/// What takes a session authorized by `old` to `new`. A refusal on either
/// side (the new plan refuses the login, or the old decision was one)
/// disconnects, so the next login meets the refusal.
pub fn plan(old: &Decision, new: &Decision) -> Step {
    match (old, new) {
        (Decision::Accept(o), Decision::Accept(n)) => plan_grants(o, n),
        _ => Step::Disconnect("login refused now"),
    }
}

/// [`plan`] for two grants.
pub fn plan_grants(old: &Grant, new: &Grant) -> Step {
    if let Some(why) = needs_disconnect(old, new) {
        return Step::Disconnect(why);
    }
    let mut out = Vec::new();
    // A value CoA can set but not unset: going from some to none
    // disconnects (checked above), so `new` is Some here when it differs.
    if old.rate_limit != new.rate_limit
        && let Some(r) = &new.rate_limit
    {
        out.push(Adjust::RateLimit(r.clone()));
    }
    if old.session_timeout != new.session_timeout
        && let Some(t) = new.session_timeout
    {
        out.push(Adjust::SessionTimeout(t));
    }
    for list in new.address_lists.iter().filter(|l| !old.address_lists.contains(l)) {
        out.push(Adjust::AddressList(list.clone()));
    }
    if old.filter_id != new.filter_id
        && let Some(f) = &new.filter_id
    {
        out.push(Adjust::FilterId(f.clone()));
    }
    if out.is_empty() { Step::Nothing } else { Step::Coa(out) }
}

fn needs_disconnect(old: &Grant, new: &Grant) -> Option<&'static str> {
    let unset = |o: bool, n: bool| o && !n;
    let checks: [(bool, &'static str); 13] = [
        (old.captive != new.captive, "captive state"),
        (old.group != new.group, "Mikrotik-Group (profile)"),
        (old.route_list != new.route_list, "routing mark"),
        (old.framed_ip != new.framed_ip, "Framed-IP-Address"),
        (old.framed_pool != new.framed_pool, "Framed-Pool"),
        (old.framed_routes != new.framed_routes, "Framed-Route"),
        (
            old.ipv6_prefix != new.ipv6_prefix
                || old.delegated_ipv6_prefix != new.delegated_ipv6_prefix
                || old.ipv6_pool != new.ipv6_pool,
            "IPv6 prefix or pool",
        ),
        (old.idle_timeout != new.idle_timeout || old.interim_interval != new.interim_interval, "idle or interim timer"),
        (old.total_limit != new.total_limit, "data quota (Mikrotik-Total-Limit)"),
        (old.address_lists.iter().any(|l| !new.address_lists.contains(l)), "address list to leave"),
        (unset(old.rate_limit.is_some(), new.rate_limit.is_some()), "rate limit removed"),
        (unset(old.session_timeout.is_some(), new.session_timeout.is_some()), "session timeout removed"),
        (unset(old.filter_id.is_some(), new.filter_id.is_some()), "Filter-Id removed"),
    ];
    checks.into_iter().find(|(differs, _)| *differs).map(|(_, why)| why)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::{Captive, RejectReason};

    fn base() -> Grant {
        Grant {
            rate_limit: Some("10M/10M".into()),
            session_timeout: Some(3600),
            idle_timeout: Some(600),
            interim_interval: Some(300),
            framed_pool: Some("pppoe-pool".into()),
            address_lists: vec!["customers".into()],
            route_list: Some("lango-route-isp1".into()),
            filter_id: Some("home-in".into()),
            group: Some("home".into()),
            total_limit: Some(1_000),
            ..Grant::default()
        }
    }

    enum Want {
        Nothing,
        Coa(Vec<Adjust>),
        Disconnect(&'static str),
    }

    #[test]
    fn which_changes_a_coa_applies_and_which_disconnect() {
        #[allow(clippy::type_complexity)]
        let cases: Vec<(&str, fn(&mut Grant), Want)> = vec![
            ("unchanged", |_| {}, Want::Nothing),
            (
                "rate only (plan change, FUP)",
                |g| g.rate_limit = Some("2M/2M".into()),
                Want::Coa(vec![Adjust::RateLimit("2M/2M".into())]),
            ),
            (
                "renewal extends the timeout",
                |g| g.session_timeout = Some(7200),
                Want::Coa(vec![Adjust::SessionTimeout(7200)]),
            ),
            (
                "rate and timeout together",
                |g| {
                    g.rate_limit = Some("20M/20M".into());
                    g.session_timeout = Some(60);
                },
                Want::Coa(vec![Adjust::RateLimit("20M/20M".into()), Adjust::SessionTimeout(60)]),
            ),
            (
                "an added address list",
                |g| g.address_lists.push("vip".into()),
                Want::Coa(vec![Adjust::AddressList("vip".into())]),
            ),
            (
                "a new Filter-Id",
                |g| g.filter_id = Some("biz-in".into()),
                Want::Coa(vec![Adjust::FilterId("biz-in".into())]),
            ),
            ("Filter-Id removed", |g| g.filter_id = None, Want::Disconnect("Filter-Id removed")),
            ("rate limit removed", |g| g.rate_limit = None, Want::Disconnect("rate limit removed")),
            ("session timeout removed", |g| g.session_timeout = None, Want::Disconnect("session timeout removed")),
            ("another profile", |g| g.group = Some("gold".into()), Want::Disconnect("Mikrotik-Group (profile)")),
            ("profile dropped", |g| g.group = None, Want::Disconnect("Mikrotik-Group (profile)")),
            (
                "another routing mark",
                |g| g.route_list = Some("lango-route-isp2".into()),
                Want::Disconnect("routing mark"),
            ),
            ("a list to leave", |g| g.address_lists.clear(), Want::Disconnect("address list to leave")),
            ("another pool", |g| g.framed_pool = Some("biz-pool".into()), Want::Disconnect("Framed-Pool")),
            (
                "a static address",
                |g| g.framed_ip = Some("10.0.0.9".parse().unwrap()),
                Want::Disconnect("Framed-IP-Address"),
            ),
            ("a routed subnet", |g| g.framed_routes.push("192.168.9.0/24".into()), Want::Disconnect("Framed-Route")),
            ("an IPv6 pool", |g| g.ipv6_pool = Some("v6".into()), Want::Disconnect("IPv6 prefix or pool")),
            ("another idle timeout", |g| g.idle_timeout = Some(60), Want::Disconnect("idle or interim timer")),
            (
                "a new quota (renewal)",
                |g| g.total_limit = Some(5_000),
                Want::Disconnect("data quota (Mikrotik-Total-Limit)"),
            ),
            ("leaving the captive state", |g| g.captive = Some(Captive::Expired), Want::Disconnect("captive state")),
            (
                "rate and profile: the profile wins",
                |g| {
                    g.rate_limit = Some("1M/1M".into());
                    g.group = Some("gold".into());
                },
                Want::Disconnect("Mikrotik-Group (profile)"),
            ),
        ];
        for (name, tweak, want) in cases {
            let old = base();
            let mut new = base();
            tweak(&mut new);
            let got = plan_grants(&old, &new);
            let expect = match want {
                Want::Nothing => Step::Nothing,
                Want::Coa(a) => Step::Coa(a),
                Want::Disconnect(w) => Step::Disconnect(w),
            };
            assert_eq!(got, expect, "{name}");
        }
    }

    #[test]
    fn a_refusal_on_either_side_disconnects() {
        let (a, r) = (Decision::Accept(base()), Decision::Reject(RejectReason::PlanDisabled));
        assert_eq!(plan(&a, &r), Step::Disconnect("login refused now"));
        assert_eq!(plan(&r, &a), Step::Disconnect("login refused now"));
        assert_eq!(plan(&a, &a.clone()), Step::Nothing);
    }
}
