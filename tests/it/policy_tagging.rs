//! Policy tagging against the real binary: a plan's routing mark, Filter-Id
//! and Mikrotik-Group reach the Access-Accept (radclient as the peer); the
//! admin plan form sets them and re-renders with the field's message on a
//! name the router would not take, as `lango plan add` refuses it; and a
//! plan change on a live session is a CoA when only the speed changes and
//! a Disconnect when the profile changes (the NAS simulator as the router).
//! The routing mark's mangle rule and table are in `routeros.rs`.

use std::net::SocketAddr;
use std::time::Duration;

use crate::billing::{COA, DISCONNECT, rig};
use crate::harness::*;

const MA: &str = "Message-Authenticator=0x00";

/// A new demo customer with service `user` on `plan`.
fn service_on(data: &std::path::Path, name: &str, plan: &str, user: &str, pass: &str) {
    let out = lango_ok(data, &["customer", "add", "--tenant", "demo", "--name", name]);
    let id = out.split("(id ").nth(1).unwrap().trim_end().trim_end_matches(')').to_string();
    let args = ["service", "add", "--tenant", "demo", "--customer", &id, "--plan", plan, "--username", user];
    lango_ok(data, &[&args[..], &["--password", pass, "--expires", "30d"]].concat());
}

/// The first reply to `user`'s PAP login that `ok` accepts (the server
/// picks up a CLI change within moments; a Stop is folded shortly after
/// its ack), polling for ten seconds.
fn login_until(auth: SocketAddr, user: &str, pass: &str, ok: impl Fn(&Reply) -> bool) -> Reply {
    let attrs = format!("User-Name={user},User-Password={pass},Framed-Protocol=PPP,{MA}");
    let mut last = None;
    for _ in 0..40 {
        let r = radclient(auth, "auth", DEMO_SECRET, &attrs);
        if ok(&r) {
            return r;
        }
        last = Some(r);
        std::thread::sleep(Duration::from_millis(250));
    }
    panic!("no fitting reply for {user}; last: {}", last.unwrap().raw);
}

fn accepted(r: &Reply) -> bool {
    r.is("Access-Accept")
}

#[test]
fn the_access_accept_carries_the_plans_tags() {
    let s = Server::demo();
    let plan = ["plan", "add", "--tenant", "demo", "--name", "Business", "--validity", "30d", "--rate", "20M/20M"];
    let tags = ["--address-list", "business", "--routing-mark", "via-isp2", "--filter-id", "biz-in", "--group", "gold"];
    lango_ok(&s.data, &[&plan[..], &tags[..]].concat());
    service_on(&s.data, "Tagged Ltd", "Business", "tagged", "tagged-pass");
    let r = login_until(s.auth, "tagged", "tagged-pass", accepted);
    let lists: Vec<&str> =
        r.attrs.iter().filter(|(n, _)| n == "Mikrotik-Address-List").map(|(_, v)| v.as_str()).collect();
    assert_eq!(lists, ["business", "lango-route-via-isp2"], "{}", r.raw);
    assert_eq!(r.get("Filter-Id"), Some("biz-in"), "{}", r.raw);
    assert_eq!(r.get("Mikrotik-Group"), Some("gold"), "{}", r.raw);
    assert_eq!(r.get("Mikrotik-Rate-Limit"), Some("20M/20M"), "{}", r.raw);

    // An untagged plan's Accept has none of them.
    let r = radclient(s.auth, "auth", DEMO_SECRET, &format!("User-Name=demo-pppoe,User-Password=demo-pass,{MA}"));
    assert!(r.is("Access-Accept"), "{}", r.raw);
    assert!(r.get("Filter-Id").is_none() && r.get("Mikrotik-Group").is_none(), "{}", r.raw);

    // The command line refuses a name the router would not take, naming
    // the option's field.
    let bad_plan = ["plan", "add", "--tenant", "demo", "--name", "Bad", "--validity", "30d"];
    let bad = lango(&s.data, &[&bad_plan[..], &["--group", "gold profile"]].concat());
    assert!(!bad.status.success());
    let err = String::from_utf8_lossy(&bad.stderr);
    assert!(err.contains("--group") && err.contains("letters, digits"), "{err}");
    let bad = lango(&s.data, &[&bad_plan[..], &["--routing-mark", "main"]].concat());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("--routing-mark"), "{bad:?}");
    assert!(!lango_ok(&s.data, &["plan", "list", "--tenant", "demo"]).contains("Bad"), "nothing saved");
}

