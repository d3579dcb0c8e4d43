//! Sign-in by SMS code against the real binary with Africa's Talking's
//! SMS API simulated: on the account pages (plain HTTP: a wrong code is
//! refused, a number with no account gets no SMS and the same page), and
//! on the hotspot page in Chromium, where a returning customer's device is
//! logged in with their active package.

use std::process::Command;
use std::time::Duration;

use crate::billing::{Rig, rig};
use crate::harness::*;
use crate::hooks::field;
use crate::support::browser::{Browser, Options};
use crate::support::hotspot::HotspotSim;
use crate::support::sms::{self, SmsSim};

fn sms_setup(r: &Rig, sim: &SmsSim) {
    let out = crate::harness::without_lango_env(Command::new(BIN))
        .args(["--data", r.server.data.to_str().unwrap(), "sms", "setup", "--tenant", "demo"])
        .args(["--env", &sim.base_url(), "--username", sms::USERNAME, "--api-key-env", "AT_API_KEY"])
        .env("AT_API_KEY", sms::API_KEY)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn account_sign_in_by_sms_code() {
    let r = rig("otp-account");
    let sim = SmsSim::start();
    sms_setup(&r, &sim);
    let to = r.server.http;

    let page = http(to, "GET", "/account", &[], "");
    let csrf = field(&page.body, "csrf");
    // A number nobody has: the same answer, no SMS.
    let none = http(to, "POST", "/account/otp", &[], &format!("csrf={csrf}&tenant=demo&phone=0799000000"));
    assert!(none.body.contains("we have sent it a 6-digit code"), "{}", none.body);
    assert!(sim.sent().is_empty(), "an SMS to a number with no account");

    let sent = http(to, "POST", "/account/otp", &[], &format!("csrf={csrf}&tenant=demo&phone=0712+000+001"));
    assert!(sent.body.contains("id=\"code\""), "{}", sent.body);
    let code = sim.last_code("+254712000001").expect("an SMS with a code");
    assert!(sim.sent()[0].message.contains("Demo ISP sign-in code"), "{:?}", sim.sent());
    let csrf2 = field(&sent.body, "csrf");

    let wrong_code = if code == "123456" { "654321" } else { "123456" };
    let wrong = http(
        to,
        "POST",
        "/account/otp/verify",
        &[],
        &format!("csrf={csrf2}&tenant=demo&phone=0712000001&code={wrong_code}"),
    );
    assert!(wrong.body.contains("That code is wrong"), "{}", wrong.body);

    let right =
        http(to, "POST", "/account/otp/verify", &[], &format!("csrf={csrf2}&tenant=demo&phone=0712000001&code={code}"));
    assert_eq!(right.status, 303, "{}", right.head);
    let cookie = right
        .head
        .lines()
        .find_map(|l| l.strip_prefix("set-cookie: "))
        .and_then(|c| c.split(';').next())
        .expect("session cookie")
        .to_string();
    let home = http(to, "GET", "/account", &[("Cookie", &cookie)], "");
    assert!(home.body.contains("Hello, Alice Wanjiru"), "{}", home.body);
    // A code works once.
    let again =
        http(to, "POST", "/account/otp/verify", &[], &format!("csrf={csrf2}&tenant=demo&phone=0712000001&code={code}"));
    assert_eq!(again.status, 200);
    assert!(again.body.contains("That code is wrong"));
}

#[test]
fn returning_hotspot_customer_signs_in_by_phone() {
    let r = rig("otp-hotspot");
    let sms = SmsSim::start();
    sms_setup(&r, &sms);
    // Amina bought a day on the hotspot last time; her number is on file.
    let c = r.customer("Amina M", &["--phone", "0712000777"]);
    let add = ["service", "add", "--tenant", "demo", "--customer", &c, "--plan", "Hotspot 1 day"];
    let mut args = add.to_vec();
    args.extend(["--username", "hs-amina2", "--password", "amina-pass-2", "--type", "hotspot", "--expires", "1d"]);
    r.cli(&args);

    let dir = r.server.data.join("hotspot-files");
    let url = format!("http://{}", r.server.http);
    r.cli(&[
        "hotspot",
        "files",
        "--tenant",
        "demo",
        "--nas",
        "demo-loopback",
        "--url",
        &url,
        "--out",
        dir.to_str().unwrap(),
    ]);
    let router = HotspotSim::start(dir, "AA:BB:CC:00:00:88", r.server.auth, DEMO_SECRET);
    let b = Browser::start(Options { proxy: None });
    b.goto(&router.login_url("http://example.com/"));
    b.clear_and_type("#otp-phone", "0712 000 777");
    b.click("#send-code");
    b.find("#code", Duration::from_secs(20));
    let code = sms.last_code("+254712000777").expect("code sent");
    b.clear_and_type("#code", &code);
    b.click("#verify");
    b.wait_text("You are connected", Duration::from_secs(20));
    let logins = router.logins();
    assert_eq!(logins.len(), 1, "{logins:?}");
    assert!(logins[0].accepted && logins[0].username == "hs-amina2", "{logins:?}");
}
