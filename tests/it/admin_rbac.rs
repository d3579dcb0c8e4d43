//! The RBAC matrix, generated: every role × every route of
//! `rbac::ROUTES` against the real binary. A route the matrix denies
//! answers 403; one it allows answers anything but 403 or a server error.
//! Then every route with an id is called with another tenant's id (IDOR):
//! always 404 (or 403 when the role may not use the route at all), and a
//! reseller gets 404 for the tenant's customers that are not its own.

use lango::model::Role;
use lango::web::admin::rbac::{self, Perm, ROUTES};

use crate::harness::*;

/// Ids of one tenant's objects, by the path segment they stand for.
struct Ids {
    customer: String,
    service: String,
    plan: String,
    nas: String,
    batch: String,
    invoice: String,
    payment: String,
    admin: String,
    tenant: String,
    /// An API token's id: the first 16 hex digits of its SHA-256.
    token: String,
    webhook: String,
    cpe: String,
}

fn token_id(token: &str) -> String {
    lango::store::sha256_hex(token.trim())[..16].to_string()
}

/// The id in `webhook <id> → <url>`.
fn webhook_id(added: &str) -> String {
    added.split_whitespace().nth(1).unwrap_or_else(|| panic!("{added}")).to_string()
}

fn first_id(listing: &str) -> String {
    listing.lines().nth(1).and_then(|l| l.split_whitespace().next()).unwrap_or_else(|| panic!("{listing}")).to_string()
}

fn fill(path: &str, ids: &Ids) -> String {
    let Some(start) = path.find('{') else { return path.to_string() };
    let prefix = &path[..start];
    let id = match prefix {
        "/admin/customers/" => &ids.customer,
        "/admin/services/" => &ids.service,
        "/admin/plans/" => &ids.plan,
        "/admin/nas/" | "/admin/noc/" => &ids.nas,
        "/admin/vouchers/" => &ids.batch,
        "/admin/payments/" => &ids.payment,
        // No tickets exist here (they are opened from the account pages):
        // allowed roles get 404, others 403; admin_tickets.rs covers scope.
        "/admin/tickets/" => "999999",
        "/admin/invoices/" => &ids.invoice,
        "/admin/admins/" => &ids.admin,
        "/admin/tenants/" => &ids.tenant,
        "/admin/api-tokens/" => &ids.token,
        "/admin/webhooks/" => &ids.webhook,
        "/admin/cpe/" => &ids.cpe,
        // No message exists: allowed roles get 404, others 403; notify.rs
        // retries a real one.
        "/admin/notifications/" => "999999",
        "/admin/static/" => "admin.css",
        // No backup exists yet: platform admins get 404, others 403;
        // backup.rs downloads a real one.
        "/admin/backups/" => "lango-20260101-000000.lbk",
        // A report's kind names no tenant's object: every tenant has them all.
        "/admin/reports/" => "revenue",
        other => panic!("admin_rbac.rs: say which id fills {other}{{…}} ({path})"),
    };
    let end = path[start..].find('}').unwrap() + start;
    format!("{prefix}{id}{}", &path[end + 1..])
}

