//! A real SNMP agent on loopback: net-snmp's `snmpd` (Debian package
//! `snmpd`; `.ci/run` installs it), started per test with its own config in
//! a temporary directory and a free UDP port. It serves the host's own
//! SNMPv2-MIB, IF-MIB and HOST-RESOURCES-MIB (`lo` at least), with
//! sysName [`SYS_NAME`], and a MikroTik-like enterprise subtree (14988)
//! from `snmpd_mikrotik.py` beside this file: mtxrGaugeTable, the legacy
//! mtxrHl* health scalars, two wireless AP client counts (3 and 4), a DHCP
//! lease count (17), two SFP optics (sfp1 at -5.10 dBm unless set, and
//! sfp-sfpplus1 at -12.30 dBm), two PoE-out ports (ether4 powered on unless
//! set, 24.0 V, 150 mA, 3.6 W; ether5 waiting for load) and a test-only
//! Counter32 at [`WRAP_OID`] that the test sets. Credentials: v2c community [`COMMUNITY`]; SNMPv3 users
//! [`USER_SHA`] (SHA-1/AES-128), [`USER_SHA256`] (SHA-256/AES-128) and
//! [`USER_MD5`] (MD5/AES-128), all with [`AUTH_PASS`] / [`PRIV_PASS`], under
//! a fixed engine ID.
//!
//! `stop` and `start_again` keep the directory and snmpd's persistent state
//! (so the restarted agent has the same engine ID and a higher
//! snmpEngineBoots, and sysUpTime starts again from 0). As root, snmpd runs
//! as `nobody` through `setpriv`, like a packaged agent.

use std::net::{SocketAddr, UdpSocket};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

pub const COMMUNITY: &str = "lango-ro";
pub const SYS_NAME: &str = "lango-snmp-peer";
pub const USER_SHA: &str = "lango-sha";
pub const USER_SHA256: &str = "lango-sha256";
pub const USER_MD5: &str = "lango-md5";
pub const AUTH_PASS: &str = "lango-auth-pass";
pub const PRIV_PASS: &str = "lango-priv-pass";
/// The test-only Counter32 that `set_counter32` pins.
pub const WRAP_OID: &str = "1.3.6.1.4.1.14988.1.1.99.1.0";
/// SNMP-FRAMEWORK-MIB snmpEngineBoots.0: one more after each start.
pub const ENGINE_BOOTS_OID: &str = "1.3.6.1.6.3.10.2.1.2.0";

const SNMPD: &str = "/usr/sbin/snmpd";

pub struct SnmpPeer {
    child: Option<Child>,
    dir: PathBuf,
    port: u16,
    as_nobody: bool,
}

