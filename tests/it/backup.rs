//! Backups against the real binary: `lango backup` while lango serves
//! (forwarded to it, RADIUS answering meanwhile), then `lango restore` on a
//! fresh data directory holding only the key gives the same customers,
//! services, ledger balances, payments and session history (the exports
//! compared line by line), accounting acknowledged just before the backup
//! included; a tampered, truncated, newer-schema or wrong-key backup is
//! refused with its reason and changes nothing; restore refuses a running
//! lango; the scheduled job (test clock) writes one, the Backups page lists
//! it for download and the dashboard tells a platform admin when it fails.

use std::time::Duration;

use crate::harness::*;

const EXPORTS: [&str; 5] = ["customers", "services", "plans", "payments", "sessions"];

fn exports(data: &std::path::Path) -> Vec<String> {
    let mut all: Vec<String> =
        EXPORTS.iter().map(|what| lango_ok(data, &["export", what, "--tenant", "demo"])).collect();
    for id in customer_ids(data) {
        all.push(lango_ok(data, &["wallet", "show", "--tenant", "demo", "--customer", &id]));
    }
    all
}

fn customer_ids(data: &std::path::Path) -> Vec<String> {
    let list = lango_ok(data, &["customer", "list", "--tenant", "demo"]);
    list.lines().skip(1).filter_map(|l| l.split_whitespace().next().map(str::to_string)).collect()
}

fn acct(s: &Server, attrs: &str) {
    let r = radclient(s.acct, "acct", DEMO_SECRET, attrs);
    assert!(r.is("Accounting-Response"), "{}", r.raw);
}