#[test]
fn the_admin_plan_form_sets_the_tags_and_names_a_bad_one() {
    let s = Server::demo();
    let web = AdminWeb::login(s.http, "demo", "demo-admin-pass");
    let form = web.get("/admin/plans/new");
    assert!(form.body.contains("name=\"routing_mark\"") && form.body.contains("name=\"group\""), "{}", form.body);

    let base = [("name", "Fibre Biz"), ("validity", "30d"), ("price", "5000"), ("rate", "50M/50M")];
    let bad = web.post("/admin/plans", &[&base[..], &[("routing_mark", "via isp2"), ("group", "gold")]].concat());
    assert_eq!(bad.status, 422, "{}", bad.body);
    assert!(bad.body.contains("id=\"error-routing_mark\""), "{}", bad.body);
    assert!(bad.body.contains("value=\"via isp2\"") && bad.body.contains("value=\"gold\""), "typed values come back");
    let bad = web.post("/admin/plans", &[&base[..], &[("filter_id", "in;drop")]].concat());
    assert_eq!(bad.status, 422, "{}", bad.body);
    assert!(bad.body.contains("id=\"error-filter_id\""), "{}", bad.body);
    assert!(!lango_ok(&s.data, &["plan", "list", "--tenant", "demo"]).contains("Fibre Biz"), "nothing saved");

    let tags = [("routing_mark", "via-isp2"), ("filter_id", "biz-in"), ("group", "gold")];
    let ok = web.post("/admin/plans", &[&base[..], &tags[..]].concat());
    assert_eq!(ok.status, 303, "{}", ok.body);
    let list = lango_ok(&s.data, &["plan", "list", "--tenant", "demo"]);
    let id = list.lines().find(|l| l.contains("Fibre Biz")).unwrap().split_whitespace().next().unwrap().to_string();
    let edit = web.get(&format!("/admin/plans/{id}"));
    for v in ["value=\"via-isp2\"", "value=\"biz-in\"", "value=\"gold\""] {
        assert!(edit.body.contains(v), "{v}: {}", edit.body);
    }

    // Saved through the form, the tags reach RADIUS.
    service_on(&s.data, "Form Ltd", "Fibre Biz", "formbiz", "formbiz-pass");
    let r = login_until(s.auth, "formbiz", "formbiz-pass", accepted);
    assert_eq!(r.get("Mikrotik-Group"), Some("gold"), "{}", r.raw);
    assert_eq!(r.get("Filter-Id"), Some("biz-in"), "{}", r.raw);

    // Cleared on edit: the next login has none.
    let cleared = [&base[..], &[("routing_mark", ""), ("filter_id", ""), ("group", "")]].concat();
    let ok = web.post(&format!("/admin/plans/{id}"), &cleared);
    assert_eq!(ok.status, 303, "{}", ok.body);
    let plain = login_until(s.auth, "formbiz", "formbiz-pass", |r| accepted(r) && r.get("Mikrotik-Group").is_none());
    assert!(plain.get("Filter-Id").is_none(), "{}", plain.raw);
}

