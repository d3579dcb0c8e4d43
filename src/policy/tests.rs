//! Table tests for the policy: each row is a scenario and its expected decision.

use super::*;
use crate::model::{Offer, RateLimit, Sealed};

const NOW: UnixTime = 1_800_000_000;
const DAY: i64 = 86_400;

fn tenant(captive: bool) -> Tenant {
    Tenant {
        id: 1,
        slug: "t".into(),
        name: "T".into(),
        timezone: "Africa/Nairobi".into(),
        currency: "KES".into(),
        captive_redirect: captive,
        captive_rate_limit: "256k/256k".into(),
        captive_session_timeout: 300,
    }
}

fn plan() -> Plan {
    Plan {
        id: 1,
        tenant: 1,
        name: "Home 10M".into(),
        validity: crate::billing::Period { unit: crate::billing::PeriodUnit::Day, count: 30 },
        anchor: crate::billing::Anchor::Rolling,
        grace_secs: 0,
        mode: crate::billing::Mode::Prepaid,
        price: 150_000,
        kick_oldest: false,
        fup: None,
        quota_bytes: None,
        rate: Some(RateLimit::parse("10M/10M 20M/20M 8M/8M 10/10").unwrap()),
        session_timeout: None,
        idle_timeout: Some(600),
        interim_interval: 300,
        simultaneous_use: 1,
        access_window: None,
        address_pool: Some("pppoe-pool".into()),
        ipv6_pool: None,
        address_list: None,
        // Tagged, so the captive cases show a captive grant drops it.
        routing_mark: Some("mark".into()),
        filter_id: Some("chain".into()),
        group: Some("profile".into()),
        disabled: false,
        offer: Offer::default(),
    }
}

fn service() -> Service {
    Service {
        id: 7,
        tenant: 1,
        customer: 3,
        plan: 1,
        access: AccessType::Pppoe,
        username: "alice".into(),
        password: Sealed::default(),
        mac: None,
        static_ip: None,
        framed_routes: vec![],
        ipv6_prefix: None,
        delegated_ipv6_prefix: None,
        status: ServiceStatus::Active,
        expires_at: Some(NOW + 10 * DAY),
        activate_on_first_use: false,
        created_at: NOW - DAY,
        auto_renew: false,
        period_start: None,
        run_start: None,
        billing_hold: false,
        voucher: None,
    }
}

/// One scenario: tweaks applied to the defaults, then the expected outcome.
struct Case {
    name: &'static str,
    captive: bool,
    tweak: fn(&mut Service, &mut Plan, &mut Usage, &mut u32, &mut RequestKind, &mut (u8, u16)),
    expect: Expect,
}

#[derive(Debug)]
enum Expect {
    Reject(RejectReason),
    Captive(Captive),
    /// Accept with this Session-Timeout.
    Accept(Option<u32>),
}

fn run(c: &Case) -> Decision {
    let t = tenant(c.captive);
    let (mut s, mut p, mut u, mut online, mut kind, mut local) =
        (service(), plan(), Usage::default(), 0u32, RequestKind::Ppp, (2u8, 600u16));
    (c.tweak)(&mut s, &mut p, &mut u, &mut online, &mut kind, &mut local);
    evaluate(&Input {
        tenant: &t,
        service: &s,
        plan: &p,
        usage: &u,
        online,
        kind,
        device: None,
        now: NOW,
        local_weekday: local.0,
        local_minute: local.1,
    })
}

