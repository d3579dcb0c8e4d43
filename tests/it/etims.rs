//! KRA eTIMS readiness against the real binary and the OSCU simulator:
//! off by default; `lango etims setup` initialises the device (the
//! communication key kept sealed: in no output, page or audit record); a
//! device KRA did not approve (901) and an OSCU that is down are refused
//! with the reason and save nothing; the admin page sets up and turns off
//! with the same checks (422 on a bad PIN).

use crate::harness::*;
use crate::support::etims::{CMC_KEY, Oscu, SDC_ID};

#[test]
fn the_oscu_device_is_initialised_refused_or_unreachable() {
    let sim = Oscu::start();
    sim.approve("P051234567X", "00", "LANGO-DEV-1");
    let s = Server::demo();
    let cli = |args: &[&str]| lango(&s.data, args);
    assert_eq!(lango_ok(&s.data, &["etims", "show", "--tenant", "demo"]).trim(), "eTIMS off");
    let url = sim.url();
    let setup = |serial: &str| {
        cli(&["etims", "setup", "--tenant", "demo", "--url", &url, "--tin", "P051234567X", "--serial", serial])
    };

    // A device KRA did not approve: the refusal code and message, nothing saved.
    let refused = setup("LANGO-DEV-9");
    let err = String::from_utf8_lossy(&refused.stderr);
    assert!(!refused.status.success() && err.contains("901 It is not valid device."), "{err}");
    assert_eq!(lango_ok(&s.data, &["etims", "show", "--tenant", "demo"]).trim(), "eTIMS off");

    // The OSCU down: unreachable, nothing saved.
    sim.set_down(true);
    let down = setup("LANGO-DEV-1");
    let err = String::from_utf8_lossy(&down.stderr);
    assert!(!down.status.success() && err.contains("cannot be reached"), "{err}");
    assert_eq!(lango_ok(&s.data, &["etims", "show", "--tenant", "demo"]).trim(), "eTIMS off");
    sim.set_down(false);

    // Approved: initialised, the control unit kept, the key never shown.
    let ok = setup("LANGO-DEV-1");
    let out = String::from_utf8_lossy(&ok.stdout);
    assert!(ok.status.success() && out.contains(SDC_ID), "{out} {}", String::from_utf8_lossy(&ok.stderr));
    let shown = lango_ok(&s.data, &["etims", "show", "--tenant", "demo"]);
    assert!(shown.contains(&format!("control unit {SDC_ID}")) && shown.contains("key sealed"), "{shown}");
    assert!(!shown.contains(CMC_KEY) && !out.contains(CMC_KEY));
    let reqs = sim.requests.lock().unwrap().clone();
    let last = &reqs.last().unwrap().1;
    assert_eq!(
        (last["tin"].as_str(), last["bhfId"].as_str(), last["dvcSrlNo"].as_str()),
        (Some("P051234567X"), Some("00"), Some("LANGO-DEV-1"))
    );

    // The admin page: the device shown without its key, a bad PIN re-rendered, off.
    let web = AdminWeb::login(s.http, "demo", "demo-admin-pass");
    let page = web.get("/admin/etims");
    assert_eq!(page.status, 200);
    assert!(page.body.contains(SDC_ID) && !page.body.contains(CMC_KEY), "{}", page.body);
    let bad = web.post("/admin/etims", &[("url", &url), ("tin", "12345"), ("branch", "00"), ("serial", "LANGO-DEV-1")]);
    assert_eq!(bad.status, 422, "{}", bad.body);
    assert!(bad.body.contains("is not a KRA PIN"), "{}", bad.body);
    let refused =
        web.post("/admin/etims", &[("url", &url), ("tin", "P051234567X"), ("branch", "01"), ("serial", "LANGO-DEV-1")]);
    assert_eq!(refused.status, 422, "{}", refused.body);
    assert!(refused.body.contains("901"), "{}", refused.body);
    assert_eq!(web.post("/admin/etims/off", &[]).status, 303);
    assert_eq!(lango_ok(&s.data, &["etims", "show", "--tenant", "demo"]).trim(), "eTIMS off");
    let saved =
        web.post("/admin/etims", &[("url", &url), ("tin", "p051234567x"), ("branch", "00"), ("serial", "LANGO-DEV-1")]);
    assert_eq!(saved.status, 303, "{}", saved.body);
    assert!(lango_ok(&s.data, &["etims", "show", "--tenant", "demo"]).contains("tin P051234567X"));
    let audit = web.get("/admin/audit?format=csv").body;
    assert_eq!(audit.matches("tenant.etims_off").count(), 1, "{audit}");
    assert!(audit.contains("tenant.etims") && !audit.contains(CMC_KEY), "{audit}");
}

