//! The command line: `lango init` on a fresh machine, the management
//! commands with and without a running server, and their error messages.

use crate::harness::*;

#[test]
fn init_creates_config_key_tenant_and_admin_once() {
    let dir = temp_dir("init");
    let cfg = dir.join("lango.toml");
    let data = dir.join("data");
    let out = crate::harness::without_lango_env(std::process::Command::new(BIN))
        .args(["--config", cfg.to_str().unwrap(), "--data", data.to_str().unwrap(), "init", "--tenant", "acme"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8_lossy(&out.stdout);
    let password = text
        .lines()
        .find_map(|l| l.split("created with password: ").nth(1))
        .expect("password printed")
        .trim()
        .to_string();
    assert!(password.len() >= 20, "generated password {password:?} too short");
    assert!(cfg.exists(), "config file written");
    assert!(data.join("lango.redb").exists() && data.join("lango.key").exists());
    // The written config parses (it is the documented example with our data dir).
    let list = crate::harness::without_lango_env(std::process::Command::new(BIN))
        .args(["--config", cfg.to_str().unwrap(), "--data", data.to_str().unwrap(), "tenant", "list"])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&list.stdout).contains("acme"));
    // The password is not stored in clear anywhere.
    let db = std::fs::read(data.join("lango.redb")).unwrap();
    assert!(!db.windows(password.len()).any(|w| w == password.as_bytes()));
    // A second init does not silently make another admin.
    let again = crate::harness::without_lango_env(std::process::Command::new(BIN))
        .args(["--config", cfg.to_str().unwrap(), "--data", data.to_str().unwrap(), "init", "--tenant", "acme"])
        .output()
        .unwrap();
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("already exists"));
}

#[test]
fn management_commands_offline_and_through_a_running_server() {
    let data = temp_dir("manage");
    lango_ok(&data, &["tenant", "add", "isp", "--captive"]);
    lango_ok(
        &data,
        &[
            "plan",
            "add",
            "--tenant",
            "isp",
            "--name",
            "Night",
            "--validity",
            "7d",
            "--price",
            "300",
            "--rate",
            "5M/5M",
            "--quota",
            "10G",
            "--access-window",
            "all 22:00-06:00",
        ],
    );
    let plans = lango_ok(&data, &["plan", "list", "--tenant", "isp"]);
    assert!(plans.contains("Night") && plans.contains("300.00") && plans.contains("10.00G"), "{plans}");
    // Bad input: a clear error naming the problem, nothing stored.
    let bad = lango(&data, &["plan", "add", "--tenant", "isp", "--name", "X", "--validity", "soon"]);
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("--validity"), "{}", String::from_utf8_lossy(&bad.stderr));
    let bad =
        lango(&data, &["service", "add", "--tenant", "isp", "--customer", "999", "--plan", "Night", "--username", "u"]);
    assert!(!bad.status.success());
    assert!(
        String::from_utf8_lossy(&bad.stderr).contains("customer 999 not found"),
        "{}",
        String::from_utf8_lossy(&bad.stderr)
    );

    let s = Server::start(&data, &[]);
    // While the server holds the database, commands go through its control socket.
    lango_ok(&data, &["customer", "add", "--tenant", "isp", "--name", "Njeri"]);
    let customers = lango_ok(&data, &["customer", "list", "--tenant", "isp"]);
    assert!(customers.contains("Njeri"), "{customers}");
    let bad = lango(&data, &["tenant", "add", "isp"]);
    assert!(!bad.status.success());
    assert!(
        String::from_utf8_lossy(&bad.stderr).contains("already exists"),
        "{}",
        String::from_utf8_lossy(&bad.stderr)
    );
    assert!(s.log().contains("control listening"));
}

#[test]
fn demo_users_are_seeded() {
    let data = temp_dir("demousers");
    let s = Server::start(&data, &["--demo", "--demo-users", "25"]);
    // The 25th bulk user exists; a 26th does not.
    for (n, want) in [(25, "Access-Accept"), (26, "Access-Reject")] {
        let attrs = format!("User-Name=user{n:05},User-Password=pass{n:05},Message-Authenticator=0x00");
        let r = radclient(s.auth, "auth", DEMO_SECRET, &attrs);
        assert!(r.is(want), "user{n:05}: {}", r.raw);
    }
}
