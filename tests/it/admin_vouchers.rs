//! The batch page's disable button and CSV download against the real
//! binary: after disabling, an unused code gets Access-Reject from
//! radclient (it got Accept before); the CSV lists every code.

use crate::harness::*;

const MA: &str = "Message-Authenticator=0x00";

#[test]
fn a_disabled_batch_rejects_its_codes_and_the_csv_has_every_code() {
    let s = Server::demo();
    let d = &s.data;
    let made = lango_ok(d, &["voucher", "batch", "--tenant", "demo", "--plan", "Hotspot 1 hour 1 GB", "--count", "3"]);
    let batch = made.split_whitespace().nth(1).unwrap().trim_end_matches(':').to_string();
    let codes: Vec<String> = lango_ok(d, &["voucher", "list", "--tenant", "demo", &batch])
        .lines()
        .filter_map(|l| l.split_whitespace().next().map(str::to_string))
        .collect();
    assert_eq!(codes.len(), 3, "{codes:?}");
    let pw = make_admin(d, &["--tenant", "demo", "--name", "boss", "--role", "tenant-admin"]);
    let web = AdminWeb::login(s.http, "boss", &pw);

    let csv = web.get(&format!("/admin/vouchers/{batch}?format=csv"));
    assert_eq!(csv.status, 200);
    for code in &codes {
        assert!(csv.body.lines().any(|l| l.starts_with(&format!("{code},"))), "{code} not in\n{}", csv.body);
    }

    let login =
        |code: &str| radclient(s.auth, "auth", DEMO_SECRET, &format!("User-Name={code},User-Password={code},{MA}"));
    assert!(login(&codes[0]).is("Access-Accept"), "a fresh code logs in");
    let a = web.post(&format!("/admin/vouchers/{batch}/disable"), &[]);
    assert_eq!(a.status, 303, "{}", a.body);
    assert!(login(&codes[1]).is("Access-Reject"), "an unused code of a disabled batch");
    assert!(web.get("/admin/audit?format=csv").body.contains("voucher.batch_disable"));
}
