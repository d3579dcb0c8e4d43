//! The REST API's writes against the real binary: updates with ETag and
//! If-Match (428 without, 412 when an admin changed the record since),
//! suspend / resume with radclient watching, renewals from the wallet and
//! paid, the plan change's preview and apply, voucher batches, tickets,
//! disconnects, tokens scoped to a reseller and to addresses, and lists
//! filtered and sorted. Every write is in the audit log as `api:<token>`.

use serde_json::Value;

use crate::harness::*;

fn json(body: &str) -> Value {
    serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {body}"))
}

fn token(s: &Server, name: &str, role: &str, extra: &[&str]) -> String {
    let mut args = vec!["api-token", "create", "--tenant", "demo", "--name", name, "--role", role];
    args.extend_from_slice(extra);
    format!("Bearer {}", lango_ok(&s.data, &args).trim())
}

/// The answer's ETag header.
fn etag(a: &Answer) -> String {
    a.head
        .lines()
        .find_map(|l| l.split_once(':').filter(|(k, _)| k.eq_ignore_ascii_case("etag")).map(|(_, v)| v.trim()))
        .unwrap_or_else(|| panic!("no ETag in {}", a.head))
        .to_string()
}

fn call(s: &Server, method: &str, path: &str, auth: &str, extra: &[(&str, &str)], body: &str) -> Answer {
    let mut h = vec![("Authorization", auth), ("Content-Type", "application/json")];
    h.extend_from_slice(extra);
    http(s.http, method, path, &h, body)
}

fn service_id(s: &Server, auth: &str, username: &str) -> u64 {
    let list = json(&call(s, "GET", &format!("/api/v1/services?q={username}"), auth, &[], "").body);
    list["items"].as_array().unwrap().iter().find(|x| x["username"] == username).unwrap()["id"].as_u64().unwrap()
}

fn pap(s: &Server, user: &str, pass: &str) -> Reply {
    let attrs = format!("User-Name = \"{user}\", User-Password = \"{pass}\", Message-Authenticator = 0x00");
    radclient(s.auth, "auth", DEMO_SECRET, &attrs)
}