#[test]
fn decision_table() {
    let cases = [
        Case {
            name: "active, expiry caps timeout",
            captive: false,
            tweak: |_, _, _, _, _, _| {},
            expect: Expect::Accept(Some(10 * DAY as u32)),
        },
        Case {
            name: "plan session timeout shorter than expiry",
            captive: false,
            tweak: |_, p, _, _, _, _| p.session_timeout = Some(3600),
            expect: Expect::Accept(Some(3600)),
        },
        Case {
            name: "expiry shorter than plan timeout",
            captive: false,
            tweak: |s, p, _, _, _, _| {
                p.session_timeout = Some(3600);
                s.expires_at = Some(NOW + 120);
            },
            expect: Expect::Accept(Some(120)),
        },
        Case {
            name: "no expiry, no timeout",
            captive: false,
            tweak: |s, _, _, _, _, _| s.expires_at = None,
            expect: Expect::Accept(None),
        },
        Case {
            name: "voucher before first use gets full validity",
            captive: false,
            tweak: |s, p, _, _, k, _| {
                s.expires_at = None;
                s.activate_on_first_use = true;
                s.access = AccessType::Hotspot;
                p.validity = crate::billing::Period { unit: crate::billing::PeriodUnit::Hour, count: 1 };
                *k = RequestKind::Hotspot;
            },
            expect: Expect::Accept(Some(3600)),
        },
        Case {
            name: "expired",
            captive: false,
            tweak: |s, _, _, _, _, _| s.expires_at = Some(NOW),
            expect: Expect::Reject(RejectReason::Expired),
        },
        Case {
            name: "expired, captive",
            captive: true,
            tweak: |s, _, _, _, _, _| s.expires_at = Some(NOW - 1),
            expect: Expect::Captive(Captive::Expired),
        },
        Case {
            name: "suspended",
            captive: false,
            tweak: |s, _, _, _, _, _| s.status = ServiceStatus::Suspended,
            expect: Expect::Reject(RejectReason::Suspended),
        },
        Case {
            name: "suspended, captive",
            captive: true,
            tweak: |s, _, _, _, _, _| s.status = ServiceStatus::Suspended,
            expect: Expect::Captive(Captive::Suspended),
        },
        Case {
            name: "disabled never captive",
            captive: true,
            tweak: |s, _, _, _, _, _| s.status = ServiceStatus::Disabled,
            expect: Expect::Reject(RejectReason::Disabled),
        },
        Case {
            name: "plan disabled",
            captive: false,
            tweak: |_, p, _, _, _, _| p.disabled = true,
            expect: Expect::Reject(RejectReason::PlanDisabled),
        },
        Case {
            name: "quota used up",
            captive: false,
            tweak: |_, p, u, _, _, _| {
                p.quota_bytes = Some(1000);
                u.bytes_in = 600;
                u.bytes_out = 400;
            },
            expect: Expect::Reject(RejectReason::QuotaExhausted),
        },
        Case {
            name: "quota used up, captive",
            captive: true,
            tweak: |_, p, u, _, _, _| {
                p.quota_bytes = Some(1000);
                u.bytes_in = 5000;
            },
            expect: Expect::Captive(Captive::Quota),
        },
        Case {
            name: "simultaneous use reached",
            captive: false,
            tweak: |_, _, _, o, _, _| *o = 1,
            expect: Expect::Reject(RejectReason::SimultaneousUse),
        },
        Case {
            name: "unlimited simultaneous use",
            captive: false,
            tweak: |_, p, _, o, _, _| {
                p.simultaneous_use = 0;
                *o = 40;
            },
            expect: Expect::Accept(Some(10 * DAY as u32)),
        },
        Case {
            name: "pppoe account on hotspot page",
            captive: false,
            tweak: |_, _, _, _, k, _| *k = RequestKind::Hotspot,
            expect: Expect::Reject(RejectReason::WrongAccessType),
        },
        Case {
            name: "dhcp device by mac",
            captive: false,
            tweak: |s, _, _, _, k, _| {
                s.access = AccessType::DhcpMac;
                *k = RequestKind::Mac;
            },
            expect: Expect::Accept(Some(10 * DAY as u32)),
        },
        Case {
            name: "dhcp device via ppp refused",
            captive: false,
            tweak: |s, _, _, _, _, _| s.access = AccessType::DhcpMac,
            expect: Expect::Reject(RejectReason::WrongAccessType),
        },
        Case {
            name: "inside access window: timeout to window end",
            captive: false,
            tweak: |_, p, _, _, _, l| {
                p.access_window = Some(AccessWindow { days: 0b0011111, start_min: 8 * 60, end_min: 18 * 60 });
                *l = (2, 17 * 60);
            },
            expect: Expect::Accept(Some(3600)),
        },
        Case {
            name: "outside access window (weekend)",
            captive: false,
            tweak: |_, p, _, _, _, l| {
                p.access_window = Some(AccessWindow { days: 0b0011111, start_min: 8 * 60, end_min: 18 * 60 });
                *l = (5, 10 * 60);
            },
            expect: Expect::Reject(RejectReason::OutsideAccessTime),
        },
        Case {
            name: "night window wrapping midnight, after midnight",
            captive: false,
            tweak: |_, p, _, _, _, l| {
                p.access_window = Some(AccessWindow { days: 0b0000001, start_min: 22 * 60, end_min: 6 * 60 });
                *l = (1, 5 * 60); // Tuesday 05:00 belongs to Monday's window
            },
            expect: Expect::Accept(Some(3600)),
        },
        Case {
            name: "night window wrapping midnight, wrong day",
            captive: false,
            tweak: |_, p, _, _, _, l| {
                p.access_window = Some(AccessWindow { days: 0b0000001, start_min: 22 * 60, end_min: 6 * 60 });
                *l = (2, 5 * 60);
            },
            expect: Expect::Reject(RejectReason::OutsideAccessTime),
        },
    ];
    for c in &cases {
        let got = run(c);
        match (&c.expect, &got) {
            (Expect::Reject(r), Decision::Reject(g)) if r == g => {}
            (Expect::Captive(cap), Decision::Accept(g)) if g.captive == Some(*cap) => {
                assert_eq!(g.address_lists, vec![cap.address_list().to_string()], "{}", c.name);
                assert_eq!((&g.route_list, &g.filter_id, &g.group), (&None, &None, &None), "{}", c.name);
                assert_eq!(g.rate_limit.as_deref(), Some("256k/256k"), "{}", c.name);
                assert_eq!(g.session_timeout, Some(300), "{}", c.name);
            }
            (Expect::Accept(t), Decision::Accept(g)) if g.captive.is_none() && g.session_timeout == *t => {}
            _ => panic!("case {:?}: expected {:?}, got {:?}", c.name, c.expect, got),
        }
    }
}

