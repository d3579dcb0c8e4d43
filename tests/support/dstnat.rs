//! The router's captive dst-nat, seen from lango: every web request a
//! customer's browser makes, whatever host it names, arrives at lango from
//! the customer's own address. Chromium uses this as its HTTP proxy; each
//! connection is relayed to lango from a socket bound to `client`
//! (127.0.0.23, say), so lango sees that source address exactly as it
//! would behind a real dst-nat. Absolute-form request lines pass through
//! untouched (lango's HTTP server accepts them), the Host header keeps the
//! site the customer asked for.

use socket2::{Domain, Socket, Type};
use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::thread;

pub struct DstNat {
    pub addr: SocketAddr,
}

impl DstNat {
    pub fn start(client: std::net::Ipv4Addr, lango: SocketAddr) -> DstNat {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        thread::spawn(move || {
            for conn in listener.incoming() {
                let Ok(inbound) = conn else { continue };
                thread::spawn(move || relay(inbound, client, lango));
            }
        });
        DstNat { addr }
    }
}

fn relay(inbound: TcpStream, client: std::net::Ipv4Addr, lango: SocketAddr) {
    let sock = Socket::new(Domain::IPV4, Type::STREAM, None).unwrap();
    sock.bind(&SocketAddr::new(client.into(), 0).into()).unwrap();
    if sock.connect(&lango.into()).is_err() {
        return;
    }
    let outbound: TcpStream = sock.into();
    let (mut a_r, mut b_w) = (inbound.try_clone().unwrap(), outbound.try_clone().unwrap());
    let up = thread::spawn(move || {
        let _ = copy(&mut a_r, &mut b_w);
        let _ = b_w.shutdown(Shutdown::Write);
    });
    let (mut b_r, mut a_w) = (outbound, inbound);
    let _ = copy(&mut b_r, &mut a_w);
    let _ = a_w.shutdown(Shutdown::Write);
    let _ = up.join();
}

fn copy(from: &mut TcpStream, to: &mut TcpStream) -> std::io::Result<()> {
    let mut buf = [0u8; 16 * 1024];
    loop {
        let n = from.read(&mut buf)?;
        if n == 0 {
            return Ok(());
        }
        to.write_all(&buf[..n])?;
    }
}
