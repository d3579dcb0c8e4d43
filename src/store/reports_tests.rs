//! Table tests of the reports' aggregates on the demo tenant (Nairobi,
//! UTC+3, KES): money lands on the tenant's day and month, in integer
//! minor units; sales, churn and cohorts follow renewals and expiry;
//! traffic is split at the tenant's midnight; a reseller sees its own; the
//! schema-5 backfill rebuilds what the write paths maintained; and the
//! reconciliation report balances against the ledger read directly.

use std::collections::{BTreeMap, HashSet};

use super::accounting::{AcctRecord, AcctStatus};
use super::reports::*;
use super::tables::*;
use super::{IncomingPayment, Store};
use crate::billing::EntryKind;
use crate::model::*;
use crate::ops::report_view::{Kind, Period};
use crate::ops::reports::{Scope, build};

fn day(s: &str) -> i32 {
    parse_day(s).unwrap()
}

/// An instant given as Nairobi wall-clock time.
fn nairobi(date: &str, h: i64, m: i64) -> UnixTime {
    i64::from(day(date)) * 86_400 + (h - 3) * 3600 + m * 60
}

fn pay(s: &Store, t: TenantId, customer: Option<Id>, method: PaymentMethod, amount: i64, r: &str, at: i64) {
    let p = IncomingPayment {
        tenant: t,
        method,
        refs: vec![format!("test:{r}")],
        reference: r.into(),
        amount,
        phone: None,
        account: None,
        customer,
        purchase: None,
        raw: None,
        actor: "test".into(),
        at,
    };
    s.apply_payment(p).unwrap();
}

fn rows(s: &Store, t: TenantId, scope: u64, m: Metric) -> Vec<(String, u64, i64)> {
    s.agg(t, scope, m, i32::MIN, i32::MAX).unwrap().into_iter().map(|r| (day_label(r.day), r.dim, r.value)).collect()
}

fn setup() -> (Store, Tenant) {
    let s = Store::in_memory().unwrap();
    let t = crate::demo::seed(&s, nairobi("2026-01-20", 12, 0), 0).unwrap();
    (s, t)
}

fn customer(s: &Store, t: &Tenant, login: &str) -> Service {
    s.service_by_username(t.id, login).unwrap()
}

#[test]
fn money_lands_on_the_tenants_day_in_minor_units() {
    let (s, t) = setup();
    let alice = customer(&s, &t, "demo-pppoe").customer;
    let shop = customer(&s, &t, "AA:BB:CC:00:00:01").customer;
    // 23:30 on 31 January in Nairobi is 20:30 UTC, the same day; 00:30 on
    // 1 February is still 31 January in UTC.
    pay(&s, t.id, Some(alice), PaymentMethod::Cash, 100_050, "c1", nairobi("2026-01-31", 23, 30));
    pay(&s, t.id, Some(alice), PaymentMethod::MpesaC2b, 50_000, "m1", nairobi("2026-02-01", 0, 30));
    pay(&s, t.id, None, PaymentMethod::MpesaC2b, 20_000, "m2", nairobi("2026-02-01", 0, 40));
    let unmatched = s.unmatched_payments(t.id).unwrap()[0].id;
    s.assign_payment("test", nairobi("2026-02-02", 9, 0), t.id, unmatched, shop).unwrap();

    let cash = channel_code(PaymentMethod::Cash);
    let c2b = channel_code(PaymentMethod::MpesaC2b);
    assert_eq!(
        rows(&s, t.id, 0, Metric::Paid),
        [("2026-01-31".into(), cash, 100_050), ("2026-02-01".into(), c2b, 70_000)]
    );
    assert_eq!(rows(&s, t.id, 0, Metric::PaidCount), [("2026-01-31".into(), cash, 1), ("2026-02-01".into(), c2b, 2)]);
    assert_eq!(rows(&s, t.id, 0, Metric::Unmatched), [("2026-02-01".into(), c2b, 20_000)]);
    assert_eq!(rows(&s, t.id, 0, Metric::Assigned), [("2026-02-02".into(), c2b, 20_000)]);
    let payment = kind_code(EntryKind::Payment);
    let ledger: Vec<_> = rows(&s, t.id, 0, Metric::Ledger).into_iter().filter(|r| r.1 == payment).collect();
    assert_eq!(
        ledger,
        [
            ("2026-01-31".into(), payment, 100_050),
            ("2026-02-01".into(), payment, 50_000),
            ("2026-02-02".into(), payment, 20_000)
        ]
    );

    // The revenue report splits the months at the tenant's midnight.
    let today = day("2026-02-10");
    let jan = Period { from: day("2026-01-01"), to: day("2026-01-31") };
    let feb = Period { from: day("2026-02-01"), to: day("2026-02-28") };
    let collected = |p| {
        let r = build(&s, &t, Scope(0), Kind::Revenue, p, today, false).unwrap();
        r.summary.iter().find(|(n, _)| n == "Collected").unwrap().1.clone()
    };
    assert_eq!(collected(jan), crate::ops::report_view::Cell::Money(100_050));
    assert_eq!(collected(feb), crate::ops::report_view::Cell::Money(70_000));
    let csv = build(&s, &t, Scope(0), Kind::Revenue, jan, today, true).unwrap().csv();
    assert!(csv.contains("2026-01-31,0.00,0.00,1000.50,0.00,1000.50,1,0.00"), "{csv}");
}

