//! `lango notify ...` against a running demo server (commands forwarded over
//! its control socket): settings whose secrets come from the environment,
//! field errors named by option, templates and their preview, customers'
//! preferences, a test message in the log, and a broadcast's reach.

use std::process::{Command, Output};

use crate::harness::*;

/// 2026-01-01 13:00 in Nairobi: outside the quiet hours.
const NOW: &str = "1767261600";
const CELCOM_KEY: &str = "ck-secret-123";
const SMTP_PASSWORD: &str = "smtp-secret-456";

fn server() -> Server {
    Server::start_env(&temp_dir("notify"), &["--demo", "--test-clock", NOW], &[])
}

/// `lango notify ARGS` with environment variables of our own.
fn notify(s: &Server, args: &[&str], env: &[(&str, &str)]) -> Output {
    without_lango_env(Command::new(BIN))
        .arg("--data")
        .arg(&s.data)
        .arg("notify")
        .args(args)
        .envs(env.iter().copied())
        .env_remove("RUST_LOG")
        .output()
        .expect("run lango")
}

fn ok(s: &Server, args: &[&str], env: &[(&str, &str)]) -> String {
    let out = notify(s, args, env);
    let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "notify {args:?} failed: {stdout}{stderr}");
    stdout.into_owned()
}

/// The error of a command that must fail.
fn fails(s: &Server, args: &[&str], env: &[(&str, &str)]) -> String {
    let out = notify(s, args, env);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!out.status.success(), "notify {args:?} should fail: {}", String::from_utf8_lossy(&out.stdout));
    stderr
}

/// A demo customer's id, from `customer list`.
fn customer_id(s: &Server, name: &str) -> String {
    let list = lango_ok(&s.data, &["customer", "list", "--tenant", "demo"]);
    let line = list.lines().find(|l| l.contains(name)).unwrap_or_else(|| panic!("no {name} in {list}"));
    line.split_whitespace().next().unwrap().to_string()
}

/// The line of `out` starting with `key` (a settings or preferences row).
fn row<'a>(out: &'a str, key: &str) -> &'a str {
    out.lines().find(|l| l.starts_with(&format!("{key} "))).unwrap_or_else(|| panic!("no {key:?} in {out}"))
}

const CELCOM: [&str; 12] = [
    "--tenant",
    "demo",
    "--sms",
    "celcom",
    "--sms-url",
    "http://127.0.0.1:9",
    "--sms-account",
    "4242",
    "--sms-sender",
    "LANGO",
    "--sms-key-env",
    "CELCOM_KEY_TEST",
];

fn setup_celcom(s: &Server, extra: &[&str]) -> String {
    let mut args = vec!["setup"];
    args.extend_from_slice(&CELCOM);
    args.extend_from_slice(extra);
    ok(s, &args, &[("CELCOM_KEY_TEST", CELCOM_KEY)])
}

