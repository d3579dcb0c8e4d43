//! The report pages in headless Chromium (laptop size) against the real
//! binary with the demo data and two cash payments recorded through the
//! command line: the index, each of the five reports (title, SVG chart,
//! tables), a period chosen with the form, a bad date's message, the CSV
//! and PDF downloads with the browser's session; a reseller's reports show
//! its own customers' money only. With SCREENSHOT_DIR=docs/screenshots the
//! report pages and the NOC pages are saved for the docs.

use std::time::Duration;

use lango::store::reports::{day_label, local_day, month_start};

use crate::billing::{eventually, real_now};
use crate::harness::*;
use crate::support::browser::Browser;

const PAGE: Duration = Duration::from_secs(15);
const KINDS: [(&str, &str); 5] = [
    ("revenue", "Revenue"),
    ("reconciliation", "Payment reconciliation"),
    ("tax", "Tax (VAT)"),
    ("network", "Network"),
    ("customers", "Customers"),
];

fn sign_in(b: &Browser, base: &str, user: &str, password: &str) {
    b.goto(&format!("{base}/admin"));
    b.find("#username", PAGE);
    b.clear_and_type("#username", user);
    b.clear_and_type("#password", password);
    b.click("#sign-in");
    b.wait_text("Dashboard", PAGE);
}

/// Today in the demo tenant's calendar (Africa/Nairobi).
fn today() -> i32 {
    local_day(&lango::clock::Clock::zone("Africa/Nairobi"), real_now())
}

/// A cash payment of `amount` into the wallet of the customer `id`.
fn pay_cash(s: &Server, id: &str, amount: &str) {
    let args = ["wallet", "post", "--tenant", "demo", "--customer", id, "--kind", "payment", "--amount", amount];
    lango_ok(&s.data, &[&args[..], &["--reason", "cash at the shop"]].concat());
}

/// GET `path` with the browser's session cookie, as a download.
fn download(b: &Browser, s: &Server, path: &str) -> Answer {
    let cookie = b.cookie("__Host-lango_admin").expect("the browser's session cookie");
    let host = format!("127.0.0.1:{}", s.http.port());
    http(s.http, "GET", path, &[("Host", &host), ("Cookie", &format!("__Host-lango_admin={cookie}"))], "")
}

/// The link of an element (`href` as the page has it, entities decoded).
fn href(b: &Browser, id: &str) -> String {
    let src = b.source();
    let at = src.find(&format!("id=\"{id}\"")).unwrap_or_else(|| panic!("no #{id}"));
    let tag_start = src[..at].rfind('<').unwrap();
    let tag = &src[tag_start..at + src[at..].find('>').unwrap()];
    let h = tag.split("href=\"").nth(1).and_then(|h| h.split('"').next()).unwrap_or_else(|| panic!("{tag}"));
    h.replace("&amp;", "&")
}