#[test]
fn reconciliation_balances_to_the_ledger() {
    let (s, t) = setup();
    let alice = customer(&s, &t, "demo-pppoe");
    let brian = customer(&s, &t, "demo-expired");
    let at = nairobi("2026-02-03", 10, 0);
    pay(&s, t.id, Some(alice.customer), PaymentMethod::MpesaStk, 150_000, "s1", at);
    pay(&s, t.id, Some(brian.customer), PaymentMethod::Cash, 400_000, "c1", at + 60);
    pay(&s, t.id, None, PaymentMethod::MpesaC2b, 7_000, "u1", at + 120);
    pay(&s, t.id, None, PaymentMethod::MpesaC2b, 9_000, "u2", at + 180);
    let parked = s.unmatched_payments(t.id).unwrap()[0].id;
    s.assign_payment("test", at + 3600, t.id, parked, alice.customer).unwrap();
    s.renew_service_from_wallet("test", at + 7200, t.id, brian.id, None).unwrap().expect("wallet covers it");
    // A wallet credit by hand is not a payment and must not upset the check.
    let credit = LedgerEntry {
        kind: EntryKind::Credit,
        amount: 1_000,
        reason: "goodwill".into(),
        actor: "test".into(),
        reference: None,
        at,
    };
    s.post_ledger(t.id, alice.customer, credit).unwrap();

    // Two STK pushes: one paid (by the s1 payment), one that failed.
    let paid_id = s.payments(t.id).unwrap().iter().find(|p| p.reference == "s1").unwrap().id;
    for (id, state) in [
        ("ws_CO_1", StkState::Paid { payment: paid_id }),
        ("ws_CO_2", StkState::Failed { code: 1032, message: "Request cancelled by user".into() }),
    ] {
        let push = StkRequest {
            tenant: t.id,
            checkout_id: id.into(),
            merchant_id: "m".into(),
            customer: alice.customer,
            purchase: Purchase::TopUp,
            phone: "254712000001".into(),
            amount: 150_000,
            created_at: at - 30,
            state: StkState::Pending,
            queries: 0,
            last_query_at: None,
        };
        s.record_stk_request(&push).unwrap();
        s.update_stk(t.id, id, Some(state), None).unwrap();
    }
    let p = Period { from: day("2026-02-01"), to: day("2026-02-28") };
    let r = build(&s, &t, Scope(0), Kind::Reconciliation, p, day("2026-02-10"), true).unwrap();
    assert!(r.checks.iter().all(|c| c.ok), "{:#?}", r.checks);
    assert_eq!(r.checks.len(), 4, "the ledger check and three row-by-row checks: {:#?}", r.checks);
    let outcomes = &r.tables.iter().find(|t| t.title == "STK pushes by outcome").unwrap().rows;
    let counts: Vec<String> = outcomes.iter().map(|row| format!("{}={}", row[0].shown(""), row[1].shown(""))).collect();
    assert_eq!(counts, ["pending=0", "paid=1", "failed=1", "disputed=0"]);
    // The page: the ledger check, rows from the day totals, no row checks.
    let page = build(&s, &t, Scope(0), Kind::Reconciliation, p, day("2026-02-10"), false).unwrap();
    assert_eq!(page.checks.len(), 1, "{:#?}", page.checks);
    assert!(page.checks[0].ok);
    // The ledger read directly, entry by entry.
    let mut direct = 0;
    for c in s.customers(t.id).unwrap() {
        direct += s
            .ledger(t.id, c.id)
            .unwrap()
            .iter()
            .filter(|e| e.kind == EntryKind::Payment)
            .map(|e| e.amount)
            .sum::<i64>();
    }
    let shown = r.summary.iter().find(|(n, _)| n == "Payments in the wallet ledger").unwrap().1.clone();
    assert_eq!(shown, crate::ops::report_view::Cell::Money(direct));
    assert_eq!(direct, 150_000 + 400_000 + 7_000);
    let received = r.summary.iter().find(|(n, _)| n == "Received").unwrap().1.clone();
    assert_eq!(received, crate::ops::report_view::Cell::Money(566_000));

    // A ledger payment entry that came from no payment shows as a
    // difference (the check can fail).
    let stray = LedgerEntry {
        kind: EntryKind::Payment,
        amount: 500,
        reason: "x".into(),
        actor: "t".into(),
        reference: None,
        at,
    };
    s.post_ledger(t.id, alice.customer, stray).unwrap();
    let r = build(&s, &t, Scope(0), Kind::Reconciliation, p, day("2026-02-10"), true).unwrap();
    assert!(!r.checks[0].ok, "{:#?}", r.checks);

    // Tax: the renewal receipt is a sales document; the wallet receipts are not.
    let tax = build(&s, &t, Scope(0), Kind::Tax, p, day("2026-02-10"), true).unwrap();
    assert!(tax.checks.iter().all(|c| c.ok), "{:#?}", tax.checks);
    assert_eq!(tax.tables[1].rows.len(), 1, "{:#?}", tax.tables[1]);
}