#[test]
fn every_role_on_every_route_and_no_cross_tenant_ids() {
    let s = Server::demo();
    let d = &s.data;
    let cli = |args: &[&str]| lango_ok(d, args);

    // Another tenant with one of everything.
    cli(&["tenant", "add", "other"]);
    cli(&["plan", "add", "--tenant", "other", "--name", "Other Plan", "--validity", "30d", "--price", "100"]);
    let oc = cli(&["customer", "add", "--tenant", "other", "--name", "Other Person"]);
    let oc = oc.split("(id ").nth(1).unwrap().trim().trim_end_matches(')').to_string();
    cli(&[
        "service",
        "add",
        "--tenant",
        "other",
        "--customer",
        &oc,
        "--plan",
        "Other Plan",
        "--username",
        "other-user",
        "--password",
        "x",
    ]);
    cli(&[
        "wallet",
        "post",
        "--tenant",
        "other",
        "--customer",
        &oc,
        "--kind",
        "payment",
        "--amount",
        "500",
        "--reason",
        "t",
    ]);
    cli(&[
        "nas",
        "add",
        "--tenant",
        "other",
        "--name",
        "other-nas",
        "--address",
        "10.77.0.1",
        "--secret",
        "other-secret-1",
    ]);
    let ob = cli(&["voucher", "batch", "--tenant", "other", "--plan", "Other Plan", "--count", "2"]);
    let ob = ob.split_whitespace().nth(1).unwrap().trim_end_matches(':').to_string();
    make_admin(d, &["--tenant", "other", "--name", "other-admin", "--role", "tenant-admin"]);
    let invoices = cli(&["invoice", "list", "--tenant", "other"]);
    let other = Ids {
        customer: oc,
        service: first_id(&format!("h\n{}", cli(&["service", "list", "--tenant", "other"]).lines().nth(1).unwrap())),
        plan: first_id(&cli(&["plan", "list", "--tenant", "other"])),
        nas: "999999".into(),
        batch: ob,
        invoice: invoices.split_whitespace().next().unwrap().to_string(),
        payment: cli(&["pay", "list", "--tenant", "other"]).split_whitespace().next().unwrap().to_string(),
        admin: "other-admin".into(),
        tenant: "999999".into(),
        token: token_id(&cli(&["api-token", "create", "--tenant", "other", "--name", "other-crm"])),
        webhook: webhook_id(&cli(&["webhook", "add", "--tenant", "other", "--url", "http://127.0.0.1:9/o"])),
        cpe: webhook_id(&cli(&["cpe", "add", "--tenant", "other", "--serial", "OTHER-CPE-1"])),
    };
    assert!(other.invoice.starts_with("RCT-"), "{invoices}");

    // The demo tenant's own ids, and one admin of each role.
    let db = cli(&["voucher", "batch", "--tenant", "demo", "--plan", "Hotspot 1 hour 1 GB", "--count", "2"]);
    let own = Ids {
        customer: first_id(&cli(&["customer", "list", "--tenant", "demo"])),
        service: first_id(&cli(&["service", "list", "--tenant", "demo"])),
        plan: first_id(&cli(&["plan", "list", "--tenant", "demo"])),
        nas: "1".into(),
        batch: db.split_whitespace().nth(1).unwrap().trim_end_matches(':').to_string(),
        invoice: "RCT-2026-000001".into(),
        payment: "1".into(),
        admin: "victim".into(),
        tenant: "1".into(),
        token: token_id(&cli(&["api-token", "create", "--tenant", "demo", "--name", "demo-crm"])),
        webhook: webhook_id(&cli(&["webhook", "add", "--tenant", "demo", "--url", "http://127.0.0.1:9/d"])),
        cpe: webhook_id(&cli(&["cpe", "add", "--tenant", "demo", "--serial", "DEMO-CPE-1"])),
    };
    make_admin(d, &["--tenant", "demo", "--name", "victim", "--role", "read-only"]);
    let mut webs = Vec::new();
    for role in Role::ALL {
        let name = format!("as-{}", role.as_str());
        let mut args = vec!["--name", name.as_str(), "--role", role.as_str()];
        if role != Role::PlatformAdmin {
            args.extend(["--tenant", "demo"]);
        }
        let pw = make_admin(d, &args);
        webs.push((role, AdminWeb::login(s.http, &name, &pw)));
    }

    let call = |web: &AdminWeb, method: &str, path: &str| match method {
        "GET" => web.get(path),
        "POST" => web.post(path, &[]),
        m => panic!("{m}"),
    };
    let mut checked = 0;
    for route in ROUTES.iter().filter(|r| r.perm != Perm::Public && r.path != "/admin/logout") {
        for (role, web) in &webs {
            let path = fill(route.path, &own);
            let a = call(web, route.method, &path);
            let allowed = rbac::allows(*role, route.perm);
            if allowed {
                assert!(
                    a.status != 403 && a.status < 500 && a.status != 0,
                    "{} {path} as {}: allowed by the matrix but answered {}\n{}",
                    route.method,
                    role.as_str(),
                    a.status,
                    a.body
                );
            } else {
                assert_eq!(a.status, 403, "{} {path} as {}: denied by the matrix", route.method, role.as_str());
            }
            checked += 1;

            // IDOR: another tenant's id is never found.
            let shared = ["/admin/static/", "/admin/reports/"].iter().any(|p| route.path.starts_with(p));
            if route.path.contains('{') && !shared {
                if route.path.starts_with("/admin/tenants/") && *role == Role::PlatformAdmin {
                    continue; // tenants are the platform admin's to open
                }
                let foreign = fill(route.path, &other);
                let a = call(web, route.method, &foreign);
                let want = if allowed { 404 } else { 403 };
                assert_eq!(
                    a.status,
                    want,
                    "{} {foreign} as {}: another tenant's id\n{}",
                    route.method,
                    role.as_str(),
                    a.body
                );
            }
        }
    }
    assert!(checked >= 6 * 40, "walked {checked} role × route pairs");

    // A reseller sees only its own customers.
    let reseller = &webs.iter().find(|(r, _)| *r == Role::Reseller).unwrap().1;
    assert_eq!(reseller.get(&format!("/admin/customers/{}", own.customer)).status, 404);
    let list = reseller.get("/admin/customers");
    assert!(!list.body.contains(&format!("/admin/customers/{}\"", own.customer)), "{}", list.body);
    let made = reseller.post("/admin/customers", &[("name", "Reseller Client")]);
    assert_eq!(made.status, 303, "{}", made.body);
    let list = reseller.get("/admin/customers");
    assert!(list.body.contains("Reseller Client"));
    let boss = &webs.iter().find(|(r, _)| *r == Role::TenantAdmin).unwrap().1;
    assert!(boss.get("/admin/customers?q=Reseller+Client").body.contains("Reseller Client"), "the tenant sees it too");

    // No GET changes anything: a walk over every GET route as the tenant
    // admin adds nothing to the audit log.
    let count = || boss.get("/admin/audit?format=csv").body.lines().count();
    let before = count();
    for route in ROUTES.iter().filter(|r| r.method == "GET" && r.perm != Perm::Public) {
        boss.get(&fill(route.path, &own));
    }
    assert_eq!(count(), before, "a GET left an audit record");
}
