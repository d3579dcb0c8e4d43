//! The RouterOS API simulator itself, driven by hand-written sentences: the
//! five word-length encodings, login, tags, `!re`/`!done`/`!trap`/`!fatal`,
//! queries, `.proplist`, `/cancel`, and the refusals (unknown menu, verb,
//! parameter or value) that make lango's provisioning tests mean something.

use std::io::BufReader;
use std::net::TcpStream;

use crate::support::routeros::{RouterOsSim, wire};

struct Raw {
    r: BufReader<TcpStream>,
    w: TcpStream,
}

impl Raw {
    fn connect(sim: &RouterOsSim) -> Raw {
        let s = TcpStream::connect(sim.addr()).unwrap();
        s.set_read_timeout(Some(std::time::Duration::from_secs(5))).unwrap();
        Raw { r: BufReader::new(s.try_clone().unwrap()), w: s }
    }

    fn login(sim: &RouterOsSim) -> Raw {
        let mut c = Raw::connect(sim);
        assert_eq!(c.call(&["/login", "=name=u", "=password=p"]), vec![vec!["!done".to_string()]]);
        c
    }

    /// Send one sentence and read replies up to the final one.
    fn call(&mut self, words: &[&str]) -> Vec<Vec<String>> {
        wire::write_sentence(&mut self.w, words).unwrap();
        let mut out = Vec::new();
        loop {
            let s = wire::read_sentence(&mut self.r).unwrap().expect("a reply");
            let last = matches!(s[0].as_str(), "!done" | "!trap" | "!fatal" | "!empty");
            out.push(s);
            if last {
                return out;
            }
        }
    }
}

#[test]
fn word_lengths_use_all_five_encodings() {
    let cases: [(usize, &[u8]); 10] = [
        (0, &[0x00]),
        (0x7F, &[0x7F]),
        (0x80, &[0x80, 0x80]),
        (0x3FFF, &[0xBF, 0xFF]),
        (0x4000, &[0xC0, 0x40, 0x00]),
        (0x1F_FFFF, &[0xDF, 0xFF, 0xFF]),
        (0x20_0000, &[0xE0, 0x20, 0x00, 0x00]),
        (0x0FFF_FFFF, &[0xEF, 0xFF, 0xFF, 0xFF]),
        (0x1000_0000, &[0xF0, 0x10, 0x00, 0x00, 0x00]),
        (0xFFFF_FFFF, &[0xF0, 0xFF, 0xFF, 0xFF, 0xFF]),
    ];
    for (len, bytes) in cases {
        let mut enc = Vec::new();
        wire::encode_len(len, &mut enc);
        assert_eq!(enc, bytes, "encoding {len:#x}");
        assert_eq!(wire::decode_len(bytes).unwrap(), Some((len, bytes.len())), "decoding {len:#x}");
        assert_eq!(wire::decode_len(&bytes[..bytes.len() - 1]).unwrap(), None, "short {len:#x}");
    }
    assert!(wire::decode_len(&[0xF8]).is_err(), "control bytes are not lengths");
}

#[test]
fn long_words_travel_both_ways() {
    let sim = RouterOsSim::start("u", "p");
    let mut c = Raw::login(&sim);
    // A 20,000-byte comment needs the three-byte length form.
    let comment = "x".repeat(20_000);
    let add = format!("=comment={comment}");
    let r = c.call(&["/ip/firewall/address-list/add", "=list=big", "=address=10.0.0.1", &add, ".tag=7"]);
    assert_eq!(r[0][0], "!done");
    assert_eq!(r[0][1], ".tag=7");
    assert!(r[0][2].starts_with("=ret=*"), "{r:?}");
    let p = c.call(&["/ip/firewall/address-list/print", "?list=big"]);
    assert!(p[0].contains(&add));
}

#[test]
fn login_is_required_and_checked() {
    let sim = RouterOsSim::start("u", "p");
    let mut c = Raw::connect(&sim);
    let r = c.call(&["/ip/firewall/nat/print", ".tag=1"]);
    assert_eq!(r, vec![vec!["!trap", ".tag=1", "=message=not logged in"]]);
    let r = c.call(&["/login", "=name=u", "=password=wrong", ".tag=2"]);
    assert_eq!(r, vec![vec!["!trap", ".tag=2", "=message=invalid user name or password (6)"]]);
    let r = c.call(&["/login", "=name=u", "=password=p", ".tag=3"]);
    assert_eq!(r, vec![vec!["!done", ".tag=3"]]);
    assert_eq!(sim.state().logins, 1);
}