#[test]
fn renewals_make_sales_churn_and_cohorts() {
    let (s, t) = setup();
    let home = s.plan_by_name(t.id, "Home 10M").unwrap().id;
    let brian = customer(&s, &t, "demo-expired");
    let expiry = brian.expires_at.unwrap();
    // The scheduler notices the expiry once.
    let mut already = HashSet::new();
    s.scheduler_round(expiry + 600, 3600, &mut already).unwrap();
    s.scheduler_round(expiry + 1200, 3600, &mut already).unwrap();
    let expired_day = day_label(local_day(&crate::clock::Clock::zone(&t.timezone), expiry));
    assert_eq!(rows(&s, t.id, 0, Metric::Expired), [(expired_day.clone(), home, 1)]);
    // Renewed five days later: rescued, on the expiry's day.
    pay(&s, t.id, Some(brian.customer), PaymentMethod::Cash, 300_000, "c1", expiry + 5 * 86_400);
    s.renew_service_from_wallet("test", expiry + 5 * 86_400, t.id, brian.id, None).unwrap().unwrap();
    assert_eq!(rows(&s, t.id, 0, Metric::Rescued), [(expired_day, home, 1)]);
    assert_eq!(rows(&s, t.id, 0, Metric::Sales).iter().map(|r| r.2).sum::<i64>(), 150_000);
    // It expires again and comes back 40 days later: reactivated.
    let again = s.service(t.id, brian.id).unwrap().unwrap().expires_at.unwrap();
    s.scheduler_round(again + 60, 3600, &mut already).unwrap();
    s.renew_service_from_wallet("test", again + 40 * 86_400, t.id, brian.id, None).unwrap().unwrap();
    let back = day_label(local_day(&crate::clock::Clock::zone(&t.timezone), again + 40 * 86_400));
    assert_eq!(rows(&s, t.id, 0, Metric::Reactivated), [(back, home, 1)]);
    // Brian twice, and the three other demo services (30 days from the
    // seed) in the later round; the unused voucher is not a service that
    // expires.
    assert_eq!(rows(&s, t.id, 0, Metric::Expired).iter().map(|r| r.2).sum::<i64>(), 5);
    // Cohort: Brian joined in January and paid in the two renewal months.
    let cohort = rows(&s, t.id, 0, Metric::CohortActive);
    assert_eq!(cohort.len(), 2, "{cohort:?}");
    assert!(cohort.iter().all(|r| r.1 == month_start(day("2026-01-20")) as u64 && r.2 == 1), "{cohort:?}");

    let p = Period { from: day("2026-01-01"), to: day("2026-12-31") };
    let r = build(&s, &t, Scope(0), Kind::Customers, p, day("2026-12-31"), false).unwrap();
    let jan = &r.tables[0].rows[0];
    assert_eq!(jan[1], crate::ops::report_view::Cell::Count(5), "five demo customers joined in January: {jan:?}");
}

