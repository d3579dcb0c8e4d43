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