#[test]
fn setup_reads_secrets_from_the_environment_and_names_bad_options() {
    let s = server();
    let before = ok(&s, &["show", "--tenant", "demo"], &[]);
    assert!(before.contains("notifications for demo (not set up: the defaults)"), "{before}");
    assert_eq!(row(&before, "sms").split_whitespace().nth(1), Some("off"));

    // The named variable is not set: a clear error, nothing stored.
    let mut args = vec!["setup"];
    args.extend_from_slice(&CELCOM);
    let err = fails(&s, &args, &[]);
    assert!(err.contains("--sms-key-env: environment variable CELCOM_KEY_TEST is not set"), "{err}");
    // No key at all for a gateway that needs one.
    let err =
        fails(&s, &["setup", "--tenant", "demo", "--sms", "celcom", "--sms-account", "1", "--sms-sender", "X"], &[]);
    assert!(err.contains("--sms-key-env: Needed for this gateway"), "{err}");
    assert!(ok(&s, &["show", "--tenant", "demo"], &[]).contains("not set up"));

    let out = ok(
        &s,
        &[
            "setup",
            "--tenant",
            "demo",
            "--sms",
            "celcom",
            "--sms-url",
            "http://127.0.0.1:9",
            "--sms-account",
            "4242",
            "--sms-sender",
            "LANGO",
            "--sms-key-env",
            "CELCOM_KEY_TEST",
            "--smtp-host",
            "mail.demo.test",
            "--smtp-port",
            "587",
            "--smtp-security",
            "starttls",
            "--smtp-username",
            "billing",
            "--smtp-password-env",
            "SMTP_PASS_TEST",
            "--smtp-from",
            "Demo ISP <billing@demo.test>",
            "--events",
            "expiry_reminder,payment_received",
            "--quiet",
            "22:00-07:00",
            "--daily-cap",
            "200",
            "--language",
            "sw",
            "--leads",
            "1d, 3d",
            "--plan-leads",
            "Home 10M: 5d, 1d",
            "--operator-phone",
            "0712000009",
            "--operator-email",
            "ops@demo.test",
            "--portal-url",
            "https://demo.test/account",
            "--sms-part-price",
            "0.75",
        ],
        &[("CELCOM_KEY_TEST", CELCOM_KEY), ("SMTP_PASS_TEST", SMTP_PASSWORD)],
    );
    assert!(out.starts_with("notification settings saved\nnotifications for demo\n"), "{out}");
    let show = ok(&s, &["show", "--tenant", "demo"], &[]);
    for text in [&out, &show] {
        assert_eq!(
            row(text, "sms"),
            "sms          celcom at http://127.0.0.1:9, partner 4242, shortcode LANGO, API key stored"
        );
        assert_eq!(
            row(text, "email"),
            "email        mail.demo.test:587 starttls, from Demo ISP <billing@demo.test>, user billing, password stored"
        );
        assert_eq!(row(text, "events"), "events       expiry_reminder, payment_received");
        assert_eq!(row(text, "quiet hours"), "quiet hours  22:00-07:00");
        assert_eq!(row(text, "daily cap"), "daily cap    200 messages a day");
        assert_eq!(row(text, "language"), "language     sw");
        assert_eq!(row(text, "leads"), "leads        3d, 1d", "longest first");
        assert_eq!(row(text, "plan leads"), "plan leads   Home 10M: 5d, 1d");
        assert_eq!(row(text, "operator"), "operator     phone 254712000009, e-mail ops@demo.test");
        assert_eq!(row(text, "portal url"), "portal url   https://demo.test/account");
        assert_eq!(row(text, "sms part"), "sms part     KES 0.75");
        assert!(!text.contains(CELCOM_KEY) && !text.contains(SMTP_PASSWORD), "a secret shown: {text}");
    }
    let db = std::fs::read(s.data.join("lango.redb")).unwrap();
    for secret in [CELCOM_KEY, SMTP_PASSWORD] {
        assert!(!db.windows(secret.len()).any(|w| w == secret.as_bytes()), "{secret} stored in clear");
    }

    // Options left out keep their values, the stored secrets included.
    let out = ok(&s, &["setup", "--tenant", "demo", "--daily-cap", "300", "--events", "none"], &[]);
    assert_eq!(row(&out, "daily cap"), "daily cap    300 messages a day");
    assert_eq!(row(&out, "events"), "events       none");
    assert!(row(&out, "sms").ends_with("API key stored") && row(&out, "email").ends_with("password stored"));
    assert_eq!(row(&out, "language"), "language     sw");

    // Field errors, one per line, each naming its option; nothing stored.
    let err = fails(&s, &["setup", "--tenant", "demo", "--quiet", "25:00-08:00", "--daily-cap", "lots"], &[]);
    let lines: Vec<&str> = err.lines().map(|l| l.trim_start_matches("error: ")).collect();
    assert!(lines.contains(&"--quiet: \"25:00-08:00\": write the quiet hours as 21:00-08:00"), "{err}");
    assert!(lines.iter().any(|l| l.contains("--daily-cap: \"lots\" is not a whole number")), "{err}");
    let err = fails(&s, &["setup", "--tenant", "demo", "--plan-leads", "Gold: 1d"], &[]);
    assert!(err.contains("--plan-leads: no plan is called \"Gold\""), "{err}");
    let show = ok(&s, &["show", "--tenant", "demo"], &[]);
    assert_eq!(row(&show, "quiet hours"), "quiet hours  22:00-07:00");
    assert_eq!(row(&show, "daily cap"), "daily cap    300 messages a day");
}

