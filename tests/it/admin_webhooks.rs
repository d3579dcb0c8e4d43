//! The webhook buttons of the admin page against the real binary and an
//! HTTP receiver: disable stops deliveries, enable resumes them, resend
//! delivers a logged event again with the same `Lango-Delivery` id, and
//! delete removes the endpoint; each is in the audit log.

use std::time::Duration;

use crate::harness::*;
use crate::support::receiver::Receiver;

#[allow(clippy::disallowed_methods)] // the server's manual clock starts at real time
fn real_now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64
}

#[test]
fn disable_enable_resend_and_delete_from_the_admin_page() {
    let hook = Receiver::start(&[]);
    let data = temp_dir("admin-webhooks");
    let now = real_now().to_string();
    let s = Server::start_env(&data, &["--demo", "--test-clock", &now], &[("LANGO_JOBS_TICK_SECS", "1")]);
    let url = format!("http://{}/lango", hook.addr);
    let added = lango_ok(&data, &["webhook", "add", "--tenant", "demo", "--url", &url]);
    let id = added.split_whitespace().nth(1).unwrap().to_string();
    let pw = make_admin(&data, &["--tenant", "demo", "--name", "boss", "--role", "tenant-admin"]);
    let web = AdminWeb::login(s.http, "boss", &pw);
    let alice = lango_ok(&data, &["customer", "list", "--tenant", "demo"])
        .lines()
        .find(|l| l.contains("Alice"))
        .and_then(|l| l.split_whitespace().next())
        .unwrap()
        .to_string();
    let pay = |amount: &str| {
        lango_ok(
            &data,
            &[
                "wallet",
                "post",
                "--tenant",
                "demo",
                "--customer",
                &alice,
                "--kind",
                "payment",
                "--amount",
                amount,
                "--reason",
                "cash",
            ],
        );
    };

    pay("100");
    let got = hook.wait(Duration::from_secs(10), |g| !g.is_empty());
    assert_eq!(got.len(), 1, "{got:?}");
    let first = got[0].headers["lango-delivery"].clone();

    // Disabled: a new payment reaches nobody.
    let a = web.post(&format!("/admin/webhooks/{id}/disable"), &[]);
    assert_eq!(a.status, 303, "{}", a.body);
    assert!(web.get("/admin/webhooks").body.contains(&format!("id=\"enable-{id}\"")));
    pay("200");
    std::thread::sleep(Duration::from_secs(5));
    assert_eq!(hook.received().len(), 1, "delivered while disabled: {:?}", hook.received());

    // Enabled again: the next payment arrives.
    assert_eq!(web.post(&format!("/admin/webhooks/{id}/enable"), &[]).status, 303);
    pay("300");
    let got = hook.wait(Duration::from_secs(10), |g| g.len() >= 2);
    assert_eq!(got.len(), 2, "{got:?}");
    let body: serde_json::Value = serde_json::from_str(&got[1].body).unwrap();
    assert_eq!(body["data"]["amount"], 30000, "the event after enabling, not the one while off: {body}");

    // Resend the first delivery from the log: same id again.
    let page = web.get("/admin/webhooks");
    assert!(page.body.contains(&format!("name=\"event\" value=\"{first}\"")), "{}", page.body);
    let a = web.post(&format!("/admin/webhooks/{id}/resend"), &[("event", &first)]);
    assert_eq!(a.status, 303, "{}", a.body);
    let got = hook.wait(Duration::from_secs(10), |g| g.len() >= 3);
    assert_eq!(got.len(), 3, "{got:?}");
    assert_eq!(got[2].headers["lango-delivery"], first, "resent with the same Lango-Delivery id");
    assert_eq!(got[2].body, got[0].body);

    // An event the log does not show: 422 with the message by the field.
    let a = web.post(&format!("/admin/webhooks/{id}/resend"), &[("event", "1-999999")]);
    assert_eq!(a.status, 422, "{}", a.body);
    assert!(a.body.contains("id=\"error-event\""), "{}", a.body);

    // Delete: gone from the page, and another tenant's id is not found.
    assert_eq!(web.post(&format!("/admin/webhooks/{id}/delete"), &[]).status, 303);
    assert!(!web.get("/admin/webhooks").body.contains(&format!("id=\"delete-{id}\"")));
    assert_eq!(web.post(&format!("/admin/webhooks/{id}/enable"), &[]).status, 404);

    let audit = web.get("/admin/audit?format=csv").body;
    for action in ["webhook.disable", "webhook.enable", "webhook.resend", "webhook.delete"] {
        assert!(audit.contains(action), "{action} not audited:\n{audit}");
    }
    assert!(!audit.contains("whsec_"), "a secret in the audit log");
}
