//! `lango report` against the real binary: RADIUS traffic from radclient,
//! a cash payment and accounting land in the network, revenue and
//! reconciliation reports (each router's RADIUS counts are flushed on a
//! clean stop); bad arguments are refused with the option named.

use crate::harness::*;

const MA: &str = "Message-Authenticator=0x00";

/// SIGTERM, then wait until the process has exited (a zombie counts).
fn stop(s: &Server) {
    let pid = s.pid().to_string();
    let _ = std::process::Command::new("kill").args(["-TERM", &pid]).status();
    for _ in 0..200 {
        let state = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
        let gone = state.is_empty() || state.rsplit(')').next().is_some_and(|rest| rest.trim_start().starts_with('Z'));
        if gone {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    panic!("lango did not stop on SIGTERM");
}

#[test]
fn reports_show_radius_accounting_and_money() {
    let data = temp_dir("reports-cli");
    let s = Server::start(&data, &["--demo"]);
    let ok = radclient(s.auth, "auth", DEMO_SECRET, &format!("User-Name=demo-pppoe,User-Password=demo-pass,{MA}"));
    assert!(ok.is("Access-Accept"), "{ok:?}");
    let no = radclient(s.auth, "auth", DEMO_SECRET, &format!("User-Name=demo-pppoe,User-Password=wrong,{MA}"));
    assert!(no.is("Access-Reject"), "{no:?}");
    let session = "User-Name=demo-pppoe,Acct-Session-Id=r1,Framed-IP-Address=10.0.0.9";
    radclient(s.acct, "acct", DEMO_SECRET, &format!("{session},Acct-Status-Type=Start"));
    let interim = format!("{session},Acct-Status-Type=Interim-Update,Acct-Input-Octets=5000,Acct-Output-Octets=70000");
    radclient(s.acct, "acct", DEMO_SECRET, &interim);
    let customers = lango_ok(&data, &["customer", "list", "--tenant", "demo"]);
    let alice = customers.lines().find(|l| l.contains("Alice")).and_then(|l| l.split_whitespace().next()).unwrap();
    let pay = ["wallet", "post", "--tenant", "demo", "--customer", alice, "--kind", "payment"];
    lango_ok(&data, &[&pay[..], &["--amount", "1234.50", "--reason", "cash at the office"]].concat());
    // The payment and the accounting are counted as they commit; the
    // routers' RADIUS counts every minute and on a clean stop.
    let live = lango_ok(&data, &["report", "revenue", "--tenant", "demo"]);
    assert!(live.contains("Collected: KES 1,234.50"), "{live}");
    stop(&s);
    drop(s);

    let csv = lango_ok(&data, &["report", "network", "--tenant", "demo", "--format", "csv"]);
    let router = csv.lines().find(|l| l.starts_with("demo-loopback,")).unwrap_or_else(|| panic!("{csv}"));
    // Router, download, upload, sessions started, accepts, rejects, accounting, dropped, …
    let cols: Vec<&str> = router.split(',').collect();
    assert_eq!(&cols[1..8], ["70000", "5000", "1", "1", "1", "2", "0"], "{router}");
    assert!(csv.contains("Top users") && csv.contains("demo-pppoe,"), "{csv}");

    let revenue = lango_ok(&data, &["report", "revenue", "--tenant", "demo", "--format", "csv"]);
    assert!(revenue.contains("Collected,1234.50"), "{revenue}");
    let rec = lango_ok(&data, &["report", "reconciliation", "--tenant", "demo"]);
    assert!(rec.contains("check Payments against the wallet ledger: ok"), "{rec}");
    assert!(!rec.contains("DOES NOT BALANCE"), "{rec}");
    let pdf = lango(&data, &["report", "tax", "--tenant", "demo", "--format", "pdf"]);
    assert!(pdf.status.success() && pdf.stdout.starts_with(b"%PDF-"), "{}", String::from_utf8_lossy(&pdf.stderr));

    let bad = lango(&data, &["report", "revenue", "--tenant", "demo", "--from", "2026-02-30"]);
    let err = String::from_utf8_lossy(&bad.stderr);
    assert!(!bad.status.success() && err.contains("--from: \"2026-02-30\" is not a date"), "{err}");
    let bad = lango(&data, &["report", "profits", "--tenant", "demo"]);
    let err = String::from_utf8_lossy(&bad.stderr);
    assert!(
        err.contains("no report \"profits\": choose one of revenue, reconciliation, tax, network, customers"),
        "{err}"
    );
    let _ = std::fs::remove_dir_all(&data);
}