fn sha(path: &std::path::Path) -> String {
    let d = ring::digest::digest(&ring::digest::SHA256, &std::fs::read(path).unwrap());
    d.as_ref().iter().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn a_backup_taken_while_serving_restores_on_a_fresh_machine_and_bad_ones_are_refused() {
    let s = Server::demo();
    // History worth keeping: money, a closed session, and an accounting
    // Start acknowledged just before the backup.
    let ids = customer_ids(&s.data);
    lango_ok(
        &s.data,
        &[
            "wallet",
            "post",
            "--tenant",
            "demo",
            "--customer",
            &ids[0],
            "--kind",
            "payment",
            "--amount",
            "700.50",
            "--reason",
            "cash",
        ],
    );
    lango_ok(
        &s.data,
        &[
            "wallet",
            "post",
            "--tenant",
            "demo",
            "--customer",
            &ids[1],
            "--kind",
            "credit",
            "--amount",
            "20",
            "--reason",
            "x",
        ],
    );
    acct(&s, "User-Name=demo-pppoe,Acct-Status-Type=Start,Acct-Session-Id=bk-1,Framed-IP-Address=10.10.0.9");
    acct(
        &s,
        "User-Name=demo-pppoe,Acct-Status-Type=Stop,Acct-Session-Id=bk-1,Acct-Session-Time=600,Acct-Input-Octets=123456,Acct-Output-Octets=654321",
    );
    acct(&s, "User-Name=demo-static,Acct-Status-Type=Start,Acct-Session-Id=bk-2,Framed-IP-Address=10.99.0.10");

    let dir = s.data.join("off-site");
    let out = lango_ok(&s.data, &["backup", "--dir", dir.to_str().unwrap()]);
    assert!(out.contains("the key file is not inside"), "{out}");
    let file = std::fs::read_dir(&dir).unwrap().flatten().map(|e| e.path()).next().expect("a backup file");
    let raw = std::fs::read(&file).unwrap();
    assert!(!raw.windows(9).any(|w| w == b"demo-pass"), "nothing readable without the key");
    // RADIUS answered throughout; a login right after still works.
    let ok = radclient(
        s.auth,
        "auth",
        DEMO_SECRET,
        "User-Name=DEMO-VOUCHER,User-Password=DEMO-VOUCHER,Message-Authenticator=0x00",
    );
    assert!(ok.is("Access-Accept"), "{}", ok.raw);
    // Restoring over a running lango is refused.
    let running = lango(&s.data, &["restore", file.to_str().unwrap()]);
    assert!(!running.status.success());
    assert!(String::from_utf8_lossy(&running.stderr).contains("lango is running"), "{running:?}");

    let wanted = {
        // Sessions fold shortly after their acknowledgement.
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        loop {
            let e = exports(&s.data);
            if e[4].contains("bk-1") && e[4].contains("bk-2") || std::time::Instant::now() > deadline {
                break e;
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    };
    assert!(wanted[4].contains("bk-1") && wanted[4].contains("bk-2"), "{}", wanted[4]);
    let key = std::fs::read(s.data.join("lango.key")).unwrap();

    // A fresh machine: an empty data directory with only the key.
    let fresh = temp_dir("restore-fresh");
    std::fs::write(fresh.join("lango.key"), &key).unwrap();
    let restored = lango_ok(&fresh, &["restore", file.to_str().unwrap()]);
    assert!(restored.contains("1 tenant(s)"), "{restored}");
    let got = exports(&fresh);
    for (i, (w, g)) in wanted.iter().zip(&got).enumerate() {
        assert_eq!(w, g, "export {i} differs after restore");
    }
    let again = Server::start(&fresh, &[]);
    let ok = radclient(
        again.auth,
        "auth",
        DEMO_SECRET,
        "User-Name=demo-pppoe,User-Password=demo-pass,Message-Authenticator=0x00",
    );
    assert!(ok.is("Access-Accept"), "the restored router secret and password work: {}", ok.raw);
    drop(again);

    // Bad backups: refused with the reason; the database is not touched.
    let before = sha(&fresh.join("lango.redb"));
    let bad = fresh.join("bad.lbk");
    let mut flipped = raw.clone();
    let at = flipped.len() / 2;
    flipped[at] ^= 0x40;
    std::fs::write(&bad, &flipped).unwrap();
    let e = lango(&fresh, &["restore", bad.to_str().unwrap()]);
    assert!(String::from_utf8_lossy(&e.stderr).contains("damaged or was changed"), "{e:?}");
    std::fs::write(&bad, &raw[..raw.len() * 2 / 3]).unwrap();
    let e = lango(&fresh, &["restore", bad.to_str().unwrap()]);
    assert!(String::from_utf8_lossy(&e.stderr).contains("damaged or was changed"), "{e:?}");
    // A newer lango's backup (the header says schema 99).
    let hlen = u32::from_be_bytes(raw[8..12].try_into().unwrap()) as usize;
    let mut header: serde_json::Value = serde_json::from_slice(&raw[12..12 + hlen]).unwrap();
    header["schema"] = 99.into();
    let newer = serde_json::to_string(&header).unwrap();
    let mut forged = raw[..8].to_vec();
    forged.extend_from_slice(&(newer.len() as u32).to_be_bytes());
    forged.extend_from_slice(newer.as_bytes());
    forged.extend_from_slice(&raw[12 + hlen..]);
    std::fs::write(&bad, &forged).unwrap();
    let e = lango(&fresh, &["restore", bad.to_str().unwrap()]);
    assert!(String::from_utf8_lossy(&e.stderr).contains("newer lango (database schema 99"), "{e:?}");
    // Another machine's key.
    let other = temp_dir("restore-other-key");
    std::fs::write(other.join("lango.key"), [9u8; 32]).unwrap();
    let e = lango(&other, &["restore", file.to_str().unwrap()]);
    assert!(String::from_utf8_lossy(&e.stderr).contains("needs the key file with id"), "{e:?}");
    assert!(!other.join("lango.redb").exists(), "nothing made");
    assert_eq!(sha(&fresh.join("lango.redb")), before, "refused restores change nothing");
    std::fs::remove_dir_all(&fresh).unwrap();
    std::fs::remove_dir_all(&other).unwrap();
}

#[test]
fn the_scheduled_backup_is_listed_for_download_and_failures_reach_the_dashboard() {
    let data = temp_dir("backup-scheduled");
    let now = crate::billing::real_now().to_string();
    let env = [("LANGO_JOBS_TICK_SECS", "1"), ("LANGO_BACKUP_EVERY_HOURS", "1")];
    let s = Server::start_env(&data, &["--demo", "--test-clock", &now], &env);
    let pw = make_admin(&s.data, &["--name", "root", "--role", "platform-admin"]);
    let root = AdminWeb::login(s.http, "root", &pw);
    assert!(root.get("/admin/backups").body.contains("None yet."));
    let boss = AdminWeb::login(s.http, "demo", "demo-admin-pass");
    assert_eq!(boss.get("/admin/backups").status, 403, "a tenant admin does not see every tenant's data");

    lango_ok(&data, &["clock-advance", "3601"]);
    let dir = data.join("backups");
    crate::billing::eventually("the scheduled backup", Duration::from_secs(20), || {
        let done = |e: &std::fs::DirEntry| e.file_name().to_string_lossy().ends_with(".lbk");
        std::fs::read_dir(&dir).map(|d| d.flatten().filter(done).count() == 1).unwrap_or(false)
    });
    let page = root.get("/admin/backups");
    let name = page.body.split("href=\"/admin/backups/").nth(1).unwrap().split('"').next().unwrap().to_string();
    assert!(name.starts_with("lango-") && name.ends_with(".lbk"), "{name}");
    assert!(!page.body.contains("id=\"backup-failed\""));
    let got = root.get(&format!("/admin/backups/{name}"));
    assert_eq!(got.status, 200);
    assert!(got.head.to_ascii_lowercase().contains("attachment"), "{}", got.head);
    assert!(got.body.starts_with("LANGOBK1"));
    assert_eq!(root.get("/admin/backups/..%2Flango.key").status, 404);
    assert_eq!(root.get("/admin/backups/lango.key").status, 404);

    // A failing directory: the dashboard says so.
    std::fs::remove_dir_all(&dir).unwrap();
    std::fs::write(&dir, "a file where the directory was").unwrap();
    lango_ok(&data, &["clock-advance", "3601"]);
    crate::billing::eventually("the failure on the dashboard", Duration::from_secs(20), || {
        root.get("/admin").body.contains("id=\"backup-alert\"")
    });
    assert!(root.get("/admin/backups").body.contains("id=\"backup-failed\""));
    assert!(!boss.get("/admin").body.contains("backup-alert"), "a platform matter");
    // Back up now, into a working directory again.
    std::fs::remove_file(&dir).unwrap();
    let now = root.post("/admin/backups", &[]);
    assert_eq!(now.status, 303, "{}", now.body);
    assert!(!root.get("/admin").body.contains("id=\"backup-alert\""), "a success clears it");
}

#[test]
fn backups_are_copied_to_a_bucket_and_an_ftp_server_with_the_same_retention() {
    use crate::support::offsite::{FTP_PASS, FTP_USER, FtpServer, S3Server};
    let s3 = S3Server::start();
    s3.make_bucket("lango-backups");
    let data = temp_dir("backup-offsite");
    let ftp = FtpServer::start(&data.join("ftp-root"));
    let now = crate::billing::real_now().to_string();
    let env = [("LANGO_BACKUP_EVERY_HOURS", "0"), ("LANGO_BACKUP_KEEP_DAILY", "2"), ("LANGO_BACKUP_KEEP_MONTHLY", "0")];
    let s = Server::start_env(&data, &["--demo", "--test-clock", &now], &env);
    let pw = make_admin(&s.data, &["--name", "root", "--role", "platform-admin"]);
    let mut root = AdminWeb::login(s.http, "root", &pw);

    // The bucket from the page: wrong fields come back marked.
    let bad = root.post("/admin/backups/s3", &[("endpoint", "s3.example"), ("bucket", "No_Caps"), ("region", "")]);
    assert_eq!(bad.status, 422, "{}", bad.body);
    for field in ["endpoint", "bucket", "region", "access_key", "secret_key"] {
        assert!(bad.body.contains(&format!("id=\"error-{field}\"")), "{field}: {}", bad.body);
    }
    let endpoint = s3.endpoint();
    let good = [
        ("endpoint", endpoint.as_str()),
        ("region", "us-east-1"),
        ("bucket", "lango-backups"),
        ("prefix", "site-1"),
        ("access_key", "AKIDLANGOTEST"),
        ("secret_key", "s3-secret-Offsite7"),
    ];
    assert_eq!(root.post("/admin/backups/s3", &good).status, 303);
    // The FTP server from the command line (the password through the
    // environment).
    let port = ftp.port.to_string();
    let args = ["backup", "ftp", "--host", "127.0.0.1", "--port", &port, "--user", FTP_USER];
    let args: Vec<&str> = args.into_iter().chain(["--password", FTP_PASS, "--dir", "lango/site-1"]).collect();
    lango_ok(&s.data, &args);
    let page = root.get("/admin/backups");
    assert!(!page.body.contains("s3-secret-Offsite7") && !page.body.contains(FTP_PASS), "secrets never shown");
    let audit = lango_ok(&s.data, &["export", "sessions", "--tenant", "demo"]);
    assert!(!audit.contains(FTP_PASS));

    // Three days, a backup each: two stay everywhere.
    for day in 0..3 {
        if day > 0 {
            lango_ok(&s.data, &["clock-advance", "86400"]);
            // A day is longer than an admin session.
            root = AdminWeb::login(s.http, "root", &pw);
        }
        let made = root.post("/admin/backups", &[]);
        assert_eq!(made.status, 303, "{}", made.body);
        let flash = set_cookie(&made, "lango_flash").unwrap_or_default();
        assert!(flash.contains("copied+to+2+off-site"), "{flash}");
    }
    let local: Vec<String> = std::fs::read_dir(data.join("backups"))
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".lbk"))
        .collect();
    assert_eq!(local.len(), 2, "{local:?}");
    let mut keys = s3.keys("lango-backups");
    keys.sort();
    assert_eq!(keys.len(), 2, "{keys:?}");
    let mut on_ftp: Vec<String> = std::fs::read_dir(ftp.root.join("lango/site-1"))
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    on_ftp.sort();
    assert_eq!(on_ftp.len(), 2, "{on_ftp:?}");
    for name in &local {
        let bytes = std::fs::read(data.join("backups").join(name)).unwrap();
        let md5 = {
            use md5::Digest;
            let d = md5::Md5::digest(&bytes);
            d.iter().map(|b| format!("{b:02x}")).collect::<String>()
        };
        assert_eq!(s3.etag("lango-backups", &format!("site-1/{name}")), md5, "the bucket holds {name} whole");
        assert_eq!(std::fs::read(ftp.root.join("lango/site-1").join(name)).unwrap(), bytes, "FTP holds {name} whole");
    }

    // A bucket that does not exist: the local backup is made, the page
    // and the dashboard say the copy failed, in plain words.
    let mut missing = good;
    missing[2] = ("bucket", "no-such-bucket");
    missing[5] = ("secret_key", "");
    assert_eq!(root.post("/admin/backups/s3", &missing).status, 303, "a blank secret keeps the stored one");
    let made = root.post("/admin/backups", &[]);
    let flash = set_cookie(&made, "lango_flash").unwrap_or_default();
    assert!(flash.contains("NOT+copied") && flash.contains("does+not+exist"), "{flash}");
    let page = root.get("/admin/backups");
    assert!(page.body.contains("no-such-bucket"), "{}", page.body);
    // Off: nothing more goes there.
    assert_eq!(root.post("/admin/backups/off", &[("kind", "s3")]).status, 303);
    lango_ok(&s.data, &["backup", "off", "--kind", "ftp"]);
    let made = root.post("/admin/backups", &[]);
    assert!(set_cookie(&made, "lango_flash").unwrap_or_default().contains("copied+to+0+off-site"));
    drop(s);
    std::fs::remove_dir_all(&data).unwrap();
}

#[test]
fn a_container_with_no_shell_restores_from_lango_restore_from_at_start() {
    let s = Server::demo();
    lango_ok(&s.data, &["customer", "add", "--tenant", "demo", "--name", "Restored Rose"]);
    let dir = s.data.join("out");
    lango_ok(&s.data, &["backup", "--dir", dir.to_str().unwrap()]);
    let file = std::fs::read_dir(&dir).unwrap().flatten().map(|e| e.path()).next().unwrap();
    let key = std::fs::read(s.data.join("lango.key")).unwrap();
    let backup = std::fs::read(&file).unwrap();
    drop(s);

    // The operator uploads the key and the backup into an empty /data.
    let fresh = temp_dir("restore-from-env");
    std::fs::write(fresh.join("lango.key"), &key).unwrap();
    let uploaded = fresh.join(file.file_name().unwrap());
    std::fs::write(&uploaded, &backup).unwrap();
    let var = uploaded.to_str().unwrap().to_string();
    let restored = Server::start_env(&fresh, &[], &[("LANGO_RESTORE_FROM", &var)]);
    assert!(restored.log().contains("restored from a backup"), "{}", restored.log());
    let ok = radclient(
        restored.auth,
        "auth",
        DEMO_SECRET,
        "User-Name=demo-pppoe,User-Password=demo-pass,Message-Authenticator=0x00",
    );
    assert!(ok.is("Access-Accept"), "{}", ok.raw);
    assert!(lango_ok(&fresh, &["customer", "list", "--tenant", "demo"]).contains("Restored Rose"));
    assert!(!uploaded.exists() && uploaded.with_extension("lbk.restored").exists(), "renamed once restored");
    drop(restored);
    // Restarted with the variable still set: it starts, restoring nothing.
    let again = Server::start_env(&fresh, &[], &[("LANGO_RESTORE_FROM", &var)]);
    assert!(again.log().contains("already restored"), "{}", again.log());
    drop(again);
    // Over a database with the file present again: refused, naming the variable.
    std::fs::write(&uploaded, &backup).unwrap();
    let out = crate::harness::without_lango_env(std::process::Command::new(BIN))
        .arg("--data")
        .arg(&fresh)
        .args(["serve", "--radius-auth", "127.0.0.1:0", "--radius-acct", "127.0.0.1:0", "--http", "127.0.0.1:0"])
        .args(["--https", "off"])
        .env("LANGO_RESTORE_FROM", &var)
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("already holds a database"), "{out:?}");
    std::fs::remove_dir_all(&fresh).unwrap();
}
