//! Real NATS servers on loopback (Debian's `nats-server`; `.ci/run`
//! installs it): a JetStream cluster of any size (the hub's, 3 nodes for R3
//! streams), a leaf node without JetStream (a site's local NATS, which
//! hands the JetStream API on to the hub over its leaf connection), and a
//! TCP relay that a test can cut and restore (the site's WAN link).
//!
//! Each server has its own directory and free ports; `kill9` and
//! `start_again` keep the directory (JetStream's files), as a node that
//! crashed and came back would.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const NATS: &str = "nats-server";
/// The hub cluster's JetStream domain (sites behind a leaf node name it).
pub const DOMAIN: &str = "hub";

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// Wait for `child` to listen on `port`; false if it exits first (a port
/// chosen free was taken meanwhile by a parallel test) or takes too long.
fn wait_port(child: &mut Child, port: u16) -> bool {
    let deadline = Instant::now() + Duration::from_secs(20);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        if Instant::now() > deadline || child.try_wait().ok().flatten().is_some() {
            return false;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    true
}

pub struct Node {
    pub name: String,
    pub client_port: u16,
    pub monitor_port: u16,
    pub leaf_port: u16,
    conf: PathBuf,
    child: Option<Child>,
}

impl Node {
    pub fn url(&self) -> String {
        format!("nats://127.0.0.1:{}", self.client_port)
    }

    /// Start the server; false when it did not come up (see `wait_port`).
    fn try_spawn(&mut self) -> bool {
        let log = self.conf.with_extension("log");
        let mut child = Command::new(NATS)
            .arg("-c")
            .arg(&self.conf)
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .expect("nats-server (apt-get install nats-server)");
        let up = wait_port(&mut child, self.client_port);
        self.child = Some(child);
        up
    }

    fn spawn(&mut self) {
        assert!(self.try_spawn(), "{} did not start:\n{}", self.name, self.log());
    }

    /// SIGKILL: JetStream gets no chance to flush or step down.
    pub fn kill9(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    pub fn start_again(&mut self) {
        self.spawn();
    }

    /// `/jsz` from the monitoring port, as text.
    pub fn jsz(&self) -> String {
        http_get(self.monitor_port, "/jsz?streams=true")
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.conf.with_extension("log")).unwrap_or_default()
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        self.kill9();
        if std::thread::panicking() {
            eprintln!("---- {} log (tail) ----", self.name);
            let log = self.log();
            let tail: Vec<&str> = log.lines().rev().take(30).collect();
            for l in tail.iter().rev() {
                eprintln!("{l}");
            }
        }
    }
}

fn http_get(port: u16, path: &str) -> String {
    let Ok(mut s) = TcpStream::connect(("127.0.0.1", port)) else { return String::new() };
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let _ = write!(s, "GET {path} HTTP/1.0\r\nHost: x\r\n\r\n");
    let mut body = String::new();
    let _ = s.read_to_string(&mut body);
    body
}

/// The hub's JetStream cluster.
pub struct Cluster {
    pub nodes: Vec<Node>,
    pub dir: PathBuf,
}

impl Cluster {
    /// Start `size` nodes (retried with fresh ports when one does not come
    /// up: ports are chosen free, but parallel tests can take one first).
    pub fn start(dir: &std::path::Path, size: usize) -> Cluster {
        for _ in 0..5 {
            if let Some(c) = Cluster::try_start(dir, size) {
                c.wait_ready();
                return c;
            }
        }
        panic!("the NATS cluster did not start in five tries");
    }

    fn try_start(dir: &std::path::Path, size: usize) -> Option<Cluster> {
        // A site reaches a hub's leaf port only over its WAN (a relay), as
        // the hub's public address; the hub advertises an address nothing
        // listens on, or a leaf node would learn the loopback port and go
        // around a cut link.
        let cluster_ports: Vec<u16> = (0..size).map(|_| free_port()).collect();
        let routes: Vec<String> = cluster_ports.iter().map(|p| format!("\"nats-route://127.0.0.1:{p}\"")).collect();
        let mut nodes = Vec::new();
        for (i, &cport) in cluster_ports.iter().enumerate() {
            let name = format!("hub{}", i + 1);
            let (client_port, monitor_port, leaf_port) = (free_port(), free_port(), free_port());
            let store = dir.join(&name);
            let _ = std::fs::remove_dir_all(&store);
            std::fs::create_dir_all(&store).unwrap();
            let conf = dir.join(format!("{name}.conf"));
            let cluster = if size > 1 {
                format!(
                    "cluster {{\n  name: lango-hub\n  listen: 127.0.0.1:{cport}\n  routes: [{}]\n}}\n",
                    routes.join(", ")
                )
            } else {
                String::new()
            };
            std::fs::write(
                &conf,
                format!(
                    "server_name: {name}\nlisten: 127.0.0.1:{client_port}\nhttp: 127.0.0.1:{monitor_port}\n\
                     jetstream {{\n  domain: {DOMAIN}\n  store_dir: {store:?}\n  max_memory_store: 64MB\n  max_file_store: 1GB\n}}\n\
                     leafnodes {{\n  listen: 127.0.0.1:{leaf_port}\n  advertise: \"127.0.0.1:9\"\n}}\n{cluster}"
                ),
            )
            .unwrap();
            nodes.push(Node { name, client_port, monitor_port, leaf_port, conf, child: None });
        }
        for n in &mut nodes {
            if !n.try_spawn() {
                return None;
            }
        }
        Some(Cluster { nodes, dir: dir.to_path_buf() })
    }

    /// Every node reports a JetStream meta leader (the cluster can create
    /// replicated streams).
    pub fn wait_ready(&self) {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let ready = self.nodes.iter().filter(|n| n.child.is_some()).all(|n| {
                let j = n.jsz();
                self.nodes.len() == 1 || j.contains("\"leader\"")
            });
            if ready {
                return;
            }
            assert!(Instant::now() < deadline, "JetStream cluster has no leader");
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    pub fn urls(&self) -> String {
        self.nodes.iter().map(Node::url).collect::<Vec<_>>().join(",")
    }
}

/// A site's leaf node: no JetStream of its own, its one remote the given
/// leaf URL (usually a [`Relay`] in front of a hub node).
pub fn leaf(dir: &std::path::Path, name: &str, remote: SocketAddr) -> Node {
    for _ in 0..5 {
        if let Some(n) = try_leaf(dir, name, remote) {
            return n;
        }
    }
    panic!("leaf node {name} did not start in five tries");
}

fn try_leaf(dir: &std::path::Path, name: &str, remote: SocketAddr) -> Option<Node> {
    let (client_port, monitor_port) = (free_port(), free_port());
    let conf = dir.join(format!("{name}.conf"));
    std::fs::write(
        &conf,
        format!(
            "server_name: {name}\nlisten: 127.0.0.1:{client_port}\nhttp: 127.0.0.1:{monitor_port}\n\
             leafnodes {{\n  reconnect: 1\n  remotes: [ {{ url: \"nats-leaf://{remote}\" }} ]\n}}\n"
        ),
    )
    .unwrap();
    let mut n = Node { name: name.to_string(), client_port, monitor_port, leaf_port: 0, conf, child: None };
    n.try_spawn().then_some(n)
}

impl Node {
    /// A leaf node's link to the hub is up (`/leafz` lists a connection).
    pub fn leaf_connected(&self) -> bool {
        http_get(self.monitor_port, "/leafz").contains("\"leafnodes\": 1")
    }
}

/// A TCP relay from a local port to `target` that can be cut (every
/// connection closed and new ones refused) and restored: a WAN link.
pub struct Relay {
    pub addr: SocketAddr,
    up: Arc<AtomicBool>,
    conns: Arc<Mutex<Vec<TcpStream>>>,
}

impl Relay {
    pub fn start(target: SocketAddr) -> Relay {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let up = Arc::new(AtomicBool::new(true));
        let conns: Arc<Mutex<Vec<TcpStream>>> = Arc::default();
        let (up2, conns2) = (up.clone(), conns.clone());
        std::thread::spawn(move || {
            for inbound in listener.incoming() {
                let Ok(inbound) = inbound else { continue };
                if !up2.load(Ordering::SeqCst) {
                    drop(inbound);
                    continue;
                }
                let Ok(outbound) = TcpStream::connect(target) else { continue };
                let mut list = conns2.lock().unwrap();
                list.push(inbound.try_clone().unwrap());
                list.push(outbound.try_clone().unwrap());
                drop(list);
                pipe(inbound.try_clone().unwrap(), outbound.try_clone().unwrap());
                pipe(outbound, inbound);
            }
        });
        Relay { addr, up, conns }
    }

    pub fn cut(&self) {
        self.up.store(false, Ordering::SeqCst);
        for c in self.conns.lock().unwrap().drain(..) {
            let _ = c.shutdown(std::net::Shutdown::Both);
        }
    }

    pub fn restore(&self) {
        self.up.store(true, Ordering::SeqCst);
    }
}

fn pipe(mut from: TcpStream, mut to: TcpStream) {
    std::thread::spawn(move || {
        let mut buf = [0u8; 16384];
        loop {
            match from.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    if to.write_all(&buf[..n]).is_err() {
                        break;
                    }
                }
            }
        }
        let _ = to.shutdown(std::net::Shutdown::Both);
    });
}