fn unique_dir() -> PathBuf {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let dir = std::env::temp_dir().join(format!(
        "lango-snmpd-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn free_udp_port() -> u16 {
    UdpSocket::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn is_root() -> bool {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status.lines().find_map(|l| l.strip_prefix("Uid:")).and_then(|l| l.split_whitespace().next()) == Some("0")
}

/// An SNMPv2c GET of sysUpTime.0 with [`COMMUNITY`], BER by hand so the
/// readiness check shares nothing with the code under test.
fn probe() -> Vec<u8> {
    let oid = [0x06, 0x08, 0x2b, 0x06, 0x01, 0x02, 0x01, 0x01, 0x03, 0x00];
    let varbind = [&[0x30, 0x0c][..], &oid, &[0x05, 0x00]].concat();
    let list = [&[0x30, varbind.len() as u8][..], &varbind].concat();
    let pdu_body = [&[0x02, 0x01, 0x01, 0x02, 0x01, 0x00, 0x02, 0x01, 0x00][..], &list].concat();
    let pdu = [&[0xa0, pdu_body.len() as u8][..], &pdu_body].concat();
    let community = [&[0x04, COMMUNITY.len() as u8][..], COMMUNITY.as_bytes()].concat();
    let body = [&[0x02, 0x01, 0x01][..], &community, &pdu].concat();
    [&[0x30, body.len() as u8][..], &body].concat()
}

impl SnmpPeer {
    pub fn start() -> SnmpPeer {
        assert!(std::path::Path::new(SNMPD).exists(), "{SNMPD} is missing: apt-get install snmpd snmp");
        let dir = unique_dir();
        let port = free_udp_port();
        for sub in ["persist", "state"] {
            std::fs::create_dir_all(dir.join(sub)).unwrap();
        }
        // Present from the start, so snmpd does not warn that it is missing.
        std::fs::write(dir.join("persist/snmpd.conf"), "").unwrap();
        let script = dir.join("mikrotik.py");
        let source = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/support/snmpd_mikrotik.py");
        std::fs::copy(&source, &script).unwrap();
        std::fs::write(dir.join("snmpd.conf"), config(port, &script)).unwrap();
        std::fs::set_permissions(&script, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
        let as_nobody = is_root();
        if as_nobody {
            let status = Command::new("chown").args(["-R", "nobody:nogroup"]).arg(&dir).status().unwrap();
            assert!(status.success(), "chown nobody:nogroup {}", dir.display());
        }
        let mut peer = SnmpPeer { child: None, dir, port, as_nobody };
        peer.start_again();
        peer
    }

    /// Where the agent listens (UDP).
    pub fn addr(&self) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], self.port))
    }

    /// Start the agent on the same port, directory and persistent state,
    /// and wait until it answers.
    pub fn start_again(&mut self) {
        assert!(self.child.is_none(), "snmpd is already running");
        let d = &self.dir;
        let conf = format!("{},{}", d.join("snmpd.conf").display(), d.join("persist/snmpd.conf").display());
        let mut cmd;
        if self.as_nobody {
            cmd = Command::new("setpriv");
            cmd.args(["--reuid=nobody", "--regid=nogroup", "--clear-groups", "--", SNMPD]);
        } else {
            cmd = Command::new(SNMPD);
        }
        cmd.args(["-f", "-C", "-c"])
            .arg(conf)
            .args(["-m", "", "-Lf"])
            .arg(d.join("snmpd.log"))
            .arg("-p")
            .arg(d.join("snmpd.pid"))
            .args(["-I", "-smux,mteTrigger,mteTriggerConf"])
            .env("SNMP_PERSISTENT_DIR", d.join("persist"))
            .env("LANGO_SNMP_STATE", d.join("state"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(d.join("stderr.log")).unwrap());
        self.child = Some(cmd.spawn().expect("start snmpd"));
        self.wait_until_ready();
    }

    fn wait_until_ready(&mut self) {
        let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
        socket.set_read_timeout(Some(Duration::from_millis(100))).unwrap();
        let deadline = Instant::now() + Duration::from_secs(15);
        let mut buf = [0u8; 1500];
        while Instant::now() < deadline {
            if let Some(status) = self.child.as_mut().unwrap().try_wait().unwrap() {
                panic!("snmpd exited ({status}):\n{}", self.log());
            }
            let _ = socket.send_to(&probe(), self.addr());
            if socket.recv_from(&mut buf).is_ok() {
                return;
            }
        }
        panic!("snmpd did not answer on {} within 15 s:\n{}", self.addr(), self.log());
    }

    /// Stop the agent with SIGTERM, as a router's agent goes away, letting
    /// it save its persistent state.
    pub fn stop(&mut self) {
        let Some(mut child) = self.child.take() else { return };
        let _ = Command::new("kill").arg("-TERM").arg(child.id().to_string()).status();
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if child.try_wait().unwrap().is_some() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = child.kill();
        let _ = child.wait();
    }

    /// Pin the Counter32 at [`WRAP_OID`] to `value`.
    pub fn set_counter32(&self, value: u32) {
        std::fs::write(self.dir.join("state/counter32"), value.to_string()).unwrap();
    }

    /// The gauge table's cpu-temperature, °C (47 unless set).
    pub fn set_cpu_temperature(&self, celsius: u32) {
        std::fs::write(self.dir.join("state/cpu_temp"), celsius.to_string()).unwrap();
    }

    /// sfp1's receive power, thousandths of a dBm (-5100 unless set).
    pub fn set_sfp_rx(&self, milli_dbm: i32) {
        std::fs::write(self.dir.join("state/sfp_rx"), milli_dbm.to_string()).unwrap();
    }

    /// ether4's mtxrPOEStatus (3, poweredOn, unless set; 4 is overload).
    pub fn set_poe_status(&self, status: u32) {
        std::fs::write(self.dir.join("state/poe_status"), status.to_string()).unwrap();
    }

    /// Act as an older RouterOS: no mtxrGaugeTable, wireless, DHCP, SFP or
    /// PoE objects, only the legacy health scalars.
    pub fn set_minimal(&self, on: bool) {
        let knob = self.dir.join("state/minimal");
        if on {
            std::fs::write(knob, "").unwrap();
        } else {
            let _ = std::fs::remove_file(knob);
        }
    }

    /// snmpd's log and stderr.
    pub fn log(&self) -> String {
        let read = |f: &str| std::fs::read_to_string(self.dir.join(f)).unwrap_or_default();
        format!("{}{}", read("snmpd.log"), read("stderr.log"))
    }
}

fn config(port: u16, script: &std::path::Path) -> String {
    format!(
        "# lango SNMP test peer: loopback only.
agentAddress udp:127.0.0.1:{port}
# A fixed engine ID (text: 0x80001f8804 + the text), so localized keys are
# the same after a restart.
engineID lango-test-engine
sysLocation lango-ci
sysContact ci@example.invalid
sysName {SYS_NAME}
dontLogTCPWrappersConnects yes
rocommunity {COMMUNITY} 127.0.0.1
# createUser lines become usmUser lines in $SNMP_PERSISTENT_DIR/snmpd.conf.
createUser {USER_SHA} SHA \"{AUTH_PASS}\" AES \"{PRIV_PASS}\"
createUser {USER_SHA256} SHA-256 \"{AUTH_PASS}\" AES \"{PRIV_PASS}\"
createUser {USER_MD5} MD5 \"{AUTH_PASS}\" AES \"{PRIV_PASS}\"
rouser {USER_SHA} priv
rouser {USER_SHA256} priv
rouser {USER_MD5} priv
pass_persist .1.3.6.1.4.1.14988 {}
",
        script.display()
    )
}

impl Drop for SnmpPeer {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
        if std::thread::panicking() {
            eprintln!("--- snmpd log ({}):\n{}", self.dir.display(), self.log());
        } else {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}
