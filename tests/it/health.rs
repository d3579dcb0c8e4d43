//! `lango health` against a real server: 200 is success, anything else
//! (refused connection, other status) is exit 1 with the reason.

use std::process::Command;

use crate::harness::{BIN, Server, temp_dir};

fn health(args: &[&str], env: &[(&str, &str)]) -> (bool, String) {
    let out = crate::harness::without_lango_env(Command::new(BIN))
        .arg("health")
        .args(args)
        .env_remove("RUST_LOG")
        .envs(env.iter().copied())
        .output()
        .expect("run lango health");
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    (out.status.success(), text)
}

#[test]
fn health_reports_a_running_server_and_fails_otherwise() {
    let server = Server::demo();
    let url = format!("http://{}/healthz", server.http);

    let (ok, text) = health(&["--url", &url], &[]);
    assert!(ok, "{text}");
    assert!(text.contains("\"status\":\"ok\""), "{text}");

    // Without --url the address comes from the config (here: the environment).
    let listen = server.http.to_string();
    let (ok, text) = health(&[], &[("LANGO_HTTP_LISTEN", &listen)]);
    assert!(ok, "{text}");
    // A wildcard listen address is checked on loopback.
    let wildcard = format!("0.0.0.0:{}", server.http.port());
    let (ok, text) = health(&[], &[("LANGO_HTTP_LISTEN", &wildcard)]);
    assert!(ok, "{text}");

    // Another status than 200 fails and names it (a router hook without
    // its token answers 401; unknown paths redirect to the portal).
    let (ok, text) = health(&["--url", &format!("http://{}/hook/health", server.http)], &[]);
    assert!(!ok, "{text}");
    assert!(text.contains("401"), "{text}");

    // Nothing listening: exit 1 with the reason.
    drop(server);
    let (ok, text) = health(&["--url", &url, "--timeout", "2"], &[]);
    assert!(!ok, "{text}");
    assert!(text.contains("cannot connect"), "{text}");
}

#[test]
fn health_with_http_disabled_asks_for_a_url() {
    let dir = temp_dir("health-off");
    let (ok, text) = health(&["--data", dir.to_str().unwrap()], &[("LANGO_HTTP_ENABLED", "false")]);
    assert!(!ok, "{text}");
    assert!(text.contains("--url"), "{text}");
    let _ = std::fs::remove_dir_all(dir);
}
