//! The customer's account pages in headless Chromium against the real
//! binary: sign-in (a wrong password is refused), status and usage chart,
//! payments and a receipt PDF that only its owner can fetch, a support
//! ticket answered by the operator, escaping of what customers type, and
//! sign-out.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use crate::billing::{eventually, rig};
use crate::support::browser::{Browser, Options};

const PAGE: Duration = Duration::from_secs(20);

fn get(to: SocketAddr, path: &str, cookie: Option<&str>) -> (String, Vec<u8>) {
    let mut s = TcpStream::connect(to).unwrap();
    let cookie = cookie.map(|c| format!("Cookie: lango_acct={c}\r\n")).unwrap_or_default();
    s.write_all(format!("GET {path} HTTP/1.1\r\nHost: lango\r\n{cookie}Connection: close\r\n\r\n").as_bytes()).unwrap();
    let mut out = Vec::new();
    s.read_to_end(&mut out).unwrap();
    let end = out.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
    (String::from_utf8_lossy(&out[..end]).to_string(), out[end + 4..].to_vec())
}

fn customer_id(r: &crate::billing::Rig, name: &str) -> String {
    let list = r.cli(&["customer", "list", "--tenant", "demo"]);
    list.lines().find(|l| l.contains(name)).and_then(|l| l.split_whitespace().next()).unwrap().to_string()
}

#[test]
fn customer_signs_in_sees_usage_and_receipts_and_gets_support() {
    let r = rig("account");
    let alice = customer_id(&r, "Alice Wanjiru");
    let shop = customer_id(&r, "Corner shop");
    r.cli(&[
        "wallet",
        "post",
        "--tenant",
        "demo",
        "--customer",
        &alice,
        "--kind",
        "payment",
        "--amount",
        "1500",
        "--reason",
        "cash at the office",
    ]);
    r.cli(&[
        "wallet",
        "post",
        "--tenant",
        "demo",
        "--customer",
        &shop,
        "--kind",
        "payment",
        "--amount",
        "700",
        "--reason",
        "cash",
    ]);
    let docs = r.cli(&["invoice", "list", "--tenant", "demo"]);
    let number = |amount: &str| {
        docs.lines()
            .find(|l| l.contains(amount))
            .and_then(|l| l.split_whitespace().find(|w| w.starts_with("RCT-")))
            .unwrap()
            .to_string()
    };
    let (mine, theirs) = (number("1,500.00"), number("700.00"));
    // Some use today: 50 MB down, 5 MB up.
    r.start_session("demo-pppoe", "acc-1", "10.9.0.5", "");
    r.stop_session("demo-pppoe", "acc-1", ",Acct-Input-Octets=5000000,Acct-Output-Octets=50000000");

    let b = Browser::start(Options { proxy: None });
    let home = format!("http://{}/account", r.server.http);
    b.goto(&home);
    b.clear_and_type("#username", "demo-pppoe");
    b.clear_and_type("#password", "not-it");
    b.click("#sign-in");
    b.wait_text("Wrong username or password", PAGE);

    b.clear_and_type("#password", "demo-pass");
    b.click("#sign-in");
    let page = b.wait_text("Hello, Alice Wanjiru", PAGE);
    assert_eq!(b.text("#plan"), "Home 10M");
    assert!(b.text("#balance").contains("1,500.00"), "{page}");
    assert!(b.text("#documents").contains(&mine), "{page}");
    assert!(!b.text("#documents").contains(&theirs), "another customer's receipt listed: {page}");
    assert!(b.text("#payments").contains("KES 1,500.00"), "{page}");
    let chart = b.source();
    assert!(
        chart.contains("55.00M") || chart.contains("55.0M"),
        "today's 55 MB in the chart: {}",
        &chart[chart.find("<svg").unwrap_or(0)..][..600.min(chart.len() - chart.find("<svg").unwrap_or(0))]
    );
    b.keep_screenshot("account-home");

    // The receipt: only with the session cookie, only the owner's.
    let cookie = b.cookie("lango_acct").expect("session cookie");
    let (head, pdf) = get(r.server.http, &format!("/account/doc/{mine}"), Some(&cookie));
    assert!(head.contains("application/pdf") && pdf.starts_with(b"%PDF"), "{head}");
    let path = r.server.data.join("mine.pdf");
    std::fs::write(&path, &pdf).unwrap();
    let text = std::process::Command::new("pdftotext").arg(&path).arg("-").output().unwrap();
    assert!(String::from_utf8_lossy(&text.stdout).contains(&mine));
    let (head, _) = get(r.server.http, &format!("/account/doc/{theirs}"), Some(&cookie));
    assert!(head.starts_with("HTTP/1.1 404"), "IDOR: {head}");
    let (head, body) = get(r.server.http, &format!("/account/doc/{mine}"), None);
    assert!(!head.contains("application/pdf") && String::from_utf8_lossy(&body).contains("Sign in"), "{head}");
    let (head, _) = get(r.server.http, &format!("/account/doc/{mine}"), Some(&cookie.replace('.', ".9")));
    assert!(!head.contains("application/pdf"), "forged cookie: {head}");

    // A ticket: an empty message is refused and the subject kept; then
    // sent, answered by the operator, escaped on the way.
    b.clear_and_type("#subject", "<script>alert(1)</script> slow at night");
    b.click("#send-ticket");
    b.wait_text("The message is empty", PAGE);
    assert!(b.source().contains("&lt;script&gt;alert(1)&lt;/script&gt; slow at night"), "subject kept, escaped");
    b.clear_and_type("#message", "Speed drops after 8 pm.");
    b.click("#send-ticket");
    b.wait_text("Speed drops after 8 pm.", PAGE);
    assert!(!b.source().contains("<script>alert(1)</script>"), "escaped");
    let list = r.cli(&["ticket", "list", "--tenant", "demo"]);
    let id = list.lines().nth(1).and_then(|l| l.split_whitespace().next()).unwrap().to_string();
    r.cli(&["ticket", "reply", "--tenant", "demo", &id, "--message", "We upgraded the link; please try again."]);
    eventually("the answer to show", PAGE, || {
        b.goto(&format!("{home}/tickets/{id}"));
        b.text("#ticket").contains("We upgraded the link")
    });
    b.keep_screenshot("account-ticket");

    b.goto(&home);
    b.click("#sign-out");
    b.wait_text("Sign in to your account", PAGE);
    b.goto(&home);
    b.wait_text("Sign in to your account", PAGE);
}
