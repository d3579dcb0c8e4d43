//! Admin pages for plans, routers, voucher batches, payments and invoices
//! against the real binary: forms that re-render with the field's error
//! and what was typed, lists with search and CSV, a voucher made in the
//! browser that authenticates over RADIUS, reseller batches charged to the
//! wallet and hidden from other resellers, payments recorded once, invoice
//! PDFs, and other tenants' ids answering 404.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};

use crate::harness::*;

/// The `Location` of a redirect.
fn location(a: &Answer) -> String {
    a.head
        .lines()
        .find_map(|l| l.strip_prefix("location: ").or_else(|| l.strip_prefix("Location: ")))
        .unwrap_or_else(|| panic!("no location: {}\n{}", a.head, a.body))
        .to_string()
}

/// The one-time message a redirect carries, decoded.
fn flash(a: &Answer) -> String {
    let raw = set_cookie(a, "lango_flash").unwrap_or_default().replace('+', " ");
    let bytes = raw.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let Ok(b) = u8::from_str_radix(&raw[i + 1..i + 3], 16)
        {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8(out).unwrap()
}

/// A GET whose body may be binary (PDF): the head and the bytes.
fn get_bytes(to: SocketAddr, path: &str, web: &AdminWeb) -> (String, Vec<u8>) {
    let mut s = TcpStream::connect(to).unwrap();
    let req = format!(
        "GET {path} HTTP/1.1\r\nHost: lango.test\r\nConnection: close\r\nCookie: lango_admin={}\r\n\r\n",
        web.cookie
    );
    s.write_all(req.as_bytes()).unwrap();
    let mut out = Vec::new();
    s.read_to_end(&mut out).unwrap();
    let at = out.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
    (String::from_utf8_lossy(&out[..at]).to_string(), out[at + 4..].to_vec())
}

/// `lango admin create … --role reseller`: (password, wallet customer id).
fn make_reseller(data: &std::path::Path, name: &str) -> (String, String) {
    let out = lango_ok(data, &["admin", "create", "--tenant", "demo", "--name", name, "--role", "reseller"]);
    let wallet = out.split("its wallet is customer ").nth(1).unwrap().split_whitespace().next().unwrap();
    let password = out.split("password: ").nth(1).unwrap().trim();
    (password.to_string(), wallet.to_string())
}

/// The id `lango plan list` gives a plan.
fn plan_id(data: &std::path::Path, tenant: &str, name: &str) -> String {
    let list = lango_ok(data, &["plan", "list", "--tenant", tenant]);
    let line = list.lines().find(|l| l.contains(name)).unwrap_or_else(|| panic!("{name} not in {list}"));
    line.split_whitespace().next().unwrap().to_string()
}

/// The voucher codes shown on a batch page.
fn codes(page: &str) -> Vec<String> {
    page.split("<code>").skip(1).filter_map(|p| p.split("</code>").next()).map(str::to_string).collect()
}

#[test]
fn plans_through_the_form() {
    let s = Server::demo();
    let web = AdminWeb::login(s.http, "demo", "demo-admin-pass");
    let list = web.get("/admin/plans");
    assert_eq!(list.status, 200);
    assert!(list.body.contains("Home 10M") && list.body.contains("KES 1,500.00"), "{}", list.body);

    let good = [("name", "Fibre 30"), ("validity", "30d"), ("price", "1500"), ("rate", "10M/10M")];
    let made = web.post("/admin/plans", &good);
    assert_eq!(made.status, 303, "{}", made.body);
    assert_eq!(location(&made), "/admin/plans");
    assert!(flash(&made).contains("Fibre 30"), "{}", flash(&made));
    let list = web.get("/admin/plans?q=fibre");
    let row = list.body.split("Fibre 30").nth(1).expect("the new plan is listed");
    assert!(row.contains("30d") && row.contains("KES 1,500.00") && row.contains("10M/10M"), "{}", list.body);
    assert!(!list.body.contains("Home 20M"), "search narrows the list");
    let cli = lango_ok(&s.data, &["plan", "list", "--tenant", "demo"]);
    let line = cli.lines().find(|l| l.contains("Fibre 30")).unwrap_or_else(|| panic!("{cli}"));
    assert!(line.contains("1500.00") && line.contains("10M/10M") && line.contains("30d"), "{line}");

    // A bad price or validity: 422, the field named, what was typed kept.
    let bad = web.post("/admin/plans", &[("name", "Cheap"), ("validity", "30d"), ("price", "15x0"), ("rate", "5M/5M")]);
    assert_eq!(bad.status, 422);
    assert!(bad.body.contains("id=\"error-price\""), "{}", bad.body);
    assert!(!bad.body.contains("id=\"error-validity\""));
    assert_eq!(input_value(&bad.body, "name").as_deref(), Some("Cheap"));
    assert_eq!(input_value(&bad.body, "price").as_deref(), Some("15x0"));
    assert_eq!(input_value(&bad.body, "rate").as_deref(), Some("5M/5M"));
    let bad = web.post("/admin/plans", &[("name", "Cheap"), ("validity", "thirty"), ("price", "100")]);
    assert_eq!(bad.status, 422);
    assert!(bad.body.contains("id=\"error-validity\"") && !bad.body.contains("id=\"error-price\""), "{}", bad.body);
    assert_eq!(input_value(&bad.body, "validity").as_deref(), Some("thirty"));
    let bad = web.post("/admin/plans", &[("name", "Cheap"), ("validity", "1d"), ("price", "1"), ("rate", "fast")]);
    assert_eq!(bad.status, 422);
    assert!(bad.body.contains("id=\"error-rate\""), "{}", bad.body);
    let twice = web.post("/admin/plans", &good);
    assert_eq!(twice.status, 422);
    assert!(twice.body.contains("id=\"error-name\"") && twice.body.contains("already exists"), "{}", twice.body);
    assert!(!web.get("/admin/plans").body.contains("Cheap"), "nothing made from a refused form");

    let csv = web.get("/admin/plans?format=csv");
    assert!(csv.head.contains("text/csv"), "{}", csv.head);
    assert!(csv.body.starts_with("id,name,validity,price"), "{}", csv.body);
    assert!(csv.body.lines().any(|l| l.contains("Fibre 30") && l.contains("10M/10M")), "{}", csv.body);
    assert_eq!(csv.body.lines().count(), 1 + 8, "the seven demo plans and ours: {}", csv.body);

    // Operators see plans but do not make them.
    let pw = make_admin(&s.data, &["--tenant", "demo", "--name", "olga", "--role", "operator"]);
    let operator = AdminWeb::login(s.http, "olga", &pw);
    assert_eq!(operator.get("/admin/plans").status, 200);
    assert!(!operator.get("/admin/plans").body.contains("id=\"new-plan\""));
    assert_eq!(operator.post("/admin/plans", &[("name", "Sneaky"), ("validity", "1d"), ("price", "1")]).status, 403);
}

#[test]
fn routers_through_the_form_never_show_the_secret() {
    let s = Server::demo();
    let web = AdminWeb::login(s.http, "demo", "demo-admin-pass");
    let secret = "tower-secret-93817";
    let made = web.post("/admin/nas", &[("name", "tower-1"), ("address", "10.20.0.1"), ("secret", secret)]);
    assert_eq!(made.status, 303, "{}", made.body);
    assert_eq!(location(&made), "/admin/nas");
    let list = web.get("/admin/nas");
    assert_eq!(list.status, 200);
    assert!(list.body.contains("tower-1") && list.body.contains("10.20.0.1/32"), "{}", list.body);
    assert!(list.body.contains("demo-loopback") && list.body.contains("127.0.0.0/8"));
    for page in [&list.body, &web.get("/admin/nas?format=csv").body, &web.get("/admin/nas?q=tower").body] {
        assert!(!page.contains(secret) && !page.contains(DEMO_SECRET), "a secret shown: {page}");
    }
    let cli = lango_ok(&s.data, &["nas", "list", "--tenant", "demo"]);
    assert!(cli.contains("tower-1") && cli.contains("10.20.0.1/32"), "{cli}");
    assert!(!web.get("/admin/nas?q=tower").body.contains("demo-loopback"), "search narrows the list");

    // A bad address is the address's error; the secret typed is not sent back.
    let bad = web.post("/admin/nas", &[("name", "tower-2"), ("address", "10.20.0.300"), ("secret", secret)]);
    assert_eq!(bad.status, 422);
    assert!(bad.body.contains("id=\"error-address\"") && !bad.body.contains("id=\"error-secret\""), "{}", bad.body);
    assert_eq!(input_value(&bad.body, "name").as_deref(), Some("tower-2"));
    assert_eq!(input_value(&bad.body, "address").as_deref(), Some("10.20.0.300"));
    assert!(!bad.body.contains(secret), "the secret echoed back");
    let bad = web.post("/admin/nas", &[("name", "tower-2"), ("address", "10.20.0.0/33"), ("secret", secret)]);
    assert_eq!(bad.status, 422);
    assert!(bad.body.contains("id=\"error-address\""), "{}", bad.body);
    let short = web.post("/admin/nas", &[("name", "tower-2"), ("address", "10.20.0.2"), ("secret", "short")]);
    assert_eq!(short.status, 422);
    assert!(short.body.contains("id=\"error-secret\""), "{}", short.body);
    let again = web.post("/admin/nas", &[("name", "tower-1b"), ("address", "10.20.0.1"), ("secret", secret)]);
    assert_eq!(again.status, 422);
    assert!(again.body.contains("id=\"error-address\"") && again.body.contains("already exists"), "{}", again.body);
    let listed = web.get("/admin/nas").body;
    assert!(!listed.contains("tower-2") && !listed.contains("tower-1b"), "refused forms made routers: {listed}");

    // The audit record of the new router carries no secret either.
    let audit = web.get("/admin/audit").body;
    assert!(audit.contains("nas.create") && !audit.contains(secret), "{audit}");
}

#[test]
fn voucher_batches_by_admin_and_by_resellers() {
    let s = Server::demo();
    let web = AdminWeb::login(s.http, "demo", "demo-admin-pass");
    let hotspot = plan_id(&s.data, "demo", "Hotspot 1 hour 1 GB");

    // Refused forms name their field.
    let bad = web.post("/admin/vouchers", &[("plan", &hotspot), ("count", "0"), ("prefix", "WEB-")]);
    assert_eq!(bad.status, 422);
    assert!(bad.body.contains("id=\"error-count\""), "{}", bad.body);
    assert_eq!(input_value(&bad.body, "prefix").as_deref(), Some("WEB-"));
    let bad = web.post("/admin/vouchers", &[("plan", &hotspot), ("count", "2"), ("prefix", "W B")]);
    assert_eq!(bad.status, 422);
    assert!(bad.body.contains("id=\"error-prefix\""), "{}", bad.body);
    let bad = web.post("/admin/vouchers", &[("plan", &hotspot), ("count", "2"), ("valid_for", "soon")]);
    assert_eq!(bad.status, 422);
    assert!(bad.body.contains("id=\"error-valid_for\""), "{}", bad.body);
    let bad = web.post("/admin/vouchers", &[("plan", "999999"), ("count", "2")]);
    assert_eq!(bad.status, 422);
    assert!(bad.body.contains("id=\"error-plan\""), "{}", bad.body);

    let made = web.post("/admin/vouchers", &[("plan", &hotspot), ("count", "5"), ("prefix", "WEB-"), ("length", "8")]);
    assert_eq!(made.status, 303, "{}", made.body);
    let batch = location(&made);
    assert!(batch.starts_with("/admin/vouchers/"), "{batch}");
    let page = web.get(&batch);
    assert_eq!(page.status, 200);
    let list = codes(&page.body);
    assert_eq!(list.len(), 5, "{}", page.body);
    assert!(list.iter().all(|c| c.starts_with("WEB-") && c.len() == 12), "{list:?}");
    assert!(page.body.contains("unused"));
    let csv = web.get(&format!("{batch}?format=csv"));
    assert_eq!(csv.body.lines().count(), 6, "{}", csv.body);
    assert!(list.iter().all(|c| csv.body.contains(c.as_str())));
    let (head, pdf) = get_bytes(s.http, &format!("{batch}/cards.pdf"), &web);
    assert!(head.contains("application/pdf") && pdf.starts_with(b"%PDF"), "{head}");
    assert!(String::from_utf8_lossy(&pdf).contains(list[0].as_str()), "the codes are on the cards");

    // One code of the batch logs in on the hotspot (PAP).
    let code = &list[0];
    let r = radclient(
        s.auth,
        "auth",
        DEMO_SECRET,
        &format!(
            "User-Name={code},User-Password={code},Service-Type=Login-User,Calling-Station-Id=AA-BB-CC-DD-EE-07,Message-Authenticator=0x00"
        ),
    );
    assert!(r.is("Access-Accept"), "{}", r.raw);
    let r = radclient(
        s.auth,
        "auth",
        DEMO_SECRET,
        &format!("User-Name={code},User-Password=WRONG,Service-Type=Login-User,Message-Authenticator=0x00"),
    );
    assert!(r.is("Access-Reject"), "{}", r.raw);

    // A reseller with an empty wallet is refused, and nothing is charged.
    let (pw, wallet) = make_reseller(&s.data, "rita");
    let rita = AdminWeb::login(s.http, "rita", &pw);
    let form = rita.get("/admin/vouchers/new");
    assert_eq!(form.status, 200);
    assert!(form.body.contains("KES 0.00"), "{}", form.body);
    let broke = rita.post("/admin/vouchers", &[("plan", &hotspot), ("count", "3"), ("prefix", "RT-")]);
    assert_eq!(broke.status, 422);
    let why = broke.body.split("id=\"error-count\">").nth(1).unwrap_or_else(|| panic!("{}", broke.body));
    assert!(why.starts_with("Your wallet holds KES 0.00; 3 vouchers of Hotspot 1 hour 1 GB cost KES 60.00"), "{why}");
    assert_eq!(input_value(&broke.body, "prefix").as_deref(), Some("RT-"));
    assert!(rita.get("/admin/vouchers").body.contains("No voucher batches"));
    assert_eq!(rita.get("/admin/payments").status, 403, "payments are not a reseller's");
    assert_eq!(rita.get("/admin/invoices").status, 403);

    // A cashier takes the reseller's float at the counter; now the batch is made and charged.
    let pw = make_admin(&s.data, &["--tenant", "demo", "--name", "cass", "--role", "cashier"]);
    let cashier = AdminWeb::login(s.http, "cass", &pw);
    let nonce = input_value(&cashier.get("/admin/payments/new").body, "nonce").unwrap();
    let paid = cashier.post(
        "/admin/payments",
        &[("customer", &wallet), ("amount", "100"), ("method", "cash"), ("reference", "float-rita"), ("nonce", &nonce)],
    );
    assert_eq!(paid.status, 303, "{}", paid.body);
    let made = rita.post("/admin/vouchers", &[("plan", &hotspot), ("count", "3"), ("prefix", "RT-")]);
    assert_eq!(made.status, 303, "{}", made.body);
    assert!(flash(&made).contains("KES 60.00 charged to your wallet"), "{}", flash(&made));
    let theirs = location(&made);
    let page = rita.get(&theirs);
    assert_eq!(page.status, 200);
    assert_eq!(codes(&page.body).len(), 3);
    let balance = lango_ok(&s.data, &["wallet", "show", "--tenant", "demo", "--customer", &wallet]);
    assert!(balance.starts_with("balance KES 40.00"), "{balance}");
    let own = rita.get("/admin/vouchers").body;
    let id = theirs.rsplit('/').next().unwrap();
    assert!(own.contains(&format!("id=\"batch-{id}\"")), "{own}");
    let admins = batch.rsplit('/').next().unwrap();
    assert!(!own.contains(&format!("id=\"batch-{admins}\"")), "the tenant's batch listed to a reseller");
    assert_eq!(rita.get(&batch).status, 404, "the tenant's batch opened by a reseller");

    // The tenant admin sees the reseller's batch; another reseller does not.
    let all = web.get("/admin/vouchers");
    assert!(all.body.contains(&format!("id=\"batch-{id}\"")) && all.body.contains("Reseller rita"), "{}", all.body);
    assert_eq!(web.get(&theirs).status, 200);
    let (pw, _) = make_reseller(&s.data, "ravi");
    let ravi = AdminWeb::login(s.http, "ravi", &pw);
    assert_eq!(ravi.get(&theirs).status, 404);
    assert_eq!(ravi.get(&format!("{theirs}/cards.pdf")).status, 404);
    assert_eq!(ravi.get(&format!("{theirs}?format=csv")).status, 404);
    let listed = ravi.get("/admin/vouchers?format=csv").body;
    assert_eq!(listed.lines().count(), 1, "another reseller's batches: {listed}");

    // Another tenant's batch is not found, even for the tenant admin.
    lango_ok(&s.data, &["tenant", "add", "other"]);
    lango_ok(&s.data, &["plan", "add", "--tenant", "other", "--name", "Day", "--validity", "1d", "--price", "10"]);
    let out = lango_ok(&s.data, &["voucher", "batch", "--tenant", "other", "--plan", "Day", "--count", "2"]);
    let other = out.split_whitespace().nth(1).unwrap().trim_end_matches(':');
    assert_eq!(web.get(&format!("/admin/vouchers/{other}")).status, 404);
    assert_eq!(web.get(&format!("/admin/vouchers/{other}/cards.pdf")).status, 404);
}

#[test]
fn manual_payments_are_recorded_once_and_exported() {
    let s = Server::demo();
    let web = AdminWeb::login(s.http, "demo", "demo-admin-pass");
    let form = web.get("/admin/payments/new");
    assert_eq!(form.status, 200);
    let nonce = input_value(&form.body, "nonce").expect("a nonce");

    let bad = web.post("/admin/payments", &[("customer", "demo-pppoe"), ("amount", "15o0"), ("method", "cash")]);
    assert_eq!(bad.status, 422);
    assert!(bad.body.contains("id=\"error-amount\"") && !bad.body.contains("id=\"error-customer\""), "{}", bad.body);
    assert_eq!(input_value(&bad.body, "customer").as_deref(), Some("demo-pppoe"));
    assert_eq!(input_value(&bad.body, "amount").as_deref(), Some("15o0"));
    let zero = web.post("/admin/payments", &[("customer", "demo-pppoe"), ("amount", "0"), ("method", "cash")]);
    assert_eq!(zero.status, 422);
    assert!(zero.body.contains("id=\"error-amount\""));
    let nobody = web.post("/admin/payments", &[("customer", "nobody-here"), ("amount", "10"), ("method", "cash")]);
    assert_eq!(nobody.status, 422);
    assert!(nobody.body.contains("id=\"error-customer\""), "{}", nobody.body);

    let fields = [
        ("customer", "demo-pppoe"),
        ("amount", "1500"),
        ("method", "cash"),
        ("reference", "CASH-0042"),
        ("nonce", nonce.as_str()),
    ];
    let paid = web.post("/admin/payments", &fields);
    assert_eq!(paid.status, 303, "{}", paid.body);
    assert_eq!(location(&paid), "/admin/payments");
    let said = flash(&paid);
    assert!(said.contains("KES 1,500.00 credited to Alice Wanjiru; receipt RCT-"), "{said}");
    // The same form sent again (a double click, a reload) is one payment.
    let again = web.post("/admin/payments", &fields);
    assert_eq!(again.status, 303);
    assert!(flash(&again).contains("sent before"), "{}", flash(&again));
    // By phone number, as a bank transfer.
    let by_phone = web.post(
        "/admin/payments",
        &[("customer", "0712000003"), ("amount", "250.50"), ("method", "manual"), ("reference", "BANK-77")],
    );
    assert_eq!(by_phone.status, 303, "{}", by_phone.body);

    let list = web.get("/admin/payments");
    assert_eq!(list.status, 200);
    assert!(list.body.contains("CASH-0042") && list.body.contains("Alice Wanjiru"), "{}", list.body);
    assert!(list.body.contains("BANK-77") && list.body.contains("Corner shop") && list.body.contains("KES 250.50"));
    let found = web.get("/admin/payments?q=corner").body;
    assert!(found.contains("BANK-77") && !found.contains("CASH-0042"), "{found}");
    let csv = web.get("/admin/payments?format=csv");
    assert!(csv.head.contains("text/csv"));
    let rows: Vec<&str> = csv.body.lines().filter(|l| l.contains("CASH-0042")).collect();
    assert_eq!(rows.len(), 1, "{}", csv.body);
    assert!(
        rows[0].contains("KES 1,500.00") && rows[0].contains(",cash,") && rows[0].contains("Alice Wanjiru"),
        "{}",
        rows[0]
    );
    let cli = lango_ok(&s.data, &["pay", "list", "--tenant", "demo"]);
    assert_eq!(cli.matches("CASH-0042").count(), 1, "{cli}");
    assert_eq!(cli.lines().count(), 2, "{cli}");

    // Read-only admins see payments but record none.
    let pw = make_admin(&s.data, &["--tenant", "demo", "--name", "rhoda", "--role", "read-only"]);
    let ro = AdminWeb::login(s.http, "rhoda", &pw);
    assert!(ro.get("/admin/payments").body.contains("CASH-0042"));
    assert_eq!(ro.get("/admin/payments/new").status, 403);
}

#[test]
fn invoices_list_and_pdf_of_the_tenant_only() {
    let s = Server::demo();
    let web = AdminWeb::login(s.http, "demo", "demo-admin-pass");
    assert!(web.get("/admin/invoices").body.contains("No invoices or receipts"));
    let nonce = input_value(&web.get("/admin/payments/new").body, "nonce").unwrap();
    let paid = web.post(
        "/admin/payments",
        &[("customer", "demo-pppoe"), ("amount", "1500"), ("method", "cash"), ("nonce", &nonce)],
    );
    assert_eq!(paid.status, 303, "{}", paid.body);
    let said = flash(&paid);
    let number = said.split("receipt ").nth(1).unwrap().trim_end_matches('.').to_string();

    let list = web.get("/admin/invoices");
    assert_eq!(list.status, 200);
    assert!(list.body.contains(&format!("href=\"/admin/invoices/{number}\"")), "{}", list.body);
    assert!(list.body.contains("Alice Wanjiru") && list.body.contains("KES 1,500.00"), "{}", list.body);
    let csv = web.get("/admin/invoices?format=csv").body;
    assert!(csv.lines().any(|l| l.starts_with(&format!("{number},receipt,"))), "{csv}");
    assert!(web.get("/admin/invoices?q=corner").body.contains("No invoices or receipts"));

    let (head, pdf) = get_bytes(s.http, &format!("/admin/invoices/{number}"), &web);
    assert!(head.starts_with("HTTP/1.1 200") && head.contains("application/pdf"), "{head}");
    assert!(pdf.starts_with(b"%PDF"));
    assert!(String::from_utf8_lossy(&pdf).contains(&number), "the PDF is that receipt");

    // Another tenant's receipts: two there, one here; its second is not ours to see.
    lango_ok(&s.data, &["tenant", "add", "other"]);
    let out = lango_ok(&s.data, &["customer", "add", "--tenant", "other", "--name", "Zed Other"]);
    let zed = out.split("(id ").nth(1).unwrap().trim_end_matches([')', '\n']);
    for reason in ["z-1", "z-2"] {
        lango_ok(
            &s.data,
            &[
                "wallet",
                "post",
                "--tenant",
                "other",
                "--customer",
                zed,
                "--kind",
                "payment",
                "--amount",
                "5",
                "--reason",
                reason,
            ],
        );
    }
    let theirs = lango_ok(&s.data, &["invoice", "list", "--tenant", "other"]);
    let second = theirs.lines().nth(1).unwrap().split_whitespace().next().unwrap();
    assert_ne!(second, number);
    assert_eq!(web.get(&format!("/admin/invoices/{second}")).status, 404, "another tenant's receipt");
    assert_eq!(web.get("/admin/invoices/RCT-0000-nope").status, 404);
    let ours = web.get("/admin/invoices?format=csv").body;
    assert!(!ours.contains("Zed Other") && ours.lines().count() == 2, "{ours}");
}