#[test]
fn templates_are_checked_kept_previewed_and_reset() {
    let s = server();
    let alice = customer_id(&s, "Alice Wanjiru");
    let which = ["--tenant", "demo", "--event", "expiry_reminder", "--lang", "en"];
    let with = |rest: &[&str]| -> Vec<String> { which.iter().chain(rest).map(|a| a.to_string()).collect() };
    let run = |cmd: &str, rest: &[&str]| {
        let args: Vec<String> = ["template", cmd].iter().map(|a| a.to_string()).chain(with(rest)).collect();
        notify(&s, &args.iter().map(String::as_str).collect::<Vec<_>>(), &[])
    };
    let text = |o: &Output| String::from_utf8_lossy(&o.stdout).into_owned();
    let errors = |o: &Output| String::from_utf8_lossy(&o.stderr).into_owned();

    // An unknown variable is refused, by name; nothing stored.
    let bad = run("set", &["--body", "Hi {name}, pay by {expiry_date}"]);
    assert!(!bad.status.success());
    assert!(
        errors(&bad).contains("--body: Unknown variable {expiry_date}; this message may use {name}"),
        "{}",
        errors(&bad)
    );
    let shown = text(&run("show", &[]));
    assert!(shown.starts_with("expiry_reminder (en): default\n"), "{shown}");

    let set = run("set", &["--subject", "Renew {plan}", "--body", "Hi {name}, {plan} ends {lead}. Paybill {paybill}."]);
    assert!(set.status.success(), "{}", errors(&set));
    let shown = text(&run("show", &[]));
    assert!(shown.starts_with("expiry_reminder (en): custom\n"), "{shown}");
    assert!(shown.contains("\nsubject:   Renew {plan}\n"), "{shown}");
    assert!(shown.contains("\nbody:      Hi {name}, {plan} ends {lead}. Paybill {paybill}.\n"), "{shown}");
    assert!(shown.contains("variables: {name} {account} {plan}"), "{shown}");
    let list = ok(&s, &["template", "list", "--tenant", "demo"], &[]);
    let state = |event: &str, lang: &str| {
        let line = list.lines().find(|l| l.split_whitespace().take(2).eq([event, lang])).expect("listed");
        line.split_whitespace().nth(2).unwrap().to_string()
    };
    assert_eq!(
        (state("expiry_reminder", "en"), state("expiry_reminder", "sw")),
        ("custom".to_string(), "default".to_string())
    );
    assert_eq!(state("cap_reached", "sw"), "default");
    assert_eq!(
        list.lines().count(),
        1 + lango::notify::template::EVENTS.len() * 2,
        "every event in both languages: {list}"
    );

    // The stored wording filled in for Alice, with its size as an SMS.
    let preview = text(&run("preview", &["--customer", &alice]));
    assert!(preview.starts_with(&format!("expiry_reminder (en) for customer {alice} (Alice Wanjiru)\n")), "{preview}");
    assert!(preview.contains("\nsubject: Renew Home 10M\n"), "{preview}");
    let sent = preview.lines().find_map(|l| l.strip_prefix("text:    ")).expect("text line");
    assert!(sent.starts_with("Hi Alice, Home 10M ends in 2 days. ") && !sent.contains('{'), "{sent}");
    let sms = preview.lines().find_map(|l| l.strip_prefix("sms:     ")).expect("sms line");
    assert_eq!(sms, format!("1 part (GSM-7, {} characters)", sent.chars().count()));
    // A wording given on the command line, with a non-GSM character.
    let body = format!("{{name}} ✓ {}", "a".repeat(70));
    let preview = text(&run("preview", &["--customer", &alice, "--body", &body]));
    assert!(preview.contains(&format!("\ntext:    Alice ✓ {}\n", "a".repeat(70))), "{preview}");
    assert!(preview.contains("\nsms:     2 parts (Unicode, 78 characters)\n"), "{preview}");
    let bad = run("preview", &["--customer", &alice, "--body", "{receipt}"]);
    assert!(errors(&bad).contains("--body: Unknown variable {receipt}"), "{}", errors(&bad));
    let bad = run("preview", &["--customer", "999999"]);
    assert!(errors(&bad).contains("customer 999999 not found"), "{}", errors(&bad));

    let reset = text(&run("reset", &[]));
    assert!(reset.starts_with("template reset to the default\nexpiry_reminder (en): default\n"), "{reset}");
    assert!(reset.contains("\nbody:      Hello {name}, your {plan} internet expires {lead}"), "{reset}");
    let err = fails(&s, &["template", "show", "--tenant", "demo", "--event", "birthday"], &[]);
    assert!(err.contains("--event \"birthday\": choose one of expiry_reminder, expired"), "{err}");
}