fn acct(t: &Tenant, nas: Id, status: AcctStatus, bytes_in: u64, at: UnixTime) -> AcctRecord {
    AcctRecord {
        tenant: t.id,
        nas,
        status,
        session_id: "s1".into(),
        username: "demo-pppoe".into(),
        framed_ip: None,
        calling_station_id: None,
        nas_port_id: None,
        counters: Counters { bytes_in, bytes_out: bytes_in * 10, ..Default::default() },
        terminate_cause: None,
        event_time: at,
        nas_ip: None,
        ipv6: None,
    }
}

#[test]
fn traffic_is_split_at_the_tenants_midnight() {
    let (s, t) = setup();
    let nas = s.all_nas().unwrap()[0].id;
    let home = s.plan_by_name(t.id, "Home 10M").unwrap().id;
    let alice = customer(&s, &t, "demo-pppoe");
    let recs = [
        acct(&t, nas, AcctStatus::Start, 0, nairobi("2026-01-31", 23, 0)),
        acct(&t, nas, AcctStatus::Interim, 1_000, nairobi("2026-01-31", 23, 50)),
    ];
    s.apply_accounting(&recs, None, true).unwrap();
    // Retransmitted: counted once.
    s.apply_accounting(&recs[1..], None, true).unwrap();
    s.apply_accounting(&[acct(&t, nas, AcctStatus::Stop, 3_000, nairobi("2026-02-01", 0, 10))], None, true).unwrap();
    assert_eq!(
        rows(&s, t.id, 0, Metric::BytesIn),
        [("2026-01-31".into(), nas, 1_000), ("2026-02-01".into(), nas, 2_000)]
    );
    assert_eq!(
        rows(&s, t.id, 0, Metric::PlanBytesOut),
        [("2026-01-31".into(), home, 10_000), ("2026-02-01".into(), home, 20_000)]
    );
    assert_eq!(rows(&s, t.id, 0, Metric::SessionsStarted), [("2026-01-31".into(), nas, 1)]);
    let jan = s.usage_by_service(t.id, day("2026-01-01"), day("2026-01-01")).unwrap();
    assert_eq!(jan.get(&alice.id), Some(&(1_000, 10_000)));
    let both = s.usage_by_service(t.id, day("2026-01-01"), day("2026-02-01")).unwrap();
    assert_eq!(both.get(&alice.id), Some(&(3_000, 30_000)));
}

