//! The scheduler's work list on the demo tenant: a round reads only what is
//! due and files each service under its next time; money into a wallet
//! makes an expired auto-renewing service due; the rebuild gives the same
//! list as the writes kept; overdue invoices come from their own index.

use std::collections::HashSet;

use super::tables::*;
use super::{IncomingPayment, NewService, Store};
use crate::model::*;

const DAY: i64 = 86_400;

fn setup() -> (Store, Tenant, UnixTime) {
    let s = Store::in_memory().unwrap();
    let now = 1_780_000_000;
    let t = crate::demo::seed(&s, now, 0).unwrap();
    (s, t, now)
}

fn listed(s: &Store) -> Vec<(i64, u32, u64)> {
    let tx = s.read().unwrap();
    let table = tx.open_table(SERVICE_DUE).unwrap();
    redb::ReadableTable::iter(&table).unwrap().map(|r| r.unwrap().0.value()).collect()
}

#[test]
fn a_round_reads_what_is_due_and_files_it_under_its_next_time() {
    let (s, t, now) = setup();
    let alice = s.service_by_username(t.id, "demo-pppoe").unwrap();
    let brian = s.service_by_username(t.id, "demo-expired").unwrap();
    // Every demo service with an expiry is listed under it; the unused
    // voucher (no expiry, no deadline) is not.
    let all = listed(&s);
    assert!(all.contains(&(alice.expires_at.unwrap(), t.id, alice.id)), "{all:?}");
    assert!(all.contains(&(brian.expires_at.unwrap(), t.id, brian.id)), "{all:?}");
    assert_eq!(all.len(), 4, "{all:?}");
    assert_eq!(s.due_services(now).unwrap(), [(t.id, brian.id)], "only Brian's expiry has passed");

    let mut already = HashSet::new();
    let round = s.scheduler_round(now, 3600, &mut already).unwrap();
    assert_eq!(round.expired, 1);
    // Recorded, past its cutoff (no grace): nothing more to do for Brian.
    assert!(s.due_services(now + DAY).unwrap().is_empty());
    assert!(!listed(&s).iter().any(|k| k.2 == brian.id), "{:?}", listed(&s));
    let round = s.scheduler_round(now + 60, 3600, &mut already).unwrap();
    assert_eq!(round.expired, 0, "recorded once");

    // An admin moves Alice's expiry into the past: due at once.
    s.set_service_expiry("test", now, t.id, "demo-pppoe", Some(now - 10)).unwrap();
    assert_eq!(s.due_services(now).unwrap(), [(t.id, alice.id)]);
    assert_eq!(s.scheduler_round(now + 120, 3600, &mut already).unwrap().expired, 1);
}

#[test]
fn money_makes_an_expired_auto_renewing_service_due() {
    let (s, t, now) = setup();
    let home = s.plan_by_name(t.id, "Home 10M").unwrap();
    let c = s.create_customer("test", now, t.id, "Wanjiku", None, None).unwrap();
    let mut n = NewService::new(c.id, home.id, AccessType::Pppoe, "wanjiku", "pw");
    n.expires_at = Some(now + DAY);
    n.auto_renew = true;
    let svc = s.create_service("test", now, t.id, n).unwrap();
    let mut already = HashSet::new();
    // At expiry the wallet is empty: no renewal; recorded at the cutoff.
    let later = now + DAY + 60;
    assert_eq!(s.scheduler_round(later, 3600, &mut already).unwrap().renewed, 0);
    let cutoff_passed = s.due_services(later + 9 * DAY).unwrap();
    assert!(!cutoff_passed.contains(&(t.id, svc.id)), "nothing to do until money comes: {cutoff_passed:?}");
    // Ten days later the customer pays into the wallet: due now, renewed
    // by the next round.
    let paid = later + 10 * DAY;
    let p = IncomingPayment {
        tenant: t.id,
        method: PaymentMethod::Cash,
        refs: vec!["test:w1".into()],
        reference: "w1".into(),
        amount: home.price,
        phone: None,
        account: None,
        customer: Some(c.id),
        purchase: None,
        raw: None,
        actor: "test".into(),
        at: paid,
    };
    s.apply_payment(p).unwrap();
    assert!(s.due_services(paid).unwrap().contains(&(t.id, svc.id)));
    assert_eq!(s.scheduler_round(paid + 30, 3600, &mut already).unwrap().renewed, 1);
    let renewed = s.service(t.id, svc.id).unwrap().unwrap();
    assert!(renewed.expires_at.unwrap() > paid, "{renewed:?}");
    assert!(!s.due_services(paid + 60).unwrap().contains(&(t.id, svc.id)), "filed under its new expiry");
    assert!(listed(&s).contains(&(renewed.expires_at.unwrap(), t.id, svc.id)));
}

#[test]
fn the_rebuild_gives_what_the_writes_kept() {
    let (s, t, now) = setup();
    let mut already = HashSet::new();
    s.scheduler_round(now, 3600, &mut already).unwrap();
    let kept = listed(&s);
    let n = s.rebuild_due(now).unwrap();
    assert_eq!(listed(&s), kept);
    assert_eq!(n, kept.len());
    assert_eq!(s.due_len().unwrap() as usize, kept.len());
    // The voucher activated by its first session is filed by the fold.
    let nas = s.all_nas().unwrap()[0].id;
    let start = super::accounting::AcctRecord {
        tenant: t.id,
        nas,
        status: super::accounting::AcctStatus::Start,
        session_id: "v1".into(),
        username: "DEMO-VOUCHER".into(),
        framed_ip: None,
        calling_station_id: None,
        nas_port_id: None,
        counters: Counters::default(),
        terminate_cause: None,
        event_time: now,
        nas_ip: None,
        ipv6: None,
    };
    s.apply_accounting(&[start], None, true).unwrap();
    let voucher = s.service_by_username(t.id, "DEMO-VOUCHER").unwrap();
    assert!(listed(&s).contains(&(voucher.expires_at.unwrap(), t.id, voucher.id)));
}

#[test]
fn the_dashboard_reads_what_expires_soon_from_the_work_list() {
    let (s, t, now) = setup();
    let count = |soon: i64| s.dashboard(t.id, now, now, now, soon).unwrap().expiring_count;
    assert_eq!(count(now + 7 * DAY), 0);
    // Alice, the shop and the office expire 30 days after the seed; Brian
    // has expired and the voucher has no expiry yet.
    assert_eq!(count(now + 31 * DAY), 3);
    s.set_service_expiry("test", now, t.id, "demo-pppoe", Some(now + 2 * DAY)).unwrap();
    let d = s.dashboard(t.id, now, now, now, now + 7 * DAY).unwrap();
    assert_eq!(d.expiring_count, 1);
    assert_eq!(d.expiring[0].username, "demo-pppoe");
    // Another tenant's services are not counted.
    let other = Tenant { id: 0, slug: "other".into(), name: "Other".into(), ..t.clone() };
    let other = s.create_tenant("test", now, other).unwrap();
    let plan = s.plans(t.id).unwrap()[0].clone();
    let plan = s.create_plan("test", now, other.id, Plan { id: 0, tenant: other.id, ..plan }).unwrap();
    let c = s.create_customer("test", now, other.id, "Elsewhere", None, None).unwrap();
    let mut n = NewService::new(c.id, plan.id, AccessType::Pppoe, "elsewhere", "pw");
    n.expires_at = Some(now + DAY);
    s.create_service("test", now, other.id, n).unwrap();
    assert_eq!(count(now + 7 * DAY), 1);
}
