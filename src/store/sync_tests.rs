//! The store's side of replication between two in-memory stores (each
//! with its own lango.key): what a hub captures, what a site applies, and
//! that a change is applied once, in order, whatever the stream redelivers.

use super::accounting::{AcctRecord, AcctStatus};
use super::sync::{Body, Mode};
use super::{Store, StoreError};
use crate::model::*;

const NOW: UnixTime = 1_780_000_000;

/// A hub seeded with the demo, and a site that applied all of it.
fn pair() -> (Store, Store, Tenant) {
    let hub = Store::in_memory().unwrap();
    hub.set_sync_mode(Mode::Hub).unwrap();
    let t = crate::demo::seed(&hub, NOW, 0).unwrap();
    let site = Store::in_memory().unwrap();
    site.set_sync_mode(Mode::Site).unwrap();
    let applied = ship(&hub, &site, "hub/1");
    assert!(applied > 10, "the demo's tenant, router, plans, customers and services");
    (hub, site, t)
}

/// Everything `from` has captured, applied at `to` (and forgotten at `from`).
fn ship(from: &Store, to: &Store, origin: &str) -> usize {
    let out = from.sync_outgoing(10_000).unwrap();
    let Some(last) = out.last().map(|o| o.seq) else { return 0 };
    let changes: Vec<(u64, UnixTime, Body)> = out.into_iter().map(|o| (o.seq, NOW, o.body)).collect();
    let done = to.sync_apply(origin, &changes, NOW).unwrap();
    assert_eq!(done.gap, None);
    from.sync_published(last).unwrap();
    done.applied
}

fn record(t: &Tenant, nas: Id, status: AcctStatus, id: &str, time: u32, bytes: u64) -> AcctRecord {
    AcctRecord {
        tenant: t.id,
        nas,
        status,
        session_id: id.into(),
        username: "demo-pppoe".into(),
        framed_ip: None,
        calling_station_id: None,
        nas_port_id: None,
        counters: Counters { session_time: time, bytes_in: bytes, bytes_out: bytes, ..Default::default() },
        terminate_cause: None,
        event_time: NOW + i64::from(time),
        nas_ip: None,
        ipv6: None,
    }
}

#[test]
fn a_site_holds_the_hubs_records_with_its_own_key() {
    let (hub, site, t) = pair();
    let at_hub = hub.service_by_username(t.id, "demo-pppoe").unwrap();
    let at_site = site.service_by_username(t.id, "demo-pppoe").unwrap();
    assert_eq!(
        Service { password: Sealed::default(), ..at_site.clone() },
        Service { password: Sealed::default(), ..at_hub }
    );
    // Sealed again under the site's key: the site can read it, and the
    // bytes differ from the hub's.
    let mut reader = super::LoginReader::default();
    let login = site.login(&mut reader, t.id, "demo-pppoe", None).unwrap().unwrap();
    assert_eq!(login.password, b"demo-pass");
    assert_eq!(site.all_nas().unwrap().len(), hub.all_nas().unwrap().len());
    assert!(site.config_generation().unwrap() > 0, "the NAS directory reloads");
}

#[test]
fn a_change_is_applied_once_and_in_order() {
    let (hub, site, t) = pair();
    hub.set_service_expiry("admin", NOW, t.id, "demo-pppoe", Some(NOW + 90 * 86_400)).unwrap();
    hub.set_service_expiry("admin", NOW, t.id, "demo-pppoe", Some(NOW + 91 * 86_400)).unwrap();
    let out = hub.sync_outgoing(100).unwrap();
    assert_eq!(out.len(), 2, "one reference per change");
    let changes: Vec<(u64, UnixTime, Body)> = out.iter().map(|o| (o.seq, NOW, o.body.clone())).collect();
    let mark = site.sync_marks().unwrap()[0].1.seq;
    // The second alone is a gap: nothing applied, the mark stays.
    let done = site.sync_apply("hub/1", &changes[1..], NOW).unwrap();
    assert_eq!((done.applied, done.gap), (0, Some((mark + 1, mark + 2))));
    let done = site.sync_apply("hub/1", &changes, NOW).unwrap();
    assert_eq!((done.applied, done.duplicates), (2, 0));
    // Redelivered: duplicates, nothing changes.
    let done = site.sync_apply("hub/1", &changes, NOW).unwrap();
    assert_eq!((done.applied, done.duplicates), (0, 2));
    let s = site.service_by_username(t.id, "demo-pppoe").unwrap();
    assert_eq!(s.expires_at, Some(NOW + 91 * 86_400), "each change carries the latest value");
    // A new instance of the same node (its data wiped) starts its own
    // sequence at 1, and is not taken for a replay of the old one.
    let fresh = [(1, NOW, changes[0].2.clone())];
    assert_eq!(site.sync_apply("hub/2", &fresh, NOW).unwrap().applied, 1);
}

