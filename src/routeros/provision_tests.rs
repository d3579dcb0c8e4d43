//! Table tests of the desired configuration and its diff.

use super::*;

fn settings() -> Settings {
    Settings {
        lango_address: "10.5.50.2".parse().unwrap(),
        radius_secret: "s3cret-radius".into(),
        auth_port: 1812,
        acct_port: 1813,
        coa_port: 3799,
        portal_port: 8080,
        interim_update: "5m".into(),
        payment_hosts: PAYMENT_HOSTS.iter().map(|h| h.to_string()).collect(),
        routing_marks: vec![],
    }
}

fn row(kv: &[(&str, &str)]) -> Row {
    kv.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

/// What a router holds after `changes` were applied to `state`, the way
/// RouterOS would (ids, yes → true), enough to check convergence.
fn apply(state: &mut BTreeMap<String, Vec<Row>>, changes: &[Change]) {
    let mut next = 100;
    for c in changes {
        let rows = state.entry(match c {
            Change::Add { menu, .. } | Change::Set { menu, .. } | Change::Remove { menu, .. } => menu.clone(),
        });
        let rows = rows.or_default();
        match c {
            Change::Add { key, attrs, .. } => {
                let mut r: Row = attrs.iter().cloned().collect();
                r.insert(".id".into(), format!("*{next:X}"));
                r.insert("comment".into(), format!("lango:{key}"));
                next += 1;
                rows.push(r);
            }
            Change::Set { id, diffs, .. } => {
                let r = match id {
                    Some(id) => rows.iter_mut().find(|r| r.get(".id") == Some(id)).unwrap(),
                    None => {
                        if rows.is_empty() {
                            rows.push(Row::new());
                        }
                        &mut rows[0]
                    }
                };
                for (k, _, v) in diffs {
                    let v = if v == "yes" { "true".to_string() } else { v.clone() };
                    r.insert(k.clone(), v);
                }
            }
            Change::Remove { id, .. } => rows.retain(|r| r.get(".id") != Some(id)),
        }
    }
}

#[test]
fn an_empty_router_gets_everything_and_then_converges() {
    let want = desired(&settings());
    let mut state = BTreeMap::new();
    state.insert("/ppp/aaa".to_string(), vec![row(&[("use-radius", "false"), ("interim-update", "0s")])]);
    state.insert("/ip/dhcp-server".to_string(), vec![row(&[(".id", "*1"), ("name", "lan"), ("use-radius", "no")])]);
    let changes = diff(&want, &state);
    let adds = changes.iter().filter(|c| matches!(c, Change::Add { .. })).count();
    // radius, 2 walled garden, 1 walled garden ip, 3 address-list, 3 nat, 7 filter.
    assert_eq!(adds, 17, "{changes:#?}");
    let sets: Vec<_> = changes.iter().filter(|c| matches!(c, Change::Set { .. })).collect();
    assert_eq!(sets.len(), 3, "incoming, aaa, the DHCP server: {sets:#?}");
    assert!(changes.iter().all(|c| !matches!(c, Change::Remove { .. })));
    // The drop rule comes after what captive customers may still reach.
    let filter_keys: Vec<_> = changes
        .iter()
        .filter_map(|c| match c {
            Change::Add { menu, key, .. } if menu == "/ip/firewall/filter" => Some(key.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(filter_keys.last(), Some(&"captive-drop"));
    apply(&mut state, &changes);
    assert_eq!(diff(&want, &state), vec![], "a second run changes nothing");
}

#[test]
fn only_lango_rows_are_changed_or_removed() {
    let want = desired(&settings());
    let mut state = BTreeMap::new();
    let changes = diff(&want, &state);
    apply(&mut state, &changes);
    let nat = state.get_mut("/ip/firewall/nat").unwrap();
    // The operator's masquerade rule, a stale lango rule, a duplicate, and
    // a lango rule someone edited.
    nat.push(row(&[(".id", "*A1"), ("chain", "srcnat"), ("action", "masquerade")]));
    nat.push(row(&[(".id", "*A2"), ("chain", "dstnat"), ("comment", "lango:old-rule")]));
    let mut dup = nat[0].clone();
    dup.insert(".id".into(), "*A3".into());
    nat.push(dup);
    nat[1].insert("to-ports".into(), "81".into());
    let changes = diff(&want, &state);
    let expected_removed: Vec<&str> = vec!["*A2", "*A3"];
    let removed: Vec<&str> = changes
        .iter()
        .filter_map(|c| match c {
            Change::Remove { id, .. } => Some(id.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(removed, expected_removed);
    let set: Vec<_> = changes.iter().filter(|c| matches!(c, Change::Set { .. })).collect();
    assert_eq!(set.len(), 1, "{set:#?}");
    assert_eq!(set[0].cmd().args.last(), Some(&("to-ports".to_string(), "8080".to_string())));
    assert_eq!(changes.len(), 3);
}

#[test]
fn values_compare_as_routeros_prints_them() {
    let cases =
        [("true", "yes", true), ("false", "no", true), ("true", "no", false), ("5m", "5m", true), ("", "yes", false)];
    for (cur, want, eq) in cases {
        assert_eq!(same(cur, want), eq, "{cur} vs {want}");
    }
}

#[test]
fn secrets_never_show() {
    let want = desired(&settings());
    let changes = diff(&want, &BTreeMap::new());
    let radius = changes.iter().find(|c| matches!(c, Change::Add { key, .. } if key == "radius")).unwrap();
    let shown = radius.to_string();
    assert!(shown.contains("secret=***") && !shown.contains("s3cret"), "{shown}");
    let mut state = BTreeMap::new();
    apply(&mut state, &changes);
    state.get_mut("/radius").unwrap()[0].insert("secret".into(), "old-secret".into());
    let set = diff(&want, &state);
    assert_eq!(set.len(), 1);
    let shown = set[0].to_string();
    assert!(shown.contains("secret=*** -> ***") && !shown.contains("old-secret"), "{shown}");
    assert_eq!(
        set[0].cmd().args,
        vec![(".id".to_string(), "*64".to_string()), ("secret".into(), "s3cret-radius".into())]
    );
}

#[test]
fn settings_reach_the_rows() {
    let want = desired(&Settings { coa_port: 1700, portal_port: 80, ..settings() });
    let incoming = want.iter().find(|d| d.menu == "/radius/incoming").unwrap();
    assert!(incoming.attrs.contains(&("port".into(), "1700".into())));
    let nat = want.iter().find(|d| d.menu == "/ip/firewall/nat").unwrap();
    assert!(nat.attrs.contains(&("to-addresses".into(), "10.5.50.2".into())));
    assert!(nat.attrs.contains(&("to-ports".into(), "80".into())));
    let hosts: Vec<_> = want
        .iter()
        .filter(|d| d.menu == "/ip/hotspot/walled-garden")
        .flat_map(|d| d.attrs.iter().filter(|(k, _)| k == "dst-host").map(|(_, v)| v.as_str()))
        .collect();
    assert_eq!(hosts, ["api.safaricom.co.ke", "sandbox.safaricom.co.ke"]);
}

#[test]
fn routing_marks_get_a_table_and_a_mangle_rule_and_stale_ones_go() {
    let marked = Settings { routing_marks: vec!["isp1".into(), "isp2".into()], ..settings() };
    let mut state = BTreeMap::new();
    let changes = diff(&desired(&marked), &state);
    let added = |menu: &str| -> Vec<Vec<(String, String)>> {
        changes
            .iter()
            .filter_map(|c| match c {
                Change::Add { menu: m, attrs, .. } if m == menu => Some(attrs.clone()),
                _ => None,
            })
            .collect()
    };
    let tables = added("/routing/table");
    assert_eq!(tables, vec![pairs(&[("name", "isp1"), ("fib", "yes")]), pairs(&[("name", "isp2"), ("fib", "yes")])]);
    let mangle = added("/ip/firewall/mangle");
    assert_eq!(
        mangle[0],
        pairs(&[
            ("chain", "prerouting"),
            ("src-address-list", "lango-route-isp1"),
            ("action", "mark-routing"),
            ("new-routing-mark", "isp1"),
            ("passthrough", "yes"),
        ])
    );
    // The table is added before the rule that names it.
    let pos = |menu: &str| changes.iter().position(|c| matches!(c, Change::Add { menu: m, .. } if m == menu));
    assert!(pos("/routing/table") < pos("/ip/firewall/mangle"));
    apply(&mut state, &changes);
    assert_eq!(diff(&desired(&marked), &state), vec![], "converged");

    // isp2 is no longer used: its rule goes before its table; isp1 stays.
    let fewer = Settings { routing_marks: vec!["isp1".into()], ..settings() };
    let changes = diff(&desired(&fewer), &state);
    let removed: Vec<(&str, &str)> = changes
        .iter()
        .filter_map(|c| match c {
            Change::Remove { menu, what, .. } => Some((menu.as_str(), what.as_str())),
            _ => None,
        })
        .collect();
    assert_eq!(removed, vec![("/ip/firewall/mangle", "lango:route-isp2"), ("/routing/table", "lango:route-isp2")]);
    assert_eq!(changes.len(), 2, "{changes:#?}");
}
