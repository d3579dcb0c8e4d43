//! A MikroTik RouterOS API simulator (the binary API on TCP, as on port
//! 8728), written from MikroTik's protocol documentation and sharing no code
//! with lango or mikrotik-rs. It speaks length-prefixed words in all five
//! length encodings, sentences ended by an empty word, `/login` with
//! `=name=`/`=password=`, replies `!re`/`!done`/`!trap`/`!fatal` with the
//! request's `.tag` echoed, `.id`s like `*1F`, `?` queries (equality,
//! presence, `<`/`>` and the `?#` stack operations), `=.proplist=`, the
//! verbs print/getall/add/set/remove, `/cancel` and
//! `/ip/hotspot/active/login`. Unknown menus, verbs and parameters (and
//! values outside a parameter's fixed set) are refused as RouterOS 7.21
//! refuses them (see `routeros/schema.rs`).
//!
//! API-SSL too (`start_tls`, rustls with a fixture certificate).
//!
//! Knobs: credentials, a command made to trap, a command at which the
//! server closes the connection (after `!fatal`), seeded rows, and a log of
//! every sentence received.

mod exec;
pub mod schema;
pub mod wire;

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// One row of a menu, as the API prints it (`.id` included).
pub type Row = BTreeMap<String, String>;

pub struct State {
    pub user: String,
    pub password: String,
    /// Rows per menu path; singletons hold exactly one row without `.id`.
    pub tables: BTreeMap<String, Vec<Row>>,
    next_id: u64,
    /// Every sentence received, on every connection, in order.
    pub log: Vec<Vec<String>>,
    /// Command path (`/ip/firewall/nat/add`) → trap message.
    pub traps: Vec<(String, String)>,
    /// Command path at which the server sends `!fatal` and closes (once).
    pub close_on: Option<String>,
    /// Logins that succeeded.
    pub logins: u32,
}

impl State {
    fn new_id(&mut self) -> String {
        let id = format!("*{:X}", self.next_id);
        self.next_id += 1;
        id
    }
}

pub struct RouterOsSim {
    addr: SocketAddr,
    state: Arc<Mutex<State>>,
}

impl RouterOsSim {
    /// A router that accepts `user`/`password` on the plain API, with
    /// RouterOS's defaults: the singletons, a `default` hotspot profile.
    pub fn start(user: &str, password: &str) -> RouterOsSim {
        RouterOsSim::start_with(user, password, None)
    }

    /// The same on API-SSL, with the self-signed certificate in
    /// `tests/fixtures/routeros-tls` (as a router's own certificate is).
    pub fn start_tls(user: &str, password: &str) -> RouterOsSim {
        use rustls::pki_types::pem::PemObject;
        use rustls::pki_types::{CertificateDer, PrivateKeyDer};
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/routeros-tls");
        let cert = CertificateDer::from_pem_file(format!("{dir}/cert.pem")).unwrap();
        let key = PrivateKeyDer::from_pem_file(format!("{dir}/key.pem")).unwrap();
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(vec![cert], key)
            .unwrap();
        RouterOsSim::start_with(user, password, Some(Arc::new(config)))
    }