#[test]
fn a_reseller_sees_its_own_customers() {
    let (s, t) = setup();
    let reseller = s.create_customer("test", 0, t.id, "Reseller wallet", None, None).unwrap().id;
    let mine = s.create_customer("test", nairobi("2026-02-01", 8, 0), t.id, "Reseller's client", None, None).unwrap();
    {
        let tx = s.write().unwrap();
        Store::own_customer(&tx, t.id, reseller, mine.id).unwrap();
        s.commit(tx).unwrap();
    }
    let alice = customer(&s, &t, "demo-pppoe").customer;
    let at = nairobi("2026-02-02", 8, 0);
    pay(&s, t.id, Some(mine.id), PaymentMethod::Cash, 5_000, "r1", at);
    pay(&s, t.id, Some(alice), PaymentMethod::Cash, 7_000, "a1", at);
    assert_eq!(rows(&s, t.id, reseller, Metric::Paid), [("2026-02-02".into(), 2, 5_000)]);
    assert_eq!(rows(&s, t.id, 0, Metric::Paid), [("2026-02-02".into(), 2, 12_000)]);
    assert_eq!(rows(&s, t.id, reseller, Metric::CustomersNew), [("2026-02-01".into(), 0, 1)]);
    let p = Period { from: day("2026-02-01"), to: day("2026-02-28") };
    let r = build(&s, &t, Scope(reseller), Kind::Reconciliation, p, day("2026-02-10"), true).unwrap();
    let listed = &r.tables.iter().find(|t| t.title == "Payments received").unwrap().rows;
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert!(r.checks.iter().all(|c| c.ok), "{:#?}", r.checks);
}

#[test]
fn the_backfill_rebuilds_what_the_write_paths_kept() {
    let (s, t) = setup();
    let alice = customer(&s, &t, "demo-pppoe");
    let at = nairobi("2026-02-03", 23, 59);
    pay(&s, t.id, Some(alice.customer), PaymentMethod::MpesaStk, 150_000, "s1", at);
    pay(&s, t.id, None, PaymentMethod::MpesaC2b, 9_000, "u1", at + 120);
    s.renew_service_from_wallet("test", at + 600, t.id, alice.id, None).unwrap().unwrap();
    let kept = [
        Metric::Paid,
        Metric::PaidCount,
        Metric::Unmatched,
        Metric::Ledger,
        Metric::DocNet,
        Metric::DocTax,
        Metric::DocGross,
        Metric::DocCount,
        Metric::CustomersNew,
        Metric::ServicesNew,
    ];
    let snapshot = |s: &Store| -> BTreeMap<(u16, String, u64), i64> {
        let mut out = BTreeMap::new();
        for m in kept {
            for r in rows(s, t.id, 0, m) {
                out.insert((m as u16, r.0, r.1), r.2);
            }
        }
        out
    };
    let before = snapshot(&s);
    assert!(before.len() > 8, "{before:?}");
    let p = Period { from: day("2026-02-01"), to: day("2026-02-28") };
    let listed = s.payments_between(t.id, i64::MIN, i64::MAX, usize::MAX, &super::report_rows::everyone).unwrap().len();
    let tx = s.write().unwrap();
    tx.delete_table(REPORT_AGG).unwrap();
    tx.delete_table(PAYMENTS_BY_TIME).unwrap();
    tx.delete_table(SALES_DOCS).unwrap();
    tx.delete_table(STK_BY_TIME).unwrap();
    super::report_rows::backfill(&tx).unwrap();
    s.commit(tx).unwrap();
    assert_eq!(snapshot(&s), before);
    assert_eq!(
        s.payments_between(t.id, i64::MIN, i64::MAX, usize::MAX, &super::report_rows::everyone).unwrap().len(),
        listed
    );
    let r = build(&s, &t, Scope(0), Kind::Tax, p, day("2026-02-10"), true).unwrap();
    assert!(r.checks.iter().all(|c| c.ok), "{:#?}", r.checks);
}