#[test]
fn grant_carries_plan_and_service_attributes() {
    let t = tenant(false);
    let mut s = service();
    s.static_ip = Some("10.99.0.10".parse().unwrap());
    s.framed_routes = vec!["192.168.50.0/24 10.99.0.10 1".into()];
    s.delegated_ipv6_prefix = Some("2001:db8:1::/56".into());
    let mut p = plan();
    p.quota_bytes = Some(10_000_000_000);
    p.address_list = Some("customers".into());
    p.ipv6_pool = Some("v6pool".into());
    p.routing_mark = Some("via-isp2".into());
    p.filter_id = Some("business-in".into());
    p.group = Some("gold-profile".into());
    let u = Usage { bytes_in: 1_000_000_000, bytes_out: 500, seconds: 10 };
    let d = evaluate(&Input {
        tenant: &t,
        service: &s,
        plan: &p,
        usage: &u,
        online: 0,
        kind: RequestKind::Ppp,
        device: None,
        now: NOW,
        local_weekday: 0,
        local_minute: 0,
    });
    let Decision::Accept(g) = d else { panic!("{d:?}") };
    assert_eq!(g.rate_limit.as_deref(), Some("10M/10M 20M/20M 8M/8M 10/10"));
    assert_eq!(g.framed_ip, Some("10.99.0.10".parse().unwrap()));
    assert_eq!(g.framed_pool, None, "static address wins over the pool");
    assert_eq!(g.framed_routes, s.framed_routes);
    assert_eq!(g.delegated_ipv6_prefix.as_deref(), Some("2001:db8:1::/56"));
    assert_eq!(g.ipv6_pool, None);
    assert_eq!(g.address_lists, vec!["customers".to_string()]);
    assert_eq!(g.route_list.as_deref(), Some("lango-route-via-isp2"));
    assert_eq!(g.filter_id.as_deref(), Some("business-in"));
    assert_eq!(g.group.as_deref(), Some("gold-profile"));
    assert_eq!(g.total_limit, Some(10_000_000_000 - 1_000_000_500));
    assert_eq!(g.idle_timeout, Some(600));
    assert_eq!(g.interim_interval, Some(300));
}