#[test]
fn prefs_test_message_log_and_broadcast_reach() {
    let s = server();
    let (alice, brian) = (customer_id(&s, "Alice Wanjiru"), customer_id(&s, "Brian (expired)"));
    setup_celcom(&s, &["--sms-part-price", "1.00"]);

    let prefs = ok(&s, &["prefs", "--tenant", "demo", "--customer", &alice], &[]);
    assert_eq!(prefs.lines().next(), Some(format!("customer {alice} (Alice Wanjiru)").as_str()));
    assert_eq!(row(&prefs, "language"), "language         default (en)");
    assert_eq!(row(&prefs, "sms"), "sms              on");
    assert_eq!(row(&prefs, "marketing email"), "marketing email  off");
    assert_eq!(row(&prefs, "changed"), "changed          never (the defaults)");
    let args = ["prefs", "--tenant", "demo", "--customer", &alice, "--sms", "off", "--marketing-email", "on"];
    let set = ok(&s, &[&args[..], &["--language", "sw"]].concat(), &[]);
    assert!(set.starts_with("preferences saved\n"), "{set}");
    let shown = ok(&s, &["prefs", "--tenant", "demo", "--customer", &alice], &[]);
    for text in [&set, &shown] {
        assert_eq!(row(text, "language"), "language         sw");
        assert_eq!(row(text, "sms"), "sms              off");
        assert_eq!(row(text, "email"), "email            on");
        assert_eq!(row(text, "marketing sms"), "marketing sms    off");
        assert_eq!(row(text, "marketing email"), "marketing email  on");
        assert!(row(text, "changed").starts_with("changed          2026-01-01 13:00 EAT by cli:"), "{text}");
    }
    let err = fails(&s, &["prefs", "--tenant", "demo", "--customer", &alice, "--sms", "maybe"], &[]);
    assert!(err.contains("--sms") && err.contains("on or off"), "{err}");

    // A test message is queued and shows in the log (the gateway is not
    // reachable, so it will not be delivered).
    let out = ok(&s, &["test", "--tenant", "demo", "--channel", "sms", "--to", "0712000099", "--text", "Hello"], &[]);
    let id = out.strip_prefix("message ").and_then(|r| r.split_whitespace().next()).expect("an id").to_string();
    assert!(out.starts_with(&format!("message {id} queued (sms to 254712000099)\n")), "{out}");
    assert!(out.contains("`lango notify log --tenant demo` shows the result"), "{out}");
    let log = ok(&s, &["log", "--tenant", "demo"], &[]);
    let line = log.lines().find(|l| l.starts_with(&format!("{id} "))).unwrap_or_else(|| panic!("{log}"));
    let cols: Vec<&str> = line.split_whitespace().collect();
    assert_eq!(&cols[1..7], ["2026-01-01", "13:00", "EAT", "sms", "254712000099", "test"], "{line}");
    assert!(!["delivered", "sent", "cancelled"].contains(&cols[7]), "{line}");
    let delivered = ok(&s, &["log", "--tenant", "demo", "--status", "delivered"], &[]);
    assert_eq!(delivered.lines().count(), 1, "only the header: {delivered}");
    let err = fails(&s, &["log", "--tenant", "demo", "--status", "lost"], &[]);
    assert!(err.contains("--status \"lost\""), "{err}");
    let err = fails(&s, &["test", "--tenant", "demo", "--channel", "sms", "--to", "12"], &[]);
    assert!(err.contains("--to: \"12\" is not a Kenyan mobile number"), "{err}");
    let out = ok(&s, &["test", "--tenant", "demo", "--channel", "email", "--to", "a@b.test"], &[]);
    assert!(out.contains("(email to a@b.test)\nnote: no SMTP server is set up, so it will fail"), "{out}");

    // Home 10M: Alice (SMS refused now) and Brian; one part each at KES 1.00.
    let text = "Maintenance tonight 22:00-23:00, {name}.";
    let base = ["broadcast", "--tenant", "demo", "--text", text];
    let dry = ok(&s, &[&base[..], &["--plan", "Home 10M", "--dry-run"]].concat(), &[]);
    assert_eq!(dry, "reach: 2 customers, 1 messages, 1 SMS parts, cost KES 1.00\ndry run: nothing queued\n");
    let everyone = ok(&s, &[&base[..], &["--dry-run"]].concat(), &[]);
    assert!(everyone.starts_with("reach: 5 customers, 3 messages, 3 SMS parts, cost KES 3.00\n"), "{everyone}");
    let log = ok(&s, &["log", "--tenant", "demo"], &[]);
    assert!(!log.contains("broadcast"), "a dry run queued something: {log}");
    let err = fails(&s, &[&base[..4], &["Hi {first_name}", "--dry-run"]].concat(), &[]);
    assert!(err.contains("--text: Unknown variable {first_name}"), "{err}");

    let sent = ok(&s, &[&base[..], &["--state", "expired"]].concat(), &[]);
    assert_eq!(sent, "reach: 1 customers, 1 messages, 1 SMS parts, cost KES 1.00\nqueued 1 messages\n");
    let log = ok(&s, &["log", "--tenant", "demo", "--customer", &brian], &[]);
    let line = log.lines().nth(1).unwrap_or_else(|| panic!("{log}"));
    assert!(line.contains(" sms    254712000005 ") && line.contains(" broadcast "), "{log}");
}