/// A plan change on a live session: the CoA planner sends a CoA when only
/// the speed changes (same profile), and a Disconnect when the profile
/// (Mikrotik-Group) changes.
#[test]
fn a_plan_change_is_a_coa_for_the_speed_and_a_disconnect_for_the_profile() {
    let r = rig("policy-coa");
    r.plan("Gold 10M", &["--validity", "30d", "--rate", "10M/10M", "--group", "gold"]);
    r.plan("Gold 20M", &["--validity", "30d", "--rate", "20M/20M", "--group", "gold"]);
    r.plan("Silver 20M", &["--validity", "30d", "--rate", "20M/20M", "--group", "silver"]);
    r.plan("Silver 50M", &["--validity", "30d", "--rate", "50M/50M", "--group", "silver"]);
    r.service("Wanjiru", "Gold 10M", "wanjiru", "wanjiru-pass", &["--expires", "30d"]);
    let first = login_until(r.server.auth, "wanjiru", "wanjiru-pass", accepted);
    assert_eq!(first.get("Mikrotik-Group"), Some("gold"), "{}", first.raw);
    r.start_session("wanjiru", "tag-1", "10.0.0.21", "");

    // Same profile, more speed: changed in place.
    r.cli(&["service", "edit", "--tenant", "demo", "wanjiru", "--plan", "Gold 20M"]);
    assert!(r.nas_got(COA, "tag-1", Duration::from_secs(10)), "no CoA; log:\n{}", r.server.log());
    let coa = r.nas.requests().into_iter().find(|q| q.code == COA).unwrap();
    assert_eq!(coa.vsa(14988, 8), Some(&b"20M/20M"[..]), "the new rate");
    assert_eq!(r.nas.session("tag-1").unwrap().rate_limit.as_deref(), Some("20M/20M"));
    assert!(!r.nas_got(DISCONNECT, "tag-1", Duration::from_millis(1500)), "a speed change must not disconnect");

    // Another profile: only a new login applies it.
    r.cli(&["service", "edit", "--tenant", "demo", "wanjiru", "--plan", "Silver 20M"]);
    assert!(r.nas_got(DISCONNECT, "tag-1", Duration::from_secs(10)), "no Disconnect; log:\n{}", r.server.log());
    let coas = r.nas.requests().iter().filter(|q| q.code == COA).count();
    assert_eq!(coas, 1, "no CoA for the profile change");
    r.stop_session("wanjiru", "tag-1", "");
    let after = login_until(r.server.auth, "wanjiru", "wanjiru-pass", accepted);
    assert_eq!(after.get("Mikrotik-Group"), Some("silver"), "{}", after.raw);

    // A paid plan change (onto another plan in the same profile, the
    // period's end kept and the difference charged) is a CoA too.
    r.start_session("wanjiru", "tag-2", "10.0.0.22", "");
    r.cli(&["wallet", "renew", "--tenant", "demo", "--service", "wanjiru", "--plan", "Silver 50M"]);
    assert!(r.nas_got(COA, "tag-2", Duration::from_secs(10)), "no CoA; log:\n{}", r.server.log());
    let s = r.nas.session("tag-2").unwrap();
    assert_eq!(s.rate_limit.as_deref(), Some("50M/50M"));
    assert!(!r.nas_got(DISCONNECT, "tag-2", Duration::from_millis(1500)), "a speed change must not disconnect");
}

/// A service's routed subnets (Framed-Route, for the router to
/// redistribute into BGP / OSPF) are edited from the command line and the
/// service page, checked the same way, and reach the Access-Accept.
#[test]
fn routed_subnets_are_set_from_the_cli_and_the_service_page() {
    let s = Server::demo();
    let edit = ["service", "edit", "--tenant", "demo", "demo-pppoe", "--routes"];
    let bad = lango(&s.data, &[&edit[..], &["192.168.50.0"]].concat());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("--routes"), "{bad:?}");
    let out = lango_ok(&s.data, &[&edit[..], &["192.168.50.0/24 10.0.0.5 1"]].concat());
    assert!(out.contains("routes 192.168.50.0/24 10.0.0.5 1"), "{out}");
    let r = login_until(s.auth, "demo-pppoe", "demo-pass", |r| r.get("Framed-Route").is_some());
    assert_eq!(r.get("Framed-Route"), Some("192.168.50.0/24 10.0.0.5 1"), "{}", r.raw);

    let web = AdminWeb::login(s.http, "demo", "demo-admin-pass");
    let list = lango_ok(&s.data, &["service", "list", "--tenant", "demo"]);
    let id = list.lines().find(|l| l.split_whitespace().nth(1) == Some("demo-pppoe")).unwrap();
    let id = id.split_whitespace().next().unwrap();
    let page = web.get(&format!("/admin/services/{id}"));
    assert!(page.body.contains("192.168.50.0/24 10.0.0.5 1</textarea>"), "{}", page.body);
    let plans = lango_ok(&s.data, &["plan", "list", "--tenant", "demo"]);
    let plan = plans.lines().find(|l| l.contains("Home 10M")).unwrap().split_whitespace().next().unwrap().to_string();
    let post = |routes: &str| {
        web.post(
            &format!("/admin/services/{id}/access"),
            &[("mac", ""), ("ip", ""), ("plan", &plan), ("routes", routes)],
        )
    };
    let bad = post("10.20.0.0/16\n192.168.7.0/33");
    assert_eq!(bad.status, 422, "{}", bad.body);
    assert!(bad.body.contains("id=\"error-routes\"") && bad.body.contains("192.168.7.0/33"), "{}", bad.body);
    let ok = post("10.20.0.0/16\n192.168.7.0/24 10.0.0.5");
    assert_eq!(ok.status, 303, "{}", ok.body);
    let shown = lango_ok(&s.data, &["service", "show", "--tenant", "demo", "demo-pppoe", "--json"]);
    assert!(shown.contains("10.20.0.0/16") && shown.contains("192.168.7.0/24 10.0.0.5"), "{shown}");
    assert!(!shown.contains("192.168.50.0/24"), "replaced: {shown}");
}