/// Grace periods, vouchers bound to a device or past their last day, Fair
/// Usage Policy and kick-oldest: each row builds its inputs and expects a
/// decision (and, for accepts, a rate limit).
#[test]
fn billing_rules() {
    type Tweak = fn(&mut Service, &mut Plan, &mut Usage, &mut u32, &mut Option<Mac>);
    let rows: [(&str, Tweak, Result<&str, RejectReason>); 10] = [
        (
            "expired an hour ago, 3-day grace: still online",
            |s, p, _, _, _| {
                s.expires_at = Some(NOW - 3600);
                p.grace_secs = 3 * DAY as u32;
            },
            Ok("10M/10M 20M/20M 8M/8M 10/10"),
        ),
        (
            "expired 4 days ago, 3-day grace: expired",
            |s, p, _, _, _| {
                s.expires_at = Some(NOW - 4 * DAY);
                p.grace_secs = 3 * DAY as u32;
            },
            Err(RejectReason::Expired),
        ),
        (
            "FUP threshold crossed: reduced rate",
            |_, p, u, _, _| {
                p.fup = Some(crate::model::Fup { threshold_bytes: 1000, rate: RateLimit::parse("2M/2M").unwrap() });
                u.bytes_in = 1000;
            },
            Ok("2M/2M"),
        ),
        (
            "FUP threshold not reached: full rate",
            |_, p, u, _, _| {
                p.fup = Some(crate::model::Fup { threshold_bytes: 1000, rate: RateLimit::parse("2M/2M").unwrap() });
                u.bytes_in = 999;
            },
            Ok("10M/10M 20M/20M 8M/8M 10/10"),
        ),
        (
            "at the limit, kick oldest: accepted",
            |_, p, _, online, _| {
                p.kick_oldest = true;
                *online = 1;
            },
            Ok("10M/10M 20M/20M 8M/8M 10/10"),
        ),
        ("at the limit, refuse newest", |_, _, _, online, _| *online = 1, Err(RejectReason::SimultaneousUse)),
        (
            "unused voucher past its last day",
            |s, _, _, _, _| {
                s.access = AccessType::Pppoe;
                s.expires_at = None;
                s.activate_on_first_use = true;
                s.voucher = Some(crate::model::VoucherTerms {
                    batch: 1,
                    unused_until: Some(NOW),
                    bind_mac: false,
                    valid_from: None,
                });
            },
            Err(RejectReason::VoucherExpired),
        ),
        (
            "voucher bound to another device",
            |s, _, _, _, d| {
                s.mac = Some(Mac(1));
                s.voucher =
                    Some(crate::model::VoucherTerms { batch: 1, unused_until: None, bind_mac: true, valid_from: None });
                *d = Some(Mac(2));
            },
            Err(RejectReason::OtherDevice),
        ),
        (
            "fixed-date voucher before its first day",
            |s, _, _, _, _| {
                s.voucher = Some(crate::model::VoucherTerms {
                    batch: 1,
                    unused_until: None,
                    bind_mac: false,
                    valid_from: Some(NOW + 60),
                });
            },
            Err(RejectReason::VoucherNotYetValid),
        ),
        (
            "voucher on its own device",
            |s, _, _, _, d| {
                s.mac = Some(Mac(1));
                s.voucher =
                    Some(crate::model::VoucherTerms { batch: 1, unused_until: None, bind_mac: true, valid_from: None });
                *d = Some(Mac(1));
            },
            Ok("10M/10M 20M/20M 8M/8M 10/10"),
        ),
    ];
    for (name, tweak, want) in rows {
        let t = tenant(false);
        let (mut s, mut p, mut u, mut online, mut device) = (service(), plan(), Usage::default(), 0u32, None);
        tweak(&mut s, &mut p, &mut u, &mut online, &mut device);
        let d = evaluate(&Input {
            tenant: &t,
            service: &s,
            plan: &p,
            usage: &u,
            online,
            kind: RequestKind::Unknown,
            device,
            now: NOW,
            local_weekday: 0,
            local_minute: 0,
        });
        match (want, d) {
            (Ok(rate), Decision::Accept(g)) => assert_eq!(g.rate_limit.as_deref(), Some(rate), "{name}"),
            (Err(r), Decision::Reject(got)) => assert_eq!(got, r, "{name}"),
            (want, got) => panic!("{name}: want {want:?}, got {got:?}"),
        }
    }
}