/// A sale issued while the control unit is down is queued (issuing does
/// not wait), refused sales are retried, and once the CU takes it the
/// document's PDF carries the CU invoice number and signature.
#[test]
fn sales_reach_the_control_unit_once_it_is_back_and_print_on_the_pdf() {
    use crate::billing::eventually;
    use std::time::Duration;
    let sim = Oscu::start();
    sim.approve("P051234567X", "00", "LANGO-DEV-1");
    let s = Server::demo();
    let cli = |args: &[&str]| lango_ok(&s.data, args);
    let url = sim.url();
    cli(&["etims", "setup", "--tenant", "demo", "--url", &url, "--tin", "P051234567X", "--serial", "LANGO-DEV-1"]);
    cli(&["invoice", "settings", "--tenant", "demo", "--vat", "16", "--inclusive"]);
    let customers = cli(&["customer", "list", "--tenant", "demo"]);
    let customer = customers.lines().nth(1).and_then(|l| l.split_whitespace().next()).unwrap().to_string();
    let pay = ["wallet", "post", "--tenant", "demo", "--customer", &customer, "--kind", "payment"];
    cli(&[&pay[..], &["--amount", "5000", "--reason", "cash at the shop"]].concat());

    sim.set_down(true);
    cli(&["wallet", "renew", "--tenant", "demo", "--service", "demo-pppoe"]);
    // The sale, as the tax report lists it (the cash payment's receipt is no sale).
    let docs = cli(&["report", "tax", "--tenant", "demo", "--format", "csv"]);
    let sale_line = docs.lines().find(|l| l.starts_with("RCT-")).unwrap_or_else(|| panic!("{docs}"));
    let number = sale_line.split(',').next().unwrap().to_string();
    assert!(cli(&["etims", "show", "--tenant", "demo"]).contains("waiting 1"));
    std::thread::sleep(Duration::from_secs(3));
    assert!(sim.sales().is_empty(), "nothing reached a CU that is down");
    // Back, but refusing: still waiting.
    sim.refuse_sales(Some("910"));
    sim.set_down(false);
    eventually("a refused attempt", Duration::from_secs(20), || {
        sim.requests.lock().unwrap().iter().any(|(p, _)| p.ends_with("/saveTrnsSalesOsdc"))
    });
    assert!(cli(&["etims", "show", "--tenant", "demo"]).contains("waiting 1"));
    sim.refuse_sales(None);
    eventually("the sale signed by the control unit", Duration::from_secs(45), || {
        cli(&["etims", "show", "--tenant", "demo"]).contains("waiting 0")
    });
    let web = AdminWeb::login(s.http, "demo", "demo-admin-pass");
    assert!(web.get("/admin/etims").body.contains("<td id=\"etims-waiting\">0</td>"));
    let sales = sim.sales();
    let sale = sales.last().unwrap();
    assert_eq!(sale["trdInvcNo"], number.as_str(), "{sale}\n{docs}");
    assert_eq!(sale["itemList"][0]["taxTyCd"], "B", "{sale}");
    assert!(sale["totTaxAmt"].as_f64().unwrap() > 0.0, "{sale}");

    let pdf = s.data.join("receipt.pdf");
    cli(&["invoice", "print", "--tenant", "demo", &number, "--pdf", pdf.to_str().unwrap()]);
    let text = std::process::Command::new("pdftotext").arg(&pdf).arg("-").output().expect("pdftotext (poppler-utils)");
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(text.contains("KRA eTIMS control unit") && text.contains(&format!("{SDC_ID}/1")), "{text}");
    assert!(text.contains("SIGN"), "the receipt signature: {text}");
}