/// Editing a plan reaches the sessions online on it, from the command line
/// and from the plans page alike: a new speed is a CoA (no disconnect), a
/// new profile a Disconnect; taking the plan off sale ends nobody's
/// session but refuses the next login.
#[test]
fn a_plan_edit_reaches_the_sessions_online_on_it() {
    let r = rig("policy-plan-edit");
    r.plan("Bronze", &["--validity", "30d", "--rate", "5M/5M", "--group", "bronze"]);
    r.service("Atieno", "Bronze", "atieno", "atieno-pass", &["--expires", "30d"]);
    login_until(r.server.auth, "atieno", "atieno-pass", accepted);
    r.start_session("atieno", "pe-1", "10.0.0.31", "");

    let edit = ["plan", "edit", "--tenant", "demo", "--plan", "Bronze", "--name", "Bronze", "--validity", "30d"];
    let out = r.cli(&[&edit[..], &["--rate", "8M/8M", "--group", "bronze"]].concat());
    assert!(out.contains("1 online session(s) get the change"), "{out}");
    assert!(r.nas_got(COA, "pe-1", Duration::from_secs(10)), "no CoA; log:\n{}", r.server.log());
    let coa = r.nas.requests().into_iter().find(|q| q.code == COA).unwrap();
    assert_eq!(coa.vsa(14988, 8), Some(&b"8M/8M"[..]), "the new rate");
    assert!(!r.nas_got(DISCONNECT, "pe-1", Duration::from_millis(1500)), "a speed change must not disconnect");

    // Off sale: the session stays, the next login is refused.
    assert!(r.cli(&["plan", "disable", "--tenant", "demo", "Bronze"]).contains("disabled"));
    let refused = login_until(r.server.auth, "atieno", "atieno-pass", |x| x.is("Access-Reject"));
    assert!(refused.raw.contains("Plan no longer available"), "{}", refused.raw);
    assert!(!r.nas_got(DISCONNECT, "pe-1", Duration::from_millis(1500)), "off sale ends no session");
    assert!(r.cli(&["plan", "enable", "--tenant", "demo", "Bronze"]).contains("enabled"));

    // The plans page: another profile ends the session (a CoA cannot move
    // it), and says so.
    let web = AdminWeb::login(r.server.http, "demo", "demo-admin-pass");
    let plans = r.cli(&["plan", "list", "--tenant", "demo"]);
    let id = plans.lines().find(|l| l.contains("Bronze")).unwrap().split_whitespace().next().unwrap().to_string();
    let form = web.get(&format!("/admin/plans/{id}")).body;
    let names = ["name", "validity", "price", "rate", "simultaneous_use"];
    let mut fields: Vec<(&str, String)> =
        names.iter().map(|n| (*n, input_value(&form, n).unwrap_or_default())).collect();
    fields.push(("group", "silver".into()));
    let typed: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let saved = web.post(&format!("/admin/plans/{id}"), &typed);
    assert_eq!(saved.status, 303, "{}", saved.body);
    let flash = set_cookie(&saved, "lango_flash").unwrap_or_default();
    assert!(flash.contains("1+online+session+gets+the+change"), "{flash}");
    assert!(r.nas_got(DISCONNECT, "pe-1", Duration::from_secs(10)), "no Disconnect; log:\n{}", r.server.log());
}
