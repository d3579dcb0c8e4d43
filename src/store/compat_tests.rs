//! Backward compatibility: a database written by an older lango must open
//! and read correctly. `tests/fixtures/schema-v1/` holds a file written by
//! the schema-1 layout (demo seed plus one closed session); every later
//! layout must keep reading it. Regenerate only when adding a new fixture
//! for a new schema, never to make this test pass:
//! `cargo test --lib generate_schema_v1_fixture -- --ignored`.

use std::path::PathBuf;

use super::accounting::{AcctRecord, AcctStatus};
use super::{Purpose, Store};
use crate::model::{Counters, RateLimit};

const T0: i64 = 1_800_000_000;

fn fixture_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/schema-v1")
}

#[test]
#[ignore = "writes the fixture; run by hand when introducing a schema"]
fn generate_schema_v1_fixture() {
    let dir = fixture_dir();
    let _ = std::fs::remove_dir_all(&dir);
    let store = Store::open(&dir.join("lango.redb"), &dir.join("lango.key"), 1).unwrap();
    let t = crate::demo::seed(&store, T0, 0).unwrap();
    let rec = |status, counters| AcctRecord {
        tenant: t.id,
        nas: store.all_nas().unwrap()[0].id,
        status,
        session_id: "fixture-1".into(),
        username: "demo-pppoe".into(),
        framed_ip: Some("10.0.0.7".parse().unwrap()),
        calling_station_id: None,
        nas_port_id: None,
        counters,
        terminate_cause: Some(1),
        event_time: T0 + 100,
        nas_ip: None,
        ipv6: None,
    };
    let c = Counters { session_time: 100, bytes_in: 5_000_000_000, bytes_out: 42, packets_in: 1, packets_out: 2 };
    store
        .apply_accounting(&[rec(AcctStatus::Start, Counters::default()), rec(AcctStatus::Stop, c)], None, true)
        .unwrap();
}

#[test]
fn schema_v1_file_still_reads() {
    let tmp = std::env::temp_dir().join(format!("lango-compat-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&tmp);
    std::fs::create_dir_all(&tmp).unwrap();
    for f in ["lango.redb", "lango.key"] {
        std::fs::copy(fixture_dir().join(f), tmp.join(f)).unwrap();
    }
    let store = Store::open(&tmp.join("lango.redb"), &tmp.join("lango.key"), 1).unwrap();
    let t = store.tenant_by_slug("demo").unwrap();
    assert_eq!(t.timezone, "Africa/Nairobi");
    let s = store.service_by_username(t.id, "demo-pppoe").unwrap();
    assert_eq!(store.secrets().open(Purpose::Password, &s.password).unwrap(), b"demo-pass");
    assert_eq!(s.expires_at, Some(T0 + 30 * 86_400));
    let plan = store.plan_by_name(t.id, "Home 10M").unwrap();
    assert_eq!(plan.rate, Some(RateLimit::parse("10M/10M 20M/20M 8M/8M 10/10").unwrap()));
    let u = store.usage(t.id, s.id).unwrap();
    assert_eq!((u.bytes_in, u.bytes_out, u.seconds), (5_000_000_000, 42, 100));
    let hist = store.session_history(t.id).unwrap();
    assert_eq!(hist.len(), 1);
    assert_eq!(hist[0].framed_ip, Some("10.0.0.7".parse().unwrap()));
    assert_eq!(store.services(t.id).unwrap().len(), 5);
    let nas = store.all_nas().unwrap();
    assert_eq!(store.secrets().open(Purpose::NasSecret, &nas[0].secret).unwrap(), b"demo-secret");
    // Schema 7 sealed the clear phones and keyed the index by their tokens.
    let alice = store.customer_by_phone(t.id, "0712000001").unwrap().expect("found by the token");
    let c = store.customer_for(t.id, None, alice).unwrap().unwrap();
    assert_eq!((c.name.as_str(), c.phone.as_deref()), ("Alice Wanjiru", Some("+254712000001")));
    let tx = store.read().unwrap();
    for row in redb::ReadableTable::iter(&tx.open_table(super::tables::CUSTOMERS).unwrap()).unwrap() {
        let (_, v) = row.unwrap();
        assert!(!super::personal::is_clear::<crate::model::Customer>(v.value()));
        assert!(!String::from_utf8_lossy(v.value()).contains("2547"), "no clear number in a customer row");
    }
    let old: redb::TableDefinition<(u32, &str), u64> = redb::TableDefinition::new("customer_by_phone");
    assert!(tx.open_table(old).is_err(), "the clear-keyed index is gone");
    drop(tx);
    drop(store);
    let bytes = std::fs::read(tmp.join("lango.redb")).unwrap();
    let clear = bytes.windows(12).filter(|w| w == b"254712000001").count();
    assert_eq!(clear, 0, "no clear copy of Alice's number left in the upgraded file (compacted)");
    let _ = std::fs::remove_dir_all(&tmp);
}