#[test]
fn unknown_menus_verbs_parameters_and_values_are_refused() {
    let sim = RouterOsSim::start("u", "p");
    let mut c = Raw::login(&sim);
    let msg = |r: &Vec<Vec<String>>| r.last().unwrap().iter().find(|w| w.starts_with("=message=")).cloned().unwrap();
    assert_eq!(msg(&c.call(&["/ip/nothing/print"])), "=message=no such command prefix");
    assert_eq!(msg(&c.call(&["/ppp/active/add", "=name=x"])), "=message=no such command");
    assert_eq!(msg(&c.call(&["/radius/add", "=address=10.0.0.1", "=secrett=x"])), "=message=unknown parameter secrett");
    assert_eq!(
        msg(&c.call(&["/ip/hotspot/walled-garden/add", "=dst-host=a.b", "=action=accept"])),
        "=message=input does not match any value of action"
    );
    // `use-radius` on DHCP servers is yes/no/accounting, not a boolean.
    let r = c.call(&["/ip/dhcp-server/add", "=name=lan", "=interface=bridge", "=use-radius=yes"]);
    assert_eq!(r[0][0], "!done");
    assert!(sim.rows("/radius").is_empty());
}

#[test]
fn rows_are_printed_queried_set_and_removed_by_id() {
    let sim = RouterOsSim::start("u", "p");
    let a = sim.seed("/queue/simple", &[("name", "alice"), ("target", "10.0.0.2/32"), ("max-limit", "5M/5M")]);
    let b = sim.seed("/queue/simple", &[("name", "bob"), ("target", "10.0.0.3/32"), ("max-limit", "10M/10M")]);
    assert!(a.starts_with('*') && a != b && u64::from_str_radix(&b[1..], 16).is_ok(), "{a} {b}");
    let mut c = Raw::login(&sim);
    let r = c.call(&["/queue/simple/print", "?name=bob", "=.proplist=.id,max-limit", ".tag=q"]);
    assert_eq!(
        r,
        vec![vec!["!re", ".tag=q", format!("=.id={b}").as_str(), "=max-limit=10M/10M"], vec!["!done", ".tag=q"]]
    );
    // ?# stack operations: name=alice OR name=bob, then NOT.
    let r = c.call(&["/queue/simple/getall", "?name=alice", "?name=bob", "?#|"]);
    assert_eq!(r.len(), 3);
    let r = c.call(&["/queue/simple/print", "?name=alice", "?name=bob", "?#|!"]);
    assert_eq!(r.len(), 1);
    let r = c.call(&["/queue/simple/set", &format!("=.id={a}"), "=max-limit=1M/1M"]);
    assert_eq!(r, vec![vec!["!done"]]);
    assert_eq!(sim.rows("/queue/simple")[0]["max-limit"], "1M/1M");
    let r = c.call(&["/queue/simple/remove", "=.id=*FFFF"]);
    assert_eq!(r[0], vec!["!trap", "=message=no such item"]);
    let r = c.call(&["/queue/simple/remove", &format!("=.id={a},{b}")]);
    assert_eq!(r, vec![vec!["!done"]]);
    assert!(sim.rows("/queue/simple").is_empty());
    // Singletons are set without an id; yes/no switches print as true/false.
    c.call(&["/ppp/aaa/set", "=use-radius=yes", "=interim-update=5m"]);
    let r = c.call(&["/ppp/aaa/print", "=.proplist=use-radius,interim-update"]);
    assert_eq!(r[0], vec!["!re", "=interim-update=5m", "=use-radius=true"]);
    // Hotspot login makes an active session; cancel answers done.
    let r = c.call(&[
        "/ip/hotspot/active/login",
        "=user=V1",
        "=password=V1",
        "=ip=10.5.60.9",
        "=mac-address=AA:BB:CC:00:00:09",
    ]);
    assert_eq!(r, vec![vec!["!done"]]);
    assert_eq!(sim.rows("/ip/hotspot/active")[0]["user"], "V1");
    assert_eq!(c.call(&["/cancel", "=tag=5", ".tag=6"]), vec![vec!["!done", ".tag=6"]]);
}

#[test]
fn knobs_trap_and_close() {
    let sim = RouterOsSim::start("u", "p");
    sim.trap_on("/radius/print", "failure: busy");
    sim.close_on("/ppp/active/print");
    let mut c = Raw::login(&sim);
    assert_eq!(c.call(&["/radius/print", ".tag=1"]), vec![vec!["!trap", ".tag=1", "=message=failure: busy"]]);
    assert_eq!(c.call(&["/ppp/active/print"]), vec![vec!["!fatal", "session terminated on request"]]);
    assert!(wire::read_sentence(&mut c.r).unwrap().is_none(), "the connection is closed");
    assert_eq!(sim.commands(), ["/login", "/radius/print", "/ppp/active/print"]);
}