#[test]
fn a_site_refuses_to_change_what_the_hub_owns() {
    let (_hub, site, t) = pair();
    let e = site.set_service_expiry("admin", NOW, t.id, "demo-pppoe", Some(NOW)).unwrap_err();
    assert!(matches!(&e, StoreError::Invalid(m) if m.contains("managed at the hub")), "{e}");
    assert!(site.sync_outgoing(10).unwrap().is_empty(), "and captures nothing of it");
    // Money is the hub's too.
    let e = site.note("admin:x", NOW, t.id, "payment.assign", "payment/1".into(), String::new()).unwrap_err();
    assert!(e.to_string().contains("money is managed at the hub"), "{e}");
    // What a site does to the routers it reaches is its own.
    let nas = format!("nas/{}", site.all_nas().unwrap()[0].id);
    site.note("admin:x", NOW, t.id, "nas.kick", nas.clone(), "1 session".into()).unwrap();
    assert!(site.note("admin:x", NOW, t.id, "nas.update", nas, String::new()).is_err());
}

#[test]
fn a_sites_accounting_reaches_the_hub_once_and_stale_interims_count_nothing() {
    let (hub, site, t) = pair();
    let nas = site.all_nas().unwrap()[0].id;
    let start = record(&t, nas, AcctStatus::Start, "x1", 0, 0);
    let i5 = record(&t, nas, AcctStatus::Interim, "x1", 300, 5_000);
    let i6 = record(&t, nas, AcctStatus::Interim, "x1", 360, 6_000);
    let stop = record(&t, nas, AcctStatus::Stop, "x1", 600, 10_000);
    site.apply_accounting(&[start.clone(), start.clone(), i5.clone(), i6.clone()], None, true).unwrap();
    assert_eq!(site.sync_backlog().unwrap().count, 3, "the retransmitted Start is not sent");
    assert_eq!(ship(&site, &hub, "site/1"), 3);
    // A standby's copy of an older interim, after the newer one: nothing.
    hub.sync_apply("standby/1", &[(1, NOW, Body::Acct(super::codec::encode(&i5)))], NOW).unwrap();
    site.apply_accounting(&[stop], None, true).unwrap();
    ship(&site, &hub, "site/1");
    let id = hub.service_by_username(t.id, "demo-pppoe").unwrap().id;
    let u = hub.usage(t.id, id).unwrap();
    assert_eq!((u.bytes_in, u.bytes_out, u.seconds), (10_000, 10_000, 600));
    assert_eq!(hub.session_history(t.id).unwrap().len(), 1);
    assert!(hub.sync_outgoing(10).unwrap().is_empty(), "the hub does not send the sites' sessions back");
}

#[test]
fn a_restored_database_is_a_new_instance() {
    let (_hub, site, _t) = pair();
    let first = site.sync_instance().unwrap();
    assert_eq!(site.sync_instance().unwrap(), first, "stable while the database lives");
    site.sync_new_instance().unwrap();
    assert_ne!(site.sync_instance().unwrap(), first);
}

#[test]
fn a_payment_taken_at_a_site_is_credited_once_at_the_hub() {
    let (hub, site, t) = pair();
    let alice = hub.service_by_username(t.id, "demo-pppoe").unwrap().customer;
    let cash = |customer: Id, reference: &str| super::IncomingPayment {
        tenant: t.id,
        method: PaymentMethod::Cash,
        refs: vec![],
        reference: reference.into(),
        amount: 50_000,
        phone: None,
        account: None,
        customer: Some(customer),
        purchase: Some(Purchase::TopUp),
        raw: None,
        actor: "admin:site-cashier".into(),
        at: NOW,
    };
    assert!(matches!(site.apply_payment(cash(alice, "r-1")).unwrap(), super::Applied::Queued(_)));
    assert_eq!(site.balance(t.id, alice).unwrap(), 0, "a site keeps no money");
    // A customer the hub does not have: the money is kept, unmatched.
    site.apply_payment(cash(987_654, "r-2")).unwrap();
    let before = hub.balance(t.id, alice).unwrap();
    let out = site.sync_outgoing(10).unwrap();
    let changes: Vec<(u64, UnixTime, Body)> = out.iter().map(|o| (o.seq, NOW, o.body.clone())).collect();
    hub.sync_apply("site/1", &changes, NOW).unwrap();
    hub.sync_apply("site/1", &changes, NOW).unwrap();
    assert_eq!(hub.balance(t.id, alice).unwrap(), before + 50_000, "credited once");
    assert_eq!(hub.unmatched_payments(t.id).unwrap().len(), 1);
}