#[test]
fn updates_need_if_match_and_lose_to_nobody() {
    let s = Server::demo();
    let op = token(&s, "crm", "operator", &[]);
    let alice =
        json(&call(&s, "GET", "/api/v1/customers?q=Alice", &op, &[], "").body)["items"][0]["id"].as_u64().unwrap();
    let path = format!("/api/v1/customers/{alice}");
    let read = call(&s, "GET", &path, &op, &[], "");
    assert_eq!(read.status, 200, "{}", read.body);
    let tag = etag(&read);

    let body = r#"{"email":"alice@example.ke","category":"Business"}"#;
    let bare = call(&s, "PATCH", &path, &op, &[], body);
    assert_eq!(bare.status, 428, "{}", bare.body);
    assert_eq!(json(&bare.body)["error"]["code"], "precondition_required");

    let done = call(&s, "PATCH", &path, &op, &[("If-Match", &tag)], body);
    assert_eq!(done.status, 200, "{}", done.body);
    let v = json(&done.body);
    assert_eq!((v["email"].as_str(), v["category"].as_str()), (Some("alice@example.ke"), Some("business")));
    assert_eq!(v["name"], "Alice Wanjiru", "an absent field keeps its value");
    let tag2 = etag(&done);
    assert_ne!(tag, tag2);

    // The first tag is stale now: the same update is refused, nothing changes.
    let stale = call(&s, "PATCH", &path, &op, &[("If-Match", &tag)], r#"{"name":"Overwritten"}"#);
    assert_eq!(stale.status, 412, "{}", stale.body);
    assert_eq!(json(&stale.body)["error"]["code"], "precondition_failed");

    // An admin edits the customer in the browser meanwhile: the API's tag
    // from before that edit loses too.
    let pw = make_admin(&s.data, &["--tenant", "demo", "--name", "boss", "--role", "tenant-admin"]);
    let web = AdminWeb::login(s.http, "boss", &pw);
    let form = [("name", "Alice W."), ("phone", "0712000001"), ("email", "alice@example.ke"), ("category", "business")];
    assert_eq!(web.post(&format!("/admin/customers/{alice}"), &form).status, 303);
    let lost = call(&s, "PATCH", &path, &op, &[("If-Match", &tag2)], r#"{"name":"From the CRM"}"#);
    assert_eq!(lost.status, 412, "{}", lost.body);
    let now = call(&s, "GET", &path, &op, &[], "");
    assert_eq!(json(&now.body)["name"], "Alice W.", "the admin's edit stands");
    let fresh = call(&s, "PATCH", &path, &op, &[("If-Match", &etag(&now))], r#"{"name":"From the CRM","phone":null}"#);
    assert_eq!(fresh.status, 200, "{}", fresh.body);
    assert!(json(&fresh.body)["phone"].is_null());

    // Checked like the form; named fields.
    let bad = call(&s, "PATCH", &path, &op, &[("If-Match", &etag(&fresh))], r#"{"phone":"12"}"#);
    assert_eq!((bad.status, json(&bad.body)["error"]["field"].as_str()), (422, Some("phone")));
    let unknown = call(&s, "PATCH", &path, &op, &[("If-Match", &etag(&fresh))], r#"{"nickname":"A"}"#);
    assert_eq!(unknown.status, 400, "{}", unknown.body);
    // A read-only token cannot write, and sees phones masked (as a
    // read-only admin does).
    let ro = token(&s, "ro", "read-only", &[]);
    let shop = json(&call(&s, "GET", "/api/v1/customers?q=Corner", &ro, &[], "").body);
    assert_eq!(shop["items"][0]["phone"], "2547****0003", "{shop}");
    let full = json(&call(&s, "GET", "/api/v1/customers?q=Corner", &op, &[], "").body);
    assert_eq!(full["items"][0]["phone"], "254712000003", "{full}");
    assert_eq!(call(&s, "PATCH", &path, &ro, &[("If-Match", &etag(&fresh))], body).status, 403);

    // A service's MAC and address, with If-Match too.
    let sid = service_id(&s, &op, "demo-static");
    let sp = format!("/api/v1/services/{sid}");
    let st = call(&s, "GET", &sp, &op, &[], "");
    let moved = call(&s, "PATCH", &sp, &op, &[("If-Match", &etag(&st))], r#"{"static_ip":"10.99.0.77"}"#);
    assert_eq!(moved.status, 200, "{}", moved.body);
    assert_eq!(json(&moved.body)["static_ip"], "10.99.0.77");
    let again = call(&s, "PATCH", &sp, &op, &[("If-Match", &etag(&st))], r#"{"static_ip":"10.99.0.78"}"#);
    assert_eq!(again.status, 412);
    let bad_ip = call(&s, "PATCH", &sp, &op, &[("If-Match", &etag(&moved))], r#"{"static_ip":"ten"}"#);
    assert_eq!(json(&bad_ip.body)["error"]["field"], "static_ip");

    // Every API write is audited under the token's name.
    let audit = web.get("/admin/audit?actor=api:crm");
    assert!(audit.body.contains("customer.update"), "{}", audit.body);
    assert!(audit.body.contains("service.edit") || audit.body.contains("service."), "{}", audit.body);
}

#[test]
fn suspend_resume_renew_and_a_priced_plan_change() {
    let s = Server::demo();
    let op = token(&s, "ops", "operator", &[]);
    let till = token(&s, "till", "cashier", &[]);
    let sid = service_id(&s, &op, "demo-pppoe");
    let base = format!("/api/v1/services/{sid}");
    assert!(pap(&s, "demo-pppoe", "demo-pass").is("Access-Accept"));

    let suspended = call(&s, "POST", &format!("{base}/suspend"), &op, &[], "");
    assert_eq!(suspended.status, 200, "{}", suspended.body);
    assert_eq!(json(&suspended.body)["status"], "suspended");
    let r = pap(&s, "demo-pppoe", "demo-pass");
    assert!(
        r.is("Access-Reject") || r.get("Mikrotik-Address-List") == Some("lango-suspended"),
        "a suspended login is refused or captive: {}",
        r.raw
    );
    // A stale If-Match on an action is refused in its transaction.
    let stale = call(&s, "POST", &format!("{base}/resume"), &op, &[("If-Match", "\"0000\"")], "");
    assert_eq!(stale.status, 412, "{}", stale.body);
    let resumed = call(&s, "POST", &format!("{base}/resume"), &op, &[("If-Match", &etag(&suspended))], "");
    assert_eq!(resumed.status, 200, "{}", resumed.body);
    assert!(pap(&s, "demo-pppoe", "demo-pass").is("Access-Accept"));
    assert_eq!(call(&s, "POST", &format!("{base}/suspend"), &till, &[], "").status, 403, "cashiers do not suspend");

    // From an empty wallet: refused, nothing changes.
    let before = json(&call(&s, "GET", &base, &op, &[], "").body);
    let empty = call(&s, "POST", &format!("{base}/renew"), &till, &[], "");
    assert_eq!(empty.status, 409, "{}", empty.body);
    assert_eq!(json(&empty.body)["error"]["code"], "insufficient_funds");
    assert_eq!(call(&s, "POST", &format!("{base}/renew"), &op, &[], "").status, 403, "renewing takes money");

    // A paid renewal: the cash recorded and the month bought at once, once.
    let paid = r#"{"payment":{"amount":150000,"method":"cash","reference":"counter 7"}}"#;
    let key = [("Idempotency-Key", "renew-1")];
    let first = call(&s, "POST", &format!("{base}/renew"), &till, &key, paid);
    assert_eq!(first.status, 201, "{}", first.body);
    let v = json(&first.body);
    assert_eq!(v["renewed"], true, "{v}");
    let month = 30 * 86_400;
    assert_eq!(v["service"]["expires_at"].as_i64().unwrap(), before["expires_at"].as_i64().unwrap() + month);
    let replay = call(&s, "POST", &format!("{base}/renew"), &till, &key, paid);
    assert_eq!(json(&replay.body), v, "the retry gets the first answer");
    let pays = json(&call(&s, "GET", "/api/v1/payments?method=cash", &till, &[], "").body);
    assert_eq!(pays["items"].as_array().unwrap().len(), 1, "{pays}");

    // The plan change's preview quotes and changes nothing.
    let plans = json(&call(&s, "GET", "/api/v1/plans?sort=name", &op, &[], "").body);
    let plan20 = plans["items"].as_array().unwrap().iter().find(|p| p["name"] == "Home 20M").unwrap()["id"].clone();
    let tag = etag(&call(&s, "GET", &base, &op, &[], ""));
    let quoted_at = std::time::Instant::now();
    let preview =
        call(&s, "POST", &format!("{base}/plan-change"), &op, &[], &format!(r#"{{"plan":{plan20},"preview":true}}"#));
    assert_eq!(preview.status, 200, "{}", preview.body);
    let q = json(&preview.body);
    // The quote credits the period paid last (the whole of it: it has not
    // started yet), as the admin's renewal form does.
    assert_eq!(q["credit"].as_i64().unwrap(), 150_000, "{q}");
    assert_eq!(q["charge"].as_i64().unwrap(), 250_000 - q["credit"].as_i64().unwrap(), "{q}");
    assert_eq!(q["enough"], false);
    assert_eq!(etag(&call(&s, "GET", &base, &op, &[], "")), tag, "a preview changes nothing");
    // Applying needs the money role; the operator only previews.
    let apply = format!(r#"{{"plan":{plan20}}}"#);
    assert_eq!(call(&s, "POST", &format!("{base}/plan-change"), &op, &[], &apply).status, 403);
    let short = call(&s, "POST", &format!("{base}/plan-change"), &till, &[], &apply);
    assert_eq!(short.status, 409, "{}", short.body);
    let top_up = format!(r#"{{"customer":{},"amount":{},"method":"cash"}}"#, before["customer"], q["charge"]);
    assert_eq!(call(&s, "POST", "/api/v1/payments", &till, &[], &top_up).status, 201);
    let changed = call(&s, "POST", &format!("{base}/plan-change"), &till, &[("If-Match", &tag)], &apply);
    assert_eq!(changed.status, 200, "{}", changed.body);
    let c = json(&changed.body);
    assert_eq!(c["service"]["plan"], plan20);
    // As quoted, give or take the seconds between the quote and the change
    // (the new period starts when it is applied; CI is sometimes slow).
    let drift = c["service"]["expires_at"].as_i64().unwrap() - q["expires_at"].as_i64().unwrap();
    let slack = quoted_at.elapsed().as_secs() as i64 + 1;
    assert!((0..=slack).contains(&drift), "as quoted: {drift} s later, {slack} s allowed\n{c}\n{q}");
    let same = call(&s, "POST", &format!("{base}/plan-change"), &till, &[], &apply);
    assert_eq!((same.status, json(&same.body)["error"]["field"].as_str()), (422, Some("plan")));

    // Back down to the cheaper plan: the unused value exceeds the price,
    // and the difference goes to the wallet (this once failed with a 500:
    // the credit reached the wallet while the services table was held).
    let home10 = before["plan"].clone();
    let down = call(&s, "POST", &format!("{base}/plan-change"), &till, &[], &format!(r#"{{"plan":{home10}}}"#));
    assert_eq!(down.status, 200, "{}", down.body);
    assert_eq!(json(&down.body)["service"]["plan"], home10);
    let quote = json(
        &call(&s, "POST", &format!("{base}/plan-change"), &op, &[], &format!(r#"{{"plan":{plan20},"preview":true}}"#))
            .body,
    );
    assert!(quote["balance"].as_i64().unwrap() > 0, "money back in the wallet: {quote}");
}

#[test]
fn vouchers_tickets_and_disconnects() {
    let s = Server::demo();
    let op = token(&s, "ops", "operator", &[]);
    let till = token(&s, "till", "cashier", &[]);
    let plans = json(&call(&s, "GET", "/api/v1/plans", &op, &[], "").body);
    let hour =
        plans["items"].as_array().unwrap().iter().find(|p| p["name"] == "Hotspot 1 hour 1 GB").unwrap()["id"].clone();
    let body = format!(r#"{{"plan":{hour},"count":3,"prefix":"AP","length":6}}"#);
    assert_eq!(call(&s, "POST", "/api/v1/vouchers", &op, &[], &body).status, 403, "operators do not make vouchers");
    let made = call(&s, "POST", "/api/v1/vouchers", &till, &[], &body);
    assert_eq!(made.status, 201, "{}", made.body);
    let b = json(&made.body);
    let codes: Vec<String> = b["codes"].as_array().unwrap().iter().map(|c| c.as_str().unwrap().to_string()).collect();
    assert_eq!(codes.len(), 3);
    assert!(pap(&s, &codes[0], &codes[0]).is("Access-Accept"));
    let bad = call(&s, "POST", "/api/v1/vouchers", &till, &[], &format!(r#"{{"plan":{hour},"count":0}}"#));
    assert_eq!((bad.status, json(&bad.body)["error"]["field"].as_str()), (422, Some("count")));
    let off = call(&s, "POST", &format!("/api/v1/vouchers/{}/disable", b["id"]), &till, &[], "");
    assert_eq!(off.status, 200, "{}", off.body);
    assert!(json(&off.body)["disabled"].as_u64().unwrap() >= 2);
    assert!(pap(&s, &codes[1], &codes[1]).is("Access-Reject"));

    // Tickets: opened for a customer, answered and closed.
    let alice = json(&call(&s, "GET", "/api/v1/customers?q=Alice", &op, &[], "").body)["items"][0]["id"].clone();
    let open = format!(r#"{{"customer":{alice},"subject":"Slow at night","body":"Since Monday."}}"#);
    let t = call(&s, "POST", "/api/v1/tickets", &op, &[], &open);
    assert_eq!(t.status, 201, "{}", t.body);
    let tid = json(&t.body)["id"].clone();
    let answered =
        call(&s, "POST", &format!("/api/v1/tickets/{tid}/messages"), &op, &[], r#"{"body":"Fixed.","close":true}"#);
    assert_eq!(answered.status, 200, "{}", answered.body);
    let list = json(&call(&s, "GET", &format!("/api/v1/tickets?customer={alice}&open=false"), &op, &[], "").body);
    assert_eq!(list["items"][0]["messages"].as_array().unwrap().len(), 2, "{list}");
    assert_eq!(list["items"][0]["messages"][1]["staff"], "api:ops");
    assert!(lango_ok(&s.data, &["ticket", "list", "--tenant", "demo"]).contains("Slow at night"));

    // A session online is disconnected; an unknown one is not found.
    let start = "Acct-Status-Type = Start, Acct-Session-Id = \"api-1\", User-Name = \"demo-pppoe\", \
                 Framed-IP-Address = 10.20.0.5, NAS-IP-Address = 127.0.0.1";
    assert!(radclient(s.acct, "acct", DEMO_SECRET, start).is("Accounting-Response"));
    let online = eventually(|| {
        let v = json(&call(&s, "GET", "/api/v1/sessions?username=demo-pppoe", &op, &[], "").body);
        v["items"].as_array().filter(|a| !a.is_empty()).map(|a| a[0].clone())
    });
    let gone = format!(r#"{{"nas":{},"session_id":"api-1"}}"#, online["nas"]);
    assert_eq!(call(&s, "POST", "/api/v1/sessions/disconnect", &till, &[], &gone).status, 403);
    let d = call(&s, "POST", "/api/v1/sessions/disconnect", &op, &[], &gone);
    assert_eq!(d.status, 202, "{}", d.body);
    let nope = format!(r#"{{"nas":{},"session_id":"nope"}}"#, online["nas"]);
    assert_eq!(call(&s, "POST", "/api/v1/sessions/disconnect", &op, &[], &nope).status, 404);
}

/// Polls `f` for up to 10 s.
fn eventually<T>(mut f: impl FnMut() -> Option<T>) -> T {
    for _ in 0..100 {
        if let Some(v) = f() {
            return v;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    panic!("not within 10 s")
}

#[test]
fn tokens_scoped_to_a_reseller_and_to_addresses() {
    let s = Server::demo();
    let op = token(&s, "ops", "operator", &[]);
    make_admin(&s.data, &["--tenant", "demo", "--name", "shop1", "--role", "reseller"]);
    let shop = token(&s, "shop-app", "reseller", &["--reseller", "shop1"]);
    let out = lango(&s.data, &["api-token", "create", "--tenant", "demo", "--name", "x", "--role", "reseller"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("--reseller"), "{out:?}");
    let out = lango(&s.data, &["api-token", "create", "--tenant", "demo", "--name", "x", "--allow", "10.0.0.0/99"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("--allow"), "{out:?}");

    // The reseller's token sees nothing of the tenant's own customers.
    let mine = json(&call(&s, "GET", "/api/v1/customers", &shop, &[], "").body);
    assert_eq!(mine["items"].as_array().unwrap().len(), 0, "{mine}");
    let made = call(&s, "POST", "/api/v1/customers", &shop, &[], r#"{"name":"Shop Client","phone":"0712555001"}"#);
    assert_eq!(made.status, 201, "{}", made.body);
    let client = json(&made.body)["id"].clone();
    let mine = json(&call(&s, "GET", "/api/v1/customers", &shop, &[], "").body);
    assert_eq!(mine["items"].as_array().unwrap().iter().map(|c| c["id"].clone()).collect::<Vec<_>>(), vec![client]);
    let alice = json(&call(&s, "GET", "/api/v1/customers?q=Alice", &op, &[], "").body)["items"][0]["id"].clone();
    assert_eq!(call(&s, "GET", &format!("/api/v1/customers/{alice}"), &shop, &[], "").status, 404);
    let sid = service_id(&s, &op, "demo-pppoe");
    assert_eq!(call(&s, "POST", &format!("/api/v1/services/{sid}/suspend"), &shop, &[], "").status, 404);
    let svc = format!(r#"{{"customer":{alice},"plan":1,"type":"pppoe","username":"sneaky"}}"#);
    assert_eq!(json(&call(&s, "POST", "/api/v1/services", &shop, &[], &svc).body)["error"]["field"], "customer");
    let all = json(&call(&s, "GET", "/api/v1/customers?limit=500", &op, &[], "").body);
    assert!(all["items"].as_array().unwrap().len() > 1, "the tenant's token sees every customer");
    // The admin's page lists the scope.
    let pw = make_admin(&s.data, &["--tenant", "demo", "--name", "boss", "--role", "tenant-admin"]);
    let web = AdminWeb::login(s.http, "boss", &pw);
    assert!(web.get("/admin/api-tokens").body.contains("reseller shop1"));
    let refused = web.post("/admin/api-tokens", &[("name", "y"), ("role", "read-only"), ("allow", "nowhere")]);
    assert_eq!(refused.status, 422);
    assert!(refused.body.contains("error-allow"), "{}", refused.body);

    // Addresses: this test's requests come from 127.0.0.1.
    let far = token(&s, "far", "read-only", &["--allow", "203.0.113.0/24"]);
    let r = call(&s, "GET", "/api/v1/customers", &far, &[], "");
    assert_eq!(r.status, 403, "{}", r.body);
    assert!(json(&r.body)["error"]["message"].as_str().unwrap().contains("127.0.0.1"));
    let near = token(&s, "near", "read-only", &["--allow", "203.0.113.9", "--allow", "127.0.0.0/8"]);
    assert_eq!(call(&s, "GET", "/api/v1/customers", &near, &[], "").status, 200);
    assert!(lango_ok(&s.data, &["api-token", "list", "--tenant", "demo"]).contains("from 203.0.113.9, 127.0.0.0/8"));
}

#[test]
fn lists_filter_sort_and_page_by_offset() {
    let s = Server::demo();
    let ro = token(&s, "ro", "read-only", &[]);
    let op = token(&s, "ops", "operator", &[]);
    for i in 0..5 {
        let body = format!(r#"{{"name":"Zed {i}","category":"{}"}}"#, if i % 2 == 0 { "home" } else { "business" });
        assert_eq!(call(&s, "POST", "/api/v1/customers", &op, &[], &body).status, 201);
    }
    let homes = json(&call(&s, "GET", "/api/v1/customers?category=home&sort=-name", &ro, &[], "").body);
    let names: Vec<&str> = homes["items"].as_array().unwrap().iter().map(|c| c["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["Zed 4", "Zed 2", "Zed 0"]);

    // Sorted pages of two, followed by offset to the end: each once, in order.
    let mut seen: Vec<String> = Vec::new();
    let mut offset = 0;
    loop {
        let page =
            json(&call(&s, "GET", &format!("/api/v1/customers?sort=name&limit=2&offset={offset}"), &ro, &[], "").body);
        seen.extend(page["items"].as_array().unwrap().iter().map(|c| c["name"].as_str().unwrap().to_lowercase()));
        match page["next"].as_u64() {
            Some(n) => offset = n,
            None => break,
        }
    }
    let mut sorted = seen.clone();
    sorted.sort();
    assert_eq!(seen, sorted);
    assert!(seen.len() >= 10, "{seen:?}");

    let active =
        json(&call(&s, "GET", "/api/v1/services?status=active&type=pppoe&sort=-expires_at", &ro, &[], "").body);
    let items = active["items"].as_array().unwrap();
    assert!(!items.is_empty() && items.iter().all(|x| x["status"] == "active" && x["type"] == "pppoe"), "{active}");
    for (q, field) in [
        ("/api/v1/services?colour=red", "colour"),
        ("/api/v1/services?status=gone", "status"),
        ("/api/v1/services?sort=price", "sort"),
        ("/api/v1/customers?q=a&q=b", "q"),
        ("/api/v1/payments?from=yesterday", "from"),
        ("/api/v1/customers?sort=name&offset=-1", "offset"),
    ] {
        let r = call(&s, "GET", q, &ro, &[], "");
        assert_eq!((r.status, json(&r.body)["error"]["field"].as_str()), (400, Some(field)), "{q}: {}", r.body);
    }
}
