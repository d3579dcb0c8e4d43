//! The REST API against the real binary: bearer tokens (401 without, 403
//! for a read-only token writing), consistent JSON errors naming the
//! field, pagination, idempotency keys, tenant isolation of ids, and the
//! OpenAPI document. (CI also runs schemathesis: scripts/check-api.sh.)

use serde_json::Value;

use crate::harness::*;

fn json(body: &str) -> Value {
    serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {body}"))
}

#[test]
fn tokens_errors_pages_idempotency_and_isolation() {
    let s = Server::demo();
    let to = s.http;
    let ro = lango_ok(&s.data, &["api-token", "create", "--tenant", "demo", "--name", "ro"]).trim().to_string();
    let op = lango_ok(&s.data, &["api-token", "create", "--tenant", "demo", "--name", "crm", "--role", "operator"])
        .trim()
        .to_string();
    let auth = |t: &str| format!("Bearer {t}");

    let none = http(to, "GET", "/api/v1/customers", &[], "");
    assert_eq!(none.status, 401);
    assert_eq!(json(&none.body)["error"]["code"], "unauthorized");
    assert_eq!(http(to, "GET", "/api/v1/customers", &[("Authorization", "Bearer lgo_nope")], "").status, 401);

    let body = r#"{"name":"API Person","phone":"0712777001"}"#;
    let denied = http(to, "POST", "/api/v1/customers", &[("Authorization", &auth(&ro))], body);
    assert_eq!(denied.status, 403, "{}", denied.body);

    // Idempotent create: the same key and body twice, one customer.
    let headers = [
        ("Authorization", auth(&op)),
        ("Idempotency-Key", "k-1".to_string()),
        ("Content-Type", "application/json".into()),
    ];
    let h: Vec<(&str, &str)> = headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let first = http(to, "POST", "/api/v1/customers", &h, body);
    assert_eq!(first.status, 201, "{}", first.body);
    let again = http(to, "POST", "/api/v1/customers", &h, body);
    assert_eq!(again.status, 201);
    assert_eq!(json(&first.body), json(&again.body), "the same answer");
    let other = http(to, "POST", "/api/v1/customers", &h, r#"{"name":"Someone Else"}"#);
    assert_eq!(other.status, 422);
    assert_eq!(json(&other.body)["error"]["code"], "idempotency_conflict");
    let list = lango_ok(&s.data, &["customer", "list", "--tenant", "demo"]);
    assert_eq!(list.matches("API Person").count(), 1, "{list}");

    // Errors name the field.
    let bad = http(to, "POST", "/api/v1/customers", &[("Authorization", &auth(&op))], r#"{"name":"X","phone":"12"}"#);
    assert_eq!(bad.status, 422);
    assert_eq!(json(&bad.body)["error"]["field"], "phone");
    let missing = http(to, "POST", "/api/v1/customers", &[("Authorization", &auth(&op))], r#"{"phone":"0712777002"}"#);
    assert_eq!(missing.status, 400);
    assert_eq!(json(&missing.body)["error"]["field"], "name");
    let limit = http(to, "GET", "/api/v1/customers?limit=0", &[("Authorization", &auth(&ro))], "");
    assert_eq!(limit.status, 400);
    assert_eq!(json(&limit.body)["error"]["field"], "limit");

    // Pages of two, followed to the end: every customer once, in order.
    let mut seen: Vec<u64> = Vec::new();
    let mut after = 0u64;
    loop {
        let page =
            http(to, "GET", &format!("/api/v1/customers?limit=2&after={after}"), &[("Authorization", &auth(&ro))], "");
        let v = json(&page.body);
        seen.extend(v["items"].as_array().unwrap().iter().map(|c| c["id"].as_u64().unwrap()));
        match v["next"].as_u64() {
            Some(n) => after = n,
            None => break,
        }
    }
    let total = lango_ok(&s.data, &["customer", "list", "--tenant", "demo"]).lines().count() - 1;
    assert_eq!(seen.len(), total);
    assert!(seen.windows(2).all(|w| w[0] < w[1]), "{seen:?}");

    // Another tenant's customer is not found with this tenant's token.
    lango_ok(&s.data, &["tenant", "add", "other"]);
    let theirs = lango_ok(&s.data, &["customer", "add", "--tenant", "other", "--name", "Not Yours"]);
    let id = theirs.split("(id ").nth(1).unwrap().trim().trim_end_matches(')').to_string();
    let peek = http(to, "GET", &format!("/api/v1/customers/{id}"), &[("Authorization", &auth(&ro))], "");
    assert_eq!(peek.status, 404, "{}", peek.body);
    assert!(!seen.contains(&id.parse().unwrap()));

    // The lists answer, without secrets.
    let services = http(to, "GET", "/api/v1/services", &[("Authorization", &auth(&ro))], "");
    assert!(services.body.contains("demo-pppoe") && !services.body.contains("password"), "{}", services.body);
    for path in ["/api/v1/plans", "/api/v1/payments", "/api/v1/sessions", "/api/v1/invoices"] {
        assert_eq!(http(to, "GET", path, &[("Authorization", &auth(&ro))], "").status, 200, "{path}");
    }
    let doc = json(&http(to, "GET", "/api/v1/openapi.json", &[], "").body);
    assert_eq!(doc["openapi"], "3.0.3");
    assert!(doc["paths"]["/customers"]["post"].is_object());
}

#[test]
fn voucher_batches_list_and_get_without_passwords_per_tenant() {
    let s = Server::demo();
    let to = s.http;
    let ro = lango_ok(&s.data, &["api-token", "create", "--tenant", "demo", "--name", "ro"]).trim().to_string();
    let ro = format!("Bearer {ro}");
    let batch = |prefix: &str, count: &str| -> u64 {
        let out = lango_ok(
            &s.data,
            &["voucher", "batch", "--tenant", "demo", "--plan", "Hotspot 1 day", "--count", count, "--prefix", prefix],
        );
        out.strip_prefix("batch ").and_then(|r| r.split(':').next()).unwrap().parse().unwrap()
    };
    let first = batch("AA", "3");
    let second = batch("BB", "2");

    // Pages of one, in id order.
    let page = json(&http(to, "GET", "/api/v1/vouchers?limit=1", &[("Authorization", &ro)], "").body);
    assert_eq!(page["items"].as_array().unwrap().len(), 1, "{page}");
    assert_eq!(page["items"][0]["id"], first);
    assert_eq!(page["items"][0]["count"], 3);
    assert_eq!(page["items"][0]["prefix"], "AA");
    let next = page["next"].as_u64().unwrap();
    let rest =
        json(&http(to, "GET", &format!("/api/v1/vouchers?limit=1&after={next}"), &[("Authorization", &ro)], "").body);
    assert_eq!(rest["items"][0]["id"], second);
    assert!(rest["next"].is_null());

    // One batch: its codes and their states, as `lango voucher list` has them; no password.
    let one = http(to, "GET", &format!("/api/v1/vouchers/{first}"), &[("Authorization", &ro)], "");
    assert_eq!(one.status, 200, "{}", one.body);
    assert!(!one.body.contains("password"));
    let v = json(&one.body);
    let codes: Vec<&str> = v["vouchers"].as_array().unwrap().iter().map(|x| x["code"].as_str().unwrap()).collect();
    let listed = lango_ok(&s.data, &["voucher", "list", "--tenant", "demo", &first.to_string()]);
    assert_eq!(codes.len(), 3);
    for c in &codes {
        assert!(c.starts_with("AA") && listed.contains(c), "{c} in {listed}");
    }
    assert!(v["vouchers"].as_array().unwrap().iter().all(|x| x["state"] == "unused" && x["expires_at"].is_null()));
    assert_eq!(v["plan"], page["items"][0]["plan"]);

    // Stopped by an admin, a code says so.
    lango_ok(&s.data, &["service", "suspend", "--tenant", "demo", codes[0]]);
    let v = json(&http(to, "GET", &format!("/api/v1/vouchers/{first}"), &[("Authorization", &ro)], "").body);
    let state =
        |code: &str| v["vouchers"].as_array().unwrap().iter().find(|x| x["code"] == code).unwrap()["state"].clone();
    assert_eq!(state(codes[0]), "suspended");
    assert_eq!(state(codes[1]), "unused");

    // Another tenant's token finds none of it.
    lango_ok(&s.data, &["tenant", "add", "other"]);
    let theirs = lango_ok(&s.data, &["api-token", "create", "--tenant", "other", "--name", "x"]).trim().to_string();
    let theirs = format!("Bearer {theirs}");
    let peek = http(to, "GET", &format!("/api/v1/vouchers/{first}"), &[("Authorization", &theirs)], "");
    assert_eq!(peek.status, 404, "{}", peek.body);
    assert_eq!(json(&peek.body)["error"]["code"], "not_found");
    let none = json(&http(to, "GET", "/api/v1/vouchers", &[("Authorization", &theirs)], "").body);
    assert_eq!(none["items"].as_array().unwrap().len(), 0);
    assert_eq!(http(to, "GET", "/api/v1/vouchers/x", &[("Authorization", &ro)], "").status, 400);
    assert_eq!(http(to, "GET", "/api/v1/vouchers", &[], "").status, 401);
    let doc = json(&http(to, "GET", "/api/v1/openapi.json", &[], "").body);
    assert!(doc["paths"]["/vouchers/{id}"]["get"].is_object());
    assert!(doc["components"]["schemas"]["Voucher"]["properties"]["state"]["enum"].is_array());
}

#[test]
fn services_and_payments_are_created_once_with_the_right_roles() {
    let s = Server::demo();
    let to = s.http;
    let token = |role: &str, name: &str| {
        lango_ok(&s.data, &["api-token", "create", "--tenant", "demo", "--name", name, "--role", role])
            .trim()
            .to_string()
    };
    let (op, cashier, ro) = (token("operator", "crm"), token("cashier", "till"), token("read-only", "bi"));
    let post = |t: &str, path: &str, key: &str, body: &str| {
        let auth = format!("Bearer {t}");
        let mut h = vec![("Authorization", auth.as_str()), ("Content-Type", "application/json")];
        if !key.is_empty() {
            h.push(("Idempotency-Key", key));
        }
        http(to, "POST", path, &h, body)
    };
    let customer = json(&post(&op, "/api/v1/customers", "", r#"{"name":"API Subscriber","phone":"0712777111"}"#).body)
        ["id"]
        .as_u64()
        .unwrap();
    let plans = lango_ok(&s.data, &["plan", "list", "--tenant", "demo"]);
    let plan = plans.lines().find(|l| l.contains("Home 10M")).unwrap().split_whitespace().next().unwrap().to_string();

    // A service: created once per key, and it logs in.
    let body = format!(
        r#"{{"customer":{customer},"plan":{plan},"type":"pppoe","username":"api-user","password":"api-pass-1"}}"#
    );
    let first = post(&op, "/api/v1/services", "svc-1", &body);
    assert_eq!(first.status, 201, "{}", first.body);
    assert_eq!(json(&first.body)["password"], "api-pass-1");
    assert_eq!(post(&op, "/api/v1/services", "svc-1", &body).body, first.body, "the retry gets the first answer");
    let taken = post(&op, "/api/v1/services", "svc-2", &body);
    assert_eq!(taken.status, 422);
    assert_eq!(json(&taken.body)["error"]["field"], "username");
    let r = radclient(
        s.auth,
        "auth",
        DEMO_SECRET,
        "User-Name=api-user,User-Password=api-pass-1,Message-Authenticator=0x00",
    );
    assert!(r.is("Access-Accept"), "{}", r.raw);
    let bad = post(&op, "/api/v1/services", "", &body.replace("pppoe", "dialup"));
    assert_eq!(json(&bad.body)["error"]["field"], "type");
    let no_plan = post(
        &op,
        "/api/v1/services",
        "",
        &body.replace(&format!("\"plan\":{plan}"), "\"plan\":999999").replace("api-user", "x2"),
    );
    assert_eq!(json(&no_plan.body)["error"]["field"], "plan", "{}", no_plan.body);
    assert_eq!(post(&cashier, "/api/v1/services", "", &body).status, 403, "a cashier token creates no services");

    // A payment: cashier only, once per key, credited to the wallet.
    let pay = format!(r#"{{"customer":{customer},"amount":150000,"method":"cash","reference":"shop till 4"}}"#);
    assert_eq!(post(&op, "/api/v1/payments", "p-1", &pay).status, 403, "an operator token moves no money");
    assert_eq!(post(&ro, "/api/v1/payments", "p-1", &pay).status, 403);
    let paid = post(&cashier, "/api/v1/payments", "p-1", &pay);
    assert_eq!(paid.status, 201, "{}", paid.body);
    assert_eq!(json(&paid.body)["amount"], 150000);
    assert_eq!(post(&cashier, "/api/v1/payments", "p-1", &pay).body, paid.body);
    let clash = post(&cashier, "/api/v1/payments", "p-1", &pay.replace("150000", "1"));
    assert_eq!(clash.status, 422);
    assert_eq!(json(&clash.body)["error"]["code"], "idempotency_conflict");
    let wallet = lango_ok(&s.data, &["wallet", "show", "--tenant", "demo", "--customer", &customer.to_string()]);
    assert!(wallet.starts_with("balance KES 1,500.00"), "credited once: {wallet}");
    let zero = post(&cashier, "/api/v1/payments", "", &pay.replace("150000", "0"));
    assert_eq!(json(&zero.body)["error"]["field"], "amount");
    let nobody = post(&cashier, "/api/v1/payments", "", &pay.replace(&customer.to_string(), "999999"));
    assert_eq!(json(&nobody.body)["error"]["field"], "customer");
    let extra = post(&cashier, "/api/v1/payments", "", &pay.replace("\"method\"", "\"surprise\":1,\"method\""));
    assert_eq!(extra.status, 400, "unknown fields are refused: {}", extra.body);
}
