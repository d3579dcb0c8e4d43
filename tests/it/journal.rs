//! The period journal against the real binary: a cash payment and a
//! taxed renewal from the wallet, then `lango report journal` in the three
//! import shapes balances and matches `lango report tax` for the period;
//! the chart of accounts changes from the CLI and the admin page (bad
//! input re-rendered with a 422), and the page's download is the CLI's.

use crate::harness::*;

/// "1234.50" → 123450.
fn minor(s: &str) -> i64 {
    let s = s.trim();
    if s.is_empty() {
        return 0;
    }
    let (whole, frac) = s.split_once('.').unwrap_or((s, "00"));
    let sign = if whole.starts_with('-') { -1 } else { 1 };
    sign * (whole.trim_start_matches('-').parse::<i64>().unwrap() * 100 + frac.parse::<i64>().unwrap())
}

/// A figure from the tax report's CSV summary (`Name,1234.50`).
fn figure(csv: &str, name: &str) -> i64 {
    let line = csv.lines().find(|l| l.starts_with(&format!("{name},"))).unwrap_or_else(|| panic!("{name}: {csv}"));
    minor(line.split(',').nth(1).unwrap())
}

/// Columns of a CSV without quoted commas in the columns read.
fn cols(line: &str) -> Vec<String> {
    let mut out = vec![];
    let (mut cur, mut quoted) = (String::new(), false);
    for ch in line.chars() {
        match ch {
            '"' => quoted = !quoted,
            ',' if !quoted => out.push(std::mem::take(&mut cur)),
            c => cur.push(c),
        }
    }
    out.push(cur);
    out
}

#[test]
fn journal_balances_and_matches_the_tax_report() {
    let s = Server::demo();
    let cli = |args: &[&str]| lango_ok(&s.data, args);
    cli(&["invoice", "settings", "--tenant", "demo", "--vat", "16", "--inclusive"]);
    let customers = cli(&["customer", "list", "--tenant", "demo"]);
    let customer = customers.lines().nth(1).and_then(|l| l.split_whitespace().next()).unwrap().to_string();
    let pay = ["wallet", "post", "--tenant", "demo", "--customer", &customer, "--kind", "payment"];
    cli(&[&pay[..], &["--amount", "5000", "--reason", "cash at the shop"]].concat());
    cli(&["wallet", "renew", "--tenant", "demo", "--service", "demo-pppoe"]);

    let tax = cli(&["report", "tax", "--tenant", "demo", "--format", "csv"]);
    let (net, vat, gross) = (figure(&tax, "Net"), figure(&tax, "VAT 16 %"), figure(&tax, "Gross"));
    assert!(net > 0 && vat > 0 && net + vat == gross, "{tax}");

    // QuickBooks Online: JournalNo, JournalDate, AccountName, Debits, Credits, Description.
    let qb = cli(&["report", "journal", "--tenant", "demo", "--format", "quickbooks"]);
    let mut lines = qb.lines();
    assert_eq!(lines.next(), Some("JournalNo,JournalDate,AccountName,Debits,Credits,Description"));
    let rows: Vec<Vec<String>> = lines.map(cols).collect();
    let total =
        |account: &str, col: usize| -> i64 { rows.iter().filter(|r| r[2] == account).map(|r| minor(&r[col])).sum() };
    let debits: i64 = rows.iter().map(|r| minor(&r[3])).sum();
    let credits: i64 = rows.iter().map(|r| minor(&r[4])).sum();
    assert_eq!(debits, credits, "{qb}");
    for no in rows.iter().map(|r| r[0].clone()) {
        let entry: Vec<_> = rows.iter().filter(|r| r[0] == no).collect();
        let d: i64 = entry.iter().map(|r| minor(&r[3])).sum();
        let c: i64 = entry.iter().map(|r| minor(&r[4])).sum();
        assert_eq!(d, c, "entry {no} balances: {qb}");
    }
    assert_eq!(total("Sales", 4) - total("Sales", 3), net, "{qb}");
    assert_eq!(total("VAT payable", 4), vat, "{qb}");
    assert_eq!(total("Customer wallets", 3), gross, "{qb}");
    assert_eq!(total("Cash", 3), 500_000, "{qb}");
    assert_eq!(total("Customer wallets", 4), 500_000, "{qb}");
    assert!(qb.contains("Sales: "), "revenue by plan: {qb}");

    // Xero: signed amounts that sum to zero, account codes.
    let xero = cli(&["report", "journal", "--tenant", "demo", "--format", "xero"]);
    assert!(xero.starts_with("Narration,Date,Description,AccountCode,TaxRate,Amount\r\n"), "{xero}");
    let amounts: Vec<i64> = xero.lines().skip(1).map(|l| minor(&cols(l)[5])).collect();
    assert_eq!(amounts.iter().sum::<i64>(), 0, "{xero}");
    assert!(xero.contains(",2200,Tax Exempt,-"), "VAT payable by code: {xero}");

    // Odoo: debit and credit columns, the move's fields on its first line.
    let odoo = cli(&["report", "journal", "--tenant", "demo", "--format", "odoo"]);
    let rows: Vec<Vec<String>> = odoo.lines().skip(1).map(cols).collect();
    assert_eq!(rows.iter().map(|r| minor(&r[5])).sum::<i64>(), rows.iter().map(|r| minor(&r[6])).sum::<i64>());
    assert_eq!(rows.iter().filter(|r| r[2] == "Miscellaneous Operations").count(), 2, "{odoo}");

    let text = cli(&["report", "journal", "--tenant", "demo"]);
    assert!(text.contains("wallets owed: 0.00 at the start") && !text.contains("UNBALANCED"), "{text}");

    // The chart from the CLI: renamed accounts reach the export; a bad key is refused.
    let shown = cli(&["accounts", "set", "--tenant", "demo", "sales.name=Internet sales", "odoo_journal=MISC"]);
    assert!(shown.contains("sales.name=Internet sales\n") && shown.contains("sales.code=4000\n"), "{shown}");
    let qb = cli(&["report", "journal", "--tenant", "demo", "--format", "quickbooks"]);
    assert!(qb.contains(",Internet sales,") && !qb.contains(",Sales,"), "{qb}");
    let bad = lango(&s.data, &["accounts", "set", "--tenant", "demo", "sales.colour=red"]);
    assert!(!bad.status.success() && String::from_utf8_lossy(&bad.stderr).contains("sales.colour"), "{bad:?}");
    let bad = lango(&s.data, &["report", "journal", "--tenant", "demo", "--format", "sage"]);
    assert!(String::from_utf8_lossy(&bad.stderr).contains("--format: \"sage\""), "{bad:?}");

    // The admin page: figures, the chart form (422 on an empty code), the download.
    let web = AdminWeb::login(s.http, "demo", "demo-admin-pass");
    let page = web.get("/admin/accounting");
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("Chart of accounts") && page.body.contains("Internet sales"), "{}", page.body);
    let refused = web.post("/admin/accounting", &[("vat.code", " "), ("vat.name", "VAT payable")]);
    assert_eq!(refused.status, 422, "{}", refused.body);
    assert!(refused.body.contains("vat.code cannot be empty"), "{}", refused.body);
    let saved = web.post("/admin/accounting", &[("vat.code", "2210"), ("vat.name", "VAT output")]);
    assert_eq!(saved.status, 303, "{}", saved.body);
    assert!(cli(&["accounts", "show", "--tenant", "demo"]).contains("vat.code=2210\n"));
    let audit = web.get("/admin/audit?format=csv").body;
    assert_eq!(audit.matches("tenant.accounts").count(), 2, "the CLI's and the page's change audited: {audit}");
    let got = web.get("/admin/accounting/journal?format=xero");
    assert_eq!(got.status, 200, "{}", got.body);
    assert!(got.head.to_ascii_lowercase().contains("content-disposition: attachment"), "{}", got.head);
    assert_eq!(got.body, cli(&["report", "journal", "--tenant", "demo", "--format", "xero"]));
    assert!(got.body.contains(",2210,Tax Exempt,-"), "{}", got.body);
}