    fn start_with(user: &str, password: &str, tls: Option<Arc<rustls::ServerConfig>>) -> RouterOsSim {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let mut tables = BTreeMap::new();
        let single = |kv: &[(&str, &str)]| vec![kv.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()];
        tables
            .insert("/radius/incoming".to_string(), single(&[("accept", "false"), ("port", "3799"), ("vrf", "main")]));
        tables.insert(
            "/ppp/aaa".to_string(),
            single(&[
                ("use-radius", "false"),
                ("accounting", "true"),
                ("interim-update", "0s"),
                ("use-circuit-id-in-nas-port-id", "false"),
                ("enable-ipv6-accounting", "false"),
            ]),
        );
        let state = State {
            user: user.into(),
            password: password.into(),
            tables,
            next_id: 1,
            log: vec![],
            traps: vec![],
            close_on: None,
            logins: 0,
        };
        let sim = RouterOsSim { addr, state: Arc::new(Mutex::new(state)) };
        sim.seed("/ip/hotspot/profile", &[("name", "default"), ("use-radius", "false"), ("default", "true")]);
        let state = sim.state.clone();
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                let Ok(conn) = conn else { break };
                let _ = conn.set_nodelay(true);
                let state = state.clone();
                let tls = tls.clone();
                std::thread::spawn(move || match tls {
                    None => serve(conn, state),
                    Some(config) => {
                        let Ok(tls) = rustls::ServerConnection::new(config) else { return };
                        serve(rustls::StreamOwned::new(tls, conn), state)
                    }
                });
            }
        });
        sim
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap()
    }

    /// Add a row as if the operator (or RouterOS itself) had made it;
    /// returns its `.id`. Read-only properties are allowed here.
    pub fn seed(&self, menu: &str, kv: &[(&str, &str)]) -> String {
        let mut st = self.state();
        let id = st.new_id();
        let mut row: Row = kv.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        row.insert(".id".into(), id.clone());
        st.tables.entry(menu.to_string()).or_default().push(row);
        id
    }

    /// The rows of `menu` now.
    pub fn rows(&self, menu: &str) -> Vec<Row> {
        self.state().tables.get(menu).cloned().unwrap_or_default()
    }

    /// Make `command` (e.g. `/ip/firewall/nat/add`) answer `!trap` with `message`.
    pub fn trap_on(&self, command: &str, message: &str) {
        self.state().traps.push((command.into(), message.into()));
    }

    /// Send `!fatal` and close the connection the next time `command` arrives.
    pub fn close_on(&self, command: &str) {
        self.state().close_on = Some(command.into());
    }

    /// Every sentence received so far.
    pub fn log(&self) -> Vec<Vec<String>> {
        self.state().log.clone()
    }

    /// The command words received so far (`/login`, `/radius/print`, ...).
    pub fn commands(&self) -> Vec<String> {
        self.log().into_iter().filter_map(|s| s.into_iter().next()).collect()
    }

    /// Commands received that change something (add, set, remove, login, ...).
    pub fn changes(&self) -> Vec<Vec<String>> {
        self.log()
            .into_iter()
            .filter(|s| {
                s.first().is_some_and(|c| {
                    ["/add", "/set", "/remove", "/unset"].iter().any(|v| c.ends_with(v)) || c.ends_with("active/login")
                })
            })
            .collect()
    }

    pub fn clear_log(&self) {
        self.state().log.clear();
    }

    /// Wait until `f` holds for the log, or `within` passes.
    pub fn wait_for(&self, f: impl Fn(&[Vec<String>]) -> bool, within: Duration) -> bool {
        let until = Instant::now() + within;
        while Instant::now() < until {
            if f(&self.log()) {
                return true;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        f(&self.log())
    }
}

/// One API connection: nothing but `/login` until logged in.
fn serve<S: Read + Write>(mut stream: S, state: Arc<Mutex<State>>) {
    let mut logged_in = false;
    loop {
        let sentence = match wire::read_sentence(&mut stream) {
            Ok(Some(s)) if s.is_empty() => continue,
            Ok(Some(s)) => s,
            _ => return,
        };
        let replies = {
            let mut st = state.lock().unwrap();
            st.log.push(sentence.clone());
            let cmd = &sentence[0];
            if st.close_on.as_deref() == Some(cmd.as_str()) {
                st.close_on = None;
                let _ = wire::write_sentence(&mut stream, &["!fatal", "session terminated on request"]);
                let _ = stream.flush();
                return;
            }
            exec::handle(&mut st, &sentence, &mut logged_in)
        };
        let bytes: Vec<u8> = replies.iter().flat_map(|r| wire::encode_sentence(r)).collect();
        if stream.write_all(&bytes).and_then(|()| stream.flush()).is_err() {
            return;
        }
    }
}