#[test]
fn reports_show_charts_and_tables_pick_periods_and_download() {
    let s = Server::demo();
    let base = format!("http://127.0.0.1:{}", s.http.port());
    let customers = lango_ok(&s.data, &["customer", "list", "--tenant", "demo"]);
    let customer = customers.lines().nth(1).and_then(|l| l.split_whitespace().next()).unwrap().to_string();
    pay_cash(&s, &customer, "1234.50");
    pay_cash(&s, &customer, "800");
    // A renewal from the wallet: a plan sale and a receipt for the tax report.
    lango_ok(&s.data, &["wallet", "renew", "--tenant", "demo", "--service", "demo-pppoe"]);
    // One session's traffic for the network report.
    let acct = |attrs: &str| {
        let a = radclient(s.acct, "acct", DEMO_SECRET, &format!("User-Name=demo-pppoe,Acct-Session-Id=rep-1,{attrs}"));
        assert!(a.is("Accounting-Response"), "{}", a.raw);
    };
    acct("Acct-Status-Type=Start,Framed-IP-Address=10.20.30.40");
    acct("Acct-Status-Type=Stop,Acct-Session-Time=600,Acct-Input-Octets=40000000,Acct-Output-Octets=300000000");
    eventually("the session's traffic in the network report", Duration::from_secs(10), || {
        lango_ok(&s.data, &["report", "network", "--tenant", "demo"]).contains("Sessions started: 1")
    });

    let b = Browser::start_laptop();
    sign_in(&b, &base, "demo", "demo-admin-pass");
    assert!(b.text("#nav").contains("Reports"), "Reports in the menu: {}", b.text("#nav"));
    b.goto(&format!("{base}/admin/reports"));
    let t = b.wait_text("What it shows", PAGE);
    for (slug, title) in KINDS {
        assert!(t.contains(title), "the index lists {title}: {t}");
        assert!(b.try_find(&format!("#report-{slug} a")).is_some(), "a link to {slug}");
    }

    for (slug, title) in KINDS {
        b.goto(&format!("{base}/admin/reports/{slug}"));
        b.wait_text("Download PDF", PAGE);
        assert!(b.text("#report-title").starts_with(title), "{slug}: {}", b.text("#report-title"));
        let src = b.source();
        assert!(
            src.contains("<svg") && b.try_find("#chart svg.report-chart rect, #chart svg.report-chart line").is_some()
        );
        assert!(b.try_find(".report-table table").is_some(), "{slug} has a table");
        assert!(b.text("#period").contains(&day_label(today())), "this month to date: {}", b.text("#period"));
        b.keep_screenshot(&format!("reports-{slug}"));
    }

    // The revenue report counts both cash payments, in the chart too.
    b.goto(&format!("{base}/admin/reports/revenue"));
    b.wait_text("Download CSV", PAGE);
    let summary = b.text("#summary");
    assert!(summary.contains("KES 2,034.50"), "collected: {summary}");
    assert!(summary.contains("KES 1,500.00"), "the renewal is a plan sale: {summary}");
    assert!(b.source().contains("cash: KES 2,034.50"), "the bar's tooltip");
    // Reconciliation lists them and balances.
    b.goto(&format!("{base}/admin/reports/reconciliation"));
    let t = b.wait_text("Payments received", PAGE);
    assert!(t.contains("KES 1,234.50") && t.contains("KES 800.00"), "{t}");
    assert!(b.text("#checks").contains("balanced") && !b.text("#checks").contains("DOES NOT BALANCE"));

    // The renewal is a sales document; the session is traffic.
    b.goto(&format!("{base}/admin/reports/tax"));
    let t = b.wait_text("Sales documents", PAGE);
    assert!(t.contains("KES 1,500.00"), "the renewal's gross: {t}");
    b.goto(&format!("{base}/admin/reports/network"));
    b.wait_text("Download CSV", PAGE);
    assert!(b.text("#summary").contains("300.0M"), "{}", b.text("#summary"));

    // Another period through the form: last month.
    let this_month = month_start(today());
    let (from, to) = (month_start(this_month - 1), this_month - 1);
    b.goto(&format!("{base}/admin/reports/revenue"));
    b.find("#period-form", PAGE);
    pick_date(&b, "#from", from);
    pick_date(&b, "#to", to);
    b.click("#period-show");
    let want = format!("{} to {}", day_label(from), day_label(to));
    b.wait_text(&want, PAGE);
    assert!(b.url().contains(&format!("from={}", day_label(from))), "{}", b.url());
    assert!(b.text("#summary").contains("KES 0.00"), "nothing collected last month: {}", b.text("#summary"));
    assert!(b.text("#quick").contains("Last month"));
    // The quick link for this month brings the payments back.
    b.click("#quick a");
    b.wait_text("KES 2,034.50", PAGE);

    // Downloads of this month's revenue with the browser's session.
    b.goto(&format!("{base}/admin/reports/revenue"));
    b.wait_text("Download CSV", PAGE);
    let csv_path = href(&b, "download-csv");
    let (first, last) = (day_label(this_month), day_label(today()));
    let csv = download(&b, &s, &csv_path);
    assert_eq!(csv.status, 200, "{}", csv.body);
    let head = csv.head.to_ascii_lowercase();
    assert!(head.contains("content-type: text/csv; charset=utf-8"), "{}", csv.head);
    assert!(head.contains(&format!("attachment; filename=\"lango-revenue-{first}-{last}.csv\"")), "{}", csv.head);
    assert!(csv.body.contains("Date,M-Pesa STK,M-Pesa C2B,Cash,Manual,Collected,Payments,Plan sales"), "{}", csv.body);
    assert!(csv.body.contains("Collected,2034.50"), "{}", csv.body);
    let csv = download(&b, &s, &href(&b, "download-csv").replace("/revenue/", "/reconciliation/"));
    assert!(csv.body.contains("1234.50") && csv.body.contains("800.00"), "{}", csv.body);
    let pdf = download(&b, &s, &href(&b, "download-pdf"));
    assert_eq!(pdf.status, 200);
    assert!(pdf.head.to_ascii_lowercase().contains("content-type: application/pdf"), "{}", pdf.head);
    assert!(pdf.head.contains(&format!("lango-revenue-{first}-{last}.pdf")), "{}", pdf.head);
    assert!(pdf.body.starts_with("%PDF-1.4"), "{}", &pdf.body[..pdf.body.len().min(40)]);

    // A bad date: the page says so next to the picker; a download answers 400.
    b.goto(&format!("{base}/admin/reports/revenue?from=2026-13-01&to="));
    b.find("#error-from", PAGE);
    assert!(b.text("#error-from").contains("is not a date"), "{}", b.text("#error-from"));
    assert!(b.try_find("#summary").is_none(), "no figures for a period that is not one");
    let bad = download(&b, &s, "/admin/reports/revenue/csv?from=2026-02-01&to=2026-01-01");
    assert_eq!(bad.status, 400);
    assert!(bad.body.contains("the end comes before the start"), "{}", bad.body);
    assert_eq!(download(&b, &s, "/admin/reports/nosuch").status, 404);

    // The NOC pages of the demo router, for the docs.
    b.goto(&format!("{base}/admin/noc"));
    b.find("#noc a", PAGE);
    b.keep_screenshot("noc");
    b.click("#noc a");
    b.wait_text("Charts", PAGE);
    b.keep_screenshot("noc-router");
}

