//! Retention on the demo tenant with a manual clock: a purge removes the
//! closed sessions (and their entries in the by-service index) and audit
//! records older than the tenant's periods and keeps the recent ones; as
//! the clock moves on, the kept ones age out. Also the by-service index
//! itself: written by the accounting fold, rebuilt by the upgrade.

use super::*;
use crate::clock::Clock;
use crate::model::*;
use crate::store::Store;

const DAY: i64 = 86_400;

fn closed(tenant: TenantId, service: Id, stopped_at: UnixTime) -> Session {
    Session {
        tenant,
        nas: 1,
        acct_session_id: format!("s{stopped_at}"),
        service: Some(service),
        username: "demo-pppoe".into(),
        framed_ip: None,
        calling_station_id: None,
        nas_port_id: None,
        started_at: stopped_at - 3_600,
        updated_at: stopped_at,
        stopped_at: Some(stopped_at),
        counters: Counters::default(),
        terminate_cause: Some(1),
        nas_ip: None,
        ipv6: None,
    }
}

fn history(s: &Store, tenant: TenantId) -> Vec<UnixTime> {
    let tx = s.read().unwrap();
    super::super::tenant_rows::<Session>(&tx.open_table(SESSION_HISTORY).unwrap(), tenant)
        .unwrap()
        .into_iter()
        .filter_map(|x| x.stopped_at)
        .collect()
}

#[test]
fn purge_removes_old_sessions_and_keeps_recent_ones() {
    let clock = Clock::manual(1_780_000_000);
    let s = Store::in_memory().unwrap();
    let t = crate::demo::seed(&s, clock.now(), 0).unwrap();
    let svc = s.service_by_username(t.id, "demo-pppoe").unwrap();
    let now = clock.now();
    let (old, recent) = (now - 40 * DAY, now - 10 * DAY);
    {
        let tx = s.write().unwrap();
        let mut h = tx.open_table(SESSION_HISTORY).unwrap();
        let mut by_service = tx.open_table(HISTORY_BY_SERVICE).unwrap();
        for (seq, at) in [(1u64, old), (2, recent)] {
            h.insert((t.id, seq), encode(&closed(t.id, svc.id, at)).as_slice()).unwrap();
            by_service.insert((t.id, svc.id, seq), ()).unwrap();
        }
        drop((h, by_service));
        s.commit(tx).unwrap();
    }
    // Nothing is purged until the tenant sets a period.
    assert_eq!(s.purge(t.id, now).unwrap(), Purged::default());
    assert_eq!(history(&s, t.id), [old, recent]);

    s.set_retention("test", now, t.id, Retention { sessions_days: 30, ..Retention::default() }).unwrap();
    let p = s.purge(t.id, clock.now()).unwrap();
    assert_eq!(p.sessions, 1, "{p:?}");
    assert_eq!(history(&s, t.id), [recent], "the 40-day-old session goes, the 10-day-old one stays");
    let shown: Vec<_> = s.service_sessions(t.id, svc.id).unwrap().iter().filter_map(|x| x.stopped_at).collect();
    assert_eq!(shown, [recent], "its index entry went with it");
    assert_eq!(indexed(&s), 1);
    // The audit log is untouched without its own period.
    assert_eq!(p.audit, 0);

    clock.advance(19 * DAY);
    assert_eq!(s.purge(t.id, clock.now()).unwrap().sessions, 0, "29 days old: kept");
    clock.advance(2 * DAY);
    assert_eq!(s.purge(t.id, clock.now()).unwrap().sessions, 1, "31 days old: gone");
    assert!(history(&s, t.id).is_empty());
    assert_eq!(indexed(&s), 0);
}

fn indexed(s: &Store) -> usize {
    let tx = s.read().unwrap();
    tx.open_table(HISTORY_BY_SERVICE).unwrap().iter().unwrap().count()
}

#[test]
fn a_services_sessions_come_from_the_index_the_fold_writes_and_the_upgrade_builds() {
    use crate::store::accounting::{AcctRecord, AcctStatus};
    let s = Store::in_memory().unwrap();
    let t = crate::demo::seed(&s, 1_780_000_000, 0).unwrap();
    let nas = s.all_nas().unwrap()[0].id;
    let rec = |user: &str, id: &str, status, at| AcctRecord {
        tenant: t.id,
        nas,
        status,
        session_id: id.into(),
        username: user.into(),
        framed_ip: None,
        calling_station_id: None,
        nas_port_id: None,
        counters: Counters { session_time: 60, ..Counters::default() },
        terminate_cause: Some(1),
        event_time: at,
        nas_ip: None,
        ipv6: None,
    };
    let recs = [
        rec("demo-pppoe", "p1", AcctStatus::Start, 1_780_000_100),
        rec("demo-pppoe", "p1", AcctStatus::Stop, 1_780_000_200),
        rec("demo-static", "x1", AcctStatus::Start, 1_780_000_300),
        rec("demo-static", "x1", AcctStatus::Stop, 1_780_000_400),
        rec("demo-pppoe", "p2", AcctStatus::Start, 1_780_000_500),
    ];
    s.apply_accounting(&recs, None, true).unwrap();
    let pppoe = s.service_by_username(t.id, "demo-pppoe").unwrap().id;
    let ids = |svc: Id| -> Vec<(String, bool)> {
        let list = s.service_sessions(t.id, svc).unwrap();
        list.into_iter().map(|x| (x.acct_session_id, x.stopped_at.is_some())).collect()
    };
    let want = vec![("p1".to_string(), true), ("p2".to_string(), false)];
    assert_eq!(ids(pppoe), want, "its closed session, then its online one; not the other service's");
    assert_eq!(indexed(&s), 2, "one entry per closed session");
    // A schema-7 file has no such index: the upgrade builds it.
    let tx = s.write().unwrap();
    tx.delete_table(HISTORY_BY_SERVICE).unwrap();
    tx.open_table(META).unwrap().insert("schema_version", 7).unwrap();
    s.commit(tx).unwrap();
    s.migrate().unwrap();
    assert_eq!(ids(pppoe), want);
    assert_eq!(indexed(&s), 2);
}

#[test]
fn purge_removes_audit_records_past_their_year_with_their_indexes() {
    let clock = Clock::manual(1_780_000_000);
    let s = Store::in_memory().unwrap();
    let t = crate::demo::seed(&s, clock.now(), 0).unwrap();
    let seeded = s.audit_log(t.id).unwrap().len();
    assert!(seeded > 0);
    clock.advance(400 * DAY);
    s.note("test", clock.now(), t.id, "nas.kick", "nas/1".into(), "recent".into()).unwrap();
    s.set_retention("test", clock.now(), t.id, Retention { audit_days: 365, ..Retention::default() }).unwrap();
    let p = s.purge(t.id, clock.now()).unwrap();
    assert_eq!(p.audit, seeded, "{p:?}");
    let left: Vec<String> = s.audit_log(t.id).unwrap().into_iter().map(|r| r.action).collect();
    assert_eq!(left, ["nas.kick", "tenant.retention"]);
    let tx = s.read().unwrap();
    let objects = tx.open_table(AUDIT_BY_OBJECT).unwrap();
    let n = objects.range((t.id, "", 0)..(t.id + 1, "", 0)).unwrap().count();
    assert_eq!(n, 2, "the object index follows");
}