/// `invoice.issued`: a renewal from the wallet issues a receipt, and its
/// whole document reaches the endpoint (lines, totals, the tax PIN, the
/// customer by id with a masked phone and no name), numbered as the tax
/// report lists it.
#[test]
fn invoice_issued_webhook_carries_the_document() {
    use crate::support::receiver::Receiver;
    use std::time::Duration;
    let hook = Receiver::start(&[]);
    let s = Server::start_env(&temp_dir("invoice-hook"), &["--demo"], &[("LANGO_JOBS_TICK_SECS", "1")]);
    let cli = |args: &[&str]| lango_ok(&s.data, args);
    let url = format!("http://{}/lango", hook.addr);
    cli(&["webhook", "add", "--tenant", "demo", "--url", &url, "--events", "invoice.issued"]);
    cli(&["invoice", "settings", "--tenant", "demo", "--vat", "16", "--inclusive", "--tax-pin", "P051234567X"]);
    let customers = cli(&["customer", "list", "--tenant", "demo"]);
    let line = customers.lines().nth(1).unwrap().to_string();
    let customer = line.split_whitespace().next().unwrap().to_string();
    let pay = ["wallet", "post", "--tenant", "demo", "--customer", &customer, "--kind", "payment"];
    cli(&[&pay[..], &["--amount", "5000", "--reason", "cash at the shop"]].concat());
    cli(&["wallet", "renew", "--tenant", "demo", "--service", "demo-pppoe"]);

    let got = hook.wait(Duration::from_secs(15), |g| !g.is_empty());
    assert_eq!(got.len(), 1, "only the sale, not the payment: {got:?}");
    assert_eq!(got[0].headers["lango-event"], "invoice.issued");
    let body: serde_json::Value = serde_json::from_str(&got[0].body).unwrap();
    let d = &body["data"];
    let number = d["number"].as_str().unwrap_or_else(|| panic!("{body}"));
    assert!(number.starts_with("RCT-"), "{body}");
    let (net, tax, gross) = (d["net"].as_i64().unwrap(), d["tax"].as_i64().unwrap(), d["gross"].as_i64().unwrap());
    assert!(tax > 0 && net + tax == gross, "{body}");
    let lines = d["lines"].as_array().unwrap();
    assert!(!lines.is_empty() && lines.iter().map(|l| l["gross"].as_i64().unwrap()).sum::<i64>() == gross, "{body}");
    assert!(lines[0]["description"].as_str().is_some_and(|t| !t.is_empty()), "{body}");
    assert_eq!(d["tax_pin"], "P051234567X", "{body}");
    assert_eq!(d["currency"], "KES", "{body}");
    assert_eq!(d["customer"]["id"].as_u64().unwrap().to_string(), customer, "{body}");
    if let Some(phone) = d["customer"]["phone"].as_str() {
        assert!(phone.contains("****"), "masked: {body}");
    }
    assert!(d["issued_at"].as_i64().is_some() && d["paid_at"].as_i64().is_some(), "{body}");
    // No name of the customer's anywhere in the event.
    let name: Vec<&str> = line.split_whitespace().skip(1).take(1).collect();
    assert!(!got[0].body.contains(name[0]), "{name:?} in {body}");
    let tax_csv = cli(&["report", "tax", "--tenant", "demo", "--format", "csv"]);
    assert!(tax_csv.contains(&format!("{number},")), "{tax_csv}");
}