/// Types a date into a date input in the order the browser's (en-US)
/// editor takes it: month, day, year.
fn pick_date(b: &Browser, css: &str, day: i32) {
    let l = day_label(day);
    let (y, m, d) = (&l[..4], &l[5..7], &l[8..10]);
    b.clear_and_type(css, &format!("{m}{d}{y}"));
}

#[test]
fn a_reseller_sees_only_its_own_figures() {
    let s = Server::demo();
    let base = format!("http://127.0.0.1:{}", s.http.port());
    let customers = lango_ok(&s.data, &["customer", "list", "--tenant", "demo"]);
    let tenants_customer = customers.lines().nth(1).and_then(|l| l.split_whitespace().next()).unwrap().to_string();
    pay_cash(&s, &tenants_customer, "1234.50");
    let pw = make_admin(&s.data, &["--tenant", "demo", "--name", "shop1", "--role", "reseller"]);

    let b = Browser::start_laptop();
    sign_in(&b, &base, "shop1", &pw);
    assert!(b.text("#nav").contains("Reports"), "{}", b.text("#nav"));
    b.goto(&format!("{base}/admin/reports/revenue"));
    b.wait_text("Download CSV", PAGE);
    let summary = b.text("#summary");
    assert!(
        summary.contains("KES 0.00") && !summary.contains("1,234.50"),
        "the tenant's money is not the reseller's: {summary}"
    );
    b.goto(&format!("{base}/admin/reports/reconciliation"));
    let t = b.wait_text("Payments received", PAGE);
    assert!(!t.contains("1,234.50"), "{t}");
    let csv = download(&b, &s, &href(&b, "download-csv"));
    assert_eq!(csv.status, 200);
    assert!(!csv.body.contains("1234.50"), "{}", csv.body);
}
