//! Editing and retiring from the admin UI against the real binary: a plan
//! edited (the form shows it as `lango plan add` would take it; saving it
//! unchanged changes nothing; a new price and speed reach the next login),
//! a plan taken off sale refuses its logins, a disabled router is not
//! answered, and a customer is deleted only when nothing refers to it.

use crate::harness::*;

fn auth(s: &Server, user: &str, pass: &str) -> Reply {
    radclient(s.auth, "auth", DEMO_SECRET, &format!("User-Name={user},User-Password={pass},Message-Authenticator=0x00"))
}

fn fields(page: &str, names: &[&'static str]) -> Vec<(&'static str, String)> {
    names.iter().map(|n| (*n, input_value(page, n).unwrap_or_default())).collect()
}

#[test]
fn plans_are_edited_and_retired_routers_disabled_customers_deleted_when_unreferenced() {
    let s = Server::demo();
    let web = AdminWeb::login(s.http, "demo", "demo-admin-pass");
    let plans = lango_ok(&s.data, &["plan", "list", "--tenant", "demo"]);
    let home = plans.lines().find(|l| l.contains("Home 10M")).unwrap().split_whitespace().next().unwrap().to_string();

    // The edit form, saved as it is, changes nothing.
    let form = web.get(&format!("/admin/plans/{home}"));
    assert_eq!(form.status, 200);
    let names = [
        "name",
        "validity",
        "price",
        "rate",
        "quota",
        "grace",
        "simultaneous_use",
        "session_timeout",
        "idle_timeout",
        "pool",
    ];
    let values = fields(&form.body, &names);
    let as_typed: Vec<(&str, &str)> = values.iter().map(|(k, v)| (*k, v.as_str())).collect();
    assert!(as_typed.contains(&("price", "1500.00")) && as_typed.contains(&("validity", "30d")), "{as_typed:?}");
    let saved = web.post(&format!("/admin/plans/{home}"), &as_typed);
    assert_eq!(saved.status, 303, "{}", saved.body);
    assert_eq!(lango_ok(&s.data, &["plan", "list", "--tenant", "demo"]), plans, "an unchanged form changes nothing");
    let before = auth(&s, "demo-pppoe", "demo-pass");
    assert_eq!(before.get("Mikrotik-Rate-Limit"), Some("10M/10M 20M/20M 8M/8M 10/10"));

    // A new speed reaches the next login; a taken name is a field error.
    let mut edited = as_typed.clone();
    for (k, v) in edited.iter_mut() {
        if *k == "rate" {
            *v = "12M/12M";
        }
        if *k == "price" {
            *v = "1750";
        }
    }
    assert_eq!(web.post(&format!("/admin/plans/{home}"), &edited).status, 303);
    assert_eq!(auth(&s, "demo-pppoe", "demo-pass").get("Mikrotik-Rate-Limit"), Some("12M/12M"));
    assert!(lango_ok(&s.data, &["plan", "list", "--tenant", "demo"]).contains("1750.00"));
    let mut clash = edited.clone();
    for (k, v) in clash.iter_mut() {
        if *k == "name" {
            *v = "Home 20M";
        }
    }
    let refused = web.post(&format!("/admin/plans/{home}"), &clash);
    assert_eq!(refused.status, 422);
    assert!(refused.body.contains("id=\"error-name\""), "{}", refused.body);

    // Off sale: its logins are refused with the reason; back on, they work.
    assert_eq!(web.post(&format!("/admin/plans/{home}/state"), &[("disabled", "1")]).status, 303);
    let off = auth(&s, "demo-pppoe", "demo-pass");
    assert!(off.is("Access-Reject"), "{}", off.raw);
    assert!(off.raw.contains("Plan no longer available"), "{}", off.raw);
    assert_eq!(web.post(&format!("/admin/plans/{home}/state"), &[("disabled", "0")]).status, 303);
    assert!(auth(&s, "demo-pppoe", "demo-pass").is("Access-Accept"));

    // A disabled router is not answered at all (dropped as unknown).
    let nas = lango_ok(&s.data, &["nas", "list", "--tenant", "demo"]);
    let nas_id = nas.lines().nth(1).unwrap().split_whitespace().next().unwrap().to_string();
    assert_eq!(web.post(&format!("/admin/nas/{nas_id}/state"), &[("disabled", "1")]).status, 303);
    let dropped_before = s.counter("dropped_unknown_client");
    let silent = eventually_silent(&s);
    assert!(silent, "a disabled router gets no answer");
    assert!(s.counter("dropped_unknown_client") > dropped_before);
    assert_eq!(web.post(&format!("/admin/nas/{nas_id}/state"), &[("disabled", "0")]).status, 303);

    // Deleting: refused while services refer to the customer; a customer
    // with nothing is deleted, with an audit record.
    let list = lango_ok(&s.data, &["customer", "list", "--tenant", "demo"]);
    let brian = list.lines().find(|l| l.contains("Brian")).unwrap().split_whitespace().next().unwrap().to_string();
    let kept = web.post(&format!("/admin/customers/{brian}/delete"), &[]);
    assert_eq!(kept.status, 409);
    assert!(kept.body.contains("1 service(s)"), "{}", kept.body);
    let made = web.post("/admin/customers", &[("name", "Typo Person"), ("phone", "0712999111")]);
    let location = made.head.lines().find_map(|l| l.strip_prefix("location: ")).unwrap().trim().to_string();
    let gone = web.post(&format!("{location}/delete"), &[]);
    assert_eq!(gone.status, 303, "{}", gone.body);
    assert_eq!(web.get(&location).status, 404);
    assert!(!lango_ok(&s.data, &["customer", "list", "--tenant", "demo"]).contains("Typo Person"));
    let audit = web.get("/admin/audit?format=csv");
    assert!(audit.body.lines().any(|l| l.contains("customer.delete") && l.contains("Typo Person")), "{}", audit.body);
    // The phone is free again.
    assert_eq!(web.post("/admin/customers", &[("name", "Right Person"), ("phone", "0712999111")]).status, 303);
}

/// Directory reloads are asynchronous: wait until the router is dropped
/// (radclient gives up after 2 s without an answer).
fn eventually_silent(s: &Server) -> bool {
    (0..10).any(|_| {
        let r = auth(s, "demo-pppoe", "demo-pass");
        if r.code.is_some() {
            std::thread::sleep(std::time::Duration::from_millis(300));
        }
        r.code.is_none()
    })
}
