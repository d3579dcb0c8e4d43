//! Imports against the real binary: a daloRADIUS dump and a PHPNuxBill
//! dump (fixtures written from their published schemas) become working
//! logins, checked with radclient; a file with problems reports each by
//! line and imports nothing; a dry run writes nothing.

use std::path::Path;

use crate::harness::*;

fn fixture(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/import").join(name).display().to_string()
}

fn services(s: &Server) -> String {
    lango_ok(&s.data, &["service", "list", "--tenant", "demo"])
}

fn auth(s: &Server, attrs: &str) -> Reply {
    radclient(s.auth, "auth", DEMO_SECRET, &format!("{attrs},Message-Authenticator=0x00"))
}

#[test]
fn daloradius_dump_becomes_working_logins() {
    let s = Server::demo();
    let file = fixture("daloradius.sql");
    let before = services(&s);
    let dry = lango_ok(&s.data, &["import", "daloradius", "--tenant", "demo", &file, "--dry-run"]);
    assert!(dry.contains("5 service(s) would be imported"), "{dry}");
    assert_eq!(services(&s), before, "a dry run writes nothing");

    let out = lango_ok(&s.data, &["import", "daloradius", "--tenant", "demo", &file]);
    assert!(out.contains("imported") && out.contains("5 service(s)"), "{out}");
    assert!(out.contains("+44 20 7946 0000") && out.contains("left out"), "foreign phone noted: {out}");

    // Group plan, cleartext password: PAP and CHAP (radclient computes it).
    let r = auth(&s, "User-Name=alice,User-Password=alice-pass,Framed-Protocol=PPP");
    assert!(r.is("Access-Accept"), "{}", r.raw);
    assert_eq!(r.get("Mikrotik-Rate-Limit"), Some("10M/10M"));
    assert_eq!(r.get("Framed-Pool"), Some("pppoe-pool"));
    let r = auth(&s, "User-Name=alice,CHAP-Password=alice-pass,Framed-Protocol=PPP");
    assert!(r.is("Access-Accept"), "CHAP: {}", r.raw);
    // Own reply attributes: static address and speed; a quote in the password.
    let r = auth(&s, r#"User-Name=bob,User-Password="bob's pass",Framed-Protocol=PPP"#);
    assert!(r.is("Access-Accept"), "{}", r.raw);
    assert_eq!(r.get("Framed-IP-Address"), Some("10.20.0.5"));
    assert_eq!(r.get("Mikrotik-Rate-Limit"), Some("4M/4M"));
    // A DHCP device by MAC.
    let r = auth(&s, "User-Name=AA:BB:CC:11:22:33,Calling-Station-Id=AA:BB:CC:11:22:33");
    assert!(r.is("Access-Accept"), "{}", r.raw);
    assert_eq!(r.get("Mikrotik-Rate-Limit"), Some("5M/5M"));
    // Expired in 2020: captive; disabled by group: refused.
    let r = auth(&s, "User-Name=carol,User-Password=carol-pass,Framed-Protocol=PPP");
    assert_eq!(r.get("Mikrotik-Address-List"), Some("lango-expired"), "{}", r.raw);
    let r = auth(&s, "User-Name=dan,User-Password=dan-pass,Framed-Protocol=PPP");
    assert!(r.is("Access-Reject"), "{}", r.raw);
    let customers = lango_ok(&s.data, &["customer", "list", "--tenant", "demo"]);
    assert!(customers.contains("Alice Njeri") && customers.contains("254722000111"), "{customers}");

    // Importing again: every login is taken; nothing changes.
    let again = lango(&s.data, &["import", "daloradius", "--tenant", "demo", &file]);
    let text = String::from_utf8_lossy(&again.stdout).to_string() + &String::from_utf8_lossy(&again.stderr);
    assert!(!again.status.success(), "{text}");
    assert!(text.contains("username \"alice\" is taken") && text.contains("nothing imported"), "{text}");
}

#[test]
fn hashed_passwords_stop_a_daloradius_import_by_line() {
    let s = Server::demo();
    let dump = std::fs::read_to_string(fixture("daloradius.sql")).unwrap().replace(
        "(8,'dan','Cleartext-Password',':=','dan-pass');",
        "(8,'dan','Cleartext-Password',':=','dan-pass'),\n(9,'erin','MD5-Password',':=','5f4dcc3b5aa765d61d8327deb882cf99');",
    );
    let file = s.data.join("bad.sql");
    std::fs::write(&file, dump).unwrap();
    let before = services(&s);
    let out = lango(&s.data, &["import", "daloradius", "--tenant", "demo", file.to_str().unwrap()]);
    let text = String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(text.contains("line 17: erin has only a hashed password (MD5-Password)"), "{text}");
    assert_eq!(services(&s), before, "nothing imported");
}

#[test]
fn phpnuxbill_dump_becomes_working_logins() {
    let s = Server::demo();
    let out = lango_ok(&s.data, &["import", "phpnuxbill", "--tenant", "demo", &fixture("phpnuxbill.sql")]);
    assert!(out.contains("2 new plan(s), 3 customer(s), 3 service(s)"), "{out}");
    assert!(out.contains("newbie never recharged"), "{out}");
    // PPPoE with the PPPoE password, the latest recharge's plan and expiry.
    let r = auth(&s, "User-Name=jane,User-Password=jane-ppp,Framed-Protocol=PPP");
    assert!(r.is("Access-Accept"), "{}", r.raw);
    assert_eq!(r.get("Mikrotik-Rate-Limit"), Some("10M/10M"));
    assert_eq!(r.get("Framed-Pool"), Some("pppoe-pool"));
    // Hotspot: speed up/down from tbl_bandwidth, the data limit as a quota.
    let r = auth(&s, "User-Name=tom,User-Password=tom-pass,Service-Type=Login-User");
    assert!(r.is("Access-Accept"), "{}", r.raw);
    assert_eq!(r.get("Mikrotik-Rate-Limit"), Some("512k/2M"));
    assert_eq!(r.get("Mikrotik-Total-Limit"), Some("2000000000"));
    // Never recharged: in, but expired (captive).
    let r = auth(&s, "User-Name=newbie,User-Password=newbie-pass,Framed-Protocol=PPP");
    assert_eq!(r.get("Mikrotik-Address-List"), Some("lango-expired"), "{}", r.raw);
    let plans = lango_ok(&s.data, &["plan", "list", "--tenant", "demo"]);
    assert!(plans.contains("Home 10Mbps") && plans.contains("1500.00"), "{plans}");
}

#[test]
fn csv_import_reports_every_bad_line_then_imports_a_clean_file() {
    let s = Server::demo();
    let file = s.data.join("people.csv");
    std::fs::write(
        &file,
        "name,phone,username,password,plan,type,expires\n\
         Mary,0712999001,mary,mary-pass,Home 10M,pppoe,2099-01-01\n\
         Zed,0712999002,demo-pppoe,x,Home 10M,pppoe,\n\
         Yan,0712999003,yan,y,No Such Plan,pppoe,\n",
    )
    .unwrap();
    let out = lango(&s.data, &["import", "csv", "--tenant", "demo", file.to_str().unwrap()]);
    let text = String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(text.contains("line 3: username \"demo-pppoe\" is taken"), "{text}");
    assert!(text.contains("line 4: yan: no plan \"No Such Plan\""), "{text}");
    assert!(
        auth(&s, "User-Name=mary,User-Password=mary-pass,Framed-Protocol=PPP").is("Access-Reject"),
        "nothing imported"
    );

    std::fs::write(
        &file,
        "name,phone,username,password,plan,type,expires\nMary,0712999001,mary,mary-pass,Home 10M,pppoe,2099-01-01\n",
    )
    .unwrap();
    let out = lango_ok(&s.data, &["import", "csv", "--tenant", "demo", file.to_str().unwrap()]);
    assert!(out.contains("1 service(s)"), "{out}");
    let r = auth(&s, "User-Name=mary,User-Password=mary-pass,Framed-Protocol=PPP");
    assert!(r.is("Access-Accept"), "{}", r.raw);
}

#[test]
fn services_export_as_csv_and_import_elsewhere() {
    let a = Server::demo();
    let c = lango_ok(
        &a.data,
        &["customer", "add", "--tenant", "demo", "--name", "Wanjiru, \"Amina\"", "--phone", "0712888001"],
    );
    let id = c.split("(id ").nth(1).unwrap().trim().trim_end_matches(')').to_string();
    let add = ["service", "add", "--tenant", "demo", "--customer", &id, "--plan", "Home 10M"];
    let mut args = add.to_vec();
    args.extend(["--username", "amina-w", "--password", "p,w\"1", "--expires", "2099-06-01"]);
    lango_ok(&a.data, &args);

    let without = lango_ok(&a.data, &["export", "services", "--tenant", "demo"]);
    assert!(
        without.starts_with("name,phone,email,category,username,password,plan,type,mac,ip,expires,status\r\n"),
        "{without}"
    );
    let line = without.lines().find(|l| l.contains("amina-w")).unwrap();
    assert_eq!(line, "\"Wanjiru, \"\"Amina\"\"\",254712888001,,,amina-w,,Home 10M,pppoe,,,2099-06-01 23:59,active");

    // With passwords, only that customer's line, into another lango.
    let out = a.data.join("services.csv");
    lango_ok(&a.data, &["export", "services", "--tenant", "demo", "--with-passwords", "--out", out.to_str().unwrap()]);
    let text = std::fs::read_to_string(&out).unwrap();
    let mine: Vec<&str> = text.lines().filter(|l| l.starts_with("name,") || l.contains("amina-w")).collect();
    let b = Server::demo();
    let file = b.data.join("in.csv");
    std::fs::write(&file, mine.join("\n")).unwrap();
    let done = lango_ok(&b.data, &["import", "csv", "--tenant", "demo", file.to_str().unwrap()]);
    assert!(done.contains("1 service(s)"), "{done}");
    let r = auth(&b, r#"User-Name=amina-w,User-Password="p,w\"1",Framed-Protocol=PPP"#);
    assert!(r.is("Access-Accept"), "{}", r.raw);
    let customers = lango_ok(&b.data, &["customer", "list", "--tenant", "demo"]);
    assert!(customers.contains("Wanjiru, \"Amina\""), "{customers}");

    let payments = lango_ok(&a.data, &["export", "payments", "--tenant", "demo"]);
    assert!(payments.starts_with("id,received,customer,amount,method"), "{payments}");
}
